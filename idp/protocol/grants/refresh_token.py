"""The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

Every use returns a new refresh token of the same family and marks the presented one rotated, by one conditional
UPDATE. Presenting a rotated token again — the legitimate client and a thief cannot both hold the latest one —
revokes the whole family, access tokens included, and answers ``invalid_grant``. A token issued to another client,
revoked, or expired is simply ``invalid_grant``.

The token is read with its account and browser session in one query, as read-only views
(``idp.storage.grant_records``); the new tokens are plain INSERTs.

The requested scope may narrow the grant, never widen it (RFC 6749 §6, authlib's check: ``invalid_scope``); the
new refresh token keeps the family's scope. An ``openid`` scope brings a new ID token (OIDC Core §12.2).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, TokenMixin, grants

from idp.audit import record
from idp.protocol.context import ProtocolContext
from idp.protocol.grants.client_auth import ANY_METHOD, ClientAuthenticating
from idp.protocol.grants.lineage import load_subject
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.tokens import Authorization, presented_refresh_token_hash, revoke_token_family
from idp.storage import grant_records
from idp.storage.grant_records import RefreshRecord, RefreshView


class StoredRefreshToken(TokenMixin):
    """authlib's view of a refresh token's row."""

    def __init__(self, record: RefreshRecord) -> None:
        self.record = record
        self.row: RefreshView = record.token

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope


class RefreshTokenGrant(ClientAuthenticating, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ANY_METHOD
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    @property
    def ctx(self) -> ProtocolContext:
        return self.server.ctx

    def authenticate_refresh_token(self, refresh_token: str) -> StoredRefreshToken | None:
        token_hash = presented_refresh_token_hash(self.ctx, refresh_token)
        found = grant_records.refresh_by_hash(self.ctx.session, token_hash) if token_hash is not None else None
        if found is None or found.token.client_id != self.request.client.row.id:
            return None
        row = found.token
        if row.revoked_at is not None or row.expires_at <= self.ctx.clock.now():
            return None
        if row.rotated_at is not None:
            self._reused(row)
        return StoredRefreshToken(found)

    def authenticate_user(self, refresh_token: StoredRefreshToken) -> Authorization:
        row = refresh_token.row
        if not grant_records.rotate_refresh(self.ctx.session, row.id, self.ctx.clock.now()):
            self._reused(row)  # a concurrent request rotated it first
        subject = load_subject(
            self.ctx, refresh_token.record.subject, row.session_id, acr=row.acr, amr=row.amr, auth_time=row.auth_time
        )
        assert row.family_id is not None
        return Authorization(
            subject=subject,
            granted_scope=row.scope,
            family_id=row.family_id,
            authorization_code_id=row.authorization_code_id,
            claims=row.claims,
        )

    def revoke_old_credential(self, refresh_token: Any) -> None:
        """Nothing to do: the presented token was rotated before the new ones were minted."""

    def _reused(self, row: RefreshView) -> None:
        assert row.family_id is not None
        revoked = revoke_token_family(self.ctx, row.family_id)
        record(self.ctx.session, "refresh.reused", context=self.ctx.audit, outcome="failure", account_id=row.account_id,
               client_id=self.request.client.client_id, details={"revoked_count": revoked})
        raise InvalidGrantError("the refresh token has already been used")
