"""OpenID Connect on the code and refresh grants: authlib's ``OpenIDCode`` / ``OpenIDToken`` extensions, with the ID
token encoded by ``idp.protocol.id_token`` (client-chosen algorithm, ``kid``, ``sid``, requested claims).

authlib's hooks decide *when* an ID token is added (an ``openid`` scope in the token response, OIDC Core §3.1.3.3
and §12.2); only *how* it is encoded is ours. ``require_nonce`` stays False: OIDC Core §3.1.2.1 makes ``nonce``
optional in the code flow; when it was sent it is echoed.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oidc.core import OpenIDCode, OpenIDToken
from authlib.oidc.core.grants.util import is_openid_scope

from idp.protocol.context import ProtocolContext
from idp.protocol.id_token import encode_id_token


class _IdTokenEncoding:
    ctx: ProtocolContext

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        return encode_id_token(
            self.ctx, client=request.client.row, authorization=request.user, access_token=token.get("access_token")
        )


class IdpOpenIDCode(_IdTokenEncoding, OpenIDCode):
    """On the authorization code grant: ``nonce`` checked at /authorize, the ID token issued at /token."""

    def __init__(self, ctx: ProtocolContext) -> None:
        super().__init__(require_nonce=False)
        self.ctx = ctx

    def __call__(self, grant: Any) -> None:
        # As authlib's, without its ``validate_request_prompt`` hook: ``prompt`` (OIDC Core §3.1.2.1) is decided by
        # the authorization endpoint's login policy (``idp.interaction.checks``), which knows the session's acr,
        # max_age and terms, and answers ``login_required`` with its reason.
        grant.register_hook("after_create_token_response", self.process_token)
        if is_openid_scope(grant.request.payload.scope):
            grant.register_hook(
                "after_validate_authorization_request_payload", self.validate_openid_authorization_request
            )

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        # The nonce protects the relying party against replay (OIDC Core §15.5.2); the OP echoes it and keeps
        # no registry of them, like node-oidc-provider.
        return False


class IdpOpenIDRefresh(_IdTokenEncoding, OpenIDToken):
    """On the refresh token grant: a fresh ID token for an ``openid`` scope (OIDC Core §12.2)."""

    def __init__(self, ctx: ProtocolContext) -> None:
        self.ctx = ctx
