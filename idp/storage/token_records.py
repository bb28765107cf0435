"""The reads behind introspection, revocation and every bearer-token check: a token row with its client and account.

``access_token_record`` is the hot path (userinfo, introspection): one query on the unique index of ``tokens.jti``
that brings the client and the account (none for a ``client_credentials`` token) in the same round trip.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from idp.models import Account, Client, Token


class TokenRecord(NamedTuple):
    token: Token
    client: Client
    account: Account | None


def access_token_record(session: Session, jti: str) -> TokenRecord | None:
    row = session.execute(
        select(Token, Client, Account)
        .join(Client, Client.id == Token.client_id)
        .outerjoin(Account, Account.id == Token.account_id)
        .where(Token.jti == jti, Token.kind == "access")
        # the client's registration (URIs, keys...) is not needed to judge a token: skip decoding it
        .options(load_only(Client.client_id, Client.scope, Client.disabled_at))
    ).one_or_none()
    return TokenRecord(*row) if row is not None else None


def record_of(session: Session, token: Token) -> TokenRecord | None:
    """The client and account of a token already loaded (primary-key reads, from the identity map when present)."""
    client = session.get(Client, token.client_id)
    if client is None:
        return None
    account = session.get(Account, token.account_id) if token.account_id is not None else None
    return TokenRecord(token, client, account)
