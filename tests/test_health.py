"""Liveness and readiness, against parts that are really there and really gone (no mocks).

The database is taken away for real: on SQLite by naming a file the engine cannot open, on PostgreSQL by putting a
TCP proxy between the app and the server and shutting it (live connections included), then starting it again. The
cache is the local Redis, or a port nobody listens on. Missing signing keys are keys sealed with another secret.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from idp.db import Database
from idp.db.migrate import head_revision, upgrade
from idp.main import create_app
from idp.settings import Settings
from idp.web import health
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.processes import free_port
from tests.support.tcpproxy import TcpProxy

REDIS_URL = "redis://127.0.0.1:6379/0"


def serve(settings: Settings) -> TestClient:
    """A client for an app that builds its own database from the settings (as in production)."""
    return TestClient(create_app(settings), base_url=TEST_ISSUER)


@pytest.fixture
def migrated_url(fresh_database_url: str) -> str:
    upgrade(fresh_database_url)
    return fresh_database_url


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


def test_ready_reports_every_part(client: TestClient, database_url: str) -> None:
    response = client.get("/health/ready")
    backend = make_url(database_url).get_backend_name()

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "backend": backend, "revision": head_revision()},
            "signing_keys": {"status": "ok"},
        },
    }


def test_live(client: TestClient) -> None:
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_sqlite_database_that_cannot_be_opened(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'idp.sqlite3'}")

    with serve(settings) as client:
        ready = client.get("/health/ready")
        live = client.get("/health/live")

    assert ready.status_code == 503
    assert ready.headers["cache-control"] == "no-store"
    body = ready.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "down", "reason": "OperationalError", "backend": "sqlite"}
    assert body["checks"]["signing_keys"]["status"] == "fail"  # they could not be read either
    assert live.status_code == 200


@pytest.mark.postgresql_only
def test_postgresql_going_down_and_coming_back(migrated_url: str) -> None:
    real = make_url(migrated_url)
    with TcpProxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
        # A password in the URL (trust auth ignores it) must not come back in any answer.
        proxied = real.set(host="127.0.0.1", port=proxy.port, password="pw-never-shown")
        with serve(make_settings(proxied.render_as_string(hide_password=False))) as client:
            assert client.get("/health/ready").status_code == 200

            proxy.stop()
            down = client.get("/health/ready")
            live = client.get("/health/live")

            proxy.start()
            back = client.get("/health/ready")

    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["database"]["status"] == "down"
    assert checks["database"]["backend"] == "postgresql"
    assert checks["signing_keys"] == {"status": "ok"}  # loaded before the outage, still in memory
    assert "pw-never-shown" not in down.text and "127.0.0.1" not in down.text
    assert live.status_code == 200
    assert back.status_code == 200
    assert back.json()["checks"]["database"]["status"] == "ok"


@pytest.mark.postgresql_only
def test_hung_postgresql_does_not_hang_the_probe(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.5)
    real = make_url(migrated_url)
    with TcpProxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
        proxied = real.set(host="127.0.0.1", port=proxy.port)
        with serve(make_settings(proxied.render_as_string(hide_password=False))) as client:
            assert client.get("/health/ready").status_code == 200

            proxy.stop()
            proxy.blackhole = True  # accepts, never answers
            proxy.start()
            # The pooled connection died with the proxy: the first probe fails fast on it and the pool is
            # discarded (no pre-ping); the next one opens a connection that hangs.
            assert client.get("/health/ready").status_code == 503
            started = time.monotonic()
            hung = client.get("/health/ready")
            elapsed = time.monotonic() - started

    assert hung.status_code == 503
    assert hung.json()["checks"]["database"]["status"] == "down"
    assert hung.json()["checks"]["database"]["reason"] == "no answer within 0.5 s"
    assert elapsed < 3  # the driver's own connect timeout is 5 s


def with_cache(database_url: str, db: Database, redis_url: str) -> TestClient:
    return TestClient(create_app(make_settings(database_url, redis_url=redis_url), database=db), base_url=TEST_ISSUER)


def test_cache_answers(database_url: str, db: Database, redis_url: str) -> None:
    with with_cache(database_url, db, redis_url) as client:
        response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == {"status": "ok"}


def test_cache_that_does_not_answer(database_url: str, db: Database) -> None:
    url = f"redis://:pw-never-shown@127.0.0.1:{free_port()}/0"

    with with_cache(database_url, db, url) as client:
        response = client.get("/health/ready")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"] == {"status": "down", "reason": "ConnectionError"}
    assert checks["database"]["status"] == "ok"
    assert "pw-never-shown" not in response.text


def test_signing_keys_that_do_not_load(migrated_url: str) -> None:
    with serve(make_settings(migrated_url)) as client:  # creates the keys, sealed with the test secret
        assert client.get("/health/ready").status_code == 200

    other_secret = make_settings(migrated_url, secret_key="another-secret-that-cannot-open-those-keys")
    with serve(other_secret) as client:
        response = client.get("/health/ready")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["signing_keys"] == {"status": "fail", "reason": "no signing key loaded"}
    assert checks["database"]["status"] == "ok"
