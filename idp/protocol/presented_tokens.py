"""A token a client hands back to the OP (introspection, RFC 7662; revocation, RFC 7009), found by its string.

Both endpoints take ``token`` and an optional ``token_type_hint``. The hint only orders the search: "If the server
is unable to locate the token using the given hint, it MUST extend its search across all of its supported token
types" (RFC 7662 §2.1, RFC 7009 §2.1), so both kinds are always tried and an unknown hint is not an error.

- An access token is found by its ``jti`` once its signature verified against the OP's keys
  (``idp.protocol.bearer.verified_access_token``): a JWT that does not verify is no token of ours, whatever its
  ``jti`` says.
- A refresh token is found by its keyed hash (``idp.protocol.tokens.find_refresh_token``).

An access token's ``row``, ``client`` and ``account`` are the read-only views of the lookup
(``idp.storage.token_records``: the hot path of introspection reads no ORM entity); a refresh token's are session
objects, since the refresh grant and revocation change them through the session.

Tokens are found whatever their state; ``PresentedToken.inactive_reason`` says whether they still work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin

from idp.models import Account, Client, Token
from idp.protocol import tokens
from idp.protocol.bearer import verified_access_token
from idp.protocol.context import ProtocolContext
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.token_status import inactive_reason
from idp.storage import token_records
from idp.storage.token_records import AccountView, ClientView, TokenView

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"


@dataclass
class PresentedToken(TokenMixin):
    """authlib's view of one of our tokens, with what the endpoints read from it."""

    type_name: str  # ACCESS_TOKEN or REFRESH_TOKEN, the token_type_hint vocabulary
    row: Token | TokenView  # a view for an access token, a session object for a refresh token
    client: Client | ClientView
    account: Account | AccountView | None
    now: datetime
    claims: dict[str, Any] = field(default_factory=dict)  # the verified JWT claims of an access token

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.row.kind == "refresh" and self.row.rotated_at is not None)

    def inactive_reason(self) -> str | None:
        return inactive_reason(self.row, self.client, self.account, self.now)


def search_order(hint: str | None) -> tuple[str, str]:
    return (REFRESH_TOKEN, ACCESS_TOKEN) if hint == REFRESH_TOKEN else (ACCESS_TOKEN, REFRESH_TOKEN)


def find_presented_token(ctx: ProtocolContext, value: str, hint: str | None) -> PresentedToken | None:
    """The token ``value`` names, active or not; None when it is none of ours."""
    for type_name in search_order(hint):
        found = _find_access(ctx, value) if type_name == ACCESS_TOKEN else _find_refresh(ctx, value)
        if found is not None:
            return found
    return None


def _find_access(ctx: ProtocolContext, value: str) -> PresentedToken | None:
    verified = verified_access_token(ctx, value)
    if verified is None:
        return None
    claims, (row, client, account) = verified
    return PresentedToken(ACCESS_TOKEN, row, client, account, ctx.clock.now(), dict(claims))


def _find_refresh(ctx: ProtocolContext, value: str) -> PresentedToken | None:
    row = tokens.find_refresh_token(ctx, value)
    if row is None or row.kind != "refresh":
        return None
    record = token_records.record_of(ctx.session, row)
    if record is None:
        return None
    return PresentedToken(REFRESH_TOKEN, row, record.client, record.account, ctx.clock.now())
