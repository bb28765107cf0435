"""POST /introspect (RFC 7662) and POST /revoke (RFC 7009): HTTP around authlib's endpoints in ``idp.protocol``.

Served by ``idp.web.hot_paths``. authlib is synchronous, so the protocol runs in the thread pool (``run_protocol``);
the form body is read before, asynchronously. Both answers carry ``Cache-Control: no-store`` (set by the protocol
on every answer, errors included: RFC 7662 §2.2 responses describe tokens; RFC 6749 §5.1).

Introspection runs in a read session (``read_mostly``): it reads the token, and writes only on the side (the audit
row of a failed client authentication or of an introspected refresh token, the ``jti`` of a ``private_key_jwt``
assertion), which opens a transaction when it happens (``Database.read_session``). The common request, an access
token introspected by a client authenticating with a secret, sends no ``BEGIN``/``COMMIT`` on PostgreSQL.
Revocation changes tokens and keeps the plain transaction.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.protocol.context import ProtocolContext
from idp.protocol.requests import HttpRequest
from idp.protocol.responses import ProtocolResponse
from idp.protocol.server import build_server
from idp.web.hot_paths import hot_route
from idp.web.protocol_io import read_http_request, run_protocol, to_response


async def _endpoint_response(name: str, request: Request, http: HttpRequest, *, read_mostly: bool) -> Response:
    def work(ctx: ProtocolContext) -> ProtocolResponse:
        return build_server(ctx).create_endpoint_response(name, http)

    result = await run_protocol(request, http, work, read_mostly=read_mostly)
    if result.header("Cache-Control") is None:
        result.headers.append(("Cache-Control", "no-store"))
    return to_response(result)


async def introspection_endpoint(request: Request) -> Response:
    return await _endpoint_response("introspection", request, await read_http_request(request), read_mostly=True)


async def revocation_endpoint(request: Request) -> Response:
    return await _endpoint_response("revocation", request, await read_http_request(request), read_mostly=False)


ROUTES = [
    hot_route("/introspect", introspection_endpoint, ["POST"]),
    hot_route("/revoke", revocation_endpoint, ["POST"]),
]
