"""Statements run on the driver's cursor (``idp.storage._direct``) answer and write what ``Session.execute`` would.

On PostgreSQL the hot lookups bypass SQLAlchemy's execution and row processing; these tests run each of them both
ways over the same rows — a live access token, a code exchanged and its refresh token — and compare the rows value
for value (datetimes as instants: psycopg gives them in the server's zone, SQLAlchemy's type moves them to UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.db import Database
from idp.models import AuthorizationCode, Token
from idp.settings import Settings
from idp.storage import grant_records, token_records
from idp.storage._direct import DirectStatement
from tests.support.resource_tokens import World, unverified_claims
from tests.support.tokens import World as TokenWorld
from tests.support.tokens import make_world

pytestmark = pytest.mark.postgresql_only


def both_ways(session: Any, statement: DirectStatement, params: dict[str, Any]) -> tuple[Any, Any]:
    direct = statement.first(session, params)
    through_sqlalchemy = session.execute(statement.statement, params).first()
    assert direct is not None and through_sqlalchemy is not None
    return tuple(direct), tuple(through_sqlalchemy)


def assert_same(direct: tuple[Any, ...], expected: tuple[Any, ...]) -> None:
    assert len(direct) == len(expected)
    for got, want in zip(direct, expected, strict=True):
        if isinstance(want, datetime):
            assert isinstance(got, datetime) and got.tzinfo is not None and got.astimezone(UTC) == want
        else:
            assert type(got) is type(want) and got == want


def test_the_bearer_lookup_reads_the_same_row_both_ways(client: TestClient, settings: Settings, db: Database) -> None:
    world = World(client, settings, db)
    world.add_client("rp")
    person = world.add_user(phone_number="+33612345678", address={"locality": "Lyon"})
    value, _ = world.access_token("rp", person, "openid email", claims_request={"userinfo": {"email": None}})
    with db.session() as session:
        direct, expected = both_ways(session, token_records._LOOKUP,
                                     {"jti": unverified_claims(value)["jti"], "client_id": "rp"})
    assert any(isinstance(v, dict) for v in expected)  # the JSON columns are in the comparison
    assert_same(direct, expected)


@pytest.fixture
def token_world(settings: Settings, db: Database) -> Iterator[TokenWorld]:
    yield from make_world(settings, db)


def test_the_grant_lookups_and_updates_agree_both_ways(token_world: TokenWorld) -> None:
    first = token_world.exchange(token_world.code())
    assert first.status == 200, first.body
    session = token_world.session
    code = session.scalar(select(AuthorizationCode))
    refresh = session.scalar(select(Token).where(Token.kind == "refresh"))
    assert code is not None and refresh is not None
    # Written by the direct INSERT: JSON columns hold JSON (a list stays a list, not a PostgreSQL array).
    assert refresh.amr == list(code.amr) and refresh.claims == code.claims and refresh.acr == code.acr
    assert_same(*both_ways(session, grant_records._CODE_LOOKUP, {"hash": code.code_hash}))
    assert_same(*both_ways(session, grant_records._REFRESH_LOOKUP, {"hash": refresh.token_hash}))
    now = datetime.now(UTC)
    assert grant_records._ROTATE_REFRESH.rowcount(session, {"grant_id": refresh.id, "now": now}) == 1
    assert grant_records._ROTATE_REFRESH.rowcount(session, {"grant_id": refresh.id, "now": now}) == 0
    assert grant_records._CONSUME_CODE.rowcount(session, {"grant_id": code.id, "now": now}) == 0  # used
    session.expire_all()
    assert session.get(Token, refresh.id).rotated_at == now  # type: ignore[union-attr]


def test_a_connection_lost_under_a_direct_statement_answers_unavailable(database_url: str) -> None:
    # As through Session.execute: the driver's error becomes SQLAlchemy's OperationalError, the dead connection is
    # invalidated (not handed out again), and Database.session turns it into Unavailable (503).
    import psycopg

    from idp.errors import Unavailable

    database = Database.from_url(database_url, pool_size=1)
    try:
        with pytest.raises(Unavailable), database.session() as session:
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with psycopg.connect(database_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            token_records.access_token_lookup(session, "any-jti", "rp")
        with database.session() as session:  # the pool gives a live connection again
            assert token_records.access_token_lookup(session, "any-jti", "no-such-client") is None
    finally:
        database.dispose()
