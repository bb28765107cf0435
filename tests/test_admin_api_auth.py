"""Who may call the admin API (RFC 6750 bearer tokens of this OP) and what every answer looks like."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from idp.db import Database
from idp.settings import Settings
from tests.support.admin_api import ADMIN_CLIENT, API, FINESS_A, REFERENT_CLIENT, AdminWorld, admin_app, error
from tests.support.factories import CLIENT_SECRET, make_client


@pytest.fixture
def world(app: FastAPI, client: TestClient, settings: Settings, db: Database) -> AdminWorld:
    return AdminWorld(app, client, settings, db)


def test_no_token_is_401_with_the_bare_challenge(world: AdminWorld) -> None:
    response = world.http.get(API + "/users")
    error(response, 401, "missing_token")
    assert response.headers["www-authenticate"] == "Bearer"  # RFC 6750 §3.1: no error code without credentials


def test_a_basic_authorization_header_is_no_bearer_token(world: AdminWorld) -> None:
    response = world.http.get(API + "/users", auth=(ADMIN_CLIENT, CLIENT_SECRET))
    error(response, 401, "missing_token")


def test_a_forged_token_is_invalid_token(world: AdminWorld) -> None:
    response = world.get("/users", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_a_token_in_the_query_string_is_refused(world: AdminWorld) -> None:
    response = world.http.get(API + "/users", params={"access_token": world.admin_token()})
    error(response, 400, "invalid_request")
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_a_revoked_token_stops_at_once(world: AdminWorld) -> None:
    token = world.admin_token()
    assert world.get("/users", token).status_code == 200
    revoked = world.http.post("/revoke", data={"token": token}, auth=(ADMIN_CLIENT, CLIENT_SECRET))
    assert revoked.status_code == 200
    assert "revoked" in error(world.get("/users", token), 401, "invalid_token")


def test_a_client_token_needs_idp_admin(world: AdminWorld) -> None:
    make_client(world.db, world.settings, client_id="robot", grant_types=["client_credentials"], redirect_uris=[],
                post_logout_redirect_uris=[], scope="idp:referent")
    response = world.get("/users", world.admin_token("idp:referent", client_id="robot"))
    error(response, 403, "insufficient_scope")
    assert 'scope="idp:admin"' in response.headers["www-authenticate"]


def test_a_person_token_needs_idp_referent(world: AdminWorld) -> None:
    world.referent("ref_a", FINESS_A)
    response = world.get("/users", world.person_token("ref_a", scope="openid"))
    error(response, 403, "insufficient_scope")
    assert 'scope="idp:referent"' in response.headers["www-authenticate"]


def test_idp_admin_on_a_person_s_token_makes_no_administrator(world: AdminWorld) -> None:
    # The scope belongs to a client acting for itself; whoever logs in through that client does not inherit it.
    make_client(world.db, world.settings, client_id="mixed", scope="openid idp:admin")
    world.member("plain")
    token = world.person_token("plain", scope="openid idp:admin", client_id="mixed")
    error(world.get("/establishments", token), 403, "insufficient_scope")


def test_idp_referent_needs_a_referent(world: AdminWorld) -> None:
    world.member("plain")
    response = world.get("/users", world.person_token("plain"))
    assert "not référent" in error(response, 403, "forbidden")


def test_a_demoted_referent_loses_access_with_the_token_they_hold(world: AdminWorld) -> None:
    world.referent("ref_a", FINESS_A)
    token = world.person_token("ref_a")
    assert world.get("/users", token).status_code == 200
    assert world.delete(f"/establishments/{FINESS_A}/referents/ref_a", world.admin_token()).status_code == 204
    error(world.get("/users", token), 403, "forbidden")


def test_a_disabled_referent_s_token_is_dead(world: AdminWorld) -> None:
    world.referent("ref_a", FINESS_A)
    token = world.person_token("ref_a")
    assert world.post("/users/ref_a/disable", world.admin_token()).status_code == 200
    assert "not active" in error(world.get("/users", token), 401, "invalid_token")


def test_unknown_paths_and_methods_answer_json(world: AdminWorld) -> None:
    token = world.admin_token()
    error(world.get("/nothing-here", token), 404, "not_found")
    error(world.delete("/users", token), 405, "method_not_allowed")


def test_the_main_app_s_middleware_wraps_the_api(world: AdminWorld) -> None:
    response = world.get("/users/nobody", world.admin_token())
    assert response.headers["x-request-id"] and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    metrics = world.http.get("/metrics").text
    assert 'route="/admin/api/v1/users/{login}"' in metrics and 'status="404"' in metrics


def test_the_openapi_document_lists_every_operation(world: AdminWorld) -> None:
    response = world.http.get(API + "/openapi.json")
    assert response.status_code == 200
    document = response.json()
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == {
        ("/establishments", "get"), ("/establishments", "post"), ("/establishments/{finess}", "get"),
        ("/establishments/{finess}/referents", "get"), ("/establishments/{finess}/referents", "post"),
        ("/establishments/{finess}/referents/{login}", "delete"),
        ("/users", "get"), ("/users", "post"), ("/users/{login}", "get"), ("/users/{login}/disable", "post"),
        ("/users/{login}/activation", "post"), ("/users/{login}/password-reset", "post"), ("/clients", "get"), ("/clients", "post"),
    }
    assert document["servers"] == [{"url": API}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    schemas = document["components"]["schemas"]
    assert {"UserDocument", "ClientMetadata", "Address", "ErrorBody"} <= set(schemas)
    assert "HTTPValidationError" not in schemas  # invalid requests are 400 invalid_input here, not FastAPI's 422
    for (path, method) in operations:
        operation = document["paths"][path][method]
        assert operation["summary"] and operation["security"] == [{"bearer": []}], (path, method)
        assert {"401", "403"} <= set(operation["responses"]) and "422" not in operation["responses"]
    create_user = document["paths"]["/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create_user == {"$ref": "#/components/schemas/UserDocument"}


def test_a_referent_client_with_the_scope_is_all_a_referent_needs(world: AdminWorld) -> None:
    world.referent("ref_a", FINESS_A)
    response = world.get("/users/ref_a", world.person_token("ref_a", client_id=REFERENT_CLIENT))
    assert response.status_code == 200 and response.json()["establishments"][0]["role"] == "referent"


def test_an_unexpected_error_is_a_json_500_that_tells_nothing(world: AdminWorld) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    admin_app(world.app).add_api_route("/test-broken", broken)
    with TestClient(world.app, base_url=world.settings.issuer, raise_server_exceptions=False) as http:
        response = http.get(API + "/test-broken")
    assert "secret internals" not in error(response, 500, "server_error")
