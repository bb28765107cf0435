"""The confirmation code after the password (SPEC §1.1.4, §1.3): sent by e-mail through a real SMTP server."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from idp.authn.levels import ACR_OTP, ACR_WEAK
from idp.clock import utcnow
from idp.db import Database
from idp.main import create_app
from idp.models import AuditEvent, OtpCode, TrustedBrowser
from idp.settings import Settings
from tests.conftest import make_settings
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.login_codes import code_reader, last_code
from tests.support.rp import RelyingParty
from tests.support.smtp import SmtpServer


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    # More free tries than a code has, so that the code's own limit is what these tests meet.
    return make_settings(database_url, smtp_url=smtp.url(), otp_required=True,
                         throttle={"account_free_attempts": 8, "account_lock_after": 12})


def audited(db: Database, event: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def code_page(rp: RelyingParty, **extra: str) -> httpx.Response:
    page = rp.follow(rp.start(rp.authorization_request(**extra)))
    after = rp.submit_login(page, "john_wick", PASSWORD)
    assert after.status_code == 303 and after.headers["location"].startswith("/login/otp?uid=")
    page = rp.http.get(after.headers["location"])
    assert page.status_code == 200
    return page


def test_a_code_follows_the_password_and_reaches_acr_otp(rp: RelyingParty, user, smtp: SmtpServer, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    for text in ("Code de confirmation", "Valider", "Recevoir un nouveau code", "j***@hopital.example"):
        assert text in page.text
    assert 'for="code"' in page.text and "john_wick@hopital.example" not in page.text
    assert "form-action 'self' https://rp.example" in page.headers["content-security-policy"]  # ends at the client
    [mail] = smtp.received
    assert mail.rcpt_tos == ["john_wick@hopital.example"]
    code = last_code(smtp)
    with db.session() as session:
        [row] = session.scalars(select(OtpCode)).all()
    assert code not in row.code_hash and row.channel == "email" and row.expires_at - row.created_at <= timedelta(minutes=10, seconds=1)
    done = rp.submit_form(page, "/login/otp", code=code)
    assert done.status_code == 303 and done.headers["location"].startswith("/authorize/resume?uid=")
    assert "idp_trusted=" in done.headers.get("set-cookie", "")
    assert audited(db, "otp.sent") and audited(db, "otp.verified")
    with db.session() as session:
        trusted = session.scalars(select(TrustedBrowser)).one()
    assert trusted.account_id == user.id
    assert timedelta(days=29) < trusted.expires_at - utcnow() <= timedelta(days=30)


def test_the_id_token_says_otp(rp: RelyingParty, user, smtp: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    claims = rp.code_flow("john_wick", PASSWORD, code_reader=code_reader(smtp))["id_claims"]
    assert claims["acr"] == ACR_OTP and set(claims["amr"]) == {"pwd", "otp", "mfa"}


def test_a_wrong_code_keeps_the_page_with_a_message(rp: RelyingParty, user, smtp: SmtpServer, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    wrong = "000000" if last_code(smtp) != "000000" else "111111"
    answer = rp.submit_form(page, "/login/otp", code=wrong)
    assert answer.status_code == 400 and "Code de confirmation incorrect." in answer.text and 'role="alert"' in answer.text
    assert rp.submit_form(answer, "/login/otp", code=last_code(smtp)).status_code == 303
    assert [e.details for e in audited(db, "otp.failed")] == [{"reason": "wrong"}]


def test_five_wrong_tries_kill_the_code(rp: RelyingParty, user, smtp: SmtpServer, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    right = last_code(smtp)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        page = rp.submit_form(page, "/login/otp", code=wrong)
    assert "plus valable" in page.text
    answer = rp.submit_form(page, "/login/otp", code=right)
    assert answer.status_code == 400 and "Recevoir un nouveau code" in answer.text
    with db.session() as session:
        assert session.scalars(select(OtpCode.attempts)).one() == 5


def test_an_expired_code_is_refused(rp: RelyingParty, user, smtp: SmtpServer, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    with db.session() as session:
        session.execute(update(OtpCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = rp.submit_form(page, "/login/otp", code=last_code(smtp))
    assert answer.status_code == 400 and "Ce code a expiré." in answer.text
    assert audited(db, "otp.expired")


def test_a_new_code_replaces_the_old_and_resending_is_throttled(rp: RelyingParty, user, smtp: SmtpServer, settings: Settings, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    refused = rp.submit_form(page, "/login/otp/resend")
    assert refused.status_code == 429 and "Attendez quelques minutes" in refused.text and refused.headers["retry-after"]
    assert len(smtp.received) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OtpCode)) == 1
    assert any(e.details.get("factor") == "otp_send" for e in audited(db, "login.throttled"))


def test_resending_after_the_wait_sends_a_new_code_and_kills_the_old(rp: RelyingParty, user, smtp: SmtpServer, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    first = last_code(smtp)
    settings.throttle.code_resend_seconds = 1  # the shortest wait there is, rather than a minute
    time.sleep(1.1)
    again = rp.submit_form(page, "/login/otp/resend")
    assert again.status_code == 303 and again.headers["location"].endswith("&sent=1")
    page = rp.http.get(again.headers["location"])
    assert "Un nouveau code vous a été envoyé." in page.text and len(smtp.received) == 2
    second = last_code(smtp)
    if first != second:
        assert rp.submit_form(page, "/login/otp", code=first).status_code == 400
    assert rp.submit_form(page, "/login/otp", code=second).status_code == 303


def test_a_used_code_cannot_log_in_again(rp: RelyingParty, user, smtp: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    code = last_code(smtp)
    assert rp.submit_form(page, "/login/otp", code=code).status_code == 303
    again = rp.submit_form(page, "/login/otp", code=code)
    assert again.status_code == 303 and again.headers["location"].startswith("/login?uid=")  # not a login


@pytest.mark.parametrize("action", ["/login/otp", "/login/otp/resend"])
def test_both_forms_need_the_csrf_token(rp: RelyingParty, user, smtp: SmtpServer, action: str) -> None:  # type: ignore[no-untyped-def]
    page = code_page(rp)
    answer = rp.submit_form(page, action, code=last_code(smtp), csrf_token="")
    assert answer.status_code == 403 and "Formulaire expiré" in answer.text


def test_a_trusted_browser_skips_the_code_until_its_trust_expires(rp: RelyingParty, user, smtp: SmtpServer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    settings.throttle.code_resend_seconds = 1  # two codes in a row: the second must not be a throttled resend
    rp.code_flow("john_wick", PASSWORD, code_reader=code_reader(smtp))
    claims = rp.code_flow("john_wick", PASSWORD, prompt="login")["id_claims"]  # no code asked
    assert claims["acr"] == ACR_OTP and set(claims["amr"]) >= {"pwd", "mfa"} and len(smtp.received) == 1
    with db.session() as session:
        session.execute(update(TrustedBrowser).values(expires_at=utcnow() - timedelta(seconds=1)))
    time.sleep(1.1)
    code_page(rp, prompt="login")
    assert len(smtp.received) == 2


def test_the_trust_belongs_to_the_account_that_earned_it(rp: RelyingParty, user, smtp: SmtpServer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    rp.code_flow("john_wick", PASSWORD, code_reader=code_reader(smtp))
    make_user(db, settings, "jane_doe")
    page = rp.follow(rp.start(rp.authorization_request(prompt="login")))
    assert rp.submit_login(page, "jane_doe", PASSWORD).headers["location"].startswith("/login/otp?uid=")


def test_where_codes_are_optional_a_weak_session_is_stepped_up_by_the_code_alone(database_url: str, db: Database, smtp: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    optional = make_settings(database_url, smtp_url=smtp.url())  # otp_required false (development)
    make_user(db, optional)
    make_client(db, optional)
    with TestClient(create_app(optional, database=db), base_url=optional.issuer) as http:
        weak = RelyingParty(http, optional.issuer, "rp-test", REDIRECT_URI, client_secret=CLIENT_SECRET)
        assert weak.code_flow("john_wick", PASSWORD)["id_claims"]["acr"] == ACR_WEAK
        # Step-up: the session proved the password, so only the code is asked.
        page = weak.follow(weak.start(weak.authorization_request(acr_values=ACR_OTP)))
        assert isinstance(page, httpx.Response) and "Code de confirmation" in page.text
        callback = weak.follow(weak.submit_form(page, "/login/otp", code=last_code(smtp)))
        assert "code" in callback.params  # type: ignore[union-attr]
