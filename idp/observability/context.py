"""The request id of the work in progress, in a context variable.

The middleware binds it for each HTTP request; the log formatter stamps it on every line and the web layer copies it
into ``AuditContext`` so that an audit row, its log line and the access line share one id. A context variable (not a
thread-local) because it must follow the request into ``async`` code and into the thread pool that runs plain
``def`` routes (anyio copies the context there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("idp_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside one."""
    return _request_id.get()


def set_request_id(request_id: str) -> Token[str | None]:
    """Bind ``request_id``; hand the token back to ``reset_request_id``. The middleware's cheap path."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


@contextmanager
def bound_request_id(request_id: str) -> Iterator[str]:
    """Bind ``request_id`` for the duration of the block (the middleware; a CLI command; a test)."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)
