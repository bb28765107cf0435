"""Discovery (OIDC Discovery 1.0 §3-§4, RFC 8414): complete, and true to what the server does."""

from __future__ import annotations

from fastapi.testclient import TestClient

from idp.authn.levels import ACR_LADDER
from idp.settings import Settings

REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
            "subject_types_supported", "id_token_signing_alg_values_supported")
RECOMMENDED = ("userinfo_endpoint", "scopes_supported", "claims_supported")


def test_the_document_has_every_required_and_recommended_field(client: TestClient, settings: Settings) -> None:
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    doc = response.json()
    for field in REQUIRED + RECOMMENDED:
        assert doc.get(field), field
    assert doc["issuer"] == settings.issuer  # §4.3: identical to the issuer the client used
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert {"openid", "profile", "email", "address", "phone", "rpps", "establishments", "delegations"} <= set(doc["scopes_supported"])
    assert doc["acr_values_supported"] == list(ACR_LADDER)
    assert doc["claims_parameter_supported"] is True
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["backchannel_logout_supported"] is True and doc["backchannel_logout_session_supported"] is True
    assert {"query", "form_post"} == set(doc["response_modes_supported"])
    assert {"sub", "acr", "amr", "auth_time", "sid", "email", "establishments"} <= set(doc["claims_supported"])


def test_every_advertised_endpoint_is_served_under_the_issuer(client: TestClient, settings: Settings) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    for field in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                  "end_session_endpoint", "introspection_endpoint", "revocation_endpoint"):
        url = doc[field]
        assert url.startswith(settings.issuer + "/"), field
        path = url[len(settings.issuer):]
        method = "POST" if field in ("token_endpoint", "introspection_endpoint", "revocation_endpoint") else "GET"
        status = client.request(method, path, follow_redirects=False).status_code
        assert status not in (404, 405), f"{field} {path} answers {status}"


def test_the_jwks_holds_a_key_for_each_advertised_algorithm(client: TestClient) -> None:
    algs = {key["alg"] for key in client.get("/jwks").json()["keys"]}
    assert set(client.get("/.well-known/openid-configuration").json()["id_token_signing_alg_values_supported"]) <= algs


def test_the_document_is_cacheable_and_revalidates(client: TestClient) -> None:
    first = client.get("/.well-known/openid-configuration")
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    again = client.get("/.well-known/openid-configuration", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
