"""Authenticator apps (TOTP, RFC 6238): enrolment, verification, replay refusal, the secret encrypted at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from idp.authn import totp
from idp.crypto import DecryptionError, SecretBox
from idp.db import Database
from idp.models import Account
from idp.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.factories import make_user

NOW = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def enrolled(db: Database, settings: Settings, user: Account) -> str:
    with db.session() as session:
        account = session.get(Account, user.id)
        secret, _ = totp.begin_enrolment(settings, account)
        assert totp.confirm_enrolment(settings, account, code_at(secret, NOW), now=NOW)
    return secret


def test_enrolment_stores_the_secret_encrypted_and_unconfirmed(db: Database, settings: Settings, user: Account) -> None:
    with db.session() as session:
        account = session.get(Account, user.id)
        secret, uri = totp.begin_enrolment(settings, account)
        assert account.totp_confirmed_at is None
        assert uri.startswith("otpauth://totp/ViaTrajectoire:john_wick?secret=" + secret)
        stored = account.totp_secret_encrypted
        assert secret.encode() not in stored
        box = SecretBox(TEST_SECRET_KEY)
        assert box.decrypt(stored, b"totp:" + str(account.id).encode()).decode() == secret
        other = make_user(db, settings, "jane_doe")
        with pytest.raises(DecryptionError):  # copied into another account's row, it is useless
            box.decrypt(stored, b"totp:" + str(other.id).encode())
        assert not totp.verify(settings, account, code_at(secret, NOW), now=NOW)  # not confirmed yet


def test_confirmation_needs_a_right_code(db: Database, settings: Settings, user: Account) -> None:
    with db.session() as session:
        account = session.get(Account, user.id)
        secret, _ = totp.begin_enrolment(settings, account)
        assert not totp.confirm_enrolment(settings, account, "000000" if code_at(secret, NOW) != "000000" else "111111",
                                          now=NOW)
        assert not totp.confirm_enrolment(settings, account, "abc", now=NOW)
        assert totp.confirm_enrolment(settings, account, code_at(secret, NOW), now=NOW)
        assert account.totp_confirmed_at == NOW and totp.is_enrolled(account)
        assert not totp.confirm_enrolment(settings, account, code_at(secret, NOW + timedelta(seconds=60)),
                                          now=NOW + timedelta(seconds=60))  # already confirmed


def test_verify_accepts_one_step_of_drift_and_never_the_same_code_twice(db: Database, settings: Settings, user: Account) -> None:
    secret = enrolled(db, settings, user)
    later = NOW + timedelta(minutes=5)
    with db.session() as session:
        account = session.get(Account, user.id)
        assert totp.verify(settings, account, code_at(secret, later - timedelta(seconds=30)), now=later)  # phone late
        assert not totp.verify(settings, account, code_at(secret, later - timedelta(seconds=30)), now=later)  # reused
        assert not totp.verify(settings, account, code_at(secret, later - timedelta(seconds=30)), now=later)
        # An older step than the last accepted is refused too (RFC 6238 §5.2)...
        assert not totp.verify(settings, account, code_at(secret, later - timedelta(seconds=60)), now=later)
        # ... a newer one is fine, and spaces typed in the code do not matter.
        fresh = code_at(secret, later + timedelta(seconds=30))
        assert totp.verify(settings, account, f"{fresh[:3]} {fresh[3:]}", now=later)
        assert not totp.verify(settings, account, code_at(secret, later + timedelta(seconds=90)), now=later)  # too far


def test_the_enrolment_code_cannot_be_replayed_at_login(db: Database, settings: Settings, user: Account) -> None:
    secret = enrolled(db, settings, user)
    with db.session() as session:
        account = session.get(Account, user.id)
        assert not totp.verify(settings, account, code_at(secret, NOW), now=NOW)
        assert account.totp_last_step == pyotp.TOTP(secret).timecode(NOW)


def test_a_new_enrolment_replaces_the_secret_and_leaves_the_app_channel(db: Database, settings: Settings, user: Account) -> None:
    old = enrolled(db, settings, user)
    with db.session() as session:
        account = session.get(Account, user.id)
        account.otp_channel = "totp"
        new, _ = totp.begin_enrolment(settings, account)
        assert new != old and account.otp_channel == "email" and not totp.is_enrolled(account)
        later = NOW + timedelta(minutes=1)
        assert not totp.verify(settings, account, code_at(old, later), now=later)
        assert totp.pending_enrolment(settings, account)[0] == new


def test_a_secret_under_another_key_is_unusable(db: Database, settings: Settings, user: Account) -> None:
    secret = enrolled(db, settings, user)
    other = settings.model_copy(update={"secret_key": settings.secret_key.__class__("another-secret-key-" + "x" * 20)})
    with db.session() as session:
        account = session.get(Account, user.id)
        later = NOW + timedelta(minutes=2)
        assert not totp.verify(other, account, code_at(secret, later), now=later)
