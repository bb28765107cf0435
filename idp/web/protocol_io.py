"""The seam between HTTP and the protocol layer.

``read_http_request`` reads everything the protocol needs (the form body included, since authlib is synchronous)
into an ``HttpRequest``; ``to_response`` turns a ``ProtocolResponse`` into a Starlette response. Every protocol
response that carries a token or a code gets ``Cache-Control: no-store`` from the protocol itself (RFC 6749 §5.1).
``run_protocol`` runs the protocol in the thread pool, in the request's transaction; userinfo and introspection,
which only read (and may write an audit row), ask for a read session instead (``read_mostly``): see
``idp.db.database`` for why that is safe and what it saves.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar
from urllib.parse import parse_qsl

from fastapi import Depends, Request, Response

from idp.audit import AuditContext
from idp.observability.context import current_request_id
from idp.db import Session
from idp.protocol.context import ProtocolContext
from idp.protocol.requests import HttpRequest
from idp.protocol.responses import ProtocolResponse

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_http_request(request: Request) -> HttpRequest:
    """Read the body (async), so that the protocol's synchronous code never waits on the network.

    A form-urlencoded body (every OAuth request) is decoded as Starlette's own form parser does — percent-escapes as
    UTF-8, the bytes around them as Latin-1, blank values kept — with the standard library's ``parse_qsl``, a
    fraction of the parser's cost on the hot endpoints. The body's size is bounded by the application's limit.
    """
    form: list[tuple[str, str]] = []
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith(FORM_TYPES[0]):
        form = parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True)
    elif request.method == "POST" and content_type.startswith(FORM_TYPES[1]):
        parsed = await request.form()
        form = [(k, v) for k, v in parsed.multi_items() if isinstance(v, str)]
    return http_request(request, form)


def http_request(request: Request, form: list[tuple[str, str]] | None = None) -> HttpRequest:
    """The request as the protocol reads it. Path and query come from the ASGI scope as ``request.url.path`` and
    ``request.query_params`` would give them, without building either (a URL parse per request on the hot paths)."""
    path = request.scope["path"]
    if any(c in path for c in "?#\\"):  # characters Starlette's URL escapes: let it
        path = request.url.path
    query_string: bytes = request.scope.get("query_string", b"")
    return HttpRequest(
        method=request.method,
        path=path,
        headers=request.headers,
        query=parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if query_string else [],
        form=form or [],
        client_ip=request.client.host if request.client else None,
    )


def audit_context(http: HttpRequest | Request) -> AuditContext:
    if isinstance(http, Request):
        ip = http.client.host if http.client else None
    else:
        ip = http.client_ip
    return AuditContext(ip_address=ip, request_id=current_request_id())


def protocol_context(request: Request, session: Session, http: HttpRequest) -> ProtocolContext:
    """The context of one protocol request: the app's settings, key ring and client cache, this request's
    transaction, and who is calling from where."""
    state = request.app.state
    return ProtocolContext(state.settings, session, state.keyring, audit=audit_context(http), clients=state.client_cache)


#: The request as the protocol reads it, body included (read asynchronously before the protocol runs).
HttpRequestDep = Annotated[HttpRequest, Depends(read_http_request)]

T = TypeVar("T")


def protocol_executor(threads: int) -> ThreadPoolExecutor:
    """The threads the protocol endpoints run on (``settings.protocol_threads``), apart from the default pool.

    Their work is Python that holds the GIL between short database round trips: threads beyond a few only take the
    GIL from one another. With anyio's default pool (40 threads) under 32 concurrent requests, each request cost
    ~20-30% more CPU than with 2 to 4 threads (bench/oidc.py, CPU per request: refresh ~2,900 -> ~2,000-2,600 µs,
    userinfo ~1,260 -> ~980 µs). The pages keep the default pool: they may wait seconds on a mail server or an SMS
    gateway, and must not hold the protocol's few threads while they do.
    """
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="idp-protocol")


async def run_protocol(
    request: Request, http: HttpRequest, work: Callable[[ProtocolContext], T], *, read_mostly: bool = False
) -> T:
    """Run synchronous protocol code on the protocol's threads (``protocol_executor``), inside one transaction that
    commits before we answer.

    One hop to a thread per request (a sync ``DbSession`` dependency plus a sync route would take two or
    three), which is most of what the hot endpoints spend outside the protocol itself.

    ``read_mostly`` is for endpoints that read and at most write a row of audit trail (userinfo, introspection):
    their session (``Database.read_session``) opens a transaction only when it first writes, which spares a
    request that only reads the ``BEGIN`` and ``COMMIT`` round trips on PostgreSQL. Endpoints that change state
    (token, revocation) keep ``session()``.
    """
    database = request.app.state.database
    open_session = database.read_session if read_mostly else database.session

    def in_thread() -> T:
        with open_session() as session:
            return work(protocol_context(request, session, http))

    executor: ThreadPoolExecutor = request.app.state.protocol_executor  # made by the lifespan, with the database
    # The request's context (its request id, for the log lines) goes with the work, as anyio's hop carries it.
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(executor, context.run, in_thread)


def to_response(result: ProtocolResponse) -> Response:
    headers = [(k, v) for k, v in result.headers if k.lower() != "content-type"]
    response = Response(content=result.body_bytes(), status_code=result.status, media_type=result.media_type())
    for name, value in headers:
        response.headers.append(name, value)
    return response
