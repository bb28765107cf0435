"""Activation (SPEC §1.1.1-2): the e-mail's link opens "Définition de votre mot de passe"; the password set, the
account is active, a confirmation e-mail leaves, and the person logs in through a relying party. Dead links (used,
expired, replaced, bound to an address that changed) get a page saying so. Mail goes through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.accounts import activation
from idp.accounts.action_links import LinkUsed
from idp.accounts.establishments import create_establishment
from idp.accounts.users import create_user
from idp.audit import CLI
from idp.authn.password_login import hasher_for
from idp.authn.password_policy import policy_for
from idp.clock import utcnow
from idp.db import Database
from idp.main import create_app
from idp.models import Account, ActionToken, AuditEvent
from idp.notify.email import build_email_sender
from idp.notify.outbox import Outbox
from idp.settings import Settings
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.password_pages import NEW_PASSWORD, alert_of, link_in, submit_password, text_of
from tests.support.rp import RelyingParty
from tests.support.smtp import SmtpServer

ACTIVATE = "/password/activate"
POLICY = "(12 caractères minimum, comportant au moins 1 minuscule, 1 majuscule, 1 chiffre et 1 caractère spécial)"


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:  # the suite's settings, with a mail server
    return make_settings(database_url, smtp_url=smtp.url())


def create_jeanne(db: Database, settings: Settings, smtp: SmtpServer) -> str:
    """A référent creates Jeanne's account; returns the activation link of the e-mail she receives."""
    outbox = Outbox()
    with db.session() as session:
        create_establishment(session, finess="010780195", name="CH de Bourg-en-Bresse", region="ARA")
        create_user(session, settings, {"username": "jdupre", "establishment": "010780195", "given_name": "Jeanne",
                                        "family_name": "Dupré", "email": "jeanne.dupre@example.fr"}, outbox=outbox)
    outbox.flush(build_email_sender(settings))
    [mail] = smtp.received
    smtp.received.clear()
    return link_in(mail, ACTIVATE)


@pytest.fixture
def link(db: Database, settings: Settings, smtp: SmtpServer) -> str:
    return create_jeanne(db, settings, smtp)


def jeanne(db: Database) -> Account:
    with db.session() as session:
        return session.scalars(select(Account).where(Account.username == "jdupre")).one()


def the_token_row(db: Database) -> ActionToken:
    with db.session() as session:
        return session.scalars(select(ActionToken).where(ActionToken.purpose == "activation")).one()


def events(db: Database, name: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def test_the_link_opens_the_password_page(client: TestClient, link: str) -> None:
    page = client.get(link)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert "<h1>Définition de votre mot de passe</h1>" in html
    assert "<dt>Nom d'utilisateur</dt><dd><strong>jdupre</strong></dd>" in html
    assert POLICY in html
    assert '<label for="password">Nouveau mot de passe</label>' in html and 'id="password" name="password"' in html
    assert '<label for="password_repeat">Répéter le mot de passe</label>' in html and 'id="password_repeat"' in html
    assert '<button type="submit">Valider</button>' in html
    assert 'name="csrf_token" value="' in html and 'autocomplete="new-password"' in html
    assert 'aria-describedby="password-policy"' in html
    assert 'role="alert"' not in html


def test_the_legacy_policy_is_the_one_the_page_states(db: Database, database_url: str, smtp: SmtpServer) -> None:
    legacy = make_settings(database_url, smtp_url=smtp.url(), password_policy="legacy")
    link = create_jeanne(db, legacy, smtp)
    with TestClient(create_app(legacy, database=db), base_url=TEST_ISSUER) as browser:
        page = browser.get(link)
        assert "(8 caractères minimum, comportant au moins 1 minuscule, 1 majuscule et 1 chiffre)" in page.text
        assert submit_password(browser, page, ACTIVATE, "Vq7mLzpRs").status_code == 303  # 9, no special: enough


def test_two_different_passwords_are_refused_and_nothing_changes(client: TestClient, db: Database, link: str) -> None:
    response = submit_password(client, client.get(link), ACTIVATE, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert response.status_code == 400
    assert "Les deux mots de passe saisis sont différents" in alert_of(response)
    assert 'aria-describedby="password-policy password-errors" aria-invalid="true"' in response.text
    assert "<h1>Définition de votre mot de passe</h1>" in response.text  # the form again, to try once more
    assert jeanne(db).status == "pending" and jeanne(db).password_hash is None
    assert the_token_row(db).used_at is None


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("court", ["au moins 12 caractères", "au moins 1 majuscule", "au moins 1 chiffre",
                   "au moins 1 caractère spécial"]),
        ("Jdupre-2024!x", ["ne doit pas contenir votre nom d'utilisateur"]),
        ("Qz7!Jeanne-plop", ["ne doit pas contenir votre nom ni votre prénom"]),
        ("Marseille2024!", ["trop courant"]),
    ],
)
def test_weak_passwords_are_refused_with_reasons(client: TestClient, db: Database, link: str, password: str,
                                                 messages: list[str]) -> None:
    response = submit_password(client, client.get(link), ACTIVATE, password)
    assert response.status_code == 400
    alert = alert_of(response)
    assert alert.startswith("Votre mot de passe n'a pas été enregistré")
    assert all(message in alert for message in messages), alert
    assert jeanne(db).status == "pending" and the_token_row(db).used_at is None


def test_activation_then_login_through_a_relying_party(client: TestClient, db: Database, settings: Settings,
                                                       smtp: SmtpServer, rp: RelyingParty, link: str) -> None:
    response = submit_password(client, client.get(link), ACTIVATE, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/password/done?via=activation"
    done = client.get(response.headers["location"])
    assert "Votre mot de passe a été enregistré." in done.text and "Votre compte ViaTrajectoire est activé." in done.text
    assert '<a class="button" href="https://www.viatrajectoire.fr">Retourner sur ViaTrajectoire</a>' in done.text

    account = jeanne(db)
    assert account.status == "active" and account.email_verified_at is not None
    assert account.password_changed_at is not None and hasher_for(settings).verify(account.password_hash, NEW_PASSWORD)
    assert the_token_row(db).used_at is not None
    [activated] = events(db, "account.activated")
    [changed] = events(db, "password.changed")
    assert activated.account_id == changed.account_id == account.id and changed.details == {"via": "activation"}
    assert activated.ip_address == "testclient"

    [mail] = smtp.received  # the confirmation, after the commit
    assert mail.rcpt_tos == ["jeanne.dupre@example.fr"] and mail.message["Subject"] == "Votre mot de passe a été modifié"
    text = text_of(mail)
    assert "Bonjour Jeanne Dupré," in text and "(nom d'utilisateur : jdupre) a été modifié le " in text
    assert "https://idp.test/password/forgot" in text and NEW_PASSWORD not in text

    tokens = rp.code_flow("jdupre", NEW_PASSWORD)
    assert tokens["id_claims"]["sub"] == str(account.id)


def test_a_link_works_once(client: TestClient, link: str) -> None:
    page = client.get(link)
    assert submit_password(client, page, ACTIVATE, NEW_PASSWORD).status_code == 303
    again = client.get(link)
    assert again.status_code == 410 and "<h1>Lien déjà utilisé</h1>" in again.text
    assert "votre mot de passe a déjà été défini" in again.text
    replay = submit_password(client, page, ACTIVATE, "Another-Pa55word!")  # the old form, posted again
    assert replay.status_code == 410 and "Lien déjà utilisé" in replay.text


def test_of_two_tabs_only_one_sets_the_password(client: TestClient, db: Database, settings: Settings,
                                                link: str) -> None:
    token = link.split("token=")[1]
    with db.session() as session:  # the second tab opened the link and is about to post
        second_tab = activation.open_activation(session, settings, token)
        assert submit_password(client, client.get(link), ACTIVATE, NEW_PASSWORD).status_code == 303  # first tab
        with pytest.raises(LinkUsed):
            activation.activate(session, settings, second_tab, "Other-Pa55word!", "Other-Pa55word!",
                                policy=policy_for(settings), hasher=hasher_for(settings), outbox=Outbox(), context=CLI)
    assert hasher_for(settings).verify(jeanne(db).password_hash, NEW_PASSWORD)


def test_an_expired_link_says_how_to_get_a_new_one(client: TestClient, db: Database, link: str) -> None:
    with db.session() as session:
        session.scalars(select(ActionToken)).one().expires_at = utcnow() - timedelta(seconds=1)
    page = client.get(link)
    assert page.status_code == 410 and "<h1>Lien expiré</h1>" in page.text
    assert "demandez un nouveau lien au référent de votre établissement" in page.text
    assert 'role="alert"' in page.text and "jdupre" not in page.text
    assert jeanne(db).status == "pending"


def test_a_link_sent_to_an_address_that_changed_is_refused(client: TestClient, db: Database, link: str) -> None:
    with db.session() as session:
        session.scalars(select(Account)).one().email = "someone.else@example.fr"
    page = client.get(link)
    assert page.status_code == 400 and "<h1>Lien non valable</h1>" in page.text and "jdupre" not in page.text


@pytest.mark.parametrize("token", ["", "idp_act_", "idp_act_unknown", "idp_pwr_whatever", "x" * 5000])
def test_unknown_links_are_refused(client: TestClient, token: str) -> None:
    page = client.get(ACTIVATE, params={"token": token})
    assert page.status_code == 400 and "Lien non valable" in page.text


def test_a_replaced_link_is_refused(client: TestClient, db: Database, settings: Settings, link: str) -> None:
    with db.session() as session:
        activation.issue_activation(session, settings, jeanne(db), outbox=Outbox())  # a newer e-mail
    assert client.get(link).status_code == 400


def test_a_post_without_csrf_token_changes_nothing(client: TestClient, db: Database, link: str) -> None:
    response = submit_password(client, client.get(link), ACTIVATE, NEW_PASSWORD, csrf_token="")
    assert response.status_code == 403 and "Formulaire expiré" in response.text
    other_browser = httpx.Client(transport=client._transport, base_url=TEST_ISSUER)  # no CSRF cookie at all
    token = link.split("token=")[1]
    forged = other_browser.post(ACTIVATE, data={"token": token, "password": NEW_PASSWORD,
                                                "password_repeat": NEW_PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert jeanne(db).status == "pending" and the_token_row(db).used_at is None


def test_the_token_stays_out_of_the_form_action(client: TestClient, link: str) -> None:
    page = client.get(link)
    assert re.search(r'<form method="post" action="/password/activate"', page.text)  # posted in the body, not the URL
