"""POST /introspect (RFC 7662) and POST /revoke (RFC 7009): HTTP around authlib's endpoints in ``idp.protocol``.

Served by ``idp.web.hot_paths``. authlib is synchronous, so the protocol runs in the thread pool (``run_protocol``);
the form body is read before, asynchronously. Both answers carry ``Cache-Control: no-store`` (set by the protocol
on every answer, errors included: RFC 7662 §2.2 responses describe tokens; RFC 6749 §5.1).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.protocol.requests import HttpRequest
from idp.protocol.server import build_server
from idp.web.hot_paths import hot_route
from idp.web.protocol_io import read_http_request, run_protocol, to_response

async def _endpoint_response(name: str, request: Request, http: HttpRequest) -> Response:
    result = await run_protocol(request, http, lambda ctx: build_server(ctx).create_endpoint_response(name, http))
    if result.header("Cache-Control") is None:
        result.headers.append(("Cache-Control", "no-store"))
    return to_response(result)


async def introspection_endpoint(request: Request) -> Response:
    return await _endpoint_response("introspection", request, await read_http_request(request))


async def revocation_endpoint(request: Request) -> Response:
    return await _endpoint_response("revocation", request, await read_http_request(request))


ROUTES = [
    hot_route("/introspect", introspection_endpoint, ["POST"]),
    hot_route("/revoke", revocation_endpoint, ["POST"]),
]
