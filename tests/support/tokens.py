"""What the token endpoint's tests share: a key ring, a person with a live browser session, clients, and codes
issued through the authorization code grant's own ``save_authorization_code`` path (authlib's
``get_consent_grant`` then ``create_authorization_response``), as the authorization endpoint does."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from starlette.datastructures import Headers

from idp.accounts.establishments import create_establishment, get_establishment
from idp.accounts.users import create_user
from idp.authn.levels import ACR_OTP
from idp.clock import utcnow
from idp.crypto import new_token
from idp.db import Database, Session
from idp.errors import NotFound
from idp.keys.ring import KeyRing
from idp.models import Account, AuditEvent, BrowserSession
from idp.notify.outbox import Outbox
from idp.protocol.clients import register_client
from idp.protocol.context import ProtocolContext
from idp.protocol.grants import token_response
from idp.protocol.requests import HttpRequest
from idp.protocol.responses import ProtocolResponse
from idp.protocol.server import build_server
from idp.protocol.subject import AuthenticatedSubject
from idp.settings import Settings

SECRET = "a-client-secret-that-is-long-enough-for-tests"
REDIRECT_URI = "https://rp.example/cb"
AMR = ("pwd", "otp")


class MovableClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.moment = now or utcnow()

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def started_ring(settings: Settings, db: Database) -> KeyRing:
    ring = KeyRing(settings, db)
    ring.start()
    assert ring.is_loaded()
    return ring


def make_account(session: Session, settings: Settings, username: str = "jean_dupont", **claims: Any) -> Account:
    try:
        get_establishment(session, "750000010")
    except NotFound:
        create_establishment(session, finess="750000010", name="Hôpital de test", region="IDF")
    document = {"username": username, "establishment": "750000010", "given_name": "Jean", "family_name": "Dupont",
                "email": f"{username}@hopital.example", **claims}
    account = create_user(session, settings, document, outbox=Outbox()).account
    account.status = "active"
    session.flush()
    return account


def make_browser_session(
    session: Session, settings: Settings, account: Account, *, acr: str = ACR_OTP
) -> BrowserSession:
    now = utcnow()
    row = BrowserSession(sid=new_token("", 16), secret_hash=new_token("", 32)[:64], account_id=account.id,
                         auth_time=now - timedelta(seconds=30), acr=acr, amr=list(AMR),
                         expires_at=now + timedelta(seconds=settings.tokens.session_ttl_seconds))
    session.add(row)
    session.flush()
    return row


def subject_of(account: Account, browser: BrowserSession) -> AuthenticatedSubject:
    return AuthenticatedSubject(account, browser.id, browser.sid, browser.acr, tuple(browser.amr), browser.auth_time)


def make_client(session: Session, settings: Settings, client_id: str = "rp", **metadata: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "client_id": client_id,
        "client_secret": SECRET,
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid profile email",
        **metadata,
    }
    if document.get("token_endpoint_auth_method") in ("none", "private_key_jwt"):
        document.pop("client_secret", None)
    return register_client(session, settings, document).document()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_params(client_id: str = "rp", **params: str | None) -> dict[str, str]:
    values: dict[str, str | None] = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                                     "scope": "openid profile email", "state": "st", "nonce": "n-0S6_WzA2Mj"}
    values.update(params)
    return {k: v for k, v in values.items() if v is not None}


def authorize(ctx: ProtocolContext, subject: AuthenticatedSubject, **params: str | None) -> str:
    """The code the authorization code grant issues for ``params``; raises authlib's error if it refuses."""
    http = HttpRequest("GET", "/authorize", Headers(), query=list(authorization_params(**params).items()))
    server = build_server(ctx)
    grant = server.get_consent_grant(http, end_user=subject)
    request = grant.request
    response = server.create_authorization_response(request, grant_user=subject, grant=grant)
    location = response.header("Location") or ""
    query = parse_qs(urlsplit(location).query)
    assert "code" in query, query
    return query["code"][0]


def token_request(**form: str) -> HttpRequest:
    """A token request with client ``basic``'s ``secret`` in HTTP Basic (``rp`` and the right one by default)."""
    basic, secret = form.pop("basic", "rp"), form.pop("secret", SECRET)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if basic:
        headers["authorization"] = "Basic " + base64.b64encode(f"{basic}:{secret}".encode()).decode()
    return HttpRequest("POST", "/token", Headers(headers=headers), form=list(form.items()))


def decode(token: str, keys: KeySet) -> jwt.Token:
    return jwt.decode(token, keys, algorithms=["RS256", "ES256"])


@dataclass
class World:
    session: Session
    settings: Settings
    keyring: KeyRing
    clock: MovableClock
    account: Account
    browser: BrowserSession

    @property
    def ctx(self) -> ProtocolContext:
        return ProtocolContext(self.settings, self.session, self.keyring, clock=self.clock)

    @property
    def keys(self) -> KeySet:
        return self.keyring.verification_keys()

    def code(self, **params: str | None) -> str:
        return authorize(self.ctx, subject_of(self.account, self.browser), **params)

    def token(self, **form: str) -> ProtocolResponse:
        return token_response(self.ctx, token_request(**form))

    def exchange(self, code: str, **form: str) -> ProtocolResponse:
        values = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **form}
        return self.token(**values)

    def audit(self, event: str) -> list[AuditEvent]:
        return list(self.session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def make_world(settings: Settings, db: Database) -> Iterator[World]:
    """A started key ring, an active person with a live browser session, and client ``rp`` (client_secret_basic)."""
    keyring = started_ring(settings, db)
    with db.session() as session:
        account = make_account(session, settings)
        make_client(session, settings)
        browser = make_browser_session(session, settings, account)
        yield World(session, settings, keyring, MovableClock(), account, browser)


def error_of(response: ProtocolResponse) -> str:
    assert response.status >= 400, response.body
    return str(response.body["error"])
