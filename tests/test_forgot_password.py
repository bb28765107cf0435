"""Forgotten password (SPEC §1.4): the same answer for every input, a single-use link bound to the current password,
and a new password that ends the account's sessions and refresh tokens (relying parties told by back-channel).
Mail goes through a real SMTP server; the relying party runs the whole code flow over HTTP."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from sqlalchemy import select

from idp.accounts.passwords import set_password
from idp.audit import CLI
from idp.authn.password_login import hasher_for
from idp.authn.password_policy import policy_for
from idp.clock import utcnow
from idp.db import Database
from idp.main import create_app
from idp.models import Account, ActionToken, AuditEvent
from idp.notify.outbox import Outbox
from idp.settings import Settings
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.backchannel_receiver import BackchannelReceiver
from tests.support.factories import CLIENT_SECRET, PASSWORD, make_client, make_user
from tests.support.password_pages import NEW_PASSWORD, alert_of, form_of, link_in, submit_password, text_of
from tests.support.rp import RelyingParty
from tests.support.smtp import SmtpServer, free_port

FORGOT, RESET = "/password/forgot", "/password/reset"


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return make_settings(database_url, smtp_url=smtp.url())


def ask(http: httpx.Client, identifier: str) -> httpx.Response:
    page = http.get(FORGOT)
    return http.post(FORGOT, data={**form_of(page, FORGOT), "identifier": identifier}, follow_redirects=False)


def reset_link(http: httpx.Client, smtp: SmtpServer, identifier: str) -> str:
    smtp.received.clear()
    assert ask(http, identifier).status_code == 200
    [mail] = smtp.received
    return link_in(mail, RESET)


def events(db: Database, name: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.occurred_at)))


def password_hash(db: Database, username: str) -> str | None:
    with db.session() as session:
        return session.scalars(select(Account.password_hash).where(Account.username == username)).one()


def test_the_form(client: TestClient) -> None:
    page = client.get(FORGOT)
    assert page.status_code == 200 and "<h1>Mot de passe oublié</h1>" in page.text
    assert '<label for="identifier">Nom d\'utilisateur ou adresse e-mail</label>' in page.text
    assert 'id="identifier" name="identifier"' in page.text and '<button type="submit">Valider</button>' in page.text


def test_the_same_answer_whatever_the_input(client: TestClient, db: Database, settings: Settings, smtp: SmtpServer,
                                            user: Account) -> None:
    inputs = ["john_wick", "JOHN_WICK ", "john_wick@hopital.example", "John_Wick@Hopital.Example", "nobody",
              "nobody@nowhere.example", "12345678901", "x" * 300, "' OR 1=1 --"]
    answers = [ask(client, value) for value in inputs]
    assert {(a.status_code, a.text) for a in answers} == {(answers[0].status_code, answers[0].text)}
    assert answers[0].status_code == 200
    text = html.unescape(answers[0].text)
    assert "Si un compte correspond, un e-mail vient d'être envoyé" in text and 'role="status"' in text
    assert "Ce lien est valable 1 heure" in text
    assert [m.rcpt_tos for m in smtp.received] == [["john_wick@hopital.example"]] * 4  # the 4 that name John


def test_the_reset_email(client: TestClient, smtp: SmtpServer, user: Account) -> None:
    ask(client, "john_wick")
    [mail] = smtp.received
    assert mail.message["Subject"] == "Réinitialisation de votre mot de passe ViaTrajectoire"
    text = text_of(mail)
    assert "Bonjour John Wick," in text and "Votre nom d'utilisateur : john_wick" in text
    assert "valable 1 heure" in text and link_in(mail, RESET).startswith(RESET + "?token=idp_pwr_")


def test_a_shared_address_gets_one_email_per_account(client: TestClient, db: Database, settings: Settings,
                                                     smtp: SmtpServer) -> None:
    for username in ("secretariat_a", "secretariat_b"):
        make_user(db, settings, username, email="secretariat@hopital.example")
    make_user(db, settings, "pending_one", email="secretariat@hopital.example")
    with db.session() as session:
        session.scalars(select(Account).where(Account.username == "pending_one")).one().status = "pending"
    ask(client, "secretariat@hopital.example")
    names = sorted(text_of(m).split("Votre nom d'utilisateur : ")[1].split()[0] for m in smtp.received)
    assert names == ["secretariat_a", "secretariat_b"]  # the pending account gets nothing


def test_the_link_sets_a_new_password_once(client: TestClient, db: Database, smtp: SmtpServer, rp: RelyingParty,
                                           user: Account) -> None:
    link = reset_link(client, smtp, "john_wick")
    page = client.get(link)
    assert page.status_code == 200 and "<h1>Définition de votre mot de passe</h1>" in page.text
    assert "<dd><strong>john_wick</strong></dd>" in page.text
    response = submit_password(client, page, RESET, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/password/done?via=reset"
    assert "Votre mot de passe a été enregistré." in client.get(response.headers["location"]).text

    [mail] = smtp.received[1:]
    assert mail.message["Subject"] == "Votre mot de passe a été modifié"
    assert rp.code_flow("john_wick", NEW_PASSWORD)["id_claims"]["sub"] == str(user.id)
    fresh = RelyingParty(TestClient(client.app, base_url=TEST_ISSUER), rp.issuer, rp.client_id, rp.redirect_uri,
                         client_secret=CLIENT_SECRET)
    with pytest.raises(AssertionError):  # the old password no longer opens anything
        fresh.code_flow("john_wick", PASSWORD)

    again = client.get(link)
    assert again.status_code == 410 and "<h1>Lien déjà utilisé</h1>" in again.text
    assert 'href="/password/forgot">Faire une nouvelle demande</a>' in again.text
    assert submit_password(client, page, RESET, "Yet-An0ther-pass").status_code == 410


def test_the_current_password_is_refused(client: TestClient, smtp: SmtpServer, user: Account) -> None:
    page = client.get(reset_link(client, smtp, "john_wick"))
    response = submit_password(client, page, RESET, PASSWORD)
    assert response.status_code == 400
    assert "doit être différent de votre mot de passe actuel" in alert_of(response)


def test_the_link_dies_when_the_password_changes(client: TestClient, db: Database, settings: Settings,
                                                 smtp: SmtpServer, user: Account) -> None:
    link = reset_link(client, smtp, "john_wick")
    with db.session() as session:
        account = session.get(Account, user.id)
        assert account is not None
        set_password(session, settings, account, "Changed-0therwise!", policy=policy_for(settings),
                     hasher=hasher_for(settings), outbox=Outbox(), context=CLI)
    page = client.get(link)
    assert page.status_code == 400 and "<h1>Lien non valable</h1>" in page.text
    assert "votre mot de passe a changé depuis son envoi" in page.text


def test_a_new_request_kills_the_earlier_links(client: TestClient, smtp: SmtpServer, user: Account) -> None:
    first = reset_link(client, smtp, "john_wick")
    second = reset_link(client, smtp, "john_wick")
    assert client.get(first).status_code == 400 and client.get(second).status_code == 200


def test_an_expired_link(client: TestClient, db: Database, smtp: SmtpServer, user: Account) -> None:
    link = reset_link(client, smtp, "john_wick")
    with db.session() as session:
        row = session.scalars(select(ActionToken).where(ActionToken.purpose == "password_reset")).one()
        assert row.expires_at - utcnow() <= timedelta(hours=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
    page = client.get(link)
    assert page.status_code == 410 and "<h1>Lien expiré</h1>" in page.text and "faites une nouvelle demande" in page.text


def test_disabled_accounts_get_nothing_and_their_links_die(client: TestClient, db: Database, smtp: SmtpServer,
                                                           user: Account) -> None:
    link = reset_link(client, smtp, "john_wick")
    with db.session() as session:
        session.get(Account, user.id).status = "disabled"  # type: ignore[union-attr]
    assert client.get(link).status_code == 400
    smtp.received.clear()
    assert ask(client, "john_wick").status_code == 200 and smtp.received == []


def logged_in_elsewhere(client: TestClient, db: Database, settings: Settings, **metadata: Any) -> tuple[RelyingParty, dict[str, Any]]:
    """Another browser, logged in through a relying party: its tokens, refresh token included."""
    make_client(db, settings, client_id="rp-other", redirect_uris=["https://other.example/cb"], **metadata)
    browser = TestClient(client.app, base_url=TEST_ISSUER)
    other = RelyingParty(browser, settings.issuer, "rp-other", "https://other.example/cb", client_secret=CLIENT_SECRET)
    return other, other.code_flow("john_wick", PASSWORD)


def test_a_reset_ends_every_session_and_refresh_token(client: TestClient, db: Database, settings: Settings,
                                                      smtp: SmtpServer, user: Account) -> None:
    other, tokens = logged_in_elsewhere(client, db, settings)
    assert "code" in other.follow(other.start(other.authorization_request(prompt="none"))).params  # type: ignore[union-attr]

    submit_password(client, client.get(reset_link(client, smtp, "john_wick")), RESET, NEW_PASSWORD)

    callback = other.follow(other.start(other.authorization_request(prompt="none")))
    assert callback.params["error"] == "login_required"  # type: ignore[union-attr]
    refreshed = other.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    introspected = other.http.post("/introspect", data={"token": tokens["access_token"]},
                                   auth=("rp-other", CLIENT_SECRET))
    assert introspected.json() == {"active": False}
    [logout] = events(db, "logout")
    assert logout.account_id == user.id and logout.details["reason"] == "password_reset"
    assert logout.details["sid"] == tokens["id_claims"]["sid"] and logout.details["revoked"] >= 2


def test_relying_parties_are_told_by_back_channel(client: TestClient, db: Database, settings: Settings,
                                                  smtp: SmtpServer, user: Account) -> None:
    with BackchannelReceiver() as receiver:
        other, tokens = logged_in_elsewhere(client, db, settings, backchannel_logout_uri=receiver.url,
                                            id_token_signed_response_alg="RS256")
        submit_password(client, client.get(reset_link(client, smtp, "john_wick")), RESET, NEW_PASSWORD)
        [received] = receiver.wait_for(1)
    claims = jwt.decode(received.form["logout_token"][0], other.jwks()).claims
    assert claims["sid"] == tokens["id_claims"]["sid"] and claims["aud"] == "rp-other"
    assert len(events(db, "logout.backchannel.sent")) == 1


def test_the_trail(client: TestClient, db: Database, smtp: SmtpServer, user: Account) -> None:
    ask(client, "nobody")
    submit_password(client, client.get(reset_link(client, smtp, "john_wick@hopital.example")), RESET, NEW_PASSWORD)
    unknown, known = events(db, "password.reset.requested")
    assert (unknown.outcome, unknown.account_id, unknown.details) == (
        "failure", None, {"identifier": "username", "reason": "no_account"})
    assert (known.outcome, known.account_id, known.details) == ("success", user.id, {"identifier": "email"})
    assert "nobody" not in str(unknown.details) and unknown.ip_address == "testclient"
    [completed] = events(db, "password.reset.completed")
    [changed] = events(db, "password.changed")
    assert completed.account_id == changed.account_id == user.id and changed.details == {"via": "reset"}


def test_csrf_is_required(client: TestClient, smtp: SmtpServer, user: Account) -> None:
    client.get(FORGOT)
    assert client.post(FORGOT, data={"identifier": "john_wick", "csrf_token": ""}).status_code == 403
    assert smtp.received == []
    page = client.get(reset_link(client, smtp, "john_wick"))
    assert submit_password(client, page, RESET, NEW_PASSWORD, csrf_token="forged").status_code == 403


def test_an_empty_field_is_asked_again(client: TestClient) -> None:
    response = ask(client, "   ")
    assert response.status_code == 400
    assert alert_of(response) == "Indiquez votre nom d'utilisateur ou votre adresse e-mail."


def test_a_mail_server_that_is_down_changes_nothing_in_the_answer(db: Database, database_url: str,
                                                                  user: Account) -> None:
    down = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    with TestClient(create_app(down, database=db), base_url=TEST_ISSUER) as browser:
        nobody, john = ask(browser, "nobody"), ask(browser, "john_wick")
    assert (nobody.status_code, nobody.text) == (john.status_code, john.text)
    assert len(events(db, "password.reset.requested")) == 2  # the work was done; only the delivery failed


def limited(database_url: str, smtp: SmtpServer, **throttle: int) -> Settings:
    return make_settings(database_url, smtp_url=smtp.url(), throttle=throttle)


def test_requests_are_throttled_per_identifier_the_same_whether_an_account_exists(
        db: Database, database_url: str, smtp: SmtpServer, user: Account) -> None:
    settings = limited(database_url, smtp, password_reset_max_per_hour=2)
    with TestClient(create_app(settings, database=db), base_url=TEST_ISSUER) as browser:
        john = [ask(browser, value) for value in ("john_wick", " JOHN_WICK", "john_wick")]
        nobody = [ask(browser, value) for value in ("nobody", "Nobody", "nobody ")]
        other = ask(browser, "john_wick@hopital.example")  # another identifier: its own count
    under = {(a.status_code, a.text) for a in john[:2] + nobody[:2] + [other]}
    assert under == {(200, john[0].text)}  # under the limit: one answer for all
    refused = {(a.status_code, a.text) for a in (john[2], nobody[2])}
    assert len(refused) == 1 and john[2].status_code == 429
    assert int(john[2].headers["retry-after"]) > 0 and int(nobody[2].headers["retry-after"]) > 0
    assert "Trop de demandes" in alert_of(john[2]) and 'action="/password/forgot"' in john[2].text
    assert len(smtp.received) == 3  # two for john_wick, one for his address; nothing for the refused one
    throttled = events(db, "password.reset.throttled")
    assert [(e.outcome, e.account_id, e.details) for e in throttled] == [("failure", None, {"reason": "delayed"})] * 2
    assert "nobody" not in str([e.details for e in throttled])
    assert len(events(db, "password.reset.requested")) == 5  # the refused requests did no work


def test_requests_are_throttled_per_client_address(db: Database, database_url: str, smtp: SmtpServer,
                                                   user: Account) -> None:
    settings = limited(database_url, smtp, address_max_failures=3)
    with TestClient(create_app(settings, database=db), base_url=TEST_ISSUER) as browser:
        answers = [ask(browser, value) for value in ("a", "b", "c", "john_wick")]
    assert [a.status_code for a in answers] == [200, 200, 200, 429] and smtp.received == []
    assert [e.details for e in events(db, "password.reset.throttled")] == [{"reason": "address"}]
