"""GET /.well-known/openid-configuration: precomputed bytes, cacheable (it changes only with a restart)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from idp.protocol.discovery import metadata_bytes
from idp.settings import Settings
from idp.web.hot_paths import hot_route


class DiscoveryDocument:
    def __init__(self, settings: Settings) -> None:
        self.body = metadata_bytes(settings)
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


async def openid_configuration(request: Request) -> Response:
    document: DiscoveryDocument = request.app.state.discovery
    headers = {"Cache-Control": "public, max-age=300", "ETag": document.etag}
    if request.headers.get("if-none-match") == document.etag:
        return Response(status_code=304, headers=headers)
    return Response(document.body, media_type="application/json", headers=headers)


# Served by idp.web.hot_paths, like /jwks: no validation or dependency injection to pay for on a static document.
ROUTES = [hot_route("/.well-known/openid-configuration", openid_configuration, ["GET", "HEAD"])]
