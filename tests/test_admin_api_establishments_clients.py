"""``/admin/api/v1/establishments`` and ``/admin/api/v1/clients``: what administrators manage, and référents only
partly see."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from idp.db import Database
from idp.settings import Settings
from tests.support.admin_api import ADMIN_CLIENT, FINESS_A, FINESS_B, AdminWorld, error

NEW = {"finess": "01 000 001 6", "name": "Centre hospitalier de Bourg", "region": "Auvergne-Rhône-Alpes"}
MACHINE = {"client_name": "Portail régional", "grant_types": ["client_credentials"], "redirect_uris": [],
           "scope": "idp:admin"}


@pytest.fixture
def world(app: FastAPI, client: TestClient, settings: Settings, db: Database) -> AdminWorld:
    return AdminWorld(app, client, settings, db)


# -- establishments ---------------------------------------------------------------------------------------------


def test_an_administrator_creates_lists_and_reads_establishments(world: AdminWorld) -> None:
    token = world.admin_token()
    response = world.post("/establishments", token, NEW)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["finess"], body["name"], body["disabled"]) == ("010000016", NEW["name"], False) and body["created_at"]
    assert [e["finess"] for e in world.get("/establishments", token).json()] == ["010000016", FINESS_B, FINESS_A]
    assert world.get("/establishments/010000016", token).json() == body
    [event] = world.audit("establishment.created")[-1:]
    assert event.client_id == ADMIN_CLIENT and event.details["finess"] == "010000016"


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({**NEW, "finess": "010000017"}, "check digit"),
        ({**NEW, "finess": "ABC"}, "finess"),
        ({"finess": NEW["finess"], "name": NEW["name"]}, "region: is required"),
        ({**NEW, "name": "   "}, "name: must not be empty"),
        ({**NEW, "siret": "1"}, "siret"),
        ({**NEW, "name": 12}, "name"),
    ],
)
def test_bad_establishments(world: AdminWorld, document: dict[str, object], named: str) -> None:
    assert named in error(world.post("/establishments", world.admin_token(), document), 400, "invalid_input")


def test_duplicate_and_unknown_establishments(world: AdminWorld) -> None:
    token = world.admin_token()
    error(world.post("/establishments", token, {**NEW, "finess": FINESS_B}), 409, "already_exists")
    assert "010000016" in error(world.get("/establishments/010000016", token), 404, "not_found")


def test_a_referent_sees_their_establishments_and_creates_none(world: AdminWorld) -> None:
    world.referent("ref_b", FINESS_B)
    token = world.person_token("ref_b")
    assert [e["finess"] for e in world.get("/establishments", token).json()] == [FINESS_B]
    assert world.get(f"/establishments/{FINESS_B}", token).status_code == 200
    hidden = error(world.get(f"/establishments/{FINESS_A}", token), 404, "not_found")
    assert hidden == f"unknown establishment: {FINESS_A}"
    response = world.post("/establishments", token, NEW)
    error(response, 403, "insufficient_scope")
    assert 'scope="idp:admin"' in response.headers["www-authenticate"]


# -- clients ----------------------------------------------------------------------------------------------------


def test_an_administrator_registers_a_client_that_then_works(world: AdminWorld) -> None:
    token = world.admin_token()
    response = world.post("/clients", token, MACHINE)
    assert response.status_code == 201, response.text
    registered = response.json()
    secret = registered["client_secret"]
    assert secret.startswith("idp_cs_") and registered["client_secret_expires_at"] == 0
    assert registered["grant_types"] == ["client_credentials"] and registered["scope"] == "idp:admin"
    listed = {c["client_id"]: c for c in world.get("/clients", token).json()}
    assert registered["client_id"] in listed and "client_secret" not in listed[registered["client_id"]]
    assert secret not in world.get("/clients", token).text
    [event] = world.audit("client.created")[-1:]
    assert event.client_id == registered["client_id"] and event.details["credential_generated"] is True
    assert event.details["registered_by_client_id"] == ADMIN_CLIENT
    # The new client is a real one: its secret gets it an admin token.
    credentials = (registered["client_id"], secret)
    answer = world.http.post("/token", data={"grant_type": "client_credentials"}, auth=credentials)
    assert answer.status_code == 200 and answer.json()["scope"] == "idp:admin"


@pytest.mark.parametrize(
    ("document", "code", "named"),
    [
        ({"redirect_uris": ["http://rp.example/cb"]}, "invalid_redirect_uri", "redirect_uris[0]"),
        ({"redirect_uris": ["https://rp.example/cb"], "scope": "openid admin"}, "invalid_client_metadata", "scope"),
        ({"redirect_uris": ["https://rp.example/cb"], "post_logout_redirect_uri": "x"}, "invalid_client_metadata",
         "post_logout_redirect_uri"),
    ],
)
def test_bad_client_documents_get_rfc_7591_codes(world: AdminWorld, document: dict[str, object], code: str,
                                                 named: str) -> None:
    assert named in error(world.post("/clients", world.admin_token(), document), 400, code)


def test_a_client_id_registered_twice(world: AdminWorld) -> None:
    error(world.post("/clients", world.admin_token(), {**MACHINE, "client_id": ADMIN_CLIENT}), 409, "already_exists")


def test_referents_never_see_clients(world: AdminWorld) -> None:
    world.referent("ref_a", FINESS_A)
    token = world.person_token("ref_a")
    error(world.get("/clients", token), 403, "insufficient_scope")
    error(world.post("/clients", token, MACHINE), 403, "insufficient_scope")
    assert [e.details["client_name"] for e in world.audit("client.created")] == ["RP de test", "RP de test"]
