"""Per-request context: the request id, the HTTP metrics and the access log line, as one plain ASGI middleware.

Plain ASGI rather than ``BaseHTTPMiddleware``: no extra task per request, streaming untouched, and it wraps hot
paths benchmarked above 10k requests/s, so the per-request work is a clock read, a context-variable set, two
pre-resolved metric children and one log record.

Labels and log fields are chosen so that nothing a client sends can grow them without bound or leak a secret:

- the route is the *template* the router matched (``/admin/api/v1/users/{user_id}``), read from ``scope["route"]``
  after routing; a path no route matches counts as ``<unmatched>``, so a scanner cannot mint a series per URL;
- the method is one of the standard verbs or ``OTHER``;
- the access line never carries the path or the query string: paths of action links and query strings of
  ``/authorize`` carry codes and tokens;
- an incoming ``X-Request-ID`` is reused (correlation with nginx) only if it is short and plain; anything else gets a
  fresh id, so a header cannot forge log fields or fill the log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from idp.observability.context import reset_request_id, set_request_id
from idp.observability.metrics import observe_request

Scope = dict[str, Any]
Message = dict[str, Any]

UNMATCHED = "<unmatched>"
REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("idp.access")


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None
    return None


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path:
        return UNMATCHED
    if hasattr(route, "routes"):  # a Mount no inner route matched (static files): its own path, one series
        return path
    return _mount_prefix(scope) + path


def _mount_prefix(scope: Scope) -> str:
    """The path of the mount the matched route lives under (``/admin/api/v1``), or "": a mounted application's
    routes know only their own part of the path (the mount adds its part to ``root_path``)."""
    root_path = scope.get("root_path", "")
    return root_path[len(scope.get("app_root_path", root_path)) :]


class RequestContextMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = incoming_request_id(scope["headers"]) or uuid.uuid4().hex
        request_id_header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        status = 500  # what the server will answer if the app raises before starting a response
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), request_id_header]}
            await send(message)

        token = set_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            reset_request_id(token)
            self._record(scope, status, time.perf_counter() - started, request_id)

    @staticmethod
    def _record(scope: Scope, status: int, duration: float, request_id: str) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope)
        observe_request(method, route, status, duration)
        if access_log.isEnabledFor(logging.INFO):
            duration_ms = round(duration * 1000, 1)
            access_log.info(
                "%s %s %d %.1fms",
                method,
                route,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "request_id": request_id,
                },
            )
