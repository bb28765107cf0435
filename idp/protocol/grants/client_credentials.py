"""The client credentials grant (RFC 6749 §4.4): a confidential client acting for itself.

Only clients registered for the grant (registration refuses it to public clients), authenticated by secret or
``private_key_jwt``. ``sub`` is the client_id (RFC 9068 §2.2); no refresh token (RFC 6749 §4.4.3) and no ID token
(there is no person). Scopes that release a person's claims (``openid``, ``profile`` ...) mean nothing here and are
refused, as is any scope the client is not registered for (``invalid_scope``); an omitted scope means every
client scope the client is registered for (RFC 6749 §3.3: a pre-defined default).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidScopeError, grants
from authlib.oauth2.rfc6749.hooks import hooked

from idp.protocol.grants.client_auth import WITH_SECRET, ClientAuthenticating
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.scopes import SCOPE_CLAIMS


def client_scopes(client: OAuthClient) -> list[str]:
    """The scopes of the client's registration that a client may hold for itself."""
    return [scope for scope in client.row.scope.split() if scope not in SCOPE_CLAIMS]


class ClientCredentialsGrant(ClientAuthenticating, grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = WITH_SECRET

    def validate_requested_scope(self) -> None:
        super().validate_requested_scope()  # unknown to the server: invalid_scope
        allowed = client_scopes(self.request.client)
        refused = [scope for scope in (self.request.payload.scope or "").split() if scope not in allowed]
        if refused:
            raise InvalidScopeError(f"scope not available to this client with client_credentials: {' '.join(refused)}")

    @hooked
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        requested = self.request.payload.scope
        scope = " ".join(dict.fromkeys(requested.split())) if requested else " ".join(client_scopes(self.client))
        token = self.generate_token(scope=scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
