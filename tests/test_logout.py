"""RP-Initiated Logout 1.0 through HTTP: the hint, the redirect, the confirmation page, and what logging out ends.

What the OpenID Foundation's RP-Initiated Logout OP plan checks is here: a valid ID token hint and a registered
``post_logout_redirect_uri`` redirect with ``state``; a forged, unsigned or mismatching hint, or a URI not registered
exactly, never redirects; the session ends (``prompt=none`` answers ``login_required``).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select

from idp.models import AuditEvent, BrowserSession
from idp.db import Database
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.rp import RelyingParty, forms_of

LOGGED_OUT = "https://rp.example/logged-out"


def _logged_in(rp: RelyingParty, user: Any) -> dict[str, Any]:
    return rp.code_flow(user.username, PASSWORD)


def _is_logged_in(rp: RelyingParty) -> bool:
    """A new authorization request with prompt=none gives a code only to a live session (OIDC Core §3.1.2.6)."""
    request = rp.authorization_request(prompt="none")
    callback = rp.follow(rp.start(request))
    assert not hasattr(callback, "status_code"), "prompt=none must answer the client"
    if callback.params.get("error") == "login_required":  # type: ignore[union-attr]
        return False
    assert "code" in callback.params, callback.params  # type: ignore[union-attr]
    return True


def _logout(rp: RelyingParty, method: str = "GET", **params: str) -> Any:
    if method == "GET":
        return rp.http.get("/logout?" + urlencode(params), follow_redirects=False)
    return rp.http.post("/logout", data=params, follow_redirects=False)


def _events(db: Database, name: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def _confirmation_form(page: Any) -> dict[str, Any]:
    assert page.status_code == 200, page.text
    assert "Voulez-vous vous déconnecter de ViaTrajectoire ?" in page.text
    [form] = [f for f in forms_of(page.text) if f["action"] == "/logout/confirm"]
    assert form["method"] == "post" and form["fields"]["csrf_token"]
    return form


def _signed_by_us(client: TestClient, claims: dict[str, Any], **header: str) -> str:
    kid, key = client.app.state.keyring.signing_key("RS256")  # type: ignore[attr-defined]
    return jwt.encode({"alg": "RS256", "kid": kid, **header}, claims, key, algorithms=["RS256"])


# -- the certification plan's happy path


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_valid_hint_and_registered_uri_log_out_and_redirect_with_state(rp: RelyingParty, user: Any, db: Database,
                                                                       method: str) -> None:
    tokens = _logged_in(rp, user)
    response = _logout(rp, method, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT,
                       state="s-123 é")
    assert response.status_code in (302, 303)
    assert response.headers["location"] == LOGGED_OUT + "?state=s-123+%C3%A9"
    assert response.headers["cache-control"] == "no-store"
    assert 'idp_session=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    assert not _is_logged_in(rp)
    refreshed = rp.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    [event] = _events(db, "logout")
    assert (event.account_id, event.client_id) == (user.id, rp.client_id)
    assert event.details["sid"] == tokens["id_claims"]["sid"] and event.details["confirmed"] is False


def test_without_state_the_redirect_carries_none(rp: RelyingParty, user: Any) -> None:
    tokens = _logged_in(rp, user)
    response = _logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT)
    assert response.headers["location"] == LOGGED_OUT


def test_a_hint_without_redirect_uri_logs_out_and_shows_the_done_page(rp: RelyingParty, user: Any) -> None:
    tokens = _logged_in(rp, user)
    page = _logout(rp, id_token_hint=tokens["id_token"], state="ignored")
    assert page.status_code == 200 and "Vous êtes déconnecté." in page.text and "location" not in page.headers
    assert not _is_logged_in(rp)


def test_a_cross_site_post_without_the_cookie_ends_the_session_the_hint_names(rp: RelyingParty, user: Any) -> None:
    """A SameSite=Lax cookie is not sent with a cross-site POST; the hint's sid still names the session (§2)."""
    tokens = _logged_in(rp, user)
    cookie = rp.http.cookies.get("idp_session")
    rp.http.cookies.delete("idp_session")
    response = _logout(rp, "POST", id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="x")
    assert response.headers["location"] == LOGGED_OUT + "?state=x"
    rp.http.cookies.set("idp_session", cookie or "", domain="idp.test")
    assert not _is_logged_in(rp)


def test_an_expired_hint_is_still_a_good_hint(rp: RelyingParty, user: Any) -> None:
    """§2: "The OP SHOULD accept ID Tokens ... even when the exp time has passed"."""
    tokens = _logged_in(rp, user)
    claims = {k: v for k, v in tokens["id_claims"].items()}
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    response = _logout(rp, id_token_hint=_signed_by_us(rp.http, claims), post_logout_redirect_uri=LOGGED_OUT)
    assert response.headers["location"] == LOGGED_OUT
    assert not _is_logged_in(rp)


# -- no redirect, ever, when the request cannot be trusted


def _forged(tokens: dict[str, Any], client: TestClient) -> str:
    """The real ID token's header and claims, signed by a key we do not have (same kid)."""
    keys = client.app.state.keyring.verification_keys()  # type: ignore[attr-defined]
    header = jwt.decode(tokens["id_token"], keys).header
    return jwt.encode(header, tokens["id_claims"], RSAKey.generate_key(2048), algorithms=["RS256"])


def _unsigned(tokens: dict[str, Any], client: TestClient) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return part({"alg": "none", "typ": "JWT"}) + "." + part(tokens["id_claims"]) + "."


def _hmac(tokens: dict[str, Any], client: TestClient) -> str:
    return jwt.encode({"alg": "HS256"}, tokens["id_claims"], OctKey.import_key(CLIENT_SECRET), algorithms=["HS256"])


def _wrong_issuer(tokens: dict[str, Any], client: TestClient) -> str:
    return _signed_by_us(client, {**tokens["id_claims"], "iss": "https://evil.example"})


def _access_token(tokens: dict[str, Any], client: TestClient) -> str:
    return tokens["access_token"]  # signed by us, but at+jwt: not an ID token


def _tampered(tokens: dict[str, Any], client: TestClient) -> str:
    header, payload, signature = tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("make_hint", [_forged, _unsigned, _hmac, _wrong_issuer, _access_token, _tampered],
                         ids=["foreign-key", "alg-none", "hs256", "wrong-iss", "access-token", "tampered"])
def test_a_hint_we_did_not_issue_never_redirects(rp: RelyingParty, user: Any, db: Database, make_hint: Any) -> None:
    tokens = _logged_in(rp, user)
    page = _logout(rp, id_token_hint=make_hint(tokens, rp.http), post_logout_redirect_uri=LOGGED_OUT, state="s")
    form = _confirmation_form(page)
    assert "location" not in page.headers and 'role="alert"' in page.text and "pas pu être vérifiée" in page.text
    assert set(form["fields"]) == {"csrf_token"}, "an untrusted request is not carried to the confirmation"
    assert _is_logged_in(rp), "a forged hint logs nobody out by itself"
    done = rp.http.post("/logout/confirm", data=form["fields"], follow_redirects=False)
    assert done.status_code == 200 and "Vous êtes déconnecté." in done.text and "location" not in done.headers
    assert not _is_logged_in(rp)
    assert _events(db, "logout.request.invalid")[0].details == {"problem": "invalid_id_token_hint"}


@pytest.mark.parametrize("uri", [LOGGED_OUT + "?x=1", LOGGED_OUT + "/", "https://evil.example/logged-out",
                                 "https://RP.example/logged-out"])
def test_a_uri_not_registered_exactly_is_not_redirected_to(rp: RelyingParty, user: Any, uri: str) -> None:
    tokens = _logged_in(rp, user)
    page = _logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri, state="s")
    _confirmation_form(page)
    assert "location" not in page.headers and "est pas enregistrée" in page.text


def test_a_hint_of_another_client_does_not_redirect_to_the_client_id_given(rp: RelyingParty, user: Any,
                                                                           db: Database, settings: Any) -> None:
    make_client(db, settings, client_id="rp-other", redirect_uris=["https://other.example/cb"],
                post_logout_redirect_uris=["https://other.example/bye"])
    tokens = _logged_in(rp, user)
    page = _logout(rp, id_token_hint=tokens["id_token"], client_id="rp-other",
                   post_logout_redirect_uri="https://other.example/bye")
    _confirmation_form(page)
    assert "location" not in page.headers
    assert _events(db, "logout.request.invalid")[0].details == {"problem": "client_id_mismatch"}


def test_a_hint_with_its_own_client_id_redirects(rp: RelyingParty, user: Any) -> None:
    tokens = _logged_in(rp, user)
    response = _logout(rp, id_token_hint=tokens["id_token"], client_id=rp.client_id,
                       post_logout_redirect_uri=LOGGED_OUT)
    assert response.headers["location"] == LOGGED_OUT


def test_a_repeated_parameter_is_not_trusted(rp: RelyingParty, user: Any) -> None:
    tokens = _logged_in(rp, user)
    query = urlencode([("id_token_hint", tokens["id_token"]), ("post_logout_redirect_uri", LOGGED_OUT),
                       ("post_logout_redirect_uri", "https://evil.example/")])
    page = rp.http.get("/logout?" + query, follow_redirects=False)
    _confirmation_form(page)
    assert "location" not in page.headers


def test_a_bad_request_without_a_session_gets_an_error_page(rp: RelyingParty, user: Any) -> None:
    tokens = _logged_in(rp, user)
    rp.http.cookies.clear()
    page = _logout(rp, id_token_hint=_forged(tokens, rp.http), post_logout_redirect_uri=LOGGED_OUT)
    assert page.status_code == 400 and "location" not in page.headers
    assert "Demande de déconnexion invalide" in page.text and 'role="alert"' in page.text


# -- the confirmation page


def test_without_a_hint_the_person_confirms_and_is_logged_out(rp: RelyingParty, user: Any, db: Database) -> None:
    _logged_in(rp, user)
    page = _logout(rp)
    form = _confirmation_form(page)
    assert "<h1>Déconnexion</h1>" in page.text and ">Se déconnecter</button>" in page.text
    assert _is_logged_in(rp), "nothing happens before the person confirms"
    done = rp.http.post("/logout/confirm", data=form["fields"], follow_redirects=False)
    assert done.status_code == 200 and "Vous êtes déconnecté." in done.text
    assert 'idp_session=""' in done.headers["set-cookie"]
    assert not _is_logged_in(rp)
    [event] = _events(db, "logout")
    assert event.account_id == user.id and event.details["confirmed"] is True


def test_the_confirmation_without_its_csrf_token_is_refused(rp: RelyingParty, user: Any) -> None:
    _logged_in(rp, user)
    form = _confirmation_form(_logout(rp))
    for fields in ({}, {**form["fields"], "csrf_token": "forged"}):
        refused = rp.http.post("/logout/confirm", data=fields, follow_redirects=False)
        assert refused.status_code == 403 and "Formulaire expiré" in refused.text
    assert _is_logged_in(rp)


def test_client_id_and_a_registered_uri_redirect_after_the_confirmation(rp: RelyingParty, user: Any) -> None:
    _logged_in(rp, user)
    page = _logout(rp, client_id=rp.client_id, post_logout_redirect_uri=LOGGED_OUT, state="st")
    form = _confirmation_form(page)
    assert "RP de test" in page.text, "the page says where the person will be sent"
    response = rp.http.post("/logout/confirm", data=form["fields"], follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == LOGGED_OUT + "?state=st"
    assert not _is_logged_in(rp)


def test_client_id_without_a_hint_or_a_session_does_not_redirect(rp: RelyingParty) -> None:
    """§3: without a hint only the person's confirmation makes the target legitimate; without a session, none."""
    page = _logout(rp, client_id=rp.client_id, post_logout_redirect_uri=LOGGED_OUT, state="st")
    assert page.status_code == 200 and "location" not in page.headers and "Vous êtes déconnecté." in page.text


def test_a_uri_without_any_client_is_never_redirected_to(rp: RelyingParty, user: Any) -> None:
    _logged_in(rp, user)
    page = _logout(rp, post_logout_redirect_uri=LOGGED_OUT, state="st")
    form = _confirmation_form(page)
    done = rp.http.post("/logout/confirm", data=form["fields"], follow_redirects=False)
    assert done.status_code == 200 and "location" not in done.headers


def test_a_hint_of_someone_else_asks_first(rp: RelyingParty, user: Any, db: Database, settings: Any) -> None:
    tokens = _logged_in(rp, user)
    other = make_user(db, settings, "other_user")
    request = rp.authorization_request(prompt="login")
    rp.login(request, other.username or "", PASSWORD)  # this browser now holds the other person's session
    page = _logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="s")
    form = _confirmation_form(page)
    assert "other_user" in page.text and 'role="alert"' not in page.text
    response = rp.http.post("/logout/confirm", data=form["fields"], follow_redirects=False)
    assert response.headers["location"] == LOGGED_OUT + "?state=s", "the hint is genuine: redirect once confirmed"
    assert not _is_logged_in(rp)


def test_a_hint_of_an_earlier_session_asks_first(rp: RelyingParty, user: Any) -> None:
    old = _logged_in(rp, user)
    _logout(rp, id_token_hint=old["id_token"])
    _logged_in(rp, user)  # a new session, a new sid
    form = _confirmation_form(_logout(rp, id_token_hint=old["id_token"], post_logout_redirect_uri=LOGGED_OUT))
    assert form["fields"]["id_token_hint"] == old["id_token"]


# -- idempotence and pages


def test_logging_out_without_a_session_is_not_an_error(rp: RelyingParty, user: Any, db: Database) -> None:
    page = _logout(rp)
    assert page.status_code == 200 and "Vous êtes déconnecté." in page.text
    tokens = _logged_in(rp, user)
    first = _logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="1")
    again = _logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="2")
    assert first.headers["location"] == LOGGED_OUT + "?state=1"
    assert again.headers["location"] == LOGGED_OUT + "?state=2"
    assert len(_events(db, "logout")) == 1
    with db.session() as session:
        [row] = session.scalars(select(BrowserSession).where(BrowserSession.account_id == user.id))
        assert row.ended_at is not None


@pytest.mark.parametrize("page_of", ["confirm", "done"])
def test_the_pages_are_french_accessible_and_script_free(rp: RelyingParty, user: Any, page_of: str) -> None:
    if page_of == "confirm":
        _logged_in(rp, user)
    page = _logout(rp)
    html = page.text
    assert '<html lang="fr">' in html and "<title>Déconnexion — ViaTrajectoire</title>" in html
    assert not any(attr in html for attr in (" onclick=", " onload=", " onsubmit=", "javascript:"))
    assert "<script" not in html
    csp = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    assert page.headers["cache-control"] == "no-store"
    if page_of == "confirm":
        assert '<button type="submit"' in html and ">Se déconnecter</button>" in html
    else:
        assert 'role="status">Vous êtes déconnecté.</p>' in html


def test_the_redirect_keeps_the_query_of_the_registered_uri(client: TestClient, db: Database, settings: Any,
                                                            user: Any) -> None:
    uri = "https://rp.example/logged-out?tenant=a"
    make_client(db, settings, client_id="rp-query", post_logout_redirect_uris=[uri])
    rp = RelyingParty(client, settings.issuer, "rp-query", REDIRECT_URI, client_secret=CLIENT_SECRET)
    tokens = _logged_in(rp, user)
    response = _logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri, state="s")
    assert response.headers["location"] == uri + "&state=s"


def test_discovery_names_this_endpoint_and_back_channel_support(rp: RelyingParty) -> None:
    document = rp.discovery()
    assert document["end_session_endpoint"] == rp.issuer + "/logout"
    assert document["backchannel_logout_supported"] is True and document["backchannel_logout_session_supported"] is True
    assert rp.http.get("/logout").status_code == 200 and rp.http.post("/logout").status_code == 200
