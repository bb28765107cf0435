"""The reads behind introspection, revocation and every bearer-token check: a token row with its client and account.

``access_token_lookup`` is the hot path (userinfo, introspection): one query, from the client the token names, to
the row under the token's ``jti`` (unique index) and its account, in one round trip. A ``client_credentials``
access token has no row unless it was revoked (``idp.protocol.tokens``): the lookup then still brings its client.
``add_revoked_access_token`` writes that row, once, whoever races to revoke it.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, load_only

from idp.models import Account, Client, Token


class TokenRecord(NamedTuple):
    token: Token
    client: Client
    account: Account | None


class TokenLookup(NamedTuple):
    client: Client
    token: Token | None  # None: no row under this jti for this client
    account: Account | None


_TOKEN_COLUMNS = ("kind", "jti", "client_id", "account_id", "session_id", "family_id", "scope", "claims", "acr", "amr",
                  "auth_time", "expires_at", "rotated_at", "revoked_at")
_ACCOUNT_COLUMNS = ("kind", "status", "username", "rpps", "national_id", "given_name", "family_name", "email",
                    "email_verified_at", "phone_number", "phone_verified_at", "address", "profession", "specialty",
                    "created_at", "updated_at")

# Built once: constructing the statement per request cost as much CPU as running it.
_LOOKUP = (
    select(Client, Token, Account)
    .outerjoin(Token, (Token.client_id == Client.id) & (Token.jti == bindparam("jti")) & (Token.kind == "access"))
    .outerjoin(Account, Account.id == Token.account_id)
    .where(Client.client_id == bindparam("client_id"))
    # Only what judging a token and releasing claims read (``idp.protocol.token_status``, ``idp.protocol.claims``):
    # the client's registration, the account's credentials and counters, the token's hash are left out. Every
    # column fetched costs its decoding on every request; anything else read later is loaded then.
    .options(
        load_only(Client.client_id, Client.scope, Client.disabled_at),
        load_only(*(getattr(Token, name) for name in _TOKEN_COLUMNS)),
        load_only(*(getattr(Account, name) for name in _ACCOUNT_COLUMNS)),
    )
)


def access_token_lookup(session: Session, jti: str, client_id: str) -> TokenLookup | None:
    """The client ``client_id`` with the access-token row ``jti`` it holds, if any; None when no such client."""
    row = session.execute(_LOOKUP, {"jti": jti, "client_id": client_id}).one_or_none()
    return TokenLookup(*row) if row is not None else None


def add_revoked_access_token(session: Session, token: Token) -> None:
    """Write the row of a token that had none, revoked; a row already there under its ``jti`` is left as it is."""
    values = {column.key: getattr(token, column.key) for column in Token.__table__.columns
              if getattr(token, column.key) is not None}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Token).values(**values).on_conflict_do_nothing(index_elements=["jti"]))


def record_of(session: Session, token: Token) -> TokenRecord | None:
    """The client and account of a token already loaded (primary-key reads, from the identity map when present)."""
    client = session.get(Client, token.client_id)
    if client is None:
        return None
    account = session.get(Account, token.account_id) if token.account_id is not None else None
    return TokenRecord(token, client, account)
