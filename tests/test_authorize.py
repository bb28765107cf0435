"""The authorization endpoint: what a relying party and a person meet before any code is issued.

OIDC Core §3.1.2, RFC 6749 §4.1.2.1 (never redirect to an unverified URI), RFC 9207 (iss in every response),
OAuth 2.0 Form Post Response Mode, and the login policy (interaction checks).
"""

from __future__ import annotations

import html
import json
from urllib.parse import parse_qs, urlsplit

import httpx

import pytest
from sqlalchemy import select

from idp.authn.levels import ACR_CARD, ACR_OTP, ACR_WEAK
from idp.db import Database
from idp.models import AuditEvent
from tests.support.factories import PASSWORD, REDIRECT_URI
from tests.support.rp import RelyingParty, forms_of


def _error_of(rp: RelyingParty, response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# -- nothing is redirected until the client and its redirect URI are trusted ------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "nobody"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": REDIRECT_URI + "/extra"},
        {"redirect_uri": REDIRECT_URI.upper()},
        {"redirect_uri": None},
    ],
    ids=["unknown-client", "no-client", "foreign-uri", "prefix-match", "case-changed", "no-redirect-uri"],
)
def test_untrusted_client_or_redirect_uri_gets_a_french_page_and_no_redirect(rp: RelyingParty, params: dict) -> None:
    request = rp.authorization_request(**params)
    response = rp.start(request)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Demande de connexion invalide" in response.text
    assert "evil.example" not in response.text


def test_a_second_redirect_uri_parameter_is_refused_without_redirect(rp: RelyingParty) -> None:
    request = rp.authorization_request()
    response = rp.http.get("/authorize?" + request.query + "&redirect_uri=https%3A%2F%2Fevil.example%2F", follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


# -- errors delivered to the client, with state and iss ----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "bogus"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": json.dumps({"id_token": {"acr": 3}})}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://rp.example/request.jwt"}, "request_uri_not_supported"),
        ({"registration": "{}"}, "registration_not_supported"),
        ({"id_token_hint": "not-a-jwt"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_errors_go_back_to_the_client_with_state_and_iss(rp: RelyingParty, params: dict, error: str) -> None:
    request = rp.authorization_request(**params)
    answer = _error_of(rp, rp.start(request))
    assert answer["error"] == error
    assert answer["state"] == request.state
    assert answer["iss"] == rp.issuer


def test_error_keeps_the_query_of_the_registered_redirect_uri(client, settings, db: Database) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import make_client

    uri = "https://rp.example/cb?tenant=42"
    make_client(db, settings, client_id="rp-query", redirect_uris=[uri])
    rp = RelyingParty(client, settings.issuer, "rp-query", uri)
    response = rp.start(rp.authorization_request(prompt="none"))
    assert response.headers["location"].startswith(uri + "&error=login_required")


def test_form_post_delivers_the_error_in_an_auto_submitting_form(rp: RelyingParty) -> None:
    request = rp.authorization_request(prompt="none", response_mode="form_post")
    response = rp.start(request)
    assert response.status_code == 200
    [form] = forms_of(response.text)
    assert form["action"] == REDIRECT_URI and form["method"] == "post"
    fields = {k: v for k, v in form["fields"].items() if k != "error_description"}
    assert fields == {"error": "login_required", "state": request.state, "iss": rp.issuer}
    csp = response.headers["content-security-policy"]
    assert "form-action 'self' https://rp.example;" in csp and "'unsafe-inline'" not in csp
    assert '<script src="/static/form_post.js"></script>' in response.text


# -- the login page -----------------------------------------------------------------------------------------------


def test_without_a_session_the_browser_goes_to_the_login_page(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    response = rp.start(rp.authorization_request(login_hint="john_wick"))
    assert response.status_code == 303 and response.headers["location"].startswith("/login?uid=")
    assert "idp_interaction=" in response.headers["set-cookie"]
    page = rp.http.get(response.headers["location"])
    assert page.status_code == 200
    for text in ("Espace professionnel", "Nom d'utilisateur", "Mot de passe", "Se connecter", "Mot de passe oublié ?",
                 "Comment obtenir un compte ViaTrajectoire ?"):
        assert text in page.text
    assert '<label for="username">' in page.text and '<label for="password">' in page.text
    [form] = forms_of(page.text)
    assert form["fields"]["csrf_token"] and form["fields"]["username"] == "john_wick"  # login_hint prefills
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize("login", ["john_wick", "nobody_here"], ids=["wrong-password", "unknown-user"])
def test_a_failed_login_says_the_same_whatever_was_wrong(rp: RelyingParty, user, db: Database, login: str) -> None:  # type: ignore[no-untyped-def]
    page = rp.follow(rp.start(rp.authorization_request()))
    response = rp.submit_login(page, login, "Wrong-Password-123!")
    assert response.status_code == 401
    assert "Nom d'utilisateur ou mot de passe incorrect." in html.unescape(response.text)
    assert 'role="alert"' in response.text
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.event == "login.password.failed")).all()
    assert len(events) == 1 and events[0].outcome == "failure" and events[0].client_id == rp.client_id
    # The trail (not the page) names the account when there is one, so its owner's history shows the attempt.
    assert events[0].account_id == (user.id if login == "john_wick" else None)


def test_login_without_the_csrf_token_is_refused(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    page = rp.follow(rp.start(rp.authorization_request()))
    [form] = forms_of(page.text)
    fields = {**form["fields"], "username": "john_wick", "password": PASSWORD, "csrf_token": "forged"}
    response = rp.http.post("/login", data=fields, follow_redirects=False)
    assert response.status_code == 403 and "Formulaire expiré" in response.text
    assert "idp_session" not in response.headers.get("set-cookie", "")


def test_an_interaction_opened_in_another_browser_cannot_be_used(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    location = rp.start(rp.authorization_request()).headers["location"]
    rp.http.cookies.clear()
    page = rp.http.get(location)
    assert page.status_code == 400 and "Demande de connexion expirée" in page.text


def test_a_successful_login_resumes_the_authorization_and_audits_it(rp: RelyingParty, user, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = rp.follow(rp.start(rp.authorization_request()))
    response = rp.submit_login(page, "John_Wick", PASSWORD)  # usernames are case-insensitive
    assert response.status_code == 303 and response.headers["location"].startswith("/authorize/resume?uid=")
    cookie = response.headers["set-cookie"]
    assert "idp_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    with db.session() as session:
        password = session.scalars(select(AuditEvent).where(AuditEvent.event == "login.password.succeeded")).one()
        succeeded = session.scalars(select(AuditEvent).where(AuditEvent.event == "login.succeeded")).one()
    assert password.account_id == user.id
    assert succeeded.account_id == user.id and succeeded.details == {"method": "password", "acr": ACR_WEAK}


# -- the policy once logged in -------------------------------------------------------------------------------------


def _logged_in(rp: RelyingParty) -> None:
    callback = rp.login(rp.authorization_request(), "john_wick", PASSWORD)
    assert "code" in callback.params, callback.params


def test_a_session_gives_a_code_without_asking_again(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    _logged_in(rp)
    request = rp.authorization_request(prompt="none")
    callback = rp.follow(rp.start(request))
    assert rp.validate_callback(callback, request)


@pytest.mark.parametrize("params", [{"prompt": "login"}, {"max_age": "0"}], ids=["prompt-login", "max-age-0"])
def test_prompt_login_and_max_age_zero_ask_again(rp: RelyingParty, user, params: dict) -> None:  # type: ignore[no-untyped-def]
    _logged_in(rp)
    request = rp.authorization_request(**params)
    response = rp.start(request)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?uid=")
    callback = rp.follow(rp.submit_login(rp.follow(response), "john_wick", PASSWORD))
    assert rp.validate_callback(callback, request)


def test_a_generous_max_age_does_not_ask_again(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    _logged_in(rp)
    request = rp.authorization_request(max_age="3600")
    assert rp.validate_callback(rp.follow(rp.start(request)), request)


def test_prompt_none_with_max_age_exceeded_answers_login_required(rp: RelyingParty, user, db: Database) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from idp.models import BrowserSession

    _logged_in(rp)
    with db.session() as session:
        for row in session.scalars(select(BrowserSession)):
            row.auth_time = row.auth_time - timedelta(seconds=120)
    answer = _error_of(rp, rp.start(rp.authorization_request(prompt="none", max_age="60")))
    assert answer["error"] == "login_required"


def test_a_voluntary_acr_that_cannot_be_reached_still_logs_in(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    request = rp.authorization_request(acr_values=ACR_CARD)
    assert rp.validate_callback(rp.login(request, "john_wick", PASSWORD), request)


@pytest.mark.parametrize("how", ["voluntary", "essential"])
def test_an_otp_acr_is_stepped_up_to_the_code_page(rp: RelyingParty, user, how: str) -> None:  # type: ignore[no-untyped-def]
    # Codes are optional in these settings (conftest), but a request asking for acr otp still gets one.
    extra = ({"acr_values": ACR_OTP} if how == "voluntary"
             else {"claims": json.dumps({"id_token": {"acr": {"essential": True, "values": [ACR_OTP]}}})})
    page = rp.follow(rp.start(rp.authorization_request(**extra)))
    assert isinstance(page, httpx.Response) and page.status_code == 200
    after_password = rp.submit_login(page, "john_wick", PASSWORD)
    assert after_password.status_code == 303 and after_password.headers["location"].startswith("/login/otp?uid=")


@pytest.mark.parametrize("acr", [ACR_CARD, "urn:unknown:acr"])
def test_an_essential_acr_that_cannot_be_reached_answers_unmet_authentication_requirements(rp: RelyingParty, user, acr: str) -> None:  # type: ignore[no-untyped-def]
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": [acr]}}})
    request = rp.authorization_request(claims=claims)
    answer = _error_of(rp, rp.start(request))
    assert answer["error"] == "unmet_authentication_requirements" and answer["state"] == request.state


def test_an_essential_weak_acr_is_met_by_a_password(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": [ACR_WEAK, ACR_OTP]}}})
    request = rp.authorization_request(claims=claims)
    assert rp.validate_callback(rp.login(request, "john_wick", PASSWORD), request)


def test_a_client_minimum_acr_applies_to_every_request(client, settings, db: Database, user) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import CLIENT_SECRET, make_client

    make_client(db, settings, client_id="rp-strict", minimum_acr=ACR_OTP)
    strict = RelyingParty(client, settings.issuer, "rp-strict", REDIRECT_URI, client_secret=CLIENT_SECRET)
    page = strict.follow(strict.start(strict.authorization_request()))
    assert isinstance(page, httpx.Response) and page.status_code == 200  # the login page, then the code
    assert strict.submit_login(page, "john_wick", PASSWORD).headers["location"].startswith("/login/otp?uid=")


def test_an_interaction_serves_one_answer_only(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    page = rp.follow(rp.start(rp.authorization_request()))
    resume = rp.submit_login(page, "john_wick", PASSWORD).headers["location"]
    first = rp.http.get(resume, follow_redirects=False)
    assert first.status_code == 302 and "code=" in first.headers["location"]
    again = rp.http.get(resume, follow_redirects=False)
    assert again.status_code == 400 and "location" not in again.headers


def test_unknown_scopes_are_left_out_not_refused(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    request = rp.authorization_request(scope="openid profile wishful_thinking")
    assert rp.validate_callback(rp.login(request, "john_wick", PASSWORD), request)


def test_the_login_form_may_lead_to_the_client_and_nowhere_else(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    # Browsers apply form-action to the redirects after a form post (CSP 3): the login form ends, after
    # /authorize/resume, at the client's redirect URI, so exactly that origin is allowed (found by Chromium).
    page = rp.follow(rp.start(rp.authorization_request()))
    csp = page.headers["content-security-policy"]
    assert "form-action 'self' https://rp.example;" in csp
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    error = rp.http.get("/login?uid=unknown")
    assert "form-action 'self';" in error.headers["content-security-policy"]
