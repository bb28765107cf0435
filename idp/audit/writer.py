"""Write security events to the ``audit_events`` table and the ``idp.audit`` logger.

Event names are stable, dotted, past tense (``login.password.failed``, ``otp.sent``, ``keys.rotated``,
``user.created``); ``outcome`` is ``success`` or ``failure``. The row joins the caller's transaction, so an action
that rolls back leaves no trace claiming it happened; the log line is written at the same time so that a failure
is visible even when its transaction is rolled back. ``details`` must never hold a secret (password, code, token):
the writer refuses keys that look like one.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from idp.clock import utcnow
from idp.db import Session
from idp.models import AuditEvent
from idp.observability.context import current_request_id
from idp.observability.metrics import AUDIT_EVENTS
from idp.storage import audit as audit_storage

log = logging.getLogger("idp.audit")

_SECRET_FRAGMENTS = ("password", "secret", "private", "token")
_SECRET_KEYS = frozenset({"code", "otp", "pin", "verifier"})


def _looks_secret(key: str) -> bool:
    key = key.lower()
    if key.endswith(("_id", "_kind", "_type")):  # token_id, token_kind: names of things, not the things
        return False
    return key in _SECRET_KEYS or any(fragment in key for fragment in _SECRET_FRAGMENTS)


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where: filled by the web layer or the CLI."""

    ip_address: str | None = None
    request_id: str | None = None
    actor_id: uuid.UUID | None = None
    client_id: str | None = None


CLI = AuditContext(ip_address=None, request_id="cli")


def record(
    session: Session,
    event: str,
    *,
    context: AuditContext = CLI,
    outcome: str = "success",
    account_id: uuid.UUID | None = None,
    client_id: str | None = None,
    details: dict[str, Any] | None = None,
    persist: bool = True,
) -> AuditEvent | None:
    """Write ``event``; the staged row, or None when ``persist`` is false. ``persist=False`` writes the log line only: for routine, high-volume events (a token issued
    to an already authenticated client) whose trail the log keeps, where a row per request would cost the hot path
    an INSERT. Security events of SPEC §4 (logins, codes, locks, password and delegation changes, admin actions)
    are always persisted."""
    details = dict(details or {})
    leaked = [key for key in details if _looks_secret(key)]
    if leaked:
        raise ValueError(f"audit details must not carry secrets: {leaked}")
    client_id = client_id or context.client_id
    request_id = context.request_id or current_request_id()  # the request being served, if the caller gave none
    row = None
    if persist:  # the ORM object costs the hot path too: built only when it is written
        row = AuditEvent(occurred_at=utcnow(), event=event, outcome=outcome, account_id=account_id,
                         actor_id=context.actor_id, client_id=client_id, ip_address=context.ip_address,
                         request_id=request_id, details=details)
        audit_storage.add_event(session, row)
    log.info(
        event,
        extra={
            "audit_event": event,
            "outcome": outcome,
            "account_id": str(account_id) if account_id else None,
            "actor_id": str(context.actor_id) if context.actor_id else None,
            "client_id": client_id,
            "ip_address": context.ip_address,
            "request_id": request_id,
            "details": details,
        },
    )
    AUDIT_EVENTS.labels(event=event, outcome=outcome).inc()
    return row
