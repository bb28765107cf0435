"""``POST /token``: the token endpoint (RFC 6749 §3.2), a thin adapter over ``idp.protocol.grants.token_response``.

The body is read by an async dependency; authlib is synchronous, so the protocol work runs in the thread pool
(``run_protocol``: one hop, one transaction committed before the answer). An OAuth error is an ordinary answer: the route returns normally, so the request's
transaction commits what the error path wrote (a reused code's revoked tokens, the audit event).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from idp.protocol.context import ProtocolContext
from idp.protocol.grants import token_response
from idp.protocol.responses import ProtocolResponse
from idp.web.protocol_io import HttpRequestDep, run_protocol, to_response

router = APIRouter()


@router.post("/token", include_in_schema=False)
async def token(request: Request, http: HttpRequestDep) -> Response:
    def work(ctx: ProtocolContext) -> ProtocolResponse:
        ctx.keyring.refresh_if_stale()  # a key rotated by another process is used from here on
        return token_response(ctx, http)

    return to_response(await run_protocol(request, http, work))
