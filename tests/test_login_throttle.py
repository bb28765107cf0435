"""Login throttling through HTTP: wrong passwords, then the right one refused while delayed or locked (429, one
generic message, Retry-After), the very same answers for a login that does not exist, the right password
accepted once the lock is over, per-address limits, and the audit trail of it all."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.db import Database
from idp.main import create_app
from idp.models import Account, AuditEvent
from idp.settings import Settings
from idp.web import login as login_page
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.clock import FakeClock
from tests.support.counters import REDIS_URL
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.rp import RelyingParty, forms_of

WRONG = "Wrong-Password-123!"
TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."


@pytest.fixture
def clock(client: TestClient) -> FakeClock:
    clock = FakeClock()
    client.app.state.throttle.clock = clock  # type: ignore[attr-defined]
    return clock


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The logins whose password was actually checked."""
    seen: list[str] = []
    real = login_page.check_password

    def spy(session, settings, login, password):  # type: ignore[no-untyped-def]
        seen.append(login)
        return real(session, settings, login, password)

    monkeypatch.setattr(login_page, "check_password", spy)
    return seen


def login_form(rp: RelyingParty) -> dict[str, str]:
    page = rp.follow(rp.start(rp.authorization_request()))
    [form] = [f for f in forms_of(page.text) if f["action"] == "/login"]
    return form["fields"]


def post(rp: RelyingParty, form: dict[str, str], username: str, password: str) -> httpx.Response:
    return rp.http.post("/login", data={**form, "username": username, "password": password}, follow_redirects=False)


@contextmanager
def serve(settings: Settings, db: Database) -> Iterator[RelyingParty]:
    """An app of its own settings, with the test relying party and user."""
    make_user(db, settings)
    registered = make_client(db, settings)
    with TestClient(create_app(settings, database=db), base_url=TEST_ISSUER) as client:
        yield RelyingParty(client, settings.issuer, registered["client_id"], REDIRECT_URI, client_secret=CLIENT_SECRET)


def audited(db: Database, event: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def test_the_right_password_is_refused_while_delayed_or_locked_then_accepted(
    rp: RelyingParty, user: Account, db: Database, clock: FakeClock, checked: list[str]
) -> None:
    form = login_form(rp)
    for _ in range(5):
        assert post(rp, form, "john_wick", WRONG).status_code == 401
    refused = post(rp, form, "john_wick", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert TOO_MANY in html.unescape(refused.text) and 'role="alert"' in refused.text
    assert len(checked) == 5  # the password of a delayed attempt is not even looked at
    for wait in (1, 2, 4, 8, 16):
        clock.advance(seconds=wait)
        assert post(rp, form, "john_wick", WRONG).status_code == 401  # the 6th to 10th failures
    locked = post(rp, form, "john_wick", PASSWORD)
    assert locked.status_code == 429 and locked.headers["retry-after"] == str(15 * 60)
    assert len(checked) == 10
    clock.advance(minutes=15)
    welcome = post(rp, form, "john_wick", PASSWORD)
    assert welcome.status_code == 303 and welcome.headers["location"].startswith("/authorize/resume?uid=")
    with db.session() as session:
        row = session.get(Account, user.id)
        assert (row.failed_login_count, row.locked_until, row.last_failed_login_at) == (0, None, None)
    throttled = audited(db, "login.throttled")
    assert [e.details["reason"] for e in throttled] == ["delayed", "locked"]
    assert {(e.account_id, e.client_id, e.outcome) for e in throttled} == {(user.id, rp.client_id, "failure")}
    [lock] = audited(db, "account.locked")
    assert lock.account_id == user.id and lock.details["failures"] == 10 and lock.ip_address == "testclient"
    assert len(audited(db, "login.password.failed")) == 10 and len(audited(db, "login.password.succeeded")) == 1


def test_an_unknown_login_gets_the_same_answers_at_every_step(
    rp: RelyingParty, user: Account, clock: FakeClock
) -> None:
    form = login_form(rp)

    def both(known_password: str) -> None:
        known = post(rp, form, "john_wick", known_password)
        unknown = post(rp, form, "nobody_here", known_password)
        assert (known.status_code, known.headers.get("retry-after")) == (
            unknown.status_code, unknown.headers.get("retry-after"))
        assert known.text.replace("john_wick", "LOGIN") == unknown.text.replace("nobody_here", "LOGIN")
        statuses.append(known.status_code)

    statuses: list[int] = []
    for _ in range(5):
        both(WRONG)
    both(PASSWORD)  # delayed: the right password changes nothing
    for wait in (1, 2, 4, 8, 16):
        clock.advance(seconds=wait)
        both(WRONG)
    both(PASSWORD)  # locked
    assert statuses == [401] * 5 + [429] + [401] * 5 + [429]


def test_too_many_failures_from_one_address_hold_every_login_from_there(
    database_url: str, db: Database
) -> None:
    settings = make_settings(database_url, throttle={"address_max_failures": 3})
    with serve(settings, db) as rp:
        form = login_form(rp)
        for name in ("alice", "bob", "carol"):
            assert post(rp, form, name, WRONG).status_code == 401
        refused = post(rp, form, "john_wick", PASSWORD)
        assert refused.status_code == 429 and TOO_MANY in html.unescape(refused.text)
    assert audited(db, "login.throttled")[0].details == {"factor": "password", "reason": "address"}


def test_with_redis_the_counts_are_shared(database_url: str, db: Database) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings = make_settings(database_url, redis_url=REDIS_URL, throttle={"account_free_attempts": 1,
                                                                         "account_lock_after": 2})
    with serve(settings, db) as rp:
        counters = rp.http.app.state.throttle.counters  # type: ignore[attr-defined]
        assert counters.shared
        counters.storage.key_prefix = f"idp-test-{uuid.uuid4().hex}"  # apart from other runs on this Redis
        try:
            form = login_form(rp)
            assert post(rp, form, "nobody_here", WRONG).status_code == 401
            assert post(rp, form, "nobody_here", WRONG).status_code == 429  # the unknown login's series is in Redis
            assert counters.storage.storage.keys(counters.storage.key_prefix + ":*")
        finally:
            counters.storage.reset()
