"""Fixtures shared by the whole suite.

The database is real: SQLite by default, PostgreSQL when ``IDP_TEST_DATABASE_URL`` (or ``--db-url``) names one.
The schema is built by the alembic migrations, once per run; each test runs inside a transaction that is rolled
back afterwards (the app's sessions join it through savepoints), so tests see no one else's rows.
Tests that need committed data across processes (a server or CLI in a subprocess) ask for ``fresh_database_url``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from idp.db import Database, build_engine
from idp.main import create_app
from idp.settings import Settings
from tests.support.databases import discard_database_url, is_postgres, migrated_database_url, new_database_url

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
TEST_ISSUER = "https://idp.test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-url",
        default=os.environ.get("IDP_TEST_DATABASE_URL", ""),
        help="PostgreSQL URL to run the suite on (a database is created for the run); default: SQLite",
    )


def pytest_report_header(config: pytest.Config) -> str:
    url = config.getoption("--db-url")
    return f"idp database: {'postgresql' if url and is_postgres(url) else 'sqlite'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    url = config.getoption("--db-url")
    if url and is_postgres(url):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (IDP_TEST_DATABASE_URL)")
    for item in items:
        if "postgresql_only" in item.keywords:
            item.add_marker(skip)


class RsaKeyPool:
    """Real RSA keys, generated once per run and handed out in turn.

    Generating a 2048-bit RSA key costs about 60 ms, and every app a test starts creates an active and a next key
    per algorithm: a third of the suite's time went there. The keys are real and each call still gets a key no other
    call of the same test got (the pool is larger than any test's need); only the cost of generating them is shared
    across tests, whose rows are rolled back anyway. Processes a test starts (``idp serve``, the CLI) generate their
    own. EC keys cost nothing and are generated fresh.
    """

    SIZE = 24

    def __init__(self, generate: Any) -> None:
        self._generate = generate
        self._keys: dict[int, list[Any]] = {}
        self._turn = 0

    def __call__(self, alg: str, *, rsa_key_size: int) -> Any:
        if alg != "RS256":
            return self._generate(alg, rsa_key_size=rsa_key_size)
        keys = self._keys.setdefault(rsa_key_size, [])
        self._turn += 1
        if len(keys) < self.SIZE:
            keys.append(self._generate(alg, rsa_key_size=rsa_key_size))
            return keys[-1]
        return keys[self._turn % self.SIZE]


@pytest.fixture(scope="session", autouse=True)
def rsa_key_pool() -> Iterator[RsaKeyPool]:
    from idp.keys import material

    pool = RsaKeyPool(material.generate)
    patch = pytest.MonkeyPatch()
    patch.setattr(material, "generate", pool)
    yield pool
    patch.undo()


@pytest.fixture(scope="session")
def base_database_url(pytestconfig: pytest.Config) -> str | None:
    return pytestconfig.getoption("--db-url") or None


@pytest.fixture(scope="session")
def database_url(base_database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from migrated_database_url(base_database_url, tmp_path_factory.mktemp("db"))


@pytest.fixture
def fresh_database_url(base_database_url: str | None, tmp_path: Path) -> Iterator[str]:
    """An empty database of the run's kind, not migrated, dropped after the test."""
    url = new_database_url(base_database_url, tmp_path)
    yield url
    discard_database_url(url)


@pytest.fixture(scope="session")
def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield Database(engine, bind=connection)
    finally:
        transaction.rollback()
        connection.close()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "issuer": TEST_ISSUER,
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        "log_json": True,
        # Cheap hashing in tests; the production parameters are measured by bench/.
        "argon2": {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1},
        "keys": {"rsa_key_size": 2048, "refresh_seconds": 0},
        # The login's later steps (code, terms) have their own tests (test_login_otp, test_terms, test_first_login);
        # elsewhere a password is the whole login.
        "otp_required": False,
        "cgu_version": "",
    }
    if overrides.get("environment") == "production":  # production refuses both: keep its own defaults
        del values["otp_required"], values["cgu_version"]
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, database=db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=TEST_ISSUER) as test_client:
        yield test_client


@pytest.fixture
def user(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from tests.support.factories import make_user

    return make_user(db, settings)


@pytest.fixture
def rp(client: TestClient, settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    """A confidential relying party (client_secret_basic) registered for the code flow."""
    from tests.support.factories import CLIENT_SECRET, REDIRECT_URI, make_client
    from tests.support.rp import RelyingParty

    registered = make_client(db, settings)
    return RelyingParty(client, settings.issuer, registered["client_id"], REDIRECT_URI, client_secret=CLIENT_SECRET)


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    """A real SMTP server (aiosmtpd) on a free port; tests read the e-mails it received."""
    from tests.support.smtp import smtp_server

    with smtp_server() as server:
        yield server
