"""One-time-code throttling (idp.authn.throttle, idp.authn.code_sends): wrong codes delayed like passwords but
counted apart, and codes re-sent at most once a minute per channel, a few times an hour, and so many per address;
a send whose delivery failed gives back its minute only; forgotten-password requests limited per identifier and
per address.

Every test runs on the in-process counters and on a real Redis (tests.support.counters).
"""

from __future__ import annotations

import time
import uuid

import pytest

from idp.audit import AuditContext
from idp.authn.code_sends import ResetRequests
from idp.authn.throttle import Throttle
from idp.authn.throttle_policy import Verdict
from idp.db import Database
from idp.models import Account
from idp.settings import Settings
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


def test_code_attempts_have_their_own_series(throttle: Throttle, clock: FakeClock, db: Database,
                                             settings: Settings) -> None:
    user = make_user(db, settings)
    with db.session() as session:
        def code_attempt(fail: bool = True) -> Verdict:
            attempt = throttle.before_code_attempt(session, account_id=user.id, context=HERE)
            if attempt.allowed:
                (throttle.record_failure if fail else throttle.record_success)(session, attempt)
            return attempt.verdict

        for _ in range(5):
            assert code_attempt().allowed
        assert code_attempt() == Verdict("delayed", 1)
        password = throttle.before_password_attempt(session, login="john_wick", context=HERE)
        assert password.allowed  # passwords are counted apart
        throttle.record_failure(session, password)
        assert session.get(Account, user.id).failed_login_count == 1
        clock.advance(seconds=1)
        assert code_attempt(fail=False).allowed
        assert code_attempt().allowed  # the success ended the series
        assert events(session, event="login.throttled")[0].details == {"factor": "otp", "reason": "delayed"}


def test_codes_are_resent_once_a_minute_per_channel_and_a_few_times_an_hour(
    counters: Counters, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(database_url, throttle={"code_resend_max_per_hour": 3})
    sends = Throttle(settings, counters).code_sends
    account = uuid.uuid4()
    with db.session() as session:
        def claim(channel: str) -> Verdict:
            return sends.claim_code_send(session, account_id=account, channel=channel, context=HERE)

        assert sends.may_send_code(account, "email", ip=HERE.ip_address).allowed
        assert claim("email").allowed
        again = claim("email")
        assert again.reason == "delayed" and 59 <= again.retry_after <= 61
        assert sends.may_send_code(account, "email", ip=HERE.ip_address) == again  # looking does not count
        assert claim("sms").allowed  # a change of channel is not a resend
        set_window_time(monkeypatch, lambda: time.time() + 61)
        assert claim("email").allowed  # a minute later
        assert claim("sms").reason == "delayed"  # but three an hour, whatever the channel
        with pytest.raises(ValueError):
            claim("pigeon")
        assert sends.may_send_code(uuid.uuid4(), "email", ip=HERE.ip_address).allowed  # other people are not held
        refused = events(session, event="login.throttled")
    assert [e.details["factor"] for e in refused] == ["otp_send", "otp_send"]
    assert refused[0].account_id == account and refused[0].details["channel"] == "email"


def test_code_sends_from_one_address_are_limited(counters: Counters, db: Database, database_url: str) -> None:
    settings = make_settings(database_url, throttle={"address_max_failures": 2})
    sends = Throttle(settings, counters).code_sends
    with db.session() as session:
        for _ in range(2):
            assert sends.claim_code_send(session, account_id=uuid.uuid4(), channel="sms", context=HERE).allowed
        assert sends.claim_code_send(session, account_id=uuid.uuid4(), channel="sms", context=HERE).reason == "address"
        assert sends.claim_code_send(session, account_id=uuid.uuid4(), channel="sms", context=ELSEWHERE).allowed


def test_a_failed_send_gives_back_its_minute_but_not_its_hourly_or_address_count(
    counters: Counters, db: Database, database_url: str
) -> None:
    settings = make_settings(database_url, throttle={"code_resend_max_per_hour": 2, "address_max_failures": 3})
    sends = Throttle(settings, counters).code_sends
    account = uuid.uuid4()
    with db.session() as session:
        def claim(who: uuid.UUID = account) -> Verdict:
            return sends.claim_code_send(session, account_id=who, channel="email", context=HERE)

        assert claim().allowed
        assert claim().reason == "delayed"
        sends.release_failed_send(account, "email")
        assert claim().allowed  # "Réessayer" works at once
        sends.release_failed_send(account, "email")
        hourly = claim()
        assert hourly.reason == "delayed" and hourly.retry_after > 3000  # the hour, not the minute
        assert claim(uuid.uuid4()).allowed
        assert claim(uuid.uuid4()).reason == "address"  # the failed sends still count for the address
        with pytest.raises(ValueError):
            sends.release_failed_send(account, "pigeon")


def counter_keys(counters: Counters) -> str:
    storage = counters.storage
    if counters.shared:
        return str(storage.storage.keys("*"))  # type: ignore[attr-defined]
    return str(list(storage.events))  # type: ignore[attr-defined]


def test_reset_requests_are_counted_per_folded_identifier_kept_as_a_keyed_hash(
    counters: Counters, db: Database, database_url: str
) -> None:
    settings = make_settings(database_url, throttle={"password_reset_max_per_hour": 2, "address_max_failures": 5})
    requests = ResetRequests(settings.throttle, counters, settings.secret_key.get_secret_value())
    with db.session() as session:
        def claim(identifier: str, context: AuditContext = HERE) -> Verdict:
            return requests.claim(session, identifier=identifier, context=context)

        assert claim("Jane.Doe@Example.org").allowed and claim(" jane.doe@example.org ").allowed
        refused = claim("JANE.DOE@EXAMPLE.ORG", ELSEWHERE)
        assert refused.reason == "delayed" and refused.retry_after > 3000
        assert claim("someone_else").allowed and claim("a").allowed and claim("b").allowed
        assert claim("c").reason == "address" and claim("c", ELSEWHERE).allowed
        trail = events(session, event="password.reset.throttled")
    assert [(e.account_id, e.details) for e in trail] == [(None, {"reason": "delayed"}), (None, {"reason": "address"})]
    assert "jane" not in counter_keys(counters).lower() and "someone_else" not in counter_keys(counters)


def test_the_sms_that_verified_the_phone_does_not_delay_the_first_sms_login_code(
    counters: Counters, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(database_url, throttle={"code_resend_max_per_hour": 2})
    sends = Throttle(settings, counters).code_sends
    account = uuid.uuid4()
    with db.session() as session:
        def claim(purpose: str) -> Verdict:
            return sends.claim_code_send(session, account_id=account, channel="sms", context=HERE, purpose=purpose)

        assert claim("phone_verification").allowed
        assert claim("phone_verification").reason == "delayed"  # "Vérifier" twice in a minute is a resend
        assert claim("login").allowed  # the login code is not
        set_window_time(monkeypatch, lambda: time.time() + 61)
        assert claim("login").retry_after > 3000  # but both count in the hour
        with pytest.raises(ValueError):
            claim("pigeon")
        refused = events(session, event="login.throttled")
    assert [e.details["purpose"] for e in refused] == ["phone_verification", "login"]
