"""Whether a stored token still works: the one rule behind userinfo, introspection and the refresh-token grant's peers.

A token whose JWT still verifies, or whose hash is still stored, may nevertheless be over: revoked (RFC 7009),
rotated (a refresh token is single use, OAuth 2.0 Security BCP §4.14.2), past its row's expiry, or belonging to a
disabled client or an account that is no longer active (SPEC §4: disabling a person ends what they hold).

The rule reads a handful of attributes, so it takes session rows (refresh tokens) and the read-only views of the
access-token path (``idp.storage.token_records``) alike.
"""

from __future__ import annotations

from datetime import datetime

from idp.models import Account, Client, Token
from idp.storage.token_records import AccountView, ClientView, TokenView


def inactive_reason(
    token: Token | TokenView, client: Client | ClientView, account: Account | AccountView | None, now: datetime
) -> str | None:
    """Why the token no longer works (a sentence fit for ``error_description``), or None if it does."""
    if token.revoked_at is not None:
        return "The token has been revoked."
    if token.kind == "refresh" and token.rotated_at is not None:
        return "The refresh token has already been used."
    if token.expires_at <= now:
        return "The token has expired."
    if client.disabled_at is not None:
        return "The client of the token is disabled."
    if account is not None and account.status != "active":
        return "The account of the token is not active."
    return None
