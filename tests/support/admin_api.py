"""What the admin API tests share: establishments, people, and bearer tokens obtained for real.

An administrator's token comes from ``POST /token`` (client_credentials, scope ``idp:admin``) of a client registered
for that grant; a référent's from the whole authorization code flow (``RelyingParty.code_flow``) through a client
registered with ``openid idp:referent``, in a browser of its own (each person gets a fresh cookie jar).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.accounts.establishments import create_establishment
from idp.accounts.referents import add_referent
from idp.db import Database
from idp.models import Account, AuditEvent
from idp.settings import Settings
from tests.conftest import TEST_ISSUER
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.rp import RelyingParty

API = "/admin/api/v1"
FINESS_A = "750000010"  # the factories' establishment
FINESS_B = "690000005"
ADMIN_CLIENT = "admin-console"
REFERENT_CLIENT = "referent-console"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_document(username: str, finess: str = FINESS_A, **claims: Any) -> dict[str, Any]:
    return {"username": username, "establishment": finess, "given_name": "Jeanne", "family_name": "Dupré",
            "email": f"{username}@hopital.example", **claims}


@dataclass
class AdminWorld:
    app: FastAPI
    http: TestClient
    settings: Settings
    db: Database

    def __post_init__(self) -> None:
        make_client(self.db, self.settings, client_id=ADMIN_CLIENT, grant_types=["client_credentials"],
                    redirect_uris=[], post_logout_redirect_uris=[], scope="idp:admin")
        make_client(self.db, self.settings, client_id=REFERENT_CLIENT, scope="openid idp:referent")
        make_user(self.db, self.settings, "setup_person")  # creates establishment A
        with self.db.session() as session:
            create_establishment(session, finess=FINESS_B, name="Hospices civils de Lyon", region="ARA")

    # -- tokens
    def admin_token(self, scope: str = "idp:admin", client_id: str = ADMIN_CLIENT) -> str:
        response = self.http.post("/token", data={"grant_type": "client_credentials", "scope": scope},
                                  auth=(client_id, CLIENT_SECRET))
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def person_token(self, username: str, scope: str = "openid idp:referent", client_id: str = REFERENT_CLIENT) -> str:
        browser = TestClient(self.app, base_url=TEST_ISSUER)  # a browser of this person's own
        rp = RelyingParty(browser, self.settings.issuer, client_id, REDIRECT_URI, client_secret=CLIENT_SECRET)
        tokens = rp.code_flow(username, PASSWORD, scope=scope)
        assert set(scope.split()) <= set(tokens["scope"].split()), tokens["scope"]
        return str(tokens["access_token"])

    def referent(self, username: str, *finesses: str) -> Account:
        """An active account with a password, member of the first establishment, référent of each one given."""
        account = self.member(username, finesses[0])
        with self.db.session() as session:
            for finess in finesses:
                add_referent(session, username=username, establishment=finess)
        return account

    def member(self, username: str, finess: str = FINESS_A) -> Account:
        """An active establishment account with a password, member (``professional``) of ``finess``."""
        return make_user(self.db, self.settings, username, establishment=finess)

    # -- calls
    def get(self, path: str, token: str, **params: Any) -> Any:
        return self.http.get(API + path, headers=bearer(token), params=params)

    def post(self, path: str, token: str, body: Any = None) -> Any:
        return self.http.post(API + path, headers=bearer(token), json=body)

    def delete(self, path: str, token: str) -> Any:
        return self.http.delete(API + path, headers=bearer(token))

    def audit(self, event: str, username: str | None = None) -> list[AuditEvent]:
        """The audit rows of ``event`` (about ``username``, when given), oldest first."""
        with self.db.session() as session:
            rows = session.scalars(select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.occurred_at))
            return [row for row in rows if username is None or row.details.get("username") == username]


def error(response: Any, status: int, code: str) -> str:
    """Assert the JSON error shape; return the description."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "error_description"} and body["error"] == code, body
    assert response.headers["cache-control"] == "no-store"
    return str(body["error_description"])


def admin_app(app: FastAPI) -> FastAPI:
    """The mounted admin sub-application (for ``dependency_overrides``)."""
    [mount] = [route for route in app.routes if getattr(route, "name", None) == "admin-api"]
    return mount.app  # type: ignore[attr-defined, no-any-return]
