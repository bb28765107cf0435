"""``/admin/api/v1/establishments/{finess}/referents``: promote, create, list and demote référents."""

from __future__ import annotations


import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from idp.db import Database
from idp.settings import Settings
from tests.conftest import make_settings
from tests.support.admin_api import ADMIN_CLIENT, FINESS_A, FINESS_B, REFERENT_CLIENT, AdminWorld, error, user_document
from tests.support.smtp import SmtpServer

A_REFERENTS = f"/establishments/{FINESS_A}/referents"
B_REFERENTS = f"/establishments/{FINESS_B}/referents"


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return make_settings(database_url, smtp_url=smtp.url())


@pytest.fixture
def world(app: FastAPI, client: TestClient, settings: Settings, db: Database) -> AdminWorld:
    return AdminWorld(app, client, settings, db)


def roles(body: dict[str, object]) -> dict[str, str]:
    return {m["finess"]: m["role"] for m in body["establishments"]}  # type: ignore[attr-defined, index]


def test_an_administrator_promotes_lists_and_demotes(world: AdminWorld) -> None:
    world.member("bob", FINESS_B)
    token = world.admin_token()
    response = world.post(B_REFERENTS, token, {"username": "bob"})
    assert response.status_code == 201, response.text
    assert roles(response.json()) == {FINESS_B: "referent"} and response.json()["activation"] is None
    assert [u["username"] for u in world.get(B_REFERENTS, token).json()] == ["bob"]
    error(world.post(B_REFERENTS, token, {"username": "bob"}), 409, "already_exists")
    assert world.delete(f"{B_REFERENTS}/bob", token).status_code == 204
    assert world.get(B_REFERENTS, token).json() == []
    assert roles(world.get("/users/bob", token).json()) == {FINESS_B: "professional"}  # still works there
    error(world.delete(f"{B_REFERENTS}/bob", token), 404, "not_found")
    [added] = world.audit("referent.added", "bob")
    [removed] = world.audit("referent.removed", "bob")
    assert added.client_id == removed.client_id == ADMIN_CLIENT and removed.details["establishment"] == FINESS_B


def test_an_administrator_may_attach_an_account_to_another_establishment(world: AdminWorld) -> None:
    response = world.post(B_REFERENTS, world.admin_token(), {"username": "setup_person"})
    assert response.status_code == 201
    assert roles(response.json()) == {FINESS_A: "professional", FINESS_B: "referent"}


def test_creating_a_referent_mails_the_activation_link(world: AdminWorld, smtp: SmtpServer) -> None:
    document = user_document("new_ref")
    del document["establishment"]  # the path's
    response = world.post(B_REFERENTS, world.admin_token(), document)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and roles(body) == {FINESS_B: "referent"}
    assert body["activation"]["email_sent"] is True
    [mail] = smtp.received
    assert mail.rcpt_tos == ["new_ref@hopital.example"]
    assert "idp_act_" in mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_document_s_establishment_must_be_the_path_s(world: AdminWorld) -> None:
    response = world.post(B_REFERENTS, world.admin_token(), user_document("new_ref", FINESS_A))
    assert "establishment" in error(response, 400, "invalid_input")
    bad = world.post(B_REFERENTS, world.admin_token(), {"username": "x", "given_name": "X"})
    assert "family_name" in error(bad, 400, "invalid_input")
    assert "username" in error(world.post(B_REFERENTS, world.admin_token(), {"username": 5}), 400, "invalid_input")


def test_a_referent_manages_the_referents_of_their_establishment(world: AdminWorld) -> None:
    referent = world.referent("ref_a", FINESS_A)
    world.member("colleague")
    token = world.person_token("ref_a")
    response = world.post(A_REFERENTS, token, {"username": "colleague"})
    assert response.status_code == 201 and roles(response.json()) == {FINESS_A: "referent"}
    [event] = world.audit("referent.added", "colleague")
    assert (event.actor_id, event.client_id) == (referent.id, REFERENT_CLIENT)
    assert {u["username"] for u in world.get(A_REFERENTS, token).json()} == {"ref_a", "colleague"}
    assert world.delete(f"{A_REFERENTS}/colleague", token).status_code == 204
    created = world.post(A_REFERENTS, token, user_document("other_ref"))
    assert created.status_code == 201 and roles(created.json()) == {FINESS_A: "referent"}


def test_a_referent_who_demotes_themselves_loses_access(world: AdminWorld) -> None:
    world.referent("ref_a", FINESS_A)
    token = world.person_token("ref_a")
    assert world.delete(f"{A_REFERENTS}/ref_a", token).status_code == 204
    error(world.get("/users", token), 403, "forbidden")


def test_libéraux_and_disabled_accounts_cannot_become_referents(world: AdminWorld) -> None:
    token = world.admin_token()
    liberal = {"kind": "liberal", "rpps": "10101010101", "given_name": "A", "family_name": "M", "email": "a@c.example"}
    assert world.post("/users", token, liberal).status_code == 201
    error(world.post(A_REFERENTS, token, {"username": "10101010101"}), 400, "invalid_input")
    world.member("gone")
    world.post("/users/gone/disable", token)
    assert "disabled" in error(world.post(A_REFERENTS, token, {"username": "gone"}), 400, "invalid_input")
