"""Clients, people and tokens for the userinfo, introspection and revocation tests.

Tokens are minted by the token endpoint's own service (``idp.protocol.tokens``) inside the test's transaction, so
these tests exercise exactly the JWTs and rows the token endpoint produces; the HTTP side goes through the app.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from idp.accounts.establishments import create_establishment
from idp.accounts.users import create_user
from idp.clock import utcnow
from idp.db import Database
from idp.keys.ring import KeyRing
from idp.models import Account, Token
from idp.notify.outbox import Outbox
from idp.protocol.clients import register_client
from idp.protocol.context import ProtocolContext
from idp.protocol.subject import AuthenticatedSubject
from idp.protocol.tokens import Authorization, issue_access_token, issue_refresh_token
from idp.settings import Settings
from idp.storage import accounts as account_storage
from idp.storage import clients as client_storage

FINESS = "750000010"
OTHER_FINESS = "690000005"
SECRET = "a-client-secret-that-is-long-enough-for-the-tests"
ALL_SCOPES = "openid profile email phone address rpps establishments delegations"
ACR = "urn:viatrajectoire:acr:otp"


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def basic(client_id: str, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    http: TestClient
    settings: Settings
    db: Database

    @property
    def keyring(self) -> KeyRing:
        return self.http.app.state.keyring  # type: ignore[attr-defined, no-any-return]

    def add_client(self, client_id: str, *, method: str = "client_secret_basic", scope: str = ALL_SCOPES) -> str:
        document: dict[str, Any] = {
            "client_id": client_id,
            "redirect_uris": ["https://rp.example/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": method,
            "scope": scope,
        }
        if method != "none":
            document["client_secret"] = SECRET
        with self.db.session() as session:
            register_client(session, self.settings, document)
        return client_id

    def add_user(self, username: str = "john_wick", **claims: Any) -> Account:
        with self.db.session() as session:
            if not _establishment_exists(session, FINESS):
                create_establishment(session, finess=FINESS, name="Hôpital Saint-Louis", region="Île-de-France")
            document = {
                "username": username,
                "establishment": FINESS,
                "given_name": "John",
                "family_name": "Wick",
                "email": f"{username}@hopital.example",
                **claims,
            }
            if document.get("kind") == "liberal":  # libéraux log in with their RPPS number, belong to no establishment
                del document["username"], document["establishment"]
            account = create_user(session, self.settings, document, outbox=Outbox()).account
            account.status = "active"
            return account

    def add_assistant(self, national_id: str = "2600000001") -> Account:
        with self.db.session() as session:
            account = Account(
                kind="assistant",
                status="active",
                national_id=national_id,
                given_name="Alice",
                family_name="Martin",
                email="alice.martin@cabinet.example",
            )
            return account_storage.add_account(session, account)

    def update(self, row: Any, **values: Any) -> None:
        with self.db.session() as session:
            merged = session.merge(row)
            for name, value in values.items():
                setattr(merged, name, value)

    def context(self, session: Any, clock: Any = None) -> ProtocolContext:
        ctx = ProtocolContext(self.settings, session, self.keyring)
        if clock is not None:
            ctx.clock = clock
        return ctx

    def access_token(
        self,
        client_id: str,
        account: Account | None,
        scope: str = ALL_SCOPES,
        *,
        issued_at: datetime | None = None,
        family_id: uuid.UUID | None = None,
        claims_request: dict[str, Any] | None = None,
    ) -> tuple[str, Token | None]:
        with self.db.session() as session:
            ctx = self.context(session, FixedClock(issued_at) if issued_at else None)
            client = client_storage.get_by_client_id(session, client_id)
            assert client is not None
            person = session.merge(account) if account is not None else None
            extra = {"acr": ACR, "amr": ["pwd", "otp"], "auth_time": ctx.clock.now()} if person else {}
            return issue_access_token(
                ctx,
                client=client,
                account=person,
                scope=scope,
                family_id=family_id,
                claims_request=claims_request,
                **extra,
            )

    def refresh_token(self, client_id: str, account: Account, scope: str = ALL_SCOPES) -> tuple[str, Token, str]:
        """A refresh token and an access token of the same family (as a code exchange issues them)."""
        family_id = uuid.uuid4()
        with self.db.session() as session:
            ctx = self.context(session)
            client = client_storage.get_by_client_id(session, client_id)
            assert client is not None
            person = session.merge(account)
            subject = AuthenticatedSubject(person, None, None, ACR, ("pwd", "otp"), utcnow() - timedelta(minutes=1))
            authorization = Authorization(subject=subject, granted_scope=scope, family_id=family_id)
            value, row = issue_refresh_token(ctx, client=client, authorization=authorization)
        access, _ = self.access_token(client_id, account, scope, family_id=family_id)
        return value, row, access


@pytest.fixture
def world(client: TestClient, settings: Settings, db: Database) -> World:
    """The resource-token tests' world (import it into a test module to use it)."""
    return World(client, settings, db)


def _establishment_exists(session: Any, finess: str) -> bool:
    from idp.storage.establishments import get_by_finess

    return get_by_finess(session, finess) is not None


def past(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)
