"""A code or a link that could not be delivered (issue 4 item 8): "a failed delivery shows the user a page that lets
them retry; nothing is lost".

The failures are real: an SMTP port where nothing listens, an aiosmtpd server answering 451/554, the test SMS
gateway answering 503. The login code page then says so (503, role="alert") and offers "Réessayer", which works at
once once the server is back, and logs in at acr otp. The forgotten-password answer cannot say anything (it is the
same for every input), so there the SMTP sender retries what may pass.
"""

from __future__ import annotations

import email
import email.policy
import html
import logging
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.authn.levels import ACR_OTP
from idp.clock import utcnow
from idp.db import Database
from idp.main import create_app
from idp.models import Account, AuditEvent
from idp.notify.email import DeliveryFailed, EmailMessage, SmtpEmailSender
from idp.settings import Settings
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.login_codes import last_code
from tests.support.rp import AuthorizationRequest, RelyingParty, forms_of
from tests.support.sms_gateway import TOKEN, running_gateway
from tests.support.smtp import RecordingHandler, SmtpServer, free_port

PHONE = "+33612345678"
FROM = "ViaTrajectoire <no-reply@viatrajectoire.example>"
TRY_AGAIN = "451 4.3.0 Temporary failure, try again later"
REFUSED = "554 5.7.1 Message refused"


# -- a mail server that answers as scripted


@dataclass
class ScriptedHandler(RecordingHandler):
    """Answers DATA with ``replies`` one by one (then accepts); keeps every message offered in ``offered``."""

    replies: list[str] = field(default_factory=list)
    offered: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        offered = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.offered.append(offered)  # type: ignore[arg-type]
        if self.replies:
            return self.replies.pop(0)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def scripted_smtp(*replies: str) -> Iterator[tuple[SmtpServer, ScriptedHandler]]:
    handler = ScriptedHandler(replies=list(replies))
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="localhost")
    controller.start()
    try:
        yield SmtpServer(controller, handler), handler
    finally:
        controller.stop()


def code_in(message: email.message.EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


# -- the login, as a browser


def events(db: Database, name: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def press(rp: RelyingParty, page: httpx.Response, action: str, **fields: str) -> httpx.Response:
    """Submit the form of ``page`` posting to ``action``, whatever the page's status (a 503 page has forms too)."""
    [form] = [f for f in forms_of(page.text) if f["action"] == action]
    return rp.http.post(action, data={**form["fields"], **fields}, follow_redirects=False)


def password_then_code_page(rp: RelyingParty) -> tuple[AuthorizationRequest, httpx.Response]:
    request = rp.authorization_request()
    page = rp.follow(rp.start(request))
    assert isinstance(page, httpx.Response)
    after = rp.submit_login(page, "john_wick", PASSWORD)
    assert after.status_code == 303 and after.headers["location"].startswith("/login/otp?uid=")
    return request, rp.http.get(after.headers["location"])


def assert_retry_page(page: httpx.Response, words: str) -> None:
    assert page.status_code == 503
    alert = re.search(r'<p class="error" role="alert" id="otp-error">(.*?)</p>', page.text, re.DOTALL)
    assert alert and words in html.unescape(alert.group(1)), page.text
    [retry] = [f for f in forms_of(page.text) if f["action"] == "/login/otp/resend"]
    assert retry["method"] == "post" and retry["fields"]["csrf_token"] and retry["fields"]["uid"]
    assert ">Réessayer</button>" in page.text and "Recevoir un nouveau code" not in page.text
    assert "a été envoyé" not in page.text  # the page does not claim what did not happen


def retry_then_log_in(rp: RelyingParty, request: AuthorizationRequest, page: httpx.Response, read_code: Any, *,
                      replaced: str | None = None) -> dict[str, Any]:
    """Press "Réessayer" (at once: no wait), type the code that arrived, and finish the code flow; returns the ID
    token's claims. ``replaced``: the code of the failed send, which the new one must have retired."""
    again = press(rp, page, "/login/otp/resend")
    assert again.status_code == 303 and again.headers["location"].endswith("&sent=1"), again.text  # not throttled
    page = rp.http.get(again.headers["location"])
    assert page.status_code == 200 and "Un nouveau code vous a été envoyé." in page.text
    if replaced is not None and replaced != read_code():
        assert rp.submit_form(page, "/login/otp", code=replaced).status_code == 400
    callback = rp.follow(rp.submit_form(page, "/login/otp", code=read_code()))
    code = rp.validate_callback(callback, request)  # type: ignore[arg-type]
    tokens = rp.exchange(code, request).json()
    return rp.validate_id_token(tokens["id_token"], nonce=request.nonce)


def never_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    said = "\n".join(str(record.__dict__) for record in caplog.records)
    for secret in secrets:
        assert secret not in said


def login_app(db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, database=db), base_url=TEST_ISSUER)


def relying_party(http: TestClient) -> RelyingParty:
    return RelyingParty(http, TEST_ISSUER, "rp-test", REDIRECT_URI, client_secret=CLIENT_SECRET)


@pytest.fixture
def people(db: Database, database_url: str) -> Account:
    setup = make_settings(database_url)
    make_client(db, setup)
    return make_user(db, setup)


# -- the login code by e-mail


def test_a_mail_server_that_is_down_gives_a_page_to_retry(db: Database, database_url: str, people: Account,
                                                         smtp: SmtpServer, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}", otp_required=True)
    with caplog.at_level(logging.INFO), login_app(db, settings) as http:
        rp = relying_party(http)
        request, page = password_then_code_page(rp)
        assert_retry_page(page, "Le code n'a pas pu vous être envoyé par e-mail. Réessayez dans quelques instants")
        settings.smtp_url = smtp.url()  # the mail server is back
        claims = retry_then_log_in(rp, request, page, lambda: last_code(smtp))
    assert claims["acr"] == ACR_OTP and len(smtp.received) == 1
    [failed] = events(db, "otp.delivery_failed")
    assert (failed.outcome, failed.account_id, failed.details) == (
        "failure", people.id, {"channel": "email", "purpose": "login"})
    assert events(db, "login.throttled") == []
    [logged] = [r for r in caplog.records if r.getMessage() == "login code not delivered"]
    assert logged.levelname == "ERROR" and logged.__dict__["channel"] == "email"
    assert logged.__dict__["error"] == "delivery_failed"
    never_logged(caplog, last_code(smtp), "john_wick@hopital.example")


def test_reloading_the_page_after_a_failed_first_send_sends_the_code(db: Database, database_url: str, people: Account,
                                                                    smtp: SmtpServer) -> None:
    # The page must not claim a code was sent when none left: a reload tries again, like "Réessayer".
    settings = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}", otp_required=True)
    with login_app(db, settings) as http:
        rp = relying_party(http)
        _, page = password_then_code_page(rp)
        assert_retry_page(page, "Le code n'a pas pu vous être envoyé par e-mail.")
        settings.smtp_url = smtp.url()
        reloaded = rp.http.get(str(page.url))
    assert reloaded.status_code == 200 and "Un code de confirmation a été envoyé par e-mail" in reloaded.text
    assert len(smtp.received) == 1


def test_a_resend_the_mail_server_refuses_for_now_can_be_retried_at_once(
        db: Database, database_url: str, people: Account, caplog: pytest.LogCaptureFixture) -> None:
    with scripted_smtp() as (server, handler):
        settings = make_settings(database_url, smtp_url=server.url(), otp_required=True,
                                 throttle={"code_resend_seconds": 1})
        with caplog.at_level(logging.INFO), login_app(db, settings) as http:
            rp = relying_party(http)
            request, page = password_then_code_page(rp)
            assert page.status_code == 200 and len(server.received) == 1
            time.sleep(1.1)  # the wait between two codes
            handler.replies = [TRY_AGAIN] * 3  # the first try and both retries
            failed = press(rp, page, "/login/otp/resend")
            assert_retry_page(failed, "Le code n'a pas pu vous être envoyé par e-mail.")
            undelivered = code_in(handler.offered[-1])
            assert len(handler.offered) == 4 and len(server.received) == 1
            claims = retry_then_log_in(rp, request, failed, lambda: last_code(server), replaced=undelivered)
            assert len(server.received) == 2
    assert claims["acr"] == ACR_OTP
    assert [e.details for e in events(db, "otp.delivery_failed")] == [{"channel": "email", "purpose": "login"}]
    never_logged(caplog, undelivered, last_code(server))


def test_failed_sends_still_count_towards_the_hourly_limit(db: Database, database_url: str, people: Account) -> None:
    settings = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}", otp_required=True,
                             throttle={"code_resend_max_per_hour": 2})
    with login_app(db, settings) as http:
        rp = relying_party(http)
        _, page = password_then_code_page(rp)
        assert page.status_code == 503
        again = press(rp, page, "/login/otp/resend")
        assert again.status_code == 503  # the gap was given back: a real second try, which fails too
        third = press(rp, again, "/login/otp/resend")
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    assert len(events(db, "otp.delivery_failed")) == 2


# -- the login code by SMS


def test_an_sms_gateway_that_fails_gives_a_page_to_retry(db: Database, database_url: str, people: Account,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    with db.session() as session:
        account = session.get(Account, people.id)
        assert account is not None
        account.phone_number, account.phone_verified_at, account.otp_channel = PHONE, utcnow(), "sms"
    with running_gateway() as gateway:
        gateway.answers = [503, 503, 503]
        settings = make_settings(database_url, sms_url=gateway.url, sms_token=TOKEN, otp_required=True)
        with caplog.at_level(logging.INFO), login_app(db, settings) as http:
            rp = relying_party(http)
            request, page = password_then_code_page(rp)
            assert_retry_page(page, "Le SMS contenant votre code n'a pas pu être envoyé.")
            assert "** ** ** ** 78" in page.text and len(gateway.requests) == 3
            undelivered = gateway.last_code()
            claims = retry_then_log_in(rp, request, page, gateway.last_code)
        assert len(gateway.requests) == 4
        delivered = gateway.last_code()
    assert claims["acr"] == ACR_OTP and "sms" in claims["amr"]
    [failed] = events(db, "otp.delivery_failed")
    assert failed.details == {"channel": "sms", "purpose": "login"}
    never_logged(caplog, undelivered, delivered, PHONE)


# -- the SMTP sender's retries


def a_message() -> EmailMessage:
    return EmailMessage(to="john_wick@hopital.example", subject="Votre code de confirmation ViaTrajectoire",
                        text="Votre code : 123456")


def sender(url: str, pauses: list[float], **options: Any) -> SmtpEmailSender:
    return SmtpEmailSender(url, FROM, sleep=pauses.append, **options)


def test_a_temporary_refusal_is_tried_again_and_delivered_once() -> None:
    pauses: list[float] = []
    with scripted_smtp(TRY_AGAIN, TRY_AGAIN) as (server, handler):
        sender(server.url(), pauses).send(a_message())
    assert len(handler.offered) == 3 and len(server.received) == 1
    assert pauses == [0.5, 1.0]  # short and growing
    assert len({m["Message-ID"] for m in handler.offered}) == 1  # one message, offered three times


def test_a_permanent_refusal_is_not_tried_again() -> None:
    pauses: list[float] = []
    with scripted_smtp(REFUSED) as (server, handler), pytest.raises(DeliveryFailed) as failure:
        sender(server.url(), pauses).send(a_message())
    assert len(handler.offered) == 1 and server.received == [] and pauses == []
    assert failure.value.detail == "554"


def test_temporary_refusals_that_last_give_up_after_two_retries() -> None:
    pauses: list[float] = []
    with scripted_smtp(TRY_AGAIN, TRY_AGAIN, TRY_AGAIN) as (server, handler), pytest.raises(DeliveryFailed) as failure:
        sender(server.url(), pauses).send(a_message())
    assert len(handler.offered) == 3 and server.received == [] and failure.value.detail == "451"


def test_a_refused_connection_is_tried_again() -> None:
    pauses: list[float] = []
    with pytest.raises(DeliveryFailed, match="does not answer"):
        sender(f"smtp://127.0.0.1:{free_port()}", pauses).send(a_message())
    assert pauses == [0.5, 1.0]


def test_a_server_that_used_up_the_timeout_is_not_asked_again() -> None:
    pauses: list[float] = []
    with socket.socket() as silent:  # accepts connections (the kernel does) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        with pytest.raises(DeliveryFailed, match="does not answer"):
            sender(f"smtp://127.0.0.1:{silent.getsockname()[1]}", pauses, timeout=0.3).send(a_message())
    assert pauses == []  # a person may be waiting: one timeout is all they wait


# -- forgotten password: the answer says nothing, the sender retries


def test_a_reset_link_gets_through_a_mail_server_that_refused_it_for_now(db: Database, database_url: str,
                                                                        people: Account) -> None:
    with scripted_smtp(TRY_AGAIN) as (server, handler):
        settings = make_settings(database_url, smtp_url=server.url())
        with login_app(db, settings) as http:
            page = http.get("/password/forgot")
            [form] = [f for f in forms_of(page.text) if f["action"] == "/password/forgot"]
            answer = http.post("/password/forgot", data={**form["fields"], "identifier": "john_wick"})
        assert answer.status_code == 200 and "faites une nouvelle demande" in html.unescape(answer.text)
        assert len(handler.offered) == 2 and [m.rcpt_tos for m in server.received] == [["john_wick@hopital.example"]]
