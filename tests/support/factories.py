"""Rows the protocol tests need, made through the services (as an operator would), not by hand."""

from __future__ import annotations

from typing import Any

from idp.accounts.establishments import create_establishment, get_establishment
from idp.accounts.users import create_user
from idp.authn.password_login import hasher_for
from idp.clock import utcnow
from idp.db import Database
from idp.errors import NotFound
from idp.models import Account
from idp.notify.outbox import Outbox
from idp.protocol.clients import register_client
from idp.settings import Settings

FINESS = "750000010"
PASSWORD = "Correct-Horse-Battery-9!"
CLIENT_SECRET = "a-client-secret-that-is-long-enough-for-tests"
REDIRECT_URI = "https://rp.example/callback"


def make_user(db: Database, settings: Settings, username: str = "john_wick", *, password: str = PASSWORD, **claims: Any) -> Account:
    with db.session() as session:
        try:
            get_establishment(session, FINESS)
        except NotFound:
            create_establishment(session, finess=FINESS, name="Hôpital de test", region="Île-de-France")
        document = {"username": username, "establishment": FINESS, "given_name": "John", "family_name": "Wick",
                    "email": f"{username}@hopital.example", **claims}
        account = create_user(session, settings, document, outbox=Outbox()).account
        account.password_hash = hasher_for(settings).hash(password)
        account.status = "active"
        account.email_verified_at = utcnow()
        return account


def make_client(db: Database, settings: Settings, **metadata: Any) -> dict[str, Any]:
    document = {
        "client_id": "rp-test",
        "client_secret": CLIENT_SECRET,
        "client_name": "RP de test",
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": ["https://rp.example/logged-out"],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid profile email phone address rpps establishments delegations",
        **metadata,
    }
    if document.get("token_endpoint_auth_method") == "none":
        document.pop("client_secret", None)
    with db.session() as session:
        registered = register_client(session, settings, document)
    return registered.document()
