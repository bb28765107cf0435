"""GET and POST /userinfo (OIDC Core §5.3): HTTP around ``idp.protocol.userinfo``.

The protocol is synchronous and reads the database, so it runs in the thread pool (``run_protocol``); the form
body, where RFC 6750 §2.2 lets a POST carry the token, is read before by the async ``read_http_request`` dependency. CORS is not offered: relying
parties call userinfo from their servers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from idp.protocol.userinfo import userinfo_response
from idp.web.protocol_io import HttpRequestDep, run_protocol, to_response

router = APIRouter()


@router.api_route("/userinfo", methods=["GET", "POST"], include_in_schema=False)
async def userinfo_endpoint(request: Request, http: HttpRequestDep) -> Response:
    return to_response(await run_protocol(request, http, lambda ctx: userinfo_response(ctx, http)))
