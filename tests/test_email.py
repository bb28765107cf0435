"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, implicit TLS, AUTH, failures, and the
activation e-mail that ``idp users create`` sends after its commit."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from idp.accounts.activation import token_hash
from idp.accounts.establishments import create_establishment
from idp.cli import CliContext, cli
from idp.db import Database
from idp.errors import NotConfigured
from idp.models import Account, ActionToken
from idp.notify.email import (
    DeliveryFailed,
    EmailMessage,
    LogEmailSender,
    SmtpEmailSender,
    SmtpEndpoint,
    build_email_sender,
)
from idp.notify.messages import activation_email
from idp.settings import Settings
from tests.conftest import TEST_SECRET_KEY, make_settings
from tests.support.smtp import Credentials, SmtpServer, free_port, smtp_server, tls_pair

FROM = "ViaTrajectoire <no-reply@viatrajectoire.fr>"
FINESS = "010780195"
LINK = re.compile(r"https://idp\.test/password/activate\?token=(idp_act_[A-Za-z0-9_-]+)")


def a_message(**changes: str) -> EmailMessage:
    values = {"to": "john.wick@example.fr", "given_name": "John", "family_name": "Wick", "login": "john_wick",
              "link": "https://idp.test/password/activate?token=idp_act_abc"}
    values.update(changes)
    return activation_email(**values, validity=timedelta(hours=72), establishment_name="CH de Bourg")  # type: ignore[arg-type]


# -- SmtpEmailSender against a server ----------------------------------------------------------------------------


def test_plain_smtp_delivers_a_multipart_french_message(smtp: SmtpServer) -> None:
    SmtpEmailSender(smtp.url(), FROM).send(a_message())
    [mail] = smtp.received
    assert (mail.mail_from, mail.rcpt_tos) == ("no-reply@viatrajectoire.fr", ["john.wick@example.fr"])
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Activation de votre compte ViaTrajectoire"
    assert message["From"] == FROM and message["Message-ID"].endswith("@viatrajectoire.fr>") and message["Date"]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "Bonjour John Wick," in body and "valable 72 heures" in body
        assert "https://idp.test/password/activate?token=idp_act_abc" in body
    assert "Votre nom d'utilisateur : john_wick" in text
    assert "Votre nom d'utilisateur : <strong>john_wick</strong>" in html and '<html lang="fr">' in html


def test_html_body_escapes_what_people_typed(smtp: SmtpServer) -> None:
    message = a_message(family_name="<b>D'Arc</b>")
    assert "&lt;b&gt;D&#39;Arc&lt;/b&gt;" in (message.html or "") and "<b>D'Arc</b>" not in (message.html or "")
    assert "Bonjour John <b>D'Arc</b>," in message.text  # plain text is not HTML: nothing to escape


def test_starttls_and_percent_encoded_credentials(tmp_path: Path) -> None:
    tls = tls_pair(tmp_path)
    with smtp_server(starttls=tls.server, credentials=Credentials("idp@relay", "p@ss:w/rd")) as server:
        url = server.url("idp%40relay:p%40ss%3Aw%2Frd")
        assert url.endswith("?starttls=1")
        SmtpEmailSender(url, FROM, ssl_context=tls.client).send(a_message())
        assert len(server.received) == 1


def test_implicit_tls(tmp_path: Path) -> None:
    tls = tls_pair(tmp_path)
    with smtp_server(implicit_tls=tls.server) as server:
        assert server.url().startswith("smtps://")
        SmtpEmailSender(server.url(), FROM, ssl_context=tls.client).send(a_message())
        assert len(server.received) == 1


def test_wrong_credentials_are_a_delivery_failure_that_shows_no_password(tmp_path: Path) -> None:
    tls = tls_pair(tmp_path)
    with smtp_server(starttls=tls.server, credentials=Credentials("idp", "right")) as server:
        sender = SmtpEmailSender(server.url("idp:wrong-secret"), FROM, ssl_context=tls.client)
        with pytest.raises(DeliveryFailed, match="refused our credentials") as caught:
            sender.send(a_message())
        assert server.received == []
    assert "wrong-secret" not in f"{caught.value.description} {caught.value.detail} {sender.endpoint!r}"


def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    tls = tls_pair(tmp_path)
    with smtp_server(starttls=tls.server) as server:
        with pytest.raises(DeliveryFailed, match="presented a certificate that is not trusted"):
            SmtpEmailSender(server.url(), FROM).send(a_message())  # system trust store: self-signed is refused
        assert server.received == []


def test_starttls_asked_of_a_server_that_does_not_offer_it(smtp: SmtpServer) -> None:
    with pytest.raises(DeliveryFailed, match="does not offer STARTTLS"):
        SmtpEmailSender(smtp.url() + "?starttls=1", FROM).send(a_message())
    assert smtp.received == []


def test_a_server_that_is_down(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    with pytest.raises(DeliveryFailed, match=f"127.0.0.1:{port} does not answer") as caught:
        SmtpEmailSender(f"smtp://idp:s3cret@127.0.0.1:{port}", FROM, timeout=2).send(a_message())
    assert caught.value.code == "delivery_failed"
    assert "s3cret" not in f"{caught.value} {caught.value.detail} {caplog.text}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, "none", None, None)),
        ("smtp://mail.example?starttls=1", ("mail.example", 587, "starttls", None, None)),
        ("smtp://u%40x:p%3A@mail.example:2525?starttls=true", ("mail.example", 2525, "starttls", "u@x", "p:")),
        ("smtps://mail.example", ("mail.example", 465, "tls", None, None)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    e = SmtpEndpoint.from_url(url)
    assert (e.host, e.port, e.security, e.username, e.password) == expected


@pytest.mark.parametrize(
    "url",
    ["http://mail.example", "smtp://", "smtps://mail.example?starttls=1", "smtp://h:99999", "smtp://u:p@mail.example"],
)
def test_bad_smtp_urls(url: str) -> None:
    with pytest.raises(NotConfigured, match="IDP_SMTP_URL"):
        SmtpEndpoint.from_url(url)


def test_no_smtp_url_writes_messages_to_the_log(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    sender = build_email_sender(settings)
    assert isinstance(sender, LogEmailSender)
    with caplog.at_level(logging.INFO, logger="idp.notify"):
        sender.send(a_message())
    assert "Votre nom d'utilisateur : john_wick" in caplog.text


# -- idp users create sends the activation e-mail after the commit ----------------------------------------------


def create(settings: Settings, db: Database, username: str = "john_wick") -> Result:
    document = {"username": username, "establishment": FINESS, "given_name": "Jeanne", "family_name": "Dupré",
                "email": "jeanne.dupre@example.fr"}
    return CliRunner().invoke(cli, ["users", "create", "-"], obj=CliContext(settings, db), input=json.dumps(document))


@pytest.fixture
def establishment(db: Database) -> None:
    with db.session() as session:
        create_establishment(session, finess=FINESS, name="Centre hospitalier de Bourg-en-Bresse", region="ARA")


@pytest.mark.usefixtures("establishment")
def test_users_create_delivers_the_activation_email(db: Database, database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp_url=smtp.url())
    result = create(settings, db)
    assert result.exit_code == 0, result.stderr
    [mail] = smtp.received
    assert mail.rcpt_tos == ["jeanne.dupre@example.fr"]
    assert mail.message["Subject"] == "Activation de votre compte ViaTrajectoire"
    assert mail.message.get_content_type() == "multipart/alternative"
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Bonjour Jeanne Dupré," in text and "Votre nom d'utilisateur : john_wick" in text
    assert "Centre hospitalier de Bourg-en-Bresse" in text and "n'attendiez pas ce message" in text
    token = LINK.search(text).group(1)  # type: ignore[union-attr]
    assert f"token={token}" in html and "Définir mon mot de passe" in html
    with db.session() as session:
        account = session.scalars(select(Account).where(Account.username == "john_wick")).one()
        row = session.scalars(select(ActionToken).where(ActionToken.account_id == account.id)).one()
    assert row.token_hash == token_hash(settings, token) and row.purpose == "activation"
    assert json.loads(result.stdout)["activation_url"].endswith(f"token={token}")  # test environment only


@pytest.mark.usefixtures("establishment")
def test_production_never_prints_the_link(db: Database, database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp_url=smtp.url(), environment="production", secret_key=TEST_SECRET_KEY,
                             sms_url="https://sms.example/send")
    result = create(settings, db)
    assert result.exit_code == 0, result.stderr
    assert "activation_url" not in result.stdout and "idp_act_" not in result.stdout
    assert len(smtp.received) == 1


@pytest.mark.usefixtures("establishment")
def test_smtp_down_keeps_the_account_and_says_how_to_resend(db: Database, database_url: str) -> None:
    down = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    result = create(down, db)
    assert result.exit_code == 1  # a dependency failed; 2 is for bad input
    [line] = result.stderr.splitlines()
    assert line.startswith("idp: error: john_wick was created but the activation e-mail was not sent (")
    assert line.endswith("send a new link later with: idp users send-activation john_wick")
    assert "Traceback" not in result.output
    assert json.loads(result.stdout)["status"] == "pending"  # committed before the send
    first_token = LINK.search(result.stdout).group(1)  # type: ignore[union-attr]

    with smtp_server() as smtp:
        settings = make_settings(database_url, smtp_url=smtp.url())
        again = CliRunner().invoke(cli, ["users", "send-activation", "john_wick"], obj=CliContext(settings, db))
        assert again.exit_code == 0, again.stderr
        [mail] = smtp.received
    token = LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)  # type: ignore[union-attr]
    with db.session() as session:
        hashes = session.scalars(select(ActionToken.token_hash)).all()
    assert hashes == [token_hash(settings, token)] and token != first_token  # the first link died


def test_a_bad_smtp_url_creates_nothing(db: Database, database_url: str, establishment: None) -> None:
    result = create(make_settings(database_url, smtp_url="smtq://nowhere"), db)
    assert result.exit_code == 2 and result.stderr.startswith("idp: error: IDP_SMTP_URL must look like")
    with db.session() as session:
        assert session.scalars(select(Account)).all() == []
