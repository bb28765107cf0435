"""Browser sessions: step-up raises a session, another person replaces it, a cookie never outlives its login."""

from __future__ import annotations

from datetime import timedelta

from idp.authn import sessions
from idp.authn.levels import ACR_OTP, ACR_WEAK
from idp.clock import utcnow
from idp.db import Database
from idp.models import Account, BrowserSession
from idp.settings import Settings
from tests.support.factories import make_user


def test_a_stored_session_keeps_only_a_hash_of_its_cookie(db: Database, settings: Settings) -> None:
    account = make_user(db, settings)
    with db.session() as s:
        started = sessions.authenticated(s, settings, account=account, acr=ACR_WEAK, amr=["pwd"], current=None)
        assert started.cookie_value.startswith("idp_ss_")
        assert started.row.secret_hash != started.cookie_value and started.cookie_value not in started.row.secret_hash
        live = sessions.load(s, settings, started.cookie_value)
        assert live is not None and live.account.id == account.id and live.row.sid == started.row.sid


def test_step_up_raises_the_same_session_and_rotates_the_cookie(db: Database, settings: Settings) -> None:
    account = make_user(db, settings)
    with db.session() as s:
        first = sessions.authenticated(s, settings, account=account, acr=ACR_WEAK, amr=["pwd"], current=None)
        current = sessions.load(s, settings, first.cookie_value)
        later = utcnow() + timedelta(seconds=5)
        raised = sessions.authenticated(s, settings, account=account, acr=ACR_OTP, amr=["otp", "mfa"],
                                        current=current, now=later)
        assert raised.row.id == first.row.id and raised.row.sid == first.row.sid
        assert (raised.row.acr, raised.row.amr, raised.row.auth_time) == (ACR_OTP, ["mfa", "otp", "pwd"], later)
        assert sessions.load(s, settings, first.cookie_value) is None, "the cookie from before the login must die"
        assert sessions.load(s, settings, raised.cookie_value) is not None


def test_a_weaker_login_does_not_lower_the_session(db: Database, settings: Settings) -> None:
    account = make_user(db, settings)
    with db.session() as s:
        strong = sessions.authenticated(s, settings, account=account, acr=ACR_OTP, amr=["pwd", "otp"], current=None)
        again = sessions.authenticated(s, settings, account=account, acr=ACR_WEAK, amr=["pwd"],
                                       current=sessions.load(s, settings, strong.cookie_value))
        assert again.row.acr == ACR_OTP


def test_another_person_ends_the_previous_session(db: Database, settings: Settings) -> None:
    alice, bob = make_user(db, settings, "alice"), make_user(db, settings, "bob")
    with db.session() as s:
        first = sessions.authenticated(s, settings, account=alice, acr=ACR_WEAK, amr=["pwd"], current=None)
        second = sessions.authenticated(s, settings, account=bob, acr=ACR_WEAK, amr=["pwd"],
                                        current=sessions.load(s, settings, first.cookie_value))
        assert second.row.id != first.row.id and first.row.ended_at is not None
        assert sessions.load(s, settings, first.cookie_value) is None


def test_ended_expired_and_disabled_sessions_do_not_load(db: Database, settings: Settings) -> None:
    account = make_user(db, settings)
    with db.session() as s:
        started = sessions.authenticated(s, settings, account=account, acr=ACR_WEAK, amr=["pwd"], current=None)
        assert sessions.load(s, settings, started.cookie_value, now=started.row.expires_at) is None
        row = s.get(Account, account.id)
        row.status = "disabled"
        s.flush()
        assert sessions.load(s, settings, started.cookie_value) is None
        row.status = "active"
        sessions.end(started.row)
        s.flush()
        assert sessions.load(s, settings, started.cookie_value) is None
        assert sessions.load(s, settings, None) is None and sessions.load(s, settings, "x" * 500) is None
        assert s.get(BrowserSession, started.row.id) is not None
