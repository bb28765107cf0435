"""The token generator registered on the server: authlib's ``BearerTokenGenerator`` minting our tokens.

authlib's own RFC 9068 generator (``JWTBearerTokenGenerator``) is not used: it reads the wall clock instead of the
request's ``Clock``, puts no ``kid`` in the header and cannot record the ``jti`` — ``issue_access_token`` does
all three. The token response shape (``token_type``, ``expires_in``, ``scope``) stays authlib's.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oidc.core.grants.util import is_openid_scope

from idp.protocol.context import ProtocolContext
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.tokens import Authorization, issue_access_token, issue_refresh_token, write_staged


class BearerTokens(BearerTokenGenerator):
    def __init__(self, ctx: ProtocolContext) -> None:
        super().__init__(
            access_token_generator=self._access_token,
            refresh_token_generator=self._refresh_token,
            expires_generator=ctx.settings.tokens.access_token_ttl_seconds,
        )
        self.ctx = ctx
        self._staged: list[dict[str, Any]] = []  # the response's token rows, written together

    def generate(  # type: ignore[override]
        self,
        grant_type: str,
        client: OAuthClient,
        user: Authorization | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        # A refresh token only for a person's OpenID grant (OIDC Core §11 ties it to the authentication) and only
        # for a client registered for the refresh_token grant (RFC 7591 §2).
        include_refresh_token = (
            include_refresh_token
            and user is not None
            and bool(is_openid_scope(user.granted_scope))
            and client.check_grant_type("refresh_token")
        )
        token = super().generate(grant_type, client, user, scope, expires_in, include_refresh_token)
        write_staged(self.ctx, self._staged)  # access and refresh token rows: one statement
        return token

    def _access_token(self, client: OAuthClient, grant_type: str, user: Authorization | None, scope: str) -> str:
        if user is None:  # client_credentials: the client acts for itself
            value, _ = issue_access_token(self.ctx, client=client.row, account=None, scope=scope)
            return value
        subject = user.subject
        value, _ = issue_access_token(
            self.ctx,
            client=client.row,
            account=subject.account,
            scope=scope,
            session_id=subject.session_id,
            sid=subject.sid,
            acr=subject.acr,
            amr=subject.amr,
            auth_time=subject.auth_time,
            authorization_code_id=user.authorization_code_id,
            family_id=user.family_id,
            claims_request=user.claims,
            staged=self._staged,
        )
        return value

    def _refresh_token(self, client: OAuthClient, grant_type: str, user: Authorization, scope: str) -> str:
        value, _ = issue_refresh_token(self.ctx, client=client.row, authorization=user, staged=self._staged)
        return value
