"""``POST /token``: the token endpoint (RFC 6749 §3.2), a thin adapter over ``idp.protocol.grants.token_response``.

Served by ``idp.web.hot_paths`` (no FastAPI routing). The body is read first, asynchronously; authlib is
synchronous, so the protocol work runs in the thread pool (``run_protocol``: one hop, one transaction committed
before the answer). An OAuth error is an ordinary answer: the route returns normally, so the request's
transaction commits what the error path wrote (a reused code's revoked tokens, the audit event).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.protocol.context import ProtocolContext
from idp.protocol.grants import token_response
from idp.protocol.responses import ProtocolResponse
from idp.web.hot_paths import hot_route
from idp.web.protocol_io import read_http_request, run_protocol, to_response


async def token(request: Request) -> Response:
    http = await read_http_request(request)

    def work(ctx: ProtocolContext) -> ProtocolResponse:
        ctx.keyring.refresh_if_stale()  # a key rotated by another process is used from here on
        return token_response(ctx, http)

    return to_response(await run_protocol(request, http, work))


ROUTES = [hot_route("/token", token, ["POST"])]
