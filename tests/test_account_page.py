"""The account page over HTTP: phone verification by SMS (real gateway stand-in), channel choice, TOTP enrolment."""

from __future__ import annotations

import base64
import html
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from idp.clock import utcnow
from idp.db import Database
from idp.models import Account, AuditEvent, OtpCode
from idp.settings import Settings
from tests.conftest import make_settings
from tests.support.factories import PASSWORD
from tests.support.rp import RelyingParty, forms_of
from tests.support.sms_gateway import TOKEN, SmsGateway, running_gateway

MOBILE = "06 12 34 56 78"
E164 = "+33612345678"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with running_gateway() as gateway:
        yield gateway


@pytest.fixture
def settings(database_url: str, gateway: SmsGateway) -> Settings:
    return make_settings(database_url, sms_url=gateway.url, sms_token=TOKEN)


@pytest.fixture
def logged_in(client: TestClient, rp: RelyingParty, user: Account) -> TestClient:
    rp.login(rp.authorization_request(), "john_wick", PASSWORD)
    assert client.cookies.get("idp_session")
    return client


def post(client: TestClient, action: str, **fields: str) -> object:
    page = client.get("/account")
    [form] = [f for f in forms_of(page.text) if f["action"] == action]
    return client.post(action, data={**form["fields"], **fields}, follow_redirects=False)


def account_row(db: Database, user: Account) -> Account:
    with db.session() as session:
        account = session.get(Account, user.id)
        session.expunge(account)
        return account


def events(db: Database, name: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def test_without_a_session_the_page_says_to_log_in(client: TestClient, settings: Settings) -> None:
    page = client.get("/account")
    assert page.status_code == 401
    assert "connectez-vous" in page.text and settings.portal_url in page.text
    assert client.post("/account/channel", data={"channel": "sms"}).status_code == 403  # CSRF first


def test_the_page_shows_the_person_and_the_ui_texts(logged_in: TestClient) -> None:
    page = logged_in.get("/account")
    assert page.status_code == 200
    for text in ("john_wick", "John", "Wick", "john_wick@hopital.example", "Par e-mail", 'for="phone_number">Numéro de téléphone',
                 ">Vérifier</button>", "Recevoir le code par e-mail"):
        assert text in page.text
    assert "Recevoir le code par SMS" not in page.text  # no verified phone yet
    assert "<script" not in page.text


def test_phone_verification_by_sms_then_sms_channel(logged_in: TestClient, gateway: SmsGateway, db: Database, user: Account) -> None:
    sent = post(logged_in, "/account/phone", phone_number=MOBILE)
    assert sent.status_code == 303
    [request] = gateway.requests
    assert request.body["to"] == E164 and request.headers["authorization"] == f"Bearer {TOKEN}"
    page = logged_in.get(sent.headers["location"])
    assert "Code de confirmation" in page.text and ">Valider</button>" in page.text and "+336••••••78" in page.text
    with db.session() as session:  # stored only as a hash
        [row] = session.scalars(select(OtpCode).where(OtpCode.account_id == user.id)).all()
        assert gateway.last_code() not in row.code_hash and row.purpose == "phone_verification"
    done = post(logged_in, "/account/phone/confirm", code=gateway.last_code())
    assert done.status_code == 303
    account = account_row(db, user)
    assert account.phone_number == E164 and account.phone_verified_at is not None
    assert events(db, "phone.verification.sent") and events(db, "phone.verified")
    assert "Recevoir le code par SMS" in logged_in.get("/account").text
    assert post(logged_in, "/account/channel", channel="sms").status_code == 303
    assert account_row(db, user).otp_channel == "sms"
    [changed] = events(db, "otp.channel.changed")
    assert changed.details == {"from": "email", "to": "sms"}


def test_sms_channel_refused_without_a_verified_phone(logged_in: TestClient, db: Database, user: Account) -> None:
    refused = post(logged_in, "/account/channel", channel="sms")
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    assert post(logged_in, "/account/channel", channel="totp").status_code == 400
    assert account_row(db, user).otp_channel == "email"


def test_invalid_number(logged_in: TestClient, gateway: SmsGateway) -> None:
    for number in ("12", "01 23 45 67 89", "not a phone"):  # 01...: a landline, no SMS reaches it
        answer = post(logged_in, "/account/phone", phone_number=number)
        assert answer.status_code == 400 and 'role="alert"' in answer.text
    assert gateway.requests == []


def test_wrong_code_then_five_tries(logged_in: TestClient, gateway: SmsGateway, db: Database, user: Account) -> None:
    post(logged_in, "/account/phone", phone_number=MOBILE)
    right = gateway.last_code()
    wrong = "000000" if right != "000000" else "111111"
    first = post(logged_in, "/account/phone/confirm", code=wrong)
    assert first.status_code == 400 and "Il vous reste 4 essai(s)" in first.text
    for _ in range(4):
        last = logged_in.post("/account/phone/confirm", data={"code": wrong, "csrf_token": forms_of(first.text)[0]["fields"]["csrf_token"]})
    assert "Trop d'essais" in html.unescape(last.text)
    after = logged_in.post("/account/phone/confirm", data={"code": right, "csrf_token": forms_of(first.text)[0]["fields"]["csrf_token"]})
    assert after.status_code in (400, 429)  # the right code no longer works
    assert account_row(db, user).phone_verified_at is None


def test_expired_code(logged_in: TestClient, gateway: SmsGateway, db: Database, user: Account) -> None:
    post(logged_in, "/account/phone", phone_number=MOBILE)
    with db.session() as session:
        session.execute(update(OtpCode).where(OtpCode.account_id == user.id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    csrf = forms_of(logged_in.get("/account").text)[0]["fields"]["csrf_token"]
    answer = logged_in.post("/account/phone/confirm", data={"code": gateway.last_code(), "csrf_token": csrf})
    assert answer.status_code == 400 and "a expiré" in answer.text
    assert account_row(db, user).phone_verified_at is None


def test_resend_is_throttled(logged_in: TestClient, gateway: SmsGateway) -> None:
    assert post(logged_in, "/account/phone", phone_number=MOBILE).status_code == 303
    again = post(logged_in, "/account/phone", phone_number=MOBILE)
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    assert len(gateway.requests) == 1


def test_failed_delivery_shows_a_retry(logged_in: TestClient, gateway: SmsGateway) -> None:
    gateway.answers = [400]
    answer = post(logged_in, "/account/phone", phone_number=MOBILE)
    assert answer.status_code == 503 and "n'a pas pu être envoyé" in html.unescape(answer.text)
    assert any(f["action"] == "/account/phone" for f in forms_of(answer.text))


def test_after_a_failed_delivery_the_retry_is_not_a_throttled_resend(
        logged_in: TestClient, gateway: SmsGateway, db: Database, user: Account,
        caplog: pytest.LogCaptureFixture) -> None:
    gateway.answers = [503, 503, 503]  # the first try and both retries
    with caplog.at_level(logging.INFO):
        failed = post(logged_in, "/account/phone", phone_number=MOBILE)
        assert failed.status_code == 503 and 'role="alert"' in failed.text and len(gateway.requests) == 3
        undelivered = gateway.last_code()
        again = post(logged_in, "/account/phone", phone_number=MOBILE)  # "Vérifier" again, at once
    assert again.status_code == 303 and len(gateway.requests) == 4
    assert post(logged_in, "/account/phone/confirm", code=gateway.last_code()).status_code == 303
    assert account_row(db, user).phone_number == E164
    [failure] = events(db, "otp.delivery_failed")
    assert (failure.outcome, failure.account_id, failure.details) == (
        "failure", user.id, {"channel": "sms", "purpose": "phone_verification"})
    [logged] = [r for r in caplog.records if r.getMessage() == "phone verification code not delivered"]
    assert logged.levelname == "ERROR" and logged.__dict__["detail"] == "HTTP 503"
    said = "\n".join(str(record.__dict__) for record in caplog.records)
    assert undelivered not in said and gateway.last_code() not in said and E164 not in said


def test_csrf_missing_is_refused(logged_in: TestClient, gateway: SmsGateway, db: Database, user: Account) -> None:
    for action, fields in [("/account/phone", {"phone_number": MOBILE}), ("/account/phone/confirm", {"code": "123456"}),
                           ("/account/channel", {"channel": "email"}), ("/account/totp", {}),
                           ("/account/totp/confirm", {"code": "123456"})]:
        assert logged_in.post(action, data=fields).status_code == 403
        assert logged_in.post(action, data={**fields, "csrf_token": "forged"}).status_code == 403
    assert gateway.requests == []


def test_totp_enrolment_then_channel(logged_in: TestClient, db: Database, user: Account) -> None:
    assert post(logged_in, "/account/totp").status_code == 303
    page = logged_in.get("/account")
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text).group(1)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page.text).group(1)
    assert base64.b64decode(qr).lstrip().startswith(b"<svg")
    stored = account_row(db, user).totp_secret_encrypted
    assert secret.encode() not in stored
    wrong = post(logged_in, "/account/totp/confirm", code="12345")
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    assert post(logged_in, "/account/totp/confirm", code=pyotp.TOTP(secret).now()).status_code == 303
    assert account_row(db, user).totp_confirmed_at is not None and events(db, "totp.enrolled")
    assert "Utiliser l'application d'authentification" in html.unescape(logged_in.get("/account").text)
    assert post(logged_in, "/account/channel", channel="totp").status_code == 303
    assert account_row(db, user).otp_channel == "totp"
