"""The confirmation code by the account's chosen channel (SPEC §1.3): SMS through the gateway, or an authenticator
app (TOTP), end to end through the login and into the ID token's amr (RFC 8176: sms, otp)."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from sqlalchemy import select

from idp.authn import totp
from idp.authn.levels import ACR_OTP
from idp.clock import utcnow
from idp.db import Database
from idp.models import Account, AuditEvent
from idp.settings import Settings
from tests.conftest import make_settings
from tests.support.factories import PASSWORD
from tests.support.rp import RelyingParty
from tests.support.sms_gateway import TOKEN, SmsGateway, running_gateway

PHONE = "+33612345678"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with running_gateway() as gateway:
        yield gateway


@pytest.fixture
def settings(database_url: str, gateway: SmsGateway) -> Settings:
    return make_settings(database_url, sms_url=gateway.url, sms_token=TOKEN, otp_required=True)


def _set(db: Database, account: Account, **values: object) -> Account:
    with db.session() as session:
        row = session.get(Account, account.id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        return row


def test_a_login_code_by_sms(rp: RelyingParty, user: Account, gateway: SmsGateway, db: Database) -> None:
    _set(db, user, phone_number=PHONE, phone_verified_at=utcnow(), otp_channel="sms")
    tokens = rp.code_flow("john_wick", PASSWORD, code_reader=gateway.last_code)
    assert tokens["id_claims"]["acr"] == ACR_OTP and "sms" in tokens["id_claims"]["amr"]
    [sent] = gateway.requests
    assert sent.body["to"] == PHONE and sent.headers["authorization"] == f"Bearer {TOKEN}"
    with db.session() as session:
        events = {e.event for e in session.scalars(select(AuditEvent).where(AuditEvent.account_id == user.id))}
    assert {"otp.sent", "otp.verified"} <= events


def test_a_login_code_from_the_authenticator_app(rp: RelyingParty, user: Account, gateway: SmsGateway,
                                                settings: Settings, db: Database) -> None:
    with db.session() as session:
        account = session.get(Account, user.id)
        assert account is not None
        secret, _ = totp.begin_enrolment(settings, account)
        previous_step = pyotp.TOTP(secret).timecode(utcnow()) - 1  # enrolment used an earlier step
        assert totp.confirm_enrolment(settings, account, pyotp.TOTP(secret).at(previous_step * 30))
        account.otp_channel = "totp"
    tokens = rp.code_flow("john_wick", PASSWORD, code_reader=lambda: pyotp.TOTP(secret).now())
    assert tokens["id_claims"]["acr"] == ACR_OTP and "otp" in tokens["id_claims"]["amr"]
    assert gateway.requests == []  # nothing is sent for an app
