"""Read sessions (``Database.read_session``): userinfo and introspection without ``BEGIN``/``COMMIT`` round trips.

The suite's usual ``db`` joins a transaction rolled back after each test, and a read session on it is the plain
joined session: these tests use a database of their own, committed for real, so that what they check is what
PostgreSQL receives (libpq's protocol trace of every connection) and what a later session reads back.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import event, func, select

from idp.db import Database
from idp.main import create_app
from idp.models import Account, AuditEvent, ClientAssertion
from idp.protocol.clients import register_client
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.databases import is_postgres, migrated_database_url
from tests.support.resource_tokens import World, basic, bearer

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TRANSACTION_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK)\b")


class Wire:
    """What the client sends PostgreSQL, read from libpq's trace of every connection the engine opens."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile("w+")

    def watch(self, database: Database) -> None:
        @event.listens_for(database.engine, "connect")
        def trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.trace(self._file.fileno())

    def clear(self) -> None:
        self._file.seek(0)
        self._file.truncate()

    def messages(self) -> list[tuple[str, str]]:
        """(type, first line of the content) of each message sent since ``clear``: ``("Query", '"BEGIN"')``."""
        self._file.seek(0)
        sent = []
        for line in self._file.read().splitlines():  # timestamp, F(rontend) or B(ackend), length, type, content
            fields = line.split("\t")
            if len(fields) >= 4 and fields[1] == "F":
                sent.append((fields[3], fields[4].strip() if len(fields) > 4 else ""))
        return sent

    def transaction_control(self) -> list[str]:
        """The BEGIN, COMMIT and ROLLBACK sent since ``clear`` (psycopg sends them as simple queries)."""
        queries = [content.strip('"') for kind, content in self.messages() if kind == "Query"]
        return [sql for sql in queries if TRANSACTION_CONTROL.match(sql)]

    def statements_run(self) -> int:
        return sum(kind in ("Query", "Execute") for kind, _ in self.messages())

    def close(self) -> None:
        self._file.close()


@pytest.fixture(scope="module")
def committed_url(base_database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from migrated_database_url(base_database_url, tmp_path_factory.mktemp("read-sessions"))


@pytest.fixture(scope="module")
def wire(committed_url: str) -> Iterator[Wire]:
    wire = Wire()
    yield wire
    wire.close()


@pytest.fixture(scope="module")
def database(committed_url: str, wire: Wire) -> Iterator[Database]:
    database = Database.from_url(committed_url)
    if is_postgres(committed_url):
        wire.watch(database)
    yield database
    database.dispose()  # before the wire's file closes: no traced connection outlives it


@pytest.fixture(scope="module")
def world(committed_url: str, database: Database) -> Iterator[World]:
    # Keys re-read once an hour, not on every request (the suite's default): a reload is a transaction of its own.
    settings = make_settings(committed_url, keys={"rsa_key_size": 2048, "refresh_seconds": 3600})
    with TestClient(create_app(settings, database=database), base_url=TEST_ISSUER) as http:
        world = World(http, settings, database)
        world.add_client("rp")
        world.add_client("resource-server", scope="openid")
        yield world


@pytest.fixture(scope="module")
def person(world: World) -> Account:
    return world.add_user()


@pytest.fixture
def access_token(world: World, person: Account) -> str:
    value, _ = world.access_token("rp", person, "openid profile email")
    return value


def audit_count(database: Database, event_name: str, request_id: str) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event == event_name, AuditEvent.request_id == request_id
        )
        return session.scalar(query) or 0


@pytest.mark.postgresql_only
def test_userinfo_sends_its_select_without_begin_or_commit(world: World, wire: Wire, access_token: str) -> None:
    wire.clear()
    response = world.http.get("/userinfo", headers=bearer(access_token))

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "john_wick@hopital.example"
    assert wire.transaction_control() == []
    assert wire.statements_run() == 1  # the token with its client and account


@pytest.mark.postgresql_only
def test_introspection_of_an_access_token_sends_no_begin_or_commit(
    world: World, wire: Wire, access_token: str
) -> None:
    wire.clear()
    response = world.http.post("/introspect", data={"token": access_token}, headers=basic("resource-server"))

    assert response.status_code == 200 and response.json()["active"] is True
    assert wire.transaction_control() == []


@pytest.mark.postgresql_only
def test_the_token_endpoint_keeps_its_transaction(world: World, wire: Wire) -> None:
    wire.clear()
    response = world.http.post("/token", data={"grant_type": "refresh_token", "refresh_token": "unknown"},
                               headers=basic("rp"))

    assert response.status_code == 400
    assert wire.transaction_control()[0].startswith("BEGIN")


def test_a_failed_client_authentication_at_introspection_is_committed(world: World, wire: Wire) -> None:
    wire.clear()
    response = world.http.post("/introspect", data={"token": "x"}, headers=basic("resource-server", "wrong"))

    assert response.status_code == 401
    assert audit_count(world.db, "client.authentication.failed", response.headers["x-request-id"]) == 1
    if world.db.backend == "postgresql":  # the INSERT opened a transaction, which the request committed
        assert wire.transaction_control()[:2] == ["BEGIN", "COMMIT"]


def test_an_introspected_refresh_token_is_audited(world: World, person: Account) -> None:
    value, _, _ = world.refresh_token("rp", person, "openid")

    response = world.http.post("/introspect", data={"token": value}, headers=basic("resource-server"))

    assert response.status_code == 200 and response.json()["active"] is True
    assert audit_count(world.db, "token.introspected", response.headers["x-request-id"]) == 1


def test_private_key_jwt_introspection_records_the_jti_once(world: World, access_token: str) -> None:
    # The jti is recorded in a savepoint (a replay must not poison the request's transaction), which PostgreSQL
    # refuses outside a transaction block: the read session opens one first.
    key = ECKey.generate_key("P-256", parameters={"kid": "rs-key"})
    with world.db.session() as session:
        register_client(session, world.settings, {
            "client_id": "rs-jwt", "redirect_uris": ["https://rs.example/cb"], "scope": "openid",
            "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [key.as_dict(private=False)]},
        })
    now = int(time.time())
    claims = {"iss": "rs-jwt", "sub": "rs-jwt", "aud": TEST_ISSUER, "iat": now, "exp": now + 60, "jti": "jti-1"}
    form = {"token": access_token, "client_assertion_type": JWT_BEARER,
            "client_assertion": jwt.encode({"alg": "ES256", "kid": "rs-key"}, claims, key)}

    first = world.http.post("/introspect", data=form)
    replay = world.http.post("/introspect", data=form)

    assert first.status_code == 200 and first.json()["active"] is True
    assert replay.status_code == 401
    with world.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ClientAssertion)) == 1
    assert audit_count(world.db, "client.authentication.failed", replay.headers["x-request-id"]) == 1


def test_a_read_session_that_raises_after_writing_leaves_nothing(database: Database) -> None:
    event_name = "test.rolled_back"
    with pytest.raises(RuntimeError), database.read_session() as session:
        session.add(AuditEvent(event=event_name, outcome="success", details={}))
        session.flush()
        raise RuntimeError("after the write")

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == event_name)) == 0


def test_a_connection_a_read_session_used_is_transactional_again(committed_url: str) -> None:
    database = Database.from_url(committed_url, pool_size=1)  # one connection: the second block gets the same one
    try:
        with database.read_session() as session:
            session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(RuntimeError), database.session() as session:
            session.add(AuditEvent(event="test.pooled", outcome="success", details={}))
            session.flush()
            session.scalar(select(func.count()).select_from(AuditEvent))  # a statement after the write
            raise RuntimeError("after the write")
        with database.session() as session:
            count = select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "test.pooled")
            assert session.scalar(count) == 0
    finally:
        database.dispose()
