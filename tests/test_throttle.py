"""Password throttling (idp.authn.throttle): delays that grow, a lock that holds and expires, a success that
resets, attempts in flight, per-address limits, and unknown logins treated exactly like accounts.

Every test that needs counters runs on the in-process ones and on a real Redis (tests.support.counters).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from idp.audit import AuditContext
from idp.authn.throttle import Throttle
from idp.authn.throttle_policy import Policy, Verdict, address_of
from idp.db import Database, Session
from idp.models import Account
from idp.settings import Settings, ThrottleSettings
from idp.storage.audit import events
from idp.storage.counters import Counters
from tests.conftest import make_settings
from tests.support.clock import FakeClock
from tests.support.counters import counters, set_window_time  # noqa: F401  (counters is a fixture)
from tests.support.factories import make_user

HERE = AuditContext(ip_address="203.0.113.7")
ELSEWHERE = AuditContext(ip_address="198.51.100.9")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def throttle(settings: Settings, counters: Counters, clock: FakeClock) -> Throttle:
    return Throttle(settings, counters, clock)


def attempt_and_fail(throttle: Throttle, session: Session, login: str, context: AuditContext = HERE) -> Verdict:
    """One wrong password, if the throttle lets it be tried; the verdict it got."""
    attempt = throttle.before_password_attempt(session, login=login, context=context)
    if attempt.allowed:
        throttle.record_failure(session, attempt)
    return attempt.verdict


def test_the_policy_doubles_the_delay_up_to_its_ceiling_and_locks_after_n() -> None:
    policy = Policy(ThrottleSettings())
    assert [policy.delay(n) for n in range(4, 12)] == [0, 1, 2, 4, 8, 16, 30, 30]
    assert not policy.locks(9) and policy.locks(10)
    with pytest.raises(ValueError):
        ThrottleSettings(account_free_attempts=5, account_lock_after=5)


@pytest.mark.parametrize("login", ["john_wick", "nobody_here"], ids=["account", "unknown-login"])
def test_delays_grow_then_a_lock_holds_until_it_expires(throttle: Throttle, clock: FakeClock, db: Database,
                                                        settings: Settings, login: str) -> None:
    user = make_user(db, settings)
    with db.session() as session:
        for _ in range(5):
            assert attempt_and_fail(throttle, session, login).allowed  # the free attempts
        for wait in (1, 2, 4, 8, 16):
            assert attempt_and_fail(throttle, session, login) == Verdict("delayed", wait)
            clock.advance(seconds=wait - 0.5)
            assert attempt_and_fail(throttle, session, login) == Verdict("delayed", 1)
            clock.advance(seconds=0.5)
            assert attempt_and_fail(throttle, session, login).allowed  # the 6th ... 10th failure
        assert attempt_and_fail(throttle, session, login) == Verdict("locked", 15 * 60)
        clock.advance(minutes=15)
        assert attempt_and_fail(throttle, session, login).allowed  # the lock is over ...
        assert attempt_and_fail(throttle, session, login) == Verdict("locked", 15 * 60)  # ... and one more locks again
        locks = events(session, event="account.locked")
        throttled = events(session, event="login.throttled")
        row = session.get(Account, user.id)
    assert len(throttled) == 12 and {e.details["reason"] for e in throttled} == {"delayed", "locked"}
    if login == "john_wick":
        assert [e.account_id for e in locks] == [user.id, user.id] and locks[0].details["failures"] == 10
        assert row.failed_login_count == 11 and row.locked_until == throttle.now() + timedelta(minutes=15)
    else:
        assert locks == [] and throttled[0].account_id is None  # nothing about an account happened


def test_an_unknown_login_gets_the_very_same_verdicts_as_an_account(throttle: Throttle, clock: FakeClock,
                                                                    db: Database, settings: Settings) -> None:
    make_user(db, settings)
    with db.session() as session:
        for step in range(40):
            known = attempt_and_fail(throttle, session, "John_Wick" if step % 2 else "john_wick")
            unknown = attempt_and_fail(throttle, session, "Nobody_Here" if step % 2 else "nobody_here")
            assert known == unknown, step
            clock.advance(seconds=[0.3, 1.7, 7][step % 3])


@pytest.mark.parametrize("login", ["john_wick", "nobody_here"], ids=["account", "unknown-login"])
def test_a_series_older_than_its_window_is_forgotten(throttle: Throttle, clock: FakeClock, db: Database,
                                                     settings: Settings, login: str) -> None:
    make_user(db, settings)
    with db.session() as session:
        for _ in range(4):
            attempt_and_fail(throttle, session, login)
        clock.advance(hours=12)
        for _ in range(5):
            assert attempt_and_fail(throttle, session, login).allowed
        assert attempt_and_fail(throttle, session, login) == Verdict("delayed", 1)  # 5 failures, not 9


def test_a_success_ends_the_series(throttle: Throttle, clock: FakeClock, db: Database, settings: Settings) -> None:
    user = make_user(db, settings)
    with db.session() as session:
        for _ in range(5):
            attempt_and_fail(throttle, session, "john_wick")
        clock.advance(seconds=1)
        attempt = throttle.before_password_attempt(session, login="john_wick", context=HERE)
        throttle.record_success(session, attempt)
        row = session.get(Account, user.id)
        assert (row.failed_login_count, row.first_failed_login_at, row.locked_until) == (0, None, None)
        for _ in range(5):
            assert attempt_and_fail(throttle, session, "john_wick").allowed


@pytest.mark.parametrize("login", ["john_wick", "nobody_here"], ids=["account", "unknown-login"])
def test_attempts_sent_together_count_as_failures_while_they_run(throttle: Throttle, db: Database,
                                                                 settings: Settings, login: str) -> None:
    make_user(db, settings)
    with db.session() as session:
        running = [throttle.before_password_attempt(session, login=login, context=HERE) for _ in range(6)]
        assert [a.allowed for a in running] == [True] * 5 + [False]  # only the free attempts run at once
        for attempt in running[:5]:
            throttle.record_failure(session, attempt)
        assert throttle.before_password_attempt(session, login=login, context=HERE).verdict.reason == "delayed"


def test_failures_from_one_address_stop_every_login_from_there(counters: Counters, clock: FakeClock, db: Database,
                                                               database_url: str) -> None:
    settings = make_settings(database_url, throttle={"address_max_failures": 3})
    throttle = Throttle(settings, counters, clock)
    make_user(db, settings)
    with db.session() as session:
        for name in ("alice", "bob", "carol"):  # unknown logins count for their address too
            assert attempt_and_fail(throttle, session, name).allowed
        refused = throttle.before_password_attempt(session, login="john_wick", context=HERE)
        assert refused.verdict.reason == "address" and 1 <= refused.verdict.retry_after <= 901
        assert throttle.before_password_attempt(session, login="john_wick", context=ELSEWHERE).allowed
        assert events(session, event="login.throttled")[0].details == {"factor": "password", "reason": "address"}


def test_the_address_window_moves_on(monkeypatch: pytest.MonkeyPatch, counters: Counters, db: Database,
                                     database_url: str) -> None:
    now = [1_000_000.0]
    set_window_time(monkeypatch, lambda: now[0])
    settings = make_settings(database_url, throttle={"address_max_failures": 2, "address_window_seconds": 600})
    throttle = Throttle(settings, counters, FakeClock())
    with db.session() as session:
        attempt_and_fail(throttle, session, "alice")
        now[0] += 300
        attempt_and_fail(throttle, session, "bob")
        assert attempt_and_fail(throttle, session, "carol") == Verdict("address", 300)
        now[0] += 301  # alice's failure has left the window
        assert attempt_and_fail(throttle, session, "carol").allowed


def test_addresses_are_throttled_per_ipv4_address_and_ipv6_slash_64() -> None:
    assert address_of("2001:db8:1:2:3:4:5:6") == address_of("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address_of("2001:db8:1:3::1") != address_of("2001:db8:1:2::1")
    assert address_of("::ffff:203.0.113.7") == address_of("203.0.113.7") == "203.0.113.7"
    assert address_of(None) == "unknown" and address_of("testclient") == "testclient"


def test_redis_keys_carry_the_prefix(throttle: Throttle, counters: Counters, db: Database) -> None:
    with db.session() as session:
        attempt_and_fail(throttle, session, "nobody_here")
    if counters.shared:
        prefix = counters.storage.key_prefix  # type: ignore[attr-defined]
        keys = counters.storage.storage.keys("*")  # type: ignore[attr-defined]
        assert [k for k in keys if k.decode().startswith(prefix + ":")]
