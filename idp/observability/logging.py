"""Logging: one JSON object per line on stderr, stamped with the request id, secrets redacted.

``configure_logging(settings)`` runs in the application lifespan (once per uvicorn worker) and may run again
(tests build many apps): it replaces the handler it installed before instead of adding one more, and leaves other
handlers alone (pytest's ``caplog``). Each line carries ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, ``request_id`` and whatever the caller passed in ``extra``, with secret-looking fields redacted.
``IDP_LOG_JSON=false`` gives plain text for a developer's terminal.

uvicorn's own access log is switched off: it prints the raw request line, query string included, and the query
string of ``/authorize`` callbacks and some links carries codes and tokens. The middleware writes one access line
per request instead, naming the route template, never the path or the query (see ``middleware``).
``idp serve`` also passes ``access_log=False, log_config=None``; this covers ``uvicorn idp.main:app_factory`` run
by hand. For the same reason httpx (our outbound client: Pro Santé Connect, the SMS gateway) is held at WARNING: at
INFO it logs every URL it requests, query string included.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from idp.observability.context import current_request_id
from idp.settings import Settings

REDACTED = "[redacted]"

# What a key must look like for its value to be hidden. Deliberately broad: a hidden value costs a look elsewhere,
# a leaked one costs an incident. ``*_id`` and friends name things (token_id, client_id) rather than carry them.
_SECRET_FRAGMENTS = ("password", "passwd", "secret", "private", "token", "verifier", "credential", "cookie")
_SECRET_KEYS = frozenset({"code", "otp", "pin", "authorization", "proxy-authorization", "api_key", "apikey"})
_NAME_SUFFIXES = ("_id", "_kind", "_type", "_at", "_count", "_method")
_NON_SECRET_CODES = frozenset({"status_code", "error_code", "postal_code", "country_code", "finess_code"})
_SECRET_VALUE_PREFIXES = ("bearer ", "basic ")

# Libraries that log full URLs at INFO.
_URL_LOGGERS = ("httpx", "httpcore")

# Attributes every LogRecord has: everything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


@functools.lru_cache(maxsize=4096)  # field names come from code: a small set, asked on every line
def looks_secret(key: str) -> bool:
    """Whether a field called ``key`` probably holds a secret (password, code, token, Authorization header)."""
    key = key.lower()
    if key in _SECRET_KEYS:
        return True
    if key.endswith(_NAME_SUFFIXES):
        return False
    if key.endswith("_code"):
        return key not in _NON_SECRET_CODES
    return any(fragment in key for fragment in _SECRET_FRAGMENTS)


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with secret-looking mapping entries and ``Bearer``/``Basic`` strings hidden."""
    if isinstance(value, str):
        return REDACTED if value[:7].lower().startswith(_SECRET_VALUE_PREFIXES) else value
    if depth >= 3:  # extras are shallow; do not walk arbitrary structures on every line
        return value
    if isinstance(value, Mapping):
        return {k: _redact_field(str(k), v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item, depth + 1) for item in value]
    return value


def _redact_field(key: str, value: Any, depth: int = 0) -> Any:
    # A flag (``credential_generated: true``) or an absent value says nothing secret: keep it readable.
    if value is None or isinstance(value, bool) or not looks_secret(key):
        return redact(value, depth)
    return REDACTED


class RequestIdFilter(logging.Filter):
    """Stamp ``request_id`` on every record; an explicit ``extra={"request_id": ...}`` wins (the audit writer)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class RedactSecretsFilter(logging.Filter):
    """Hide the values of secret-looking ``extra`` fields. Messages themselves must not embed secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = record.__dict__
        for key in fields.keys() - _RECORD_ATTRIBUTES:
            if not key.startswith("_"):
                fields[key] = _redact_field(key, fields[key])
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")


def build_handler(settings: Settings) -> logging.Handler:
    # The process's own stderr (fd 2, what systemd or docker collect), not whatever ``sys.stderr`` is rebound to
    # at the time: a CLI command run under click's CliRunner must not receive the server's log lines.
    handler = logging.StreamHandler(sys.__stderr__ or sys.stderr)
    handler.set_name("idp")
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(json_formatter() if settings.log_json else text_formatter())
    return handler


def configure_logging(settings: Settings) -> None:
    """Install idp's handler on the root logger (replacing a previous one) and route uvicorn's loggers to it."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "idp"]:
        root.removeHandler(handler)
        handler.close()
    root.addHandler(build_handler(settings))
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()  # uvicorn's default config gives them a plain-text handler of their own
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
