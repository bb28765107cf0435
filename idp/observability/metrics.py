"""Every Prometheus metric idp exposes, declared here and nowhere else.

One module so that names, help texts and label sets are reviewed together and a label can never be declared twice
with different names. Code elsewhere increments the objects below; label values must come from code constants,
never from request input (each distinct value is a new time series):

- ``LOGINS.labels(method=..., outcome=...)``: ``method`` is the factor (``password``, ``otp``, ``card``, ``psc``),
  ``outcome`` is ``success`` or ``failure``.
- ``ONE_TIME_CODES_SENT.labels(channel=...)``: login codes handed to their gateway, ``email`` or ``sms``.
- ``TOKENS_ISSUED.labels(grant_type=...)``: ``authorization_code``, ``refresh_token``, ``client_credentials``.
- ``SIGNING_KEY_ROTATIONS.inc()``.
- ``AUDIT_EVENTS.labels(event=..., outcome=...)``: incremented by the audit writer, one per event written.
- ``NOTIFICATIONS_SENT.labels(channel=..., outcome=...)``: ``email``/``sms``, ``sent``/``failed``.
- ``THROTTLED.labels(action=..., reason=...)``: ``action`` is ``password``, ``otp``, ``otp_send`` or
  ``password_reset``; ``reason`` is ``delayed``, ``locked`` or ``address`` (``idp.authn.throttle``,
  ``idp.authn.code_sends``).
- ``LOCKS.labels(factor=...)``: temporary locks imposed after repeated failures, ``password`` or ``otp``.

Several uvicorn workers: when ``PROMETHEUS_MULTIPROC_DIR`` is set before the processes start, prometheus_client
keeps the values in files in that directory and ``render()`` sums them over every worker. The directory must be
emptied before the server starts (stale files would add old counts). Only counters and histograms are declared, so
no gauge needs a multiprocess mode and no dead-worker clean-up is needed.

Metric objects are created at import, as prometheus_client intends; that allocates a few dicts and touches nothing
outside the process.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# From a cached JWKS answer (~1 ms) to an Argon2id login (a few hundred ms) and a slow upstream (PSC) call.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "idp_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "idp_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)

LOGINS = Counter("idp_logins", "Login attempts, by method and outcome.", ["method", "outcome"])
ONE_TIME_CODES_SENT = Counter("idp_one_time_codes_sent", "One-time codes sent, by channel.", ["channel"])
TOKENS_ISSUED = Counter("idp_tokens_issued", "Token responses issued, by grant type.", ["grant_type"])
SIGNING_KEY_ROTATIONS = Counter("idp_signing_key_rotations", "Signing key rotations.")
AUDIT_EVENTS = Counter("idp_audit_events", "Audit events written, by event name and outcome.", ["event", "outcome"])
NOTIFICATIONS_SENT = Counter(
    "idp_notifications_sent", "E-mails and SMS handed to their gateway, by channel and outcome.", ["channel", "outcome"]
)
THROTTLED = Counter(
    "idp_throttled", "Attempts refused by throttling before any secret was checked, by action and reason.",
    ["action", "reason"],
)
LOCKS = Counter("idp_locks", "Temporary locks imposed after repeated failures, by factor.", ["factor"])

# The middleware's hot path: label children looked up once per (method, route, status) instead of going through
# ``labels()`` (validation and a lock) on every request. Bounded because its keys are bounded (see the middleware).
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered HTTP request and its duration."""
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
            HTTP_REQUEST_DURATION.labels(method=method, route=route),
        )
        _children[key] = children  # a race only computes the same children twice
    children[0].inc()
    children[1].observe(seconds)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type: this process's registry, or the sum of every worker's files."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
