"""A strict test relying party: runs the code flow over HTTP like a browser plus a back-end would, and validates
ID tokens the way OIDC Core §3.1.3.7 tells a client to (signature against the JWKS, iss, aud, azp, exp, iat,
nonce, at_hash, auth_time, acr, sid).

It drives any ``httpx.Client``: the in-process ``TestClient`` or a client of a real ``idp serve``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

CLOCK_SKEW = 60


@dataclass
class AuthorizationRequest:
    params: dict[str, str]
    state: str
    nonce: str
    verifier: str

    @property
    def query(self) -> str:
        return urlencode(self.params)


@dataclass
class Callback:
    """What reached the redirect URI (query or form_post)."""

    url: str
    params: dict[str, str]


class _Forms(HTMLParser):
    """The forms of a page: action, method and every input's name and value."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def forms_of(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def half_hash(value: str, alg: str) -> str:
    """at_hash / c_hash (OIDC Core §3.1.3.6): left half of the SHA-2 hash matching the signing algorithm."""
    digest = hashlib.sha256(value.encode()).digest()  # RS256 and ES256 both use SHA-256
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


@dataclass
class RelyingParty:
    http: httpx.Client
    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str | None = None
    id_token_alg: str = "RS256"
    seen_nonces: set[str] = field(default_factory=set)

    # -- discovery and keys
    def discovery(self) -> dict[str, Any]:
        response = self.http.get("/.well-known/openid-configuration")
        response.raise_for_status()
        return response.json()

    def jwks(self) -> KeySet:
        response = self.http.get("/jwks")
        response.raise_for_status()
        return KeySet.import_key_set(response.json())

    # -- the front channel
    def authorization_request(self, *, scope: str = "openid profile email", pkce: bool = True, **extra: str) -> AuthorizationRequest:
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        verifier, challenge = pkce_pair()
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "scope": scope, "state": state, "nonce": nonce}
        if pkce:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params.update(extra)
        params = {k: v for k, v in params.items() if v is not None}
        return AuthorizationRequest(params, state, nonce, verifier)

    def start(self, request: AuthorizationRequest) -> httpx.Response:
        return self.http.get("/authorize?" + request.query, follow_redirects=False)

    def follow(self, response: httpx.Response, *, limit: int = 10) -> httpx.Response | Callback:
        """Follow redirects inside the OP; stop at the client's redirect URI (query or form_post) or at a page."""
        for _ in range(limit):
            callback = self._callback(response)
            if callback is not None:
                return callback
            if response.status_code not in (301, 302, 303, 307):
                return response
            response = self.http.get(response.headers["location"], follow_redirects=False)
        raise AssertionError("too many redirects")

    def _callback(self, response: httpx.Response) -> Callback | None:
        location = response.headers.get("location", "")
        if response.status_code in (302, 303) and location.startswith(self.redirect_uri):
            return Callback(location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})
        if response.status_code == 200 and "form-post" in response.text:
            [form] = [f for f in forms_of(response.text) if f["action"].startswith(self.redirect_uri)]
            return Callback(form["action"], form["fields"])
        return None

    def submit_login(self, page: httpx.Response, username: str, password: str) -> httpx.Response:
        assert page.status_code == 200, page.text
        [form] = [f for f in forms_of(page.text) if f["action"] == "/login"]
        fields = {**form["fields"], "username": username, "password": password}
        return self.http.post("/login", data=fields, follow_redirects=False)

    def submit_form(self, page: httpx.Response, action: str, **fields: str) -> httpx.Response:
        """Submit the page's form posting to ``action`` (hidden fields such as uid and csrf_token kept)."""
        assert page.status_code in (200, 400), page.text
        [form] = [f for f in forms_of(page.text) if f["action"] == action]
        return self.http.post(action, data={**form["fields"], **fields}, follow_redirects=False)

    def login(self, request: AuthorizationRequest, username: str, password: str, *,
              code_reader: Callable[[], str] | None = None, accept_terms: bool = False) -> Callback:
        """The whole front channel: /authorize, the login page if asked, back to the client.

        ``code_reader`` answers the confirmation code page (it returns the code the person received, e.g. from the
        test's SMTP server); ``accept_terms`` ticks and submits the terms of use page.
        """
        outcome = self.follow(self.start(request))
        later_step = isinstance(outcome, httpx.Response) and any(
            f["action"] in ("/login/otp", "/login/terms") for f in forms_of(outcome.text))
        if isinstance(outcome, httpx.Response) and not later_step:
            outcome = self.follow(self.submit_login(outcome, username, password))
        for _ in range(3):  # the later steps, in whatever order the OP asks for them
            if not isinstance(outcome, httpx.Response):
                break
            actions = {f["action"] for f in forms_of(outcome.text)}
            if code_reader is not None and "/login/otp" in actions:
                outcome = self.follow(self.submit_form(outcome, "/login/otp", code=code_reader()))
            elif accept_terms and "/login/terms" in actions:
                outcome = self.follow(self.submit_form(outcome, "/login/terms", accept="yes"))
            else:
                break
        assert isinstance(outcome, Callback), f"no callback: {outcome.status_code} {outcome.text[:500]}"
        return outcome

    # -- the back channel
    def token(self, **form: str) -> httpx.Response:
        auth = (self.client_id, self.client_secret) if self.client_secret else None
        if auth is None:
            form.setdefault("client_id", self.client_id)
        return self.http.post("/token", data=form, auth=auth)

    def exchange(self, code: str, request: AuthorizationRequest) -> httpx.Response:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=self.redirect_uri,
                          code_verifier=request.verifier)

    def validate_callback(self, callback: Callback, request: AuthorizationRequest) -> str:
        assert callback.params.get("state") == request.state, "state not echoed"
        assert callback.params.get("iss") == self.issuer, "RFC 9207 iss missing or wrong"
        assert "error" not in callback.params, callback.params
        return callback.params["code"]

    def validate_id_token(self, id_token: str, *, nonce: str | None, access_token: str | None = None,
                          max_age: int | None = None, acr: str | None = None) -> dict[str, Any]:
        header = jwt.decode(id_token, self.jwks(), algorithms=["RS256", "ES256"])
        claims = header.claims
        assert header.header["alg"] == self.id_token_alg, header.header
        assert header.header.get("kid"), "kid missing"
        now = time.time()
        assert claims["iss"] == self.issuer
        aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert self.client_id in aud
        if len(aud) > 1:
            assert claims.get("azp") == self.client_id
        assert claims["exp"] > now - CLOCK_SKEW
        assert claims["iat"] <= now + CLOCK_SKEW
        assert isinstance(claims["sub"], str) and claims["sub"]
        if nonce is not None:
            assert claims.get("nonce") == nonce, "nonce mismatch"
            assert nonce not in self.seen_nonces, "nonce replayed"
            self.seen_nonces.add(nonce)
        if access_token is not None:
            assert claims.get("at_hash") == half_hash(access_token, header.header["alg"]), "at_hash mismatch"
        assert isinstance(claims.get("auth_time"), int) and claims["auth_time"] <= now + CLOCK_SKEW
        if max_age is not None:
            assert now - claims["auth_time"] <= max_age + CLOCK_SKEW
        if acr is not None:
            assert claims.get("acr") == acr
        assert isinstance(claims.get("amr"), list) and claims["amr"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{8,}", claims.get("sid", "")), "sid missing"
        return claims

    def code_flow(self, username: str, password: str, *, code_reader: Callable[[], str] | None = None,
                  accept_terms: bool = False, **extra: str) -> dict[str, Any]:
        """Everything, validated: returns the token response with the ID token's claims under ``id_claims``."""
        request = self.authorization_request(**extra)
        callback = self.login(request, username, password, code_reader=code_reader, accept_terms=accept_terms)
        code = self.validate_callback(callback, request)
        response = self.exchange(code, request)
        assert response.status_code == 200, response.text
        assert response.headers.get("cache-control") == "no-store"
        tokens = response.json()
        assert tokens["token_type"].lower() == "bearer"
        tokens["id_claims"] = self.validate_id_token(tokens["id_token"], nonce=request.nonce,
                                                     access_token=tokens["access_token"])
        return tokens
