"""GET and POST /userinfo (OIDC Core §5.3): HTTP around ``idp.protocol.userinfo``.

Served by ``idp.web.hot_paths``. The protocol is synchronous and reads the database, so it runs in the thread
pool (``run_protocol``); the form body, where RFC 6750 §2.2 lets a POST carry the token, is read before,
asynchronously. Userinfo only reads (the token with its client and account in one SELECT, and the establishments
or delegations its scope releases), so it runs in a read session (``read_mostly``): on PostgreSQL no ``BEGIN`` and
``COMMIT`` round trips around those SELECTs, and nothing to roll back.
CORS is not offered: relying parties call userinfo from their servers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.protocol.userinfo import userinfo_response
from idp.web.hot_paths import hot_route
from idp.web.protocol_io import read_http_request, run_protocol, to_response


async def userinfo_endpoint(request: Request) -> Response:
    http = await read_http_request(request)
    return to_response(await run_protocol(request, http, lambda ctx: userinfo_response(ctx, http), read_mostly=True))


ROUTES = [hot_route("/userinfo", userinfo_endpoint, ["GET", "POST"])]
