"""The token endpoint's grants, token generator and client authentication methods (RFC 6749, 7636, 7523; OIDC).

``register(server)`` is called by ``build_server`` for every request: the authorization code grant with PKCE
(S256, mandatory for public clients) and the OpenID Connect extension, the refresh token grant (rotation, reuse
detection, ID token on ``openid``), the client credentials grant, the bearer token generator and the
``private_key_jwt`` client authentication method. ``token_response`` is the endpoint itself.
"""

from __future__ import annotations

from typing import Any

from idp.protocol.grants.authorization_code import AuthorizationCodeGrant
from idp.protocol.grants.bearer import BearerTokens
from idp.protocol.grants.client_auth import PRIVATE_KEY_JWT, PrivateKeyJwt
from idp.protocol.grants.client_credentials import ClientCredentialsGrant
from idp.protocol.grants.endpoint import token_response
from idp.protocol.grants.openid import IdpOpenIDCode, IdpOpenIDRefresh
from idp.protocol.grants.pkce import S256CodeChallenge
from idp.protocol.grants.refresh_token import RefreshTokenGrant

__all__ = ["register", "token_response"]


def register(server: Any) -> None:
    ctx = server.ctx
    server.register_token_generator("default", BearerTokens(ctx))
    server.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt(server))
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(), IdpOpenIDCode(ctx)])
    server.register_grant(RefreshTokenGrant, [IdpOpenIDRefresh(ctx)])
    server.register_grant(ClientCredentialsGrant)
