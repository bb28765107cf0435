"""A référent of one establishment can never read or change another's accounts (issue 4, item 1).

The référent ``ref_a`` manages establishment A. ``bob`` works in B only, ``shared`` in A and B, ``pending_b`` is a
not-yet-activated account of B. What ``ref_a`` may not see must look exactly like what does not exist (404 with the
same words), and nothing they try may change anything or leave a trace of a change.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.accounts.referents import add_referent
from idp.accounts.users import create_user
from idp.db import Database
from idp.models import Account
from idp.notify.outbox import Outbox
from idp.settings import Settings
from tests.support.admin_api import FINESS_A, FINESS_B, AdminWorld, error, user_document

UNKNOWN_FINESS = "010000016"  # valid, but no such establishment here
B_REFERENTS = f"/establishments/{FINESS_B}/referents"


@pytest.fixture
def world(app: FastAPI, client: TestClient, settings: Settings, db: Database) -> AdminWorld:
    world = AdminWorld(app, client, settings, db)
    world.referent("ref_a", FINESS_A)
    world.referent("ref_b", FINESS_B)
    world.member("bob", FINESS_B)
    world.member("shared", FINESS_A)
    with db.session() as session:
        add_referent(session, username="shared", establishment=FINESS_B)  # member of B (as référent, even)
        create_user(session, settings, user_document("pending_b", FINESS_B), outbox=Outbox())
    return world


@pytest.fixture
def token(world: AdminWorld) -> str:
    return world.person_token("ref_a")


def same_as_unknown(world: AdminWorld, token: str, hidden: object, unknown: object, path: str,
                    method: str = "get", body: object = None) -> None:
    def call(subject: object) -> str:
        target = path.format(subject)
        response = world.get(target, token) if method == "get" else world.post(target, token, body)
        return error(response, 404, "not_found").replace(str(subject), "<>")

    assert call(hidden) == call(unknown)


def test_lists_hold_only_their_establishments(world: AdminWorld, token: str) -> None:
    users = world.get("/users", token).json()
    assert {u["username"] for u in users} == {"setup_person", "ref_a", "shared"}
    assert {m["finess"] for u in users for m in u["establishments"]} == {FINESS_A}  # not shared's B membership
    assert {u["username"] for u in world.get("/users", token, establishment=FINESS_A).json()} == \
        {"setup_person", "ref_a", "shared"}
    assert error(world.get("/users", token, establishment=FINESS_B), 404, "not_found") == \
        error(world.get("/users", token, establishment=UNKNOWN_FINESS), 404, "not_found").replace(UNKNOWN_FINESS,
                                                                                                 FINESS_B)
    same_as_unknown(world, token, FINESS_B, UNKNOWN_FINESS, "/establishments/{}/referents")


def test_another_establishment_s_account_does_not_exist_for_them(world: AdminWorld, token: str) -> None:
    same_as_unknown(world, token, "bob", "nobody", "/users/{}")
    same_as_unknown(world, token, "ref_b", "nobody", "/users/{}")
    same_as_unknown(world, token, "bob", "nobody", "/users/{}/disable", method="post")
    same_as_unknown(world, token, "pending_b", "nobody", "/users/{}/activation", method="post")
    shared = world.get("/users/shared", token).json()
    assert shared["establishments"] == [{"finess": FINESS_A, "name": "Hôpital de test", "role": "professional"}]


def test_they_cannot_create_accounts_elsewhere(world: AdminWorld, token: str) -> None:
    assert error(world.post("/users", token, user_document("intruder", FINESS_B)), 404, "not_found") == \
        f"unknown establishment: {FINESS_B}"
    liberal = {"kind": "liberal", "rpps": "10101010101", "given_name": "A", "family_name": "M", "email": "a@c.example"}
    error(world.post("/users", token, liberal), 403, "forbidden")
    assert "email" in error(world.post("/users", token, user_document("x_y", FINESS_B, email="no")), 400,
                            "invalid_input")  # validated first: the answer says nothing about B


def test_they_cannot_touch_referents_elsewhere(world: AdminWorld, token: str) -> None:
    error(world.post(B_REFERENTS, token, {"username": "bob"}), 404, "not_found")
    error(world.post(B_REFERENTS, token, user_document("intruder", FINESS_B)), 404, "not_found")
    error(world.delete(f"{B_REFERENTS}/ref_b", token), 404, "not_found")
    # Through their own establishment: B's people are not members of A, so they are nobody there.
    a_referents = f"/establishments/{FINESS_A}/referents"
    assert error(world.post(a_referents, token, {"username": "bob"}), 404, "not_found") == "unknown user: bob"
    assert error(world.delete(f"{a_referents}/ref_b", token), 404, "not_found") == "unknown user: ref_b"


def test_an_account_shared_with_another_establishment_is_seen_but_not_changed(world: AdminWorld, token: str) -> None:
    assert "ask an administrator" in error(world.post("/users/shared/disable", token), 403, "forbidden")
    error(world.post("/users/shared/activation", token), 403, "forbidden")


def test_nothing_changed_and_nothing_was_recorded(world: AdminWorld, token: str) -> None:
    test_another_establishment_s_account_does_not_exist_for_them(world, token)
    test_they_cannot_touch_referents_elsewhere(world, token)
    test_an_account_shared_with_another_establishment_is_seen_but_not_changed(world, token)
    with world.db.session() as session:
        statuses = {username: status for username, status in session.execute(select(Account.username, Account.status))}
    assert statuses["bob"] == statuses["shared"] == "active" and statuses["pending_b"] == "pending"
    for event in ("user.disabled", "user.activation_sent", "referent.removed", "user.created", "referent.added"):
        assert [e for e in world.audit(event) if e.client_id is not None] == [], event  # none made through the API


def test_their_own_accounts_they_do_manage(world: AdminWorld, token: str) -> None:
    assert world.post("/users/setup_person/disable", token).status_code == 200
    world.post("/users", token, user_document("newcomer"))
    assert world.post("/users/newcomer/activation", token).status_code == 200


def test_a_referent_of_both_sees_both(world: AdminWorld) -> None:
    with world.db.session() as session:
        add_referent(session, username="ref_a", establishment=FINESS_B)
    token = world.person_token("ref_a")
    assert {u["username"] for u in world.get("/users", token).json()} >= {"bob", "pending_b", "shared", "setup_person"}
    assert world.post("/users/shared/disable", token).status_code == 200
