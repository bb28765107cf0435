"""The reads behind introspection, revocation and every bearer-token check: a token row with its client and account.

``access_token_lookup`` is the hot path (userinfo, introspection, the admin API's bearer check): one query, from the
client the token names, to the row under the token's ``jti`` (unique index) and its account, in one round trip. A
``client_credentials`` access token has no row unless it was revoked (``idp.protocol.tokens``): the lookup then
still brings its client.

The lookup is a Core select of just the columns the checks and the claims read, answered as read-only views
(``ClientView``, ``TokenView``, ``AccountView``: NamedTuples, so immutable, slotted and cheap to build), not as ORM
entities. Loading ``select(Client, Token, Account)``, even with ``load_only``, spent about 40% of the lookup in
entity loading, the identity map and result processing; selecting ORM column attributes (``Token.kind``) instead
still goes through the ORM's compile and result steps and saved little. Measured on PostgreSQL, CPU per call: the
lookup went from ~560 to ~340 µs; the whole request by ~15%, userinfo ~2170 to ~1840 µs and introspection ~2350 to
~1950 µs (medians of seven interleaved in-process runs on a shared machine, where each figure moves by ±15%). A view
is no session object and cannot be changed: revoking is an UPDATE (``idp.storage.grants.revoke_access_token_row``)
or, for a token that has no row, ``add_revoked_access_token``, which writes it once, whoever races to revoke it.

Refresh tokens are found by their hash as ORM rows (``idp.storage.grants``); ``record_of`` brings their client and
account the same way (they are rotated and revoked through the session).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from idp.models import Account, Client, Token
from idp.storage._direct import DirectStatement


class ClientView(NamedTuple):
    """What judging a token reads of its client: whether it is disabled, and what it may be given."""

    id: uuid.UUID
    client_id: str
    scope: str
    disabled_at: datetime | None


class TokenView(NamedTuple):
    """An access token's row as the checks read it (``idp.protocol.token_status``, introspection, revocation,
    userinfo); also the shape of a row-less ``client_credentials`` token (``idp.protocol.tokens.stateless_row``)."""

    id: uuid.UUID
    kind: str
    jti: str
    client_id: uuid.UUID
    account_id: uuid.UUID | None
    scope: str
    claims: dict[str, Any] | None  # the ``claims`` request parameter (OIDC Core §5.5)
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime

    @property
    def rotated_at(self) -> None:
        """Never set: only refresh tokens are rotated (single use); access tokens expire or are revoked."""
        return None


class AccountView(NamedTuple):
    """What judging a token (``status``) and releasing claims (``idp.protocol.claims``) read of an account: not its
    credentials, counters or factors."""

    id: uuid.UUID
    kind: str
    status: str
    username: str | None
    rpps: str | None
    national_id: str | None
    given_name: str
    family_name: str
    email: str
    email_verified_at: datetime | None
    phone_number: str | None
    phone_verified_at: datetime | None
    address: dict[str, Any] | None
    profession: str | None
    specialty: str | None
    created_at: datetime
    updated_at: datetime | None


class AccountRef(NamedTuple):
    """An account known by its id only: what the token endpoint's exchanges carry (``sub`` and the rows need no
    more); ``account_view`` reads the rest when an ID token asks for claims."""

    id: uuid.UUID


class TokenRecord(NamedTuple):
    """A refresh token's row, client and account, as session objects."""

    token: Token
    client: Client
    account: Account | None


class AccessTokenRecord(NamedTuple):
    """An access token's row (stored, or made from a row-less token's claims), client and account."""

    token: TokenView
    client: ClientView
    account: AccountView | None


class TokenLookup(NamedTuple):
    client: ClientView
    token: TokenView | None  # None: no row under this jti for this client
    account: AccountView | None


_CLIENTS, _TOKENS, _ACCOUNTS = Client.__table__, Token.__table__, Account.__table__

# Built once: constructing the statement per request cost as much CPU as running it (and its cache key is memoised).
# Only the columns the views need and the query does not already know: the jti and client_id are its parameters,
# the token's kind, client and account are the join's. Every column costs its description (psycopg builds one
# ``Column`` per column per execution) and its decoding: 1 to 2 µs each.
_HEAD = (
    *(_CLIENTS.c[name] for name in ("id", "scope", "disabled_at")),
    *(_TOKENS.c[name] for name in ("id", "scope", "claims", "expires_at", "revoked_at", "created_at")),
)
_ACCOUNT_AT = len(_HEAD)  # the account's columns follow
_LOOKUP = DirectStatement(
    select(*_HEAD, *(_ACCOUNTS.c[name] for name in AccountView._fields))
    .select_from(
        _CLIENTS.outerjoin(
            _TOKENS,
            and_(_TOKENS.c.client_id == _CLIENTS.c.id, _TOKENS.c.jti == bindparam("jti"), _TOKENS.c.kind == "access"),
        ).outerjoin(_ACCOUNTS, _ACCOUNTS.c.id == _TOKENS.c.account_id)
    )
    .where(_CLIENTS.c.client_id == bindparam("client_id"))
)  # run on the driver's cursor on PostgreSQL (``idp.storage._direct``)


def access_token_lookup(session: Session, jti: str, client_id: str) -> TokenLookup | None:
    """The client ``client_id`` with the access-token row ``jti`` it holds, if any; None when no such client."""
    row = _LOOKUP.first(session, {"jti": jti, "client_id": client_id})
    if row is None:
        return None
    client_pk, client_scope, disabled_at, token_pk, scope, claims, expires_at, revoked_at, issued = row[:_ACCOUNT_AT]
    client = ClientView(client_pk, client_id, client_scope, disabled_at)
    if token_pk is None:  # no row under this jti for this client
        return TokenLookup(client, None, None)
    # A token row's account_id is never dangling (the foreign key cascades): no account, no account_id.
    account = AccountView._make(row[_ACCOUNT_AT:]) if row[_ACCOUNT_AT] is not None else None
    account_id = account.id if account is not None else None
    token = TokenView(token_pk, "access", jti, client_pk, account_id, scope, claims, expires_at, revoked_at, issued)
    return TokenLookup(client, token, account)


_ACCOUNT_VIEW = select(*(_ACCOUNTS.c[name] for name in AccountView._fields)).where(_ACCOUNTS.c.id == bindparam("id"))


def account_view(session: Session, account_id: uuid.UUID) -> AccountView | None:
    row = session.execute(_ACCOUNT_VIEW, {"id": account_id}).one_or_none()
    return AccountView._make(row) if row is not None else None


def add_revoked_access_token(session: Session, token: TokenView) -> None:
    """Write the row of a token that had none, as ``token`` says (revoked); a row already under its ``jti`` stays."""
    values = {name: value for name, value in token._asdict().items() if value is not None}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(_TOKENS).values(**values).on_conflict_do_nothing(index_elements=["jti"]))


def record_of(session: Session, token: Token) -> TokenRecord | None:
    """The client and account of a token already loaded (primary-key reads, from the identity map when present)."""
    client = session.get(Client, token.client_id)
    if client is None:
        return None
    account = session.get(Account, token.account_id) if token.account_id is not None else None
    return TokenRecord(token, client, account)
