"""``/admin/api/v1/users``: create (the activation e-mail through a real SMTP server), read, list, disable, re-send."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.accounts.activation import token_hash
from idp.db import Database
from idp.models import Account, ActionToken
from idp.notify.email import SmtpEmailSender
from idp.settings import Settings
from idp.web.admin.mail import get_email_sender
from tests.conftest import make_settings
from tests.support.admin_api import (
    ADMIN_CLIENT, API, FINESS_A, FINESS_B, REFERENT_CLIENT, AdminWorld, admin_app, error, user_document,
)
from tests.support.smtp import SmtpServer, free_port

LINK = re.compile(r"https://idp\.test/password/activate\?token=(idp_act_[A-Za-z0-9_-]+)")


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return make_settings(database_url, smtp_url=smtp.url())


@pytest.fixture
def world(app: FastAPI, client: TestClient, settings: Settings, db: Database) -> AdminWorld:
    return AdminWorld(app, client, settings, db)


def mailed_token(smtp: SmtpServer, to: str) -> str:
    [mail] = [m for m in smtp.received if m.rcpt_tos == [to]]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return LINK.search(text).group(1)  # type: ignore[union-attr]


def test_an_administrator_creates_an_account_and_the_person_gets_the_link(world: AdminWorld, smtp: SmtpServer) -> None:
    response = world.post("/users", world.admin_token(), user_document("jeanne", profession="Infirmière"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["username"], body["status"], body["profession"]) == ("jeanne", "pending", "Infirmière")
    assert body["establishments"] == [{"finess": FINESS_A, "name": "Hôpital de test", "role": "professional"}]
    assert body["activation"]["email_sent"] is True and body["activation"]["expires_at"]
    assert "idp_act_" not in response.text  # the link goes to the person only
    [mail] = smtp.received
    assert mail.rcpt_tos == ["jeanne@hopital.example"]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Votre nom d'utilisateur : jeanne" in text
    token = mailed_token(smtp, "jeanne@hopital.example")
    with world.db.session() as session:
        hashed = token_hash(world.settings, token)
        row = session.scalars(select(ActionToken).filter_by(token_hash=hashed)).one()
    assert row.purpose == "activation"
    [event] = world.audit("user.created", "jeanne")
    assert (event.client_id, event.actor_id, event.ip_address) == (ADMIN_CLIENT, None, "testclient")
    assert event.request_id == response.headers["x-request-id"]


def test_a_referent_creates_an_account_of_their_establishment(world: AdminWorld, smtp: SmtpServer) -> None:
    referent = world.referent("ref_a", FINESS_A)
    response = world.post("/users", world.person_token("ref_a"), user_document("paul", "75 000 001 0"))
    assert response.status_code == 201, response.text
    assert mailed_token(smtp, "paul@hopital.example").startswith("idp_act_")
    [event] = world.audit("user.created", "paul")
    assert (event.actor_id, event.client_id) == (referent.id, REFERENT_CLIENT)
    with world.db.session() as session:
        paul = session.scalars(select(Account).where(Account.username == "paul")).one()
        assert paul.created_by_id == referent.id


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"username": "jeanne", "establishment": FINESS_A, "family_name": "D", "email": "j@h.example"}, "given_name"),
        (user_document("jeanne", email="not-an-address"), "email"),
        (user_document("jeanne", establishment="750000011"), "establishment"),
        (user_document("jeanne", familly_name="typo"), "familly_name"),
    ],
)
def test_a_bad_document_is_400_naming_the_field(world: AdminWorld, document: dict[str, str], named: str) -> None:
    assert named in error(world.post("/users", world.admin_token(), document), 400, "invalid_input")
    assert world.audit("user.created", "jeanne") == []


def test_a_body_that_is_not_a_json_object(world: AdminWorld) -> None:
    token = world.admin_token()
    assert "JSON object" in error(world.post("/users", token, ["a"]), 400, "invalid_input")
    broken = world.http.post(API + "/users", content=b"{not json", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    error(broken, 400, "invalid_input")


def test_unknown_establishment_and_duplicates(world: AdminWorld) -> None:
    token = world.admin_token()
    assert "010000016" in error(world.post("/users", token, user_document("x_1", "010000016")), 404, "not_found")
    assert world.post("/users", token, user_document("jeanne")).status_code == 201
    error(world.post("/users", token, user_document("JEANNE", FINESS_B)), 409, "already_exists")


def test_a_mail_server_down_keeps_the_account_and_resend_says_503(world: AdminWorld) -> None:
    dead = SmtpEmailSender(f"smtp://127.0.0.1:{free_port()}", "no-reply@viatrajectoire.fr", timeout=2)
    admin_app(world.app).dependency_overrides[get_email_sender] = lambda: dead
    token = world.admin_token()
    response = world.post("/users", token, user_document("jeanne"))
    assert response.status_code == 201, response.text
    activation = response.json()["activation"]
    assert activation["email_sent"] is False and "does not answer" in activation["error_description"]
    assert world.get("/users/jeanne", token).json()["status"] == "pending"  # committed before the send
    error(world.post("/users/jeanne/activation", token), 503, "delivery_failed")


def test_resend_activation_mails_a_new_link_and_kills_the_old(world: AdminWorld, smtp: SmtpServer) -> None:
    token = world.admin_token()
    world.post("/users", token, user_document("jeanne"))
    first = mailed_token(smtp, "jeanne@hopital.example")
    smtp.received.clear()
    response = world.post("/users/jeanne/activation", token)
    assert response.status_code == 200, response.text
    assert response.json()["login"] == "jeanne" and response.json()["expires_at"]
    second = mailed_token(smtp, "jeanne@hopital.example")
    with world.db.session() as session:
        hashes = session.scalars(select(ActionToken.token_hash)).all()
    assert second != first and token_hash(world.settings, second) in hashes
    assert token_hash(world.settings, first) not in hashes
    [event] = world.audit("user.activation_sent")
    assert event.client_id == ADMIN_CLIENT
    assert "pending" in error(world.post("/users/setup_person/activation", token), 400, "invalid_input")


def test_read_list_and_filter(world: AdminWorld) -> None:
    world.member("bob", FINESS_B)
    token = world.admin_token()
    assert world.get("/users/setup_person", token).json()["establishments"][0]["finess"] == FINESS_A
    error(world.get("/users/nobody", token), 404, "not_found")
    assert {u["username"] for u in world.get("/users", token).json()} == {"setup_person", "bob"}
    assert [u["username"] for u in world.get("/users", token, establishment=FINESS_B).json()] == ["bob"]
    error(world.get("/users", token, establishment="010000016"), 404, "not_found")


def test_a_liberal_account_is_created_and_read_by_rpps(world: AdminWorld) -> None:
    token = world.admin_token()
    document = {"kind": "liberal", "rpps": "10101010101", "given_name": "Anne", "family_name": "Med",
                "email": "anne@cabinet.example"}
    assert world.post("/users", token, document).status_code == 201
    body = world.get("/users/10101010101", token).json()
    assert (body["kind"], body["username"], body["establishments"]) == ("liberal", None, [])


def test_disable(world: AdminWorld) -> None:
    world.member("bob")
    token = world.admin_token()
    response = world.post("/users/bob/disable", token)
    assert response.status_code == 200 and response.json()["status"] == "disabled"
    assert response.json()["disabled_at"]
    assert world.post("/users/bob/disable", token).status_code == 200  # twice: no change, no second event
    [event] = world.audit("user.disabled", "bob")
    assert event.client_id == ADMIN_CLIENT
    error(world.post("/users/nobody/disable", token), 404, "not_found")


RESET_LINK = re.compile(r"https://idp\.test(/password/reset\?token=[A-Za-z0-9_-]+)")


def test_an_administrator_sends_a_password_reset_link(world: AdminWorld, smtp: SmtpServer) -> None:
    world.member("bob")
    token = world.admin_token()
    response = world.post("/users/bob/password-reset", token)
    assert response.status_code == 200, response.text
    assert response.json() == {"login": "bob", "valid_minutes": world.settings.links.password_reset_ttl_minutes}
    [mail] = [m for m in smtp.received if m.rcpt_tos == ["bob@hopital.example"]]
    path = RESET_LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)  # type: ignore[union-attr]
    page = world.http.get(path)
    assert page.status_code == 200 and "Définition de votre mot de passe" in page.text
    [event] = [e for e in world.audit("password.reset.requested") if e.outcome == "success"]
    assert event.client_id == ADMIN_CLIENT


def test_a_reset_link_only_for_active_accounts_managed_by_the_referent(world: AdminWorld, smtp: SmtpServer) -> None:
    token = world.admin_token()
    world.post("/users", token, user_document("jeanne"))  # pending: activation first
    assert "active" in error(world.post("/users/jeanne/password-reset", token), 400, "invalid_input")
    world.member("bob", FINESS_B)
    world.referent("claire", FINESS_A)
    referent = world.person_token("claire")
    error(world.post("/users/bob/password-reset", referent), 404, "not_found")  # not theirs: as if unknown
    smtp.received.clear()
    error(world.post("/users/nobody/password-reset", token), 404, "not_found")
    assert smtp.received == []


def test_a_password_reset_with_the_mail_server_down_is_503(world: AdminWorld) -> None:
    world.member("bob")
    dead = SmtpEmailSender(f"smtp://127.0.0.1:{free_port()}", "no-reply@viatrajectoire.fr", timeout=2)
    admin_app(world.app).dependency_overrides[get_email_sender] = lambda: dead
    error(world.post("/users/bob/password-reset", world.admin_token()), 503, "delivery_failed")
