"""POST /introspect (RFC 7662) and POST /revoke (RFC 7009): HTTP around authlib's endpoints in ``idp.protocol``.

Plain ``def`` routes: authlib is synchronous, so FastAPI runs them in its thread pool; the form body is read before,
by the async ``read_http_request`` dependency. Both answers carry ``Cache-Control: no-store`` (set by the protocol
on every answer, errors included: RFC 7662 §2.2 responses describe tokens; RFC 6749 §5.1).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from idp.protocol.requests import HttpRequest
from idp.protocol.server import build_server
from idp.web.protocol_io import HttpRequestDep, run_protocol, to_response

router = APIRouter()

async def _endpoint_response(name: str, request: Request, http: HttpRequest) -> Response:
    result = await run_protocol(request, http, lambda ctx: build_server(ctx).create_endpoint_response(name, http))
    if result.header("Cache-Control") is None:
        result.headers.append(("Cache-Control", "no-store"))
    return to_response(result)


@router.post("/introspect", include_in_schema=False)
async def introspection_endpoint(request: Request, http: HttpRequestDep) -> Response:
    return await _endpoint_response("introspection", request, http)


@router.post("/revoke", include_in_schema=False)
async def revocation_endpoint(request: Request, http: HttpRequestDep) -> Response:
    return await _endpoint_response("revocation", request, http)
