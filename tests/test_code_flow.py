"""The whole authorization code flow, as a strict relying party sees it (OIDC Core §3.1, Basic/Form Post plans)."""

from __future__ import annotations

import pytest

from idp.authn.levels import ACR_WEAK
from idp.db import Database
from idp.settings import Settings
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI, make_client
from tests.support.rp import RelyingParty, half_hash


def test_code_flow_with_a_strictly_valid_id_token(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    tokens = rp.code_flow("john_wick", PASSWORD)
    claims = tokens["id_claims"]
    assert claims["sub"] == str(user.id)
    assert claims["acr"] == ACR_WEAK and claims["amr"] == ["pwd"]
    assert claims["aud"] == rp.client_id or rp.client_id in claims["aud"]
    info = rp.http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_id_tokens_are_signed_with_the_client_s_algorithm(client, settings: Settings, db: Database, user, alg: str) -> None:  # type: ignore[no-untyped-def]
    make_client(db, settings, client_id=f"rp-{alg}", id_token_signed_response_alg=alg)
    rp = RelyingParty(client, settings.issuer, f"rp-{alg}", REDIRECT_URI, client_secret=CLIENT_SECRET, id_token_alg=alg)
    tokens = rp.code_flow("john_wick", PASSWORD)
    assert tokens["id_claims"]["at_hash"] == half_hash(tokens["access_token"], alg)


def test_form_post_response_mode_end_to_end(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    request = rp.authorization_request(response_mode="form_post")
    callback = rp.login(request, "john_wick", PASSWORD)
    assert callback.url == REDIRECT_URI  # posted, not in the URL
    code = rp.validate_callback(callback, request)
    response = rp.exchange(code, request)
    assert response.status_code == 200
    rp.validate_id_token(response.json()["id_token"], nonce=request.nonce, access_token=response.json()["access_token"])


def test_a_public_client_must_use_pkce_s256(client, settings: Settings, db: Database, user) -> None:  # type: ignore[no-untyped-def]
    make_client(db, settings, client_id="rp-public", token_endpoint_auth_method="none",
                redirect_uris=["http://127.0.0.1:8765/cb"])
    rp = RelyingParty(client, settings.issuer, "rp-public", "http://127.0.0.1:8765/cb")
    for params in ({"pkce": False}, {"code_challenge_method": "plain"}):
        request = rp.authorization_request(**params)
        location = rp.start(request).headers["location"]
        assert "error=invalid_request" in location and f"state={request.state}" in location
    tokens = rp.code_flow("john_wick", PASSWORD)
    assert tokens["id_claims"]["aud"] in ("rp-public", ["rp-public"])


def test_the_code_and_the_verifier_belong_together(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    request = rp.authorization_request()
    code = rp.validate_callback(rp.login(request, "john_wick", PASSWORD), request)
    wrong = rp.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier="x" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_id_token_hint_for_someone_else_asks_to_log_in(rp: RelyingParty, settings: Settings, db: Database, user) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import make_user

    make_user(db, settings, "jane_doe")
    jane = rp.code_flow("jane_doe", PASSWORD)["id_token"]  # the browser now holds Jane's session
    john = RelyingParty(rp.http, rp.issuer, rp.client_id, rp.redirect_uri, client_secret=CLIENT_SECRET)
    rp.http.cookies.clear()
    john_token = john.code_flow("john_wick", PASSWORD)["id_token"]
    # John's session, Jane's hint: prompt=none cannot answer, an ordinary request asks to log in.
    refused = rp.start(rp.authorization_request(prompt="none", id_token_hint=jane))
    assert "error=login_required" in refused.headers["location"]
    asked = rp.start(rp.authorization_request(id_token_hint=jane))
    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?uid=")
    # John's own hint passes silently.
    request = rp.authorization_request(prompt="none", id_token_hint=john_token)
    assert rp.validate_callback(rp.follow(rp.start(request)), request)


def test_sso_across_clients_keeps_one_session(client, settings: Settings, db: Database, rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    make_client(db, settings, client_id="rp-other")
    first = rp.code_flow("john_wick", PASSWORD)["id_claims"]
    other = RelyingParty(client, settings.issuer, "rp-other", REDIRECT_URI, client_secret=CLIENT_SECRET)
    request = other.authorization_request(prompt="none")
    code = other.validate_callback(other.follow(other.start(request)), request)
    second = other.validate_id_token(other.exchange(code, request).json()["id_token"], nonce=request.nonce)
    assert second["sid"] == first["sid"] and second["auth_time"] == first["auth_time"]


def test_unknown_and_display_parameters_are_ignored_and_nonce_is_optional(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    # OIDC Core §3.1.2.1: unrecognised parameters are ignored; display, ui_locales, claims_locales are hints; the
    # code flow does not require a nonce (Basic OP plan: request-with-unknown-parameter, display-page, ui_locales).
    request = rp.authorization_request(extra_param="bobcat", display="page", ui_locales="se", claims_locales="se",
                                       nonce=None)  # type: ignore[arg-type]
    code = rp.validate_callback(rp.login(request, "john_wick", PASSWORD), request)
    response = rp.exchange(code, request)
    assert response.status_code == 200
    claims = rp.validate_id_token(response.json()["id_token"], nonce=None, access_token=response.json()["access_token"])
    assert "nonce" not in claims
