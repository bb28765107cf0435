"""The authorization server: authlib's ``AuthorizationServer`` bound to one request's ``ProtocolContext``.

Built per request (``build_server``): registering grants and endpoints is a handful of list appends, and binding
the server to the request's database session keeps authlib's synchronous callbacks (``query_client``,
``save_token``) inside the request's transaction. Each feature registers itself from its own module.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request

from idp.protocol.context import ProtocolContext
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.requests import HttpRequest, IdpJsonRequest, IdpOAuth2Request
from idp.protocol.responses import ProtocolResponse
from idp.protocol.scopes import SCOPES_SUPPORTED


class IdpAuthorizationServer(AuthorizationServer):
    def __init__(self, ctx: ProtocolContext) -> None:
        super().__init__(scopes_supported=list(SCOPES_SUPPORTED))
        self.ctx = ctx
        self._clients: dict[str, OAuthClient | None] = {}

    def query_client(self, client_id: str) -> OAuthClient | None:
        if client_id not in self._clients:
            row = self.ctx.clients.get(self.ctx.session, client_id)
            self._clients[client_id] = OAuthClient(row, self.ctx.settings) if row and not row.disabled_at else None
        return self._clients[client_id]

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        from idp.protocol import tokens

        tokens.save_token(self.ctx, token, request)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        assert isinstance(request, HttpRequest)
        return IdpOAuth2Request(request, self.ctx.issuer)

    def create_json_request(self, request: Any) -> IdpJsonRequest:
        if isinstance(request, IdpJsonRequest):
            return request
        return IdpJsonRequest(request, self.ctx.issuer)

    def handle_response(self, status: int, body: Any, headers: Any) -> ProtocolResponse:
        return ProtocolResponse(status, body, list(headers or []))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """authlib's hook for framework signals; the audit trail is written by our own code instead."""


def build_server(ctx: ProtocolContext) -> IdpAuthorizationServer:
    from idp.protocol import endpoints, grants

    server = IdpAuthorizationServer(ctx)
    grants.register(server)
    endpoints.register(server)
    return server
