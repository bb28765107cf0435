"""``POST /token`` over HTTP: what a relying party sees (RFC 6749 §3.2, §5.1, §5.2), and the service functions the
other endpoints call (``issue_access_token``, ``find_*``, ``revoke_*``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.db import Database
from idp.models import Account, BrowserSession, Token
from idp.protocol.context import ProtocolContext
from idp.protocol.id_token import at_hash
from idp.protocol.tokens import (
    find_refresh_token,
    find_token_by_jti,
    issue_access_token,
    revoke_token_family,
    revoke_tokens_of_code,
    revoke_tokens_of_session,
)
from idp.settings import Settings
from idp.storage import clients as client_storage
from tests.conftest import TEST_ISSUER
from tests.support.tokens import (
    REDIRECT_URI,
    SECRET,
    authorize,
    make_account,
    make_browser_session,
    make_client,
    pkce_pair,
    subject_of,
)

BASIC = ("rp", SECRET)


@pytest.fixture
def person(client: TestClient, settings: Settings, db: Database) -> tuple[Account, BrowserSession]:
    with db.session() as session:
        account = make_account(session, settings)
        make_client(session, settings)
        return account, make_browser_session(session, settings, account)


def new_code(client: TestClient, settings: Settings, db: Database, person: Any, **params: str | None) -> str:
    with db.session() as session:
        ctx = ProtocolContext(settings, session, client.app.state.keyring)  # type: ignore[attr-defined]
        return authorize(ctx, subject_of(*person), **params)


def assert_no_store(response: Any) -> None:
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"


def test_code_flow_back_channel_over_http(client: TestClient, settings: Settings, db: Database, person: Any) -> None:
    verifier, challenge = pkce_pair()
    code = new_code(client, settings, db, person, code_challenge=challenge, code_challenge_method="S256")
    response = client.post("/token", auth=BASIC, data={"grant_type": "authorization_code", "code": code,
                                                      "redirect_uri": REDIRECT_URI, "code_verifier": verifier})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert_no_store(response)
    body = response.json()
    keys = KeySet.import_key_set(client.get("/jwks").json())
    id_token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    account, browser = person
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": TEST_ISSUER},
        aud={"essential": True, "value": "rp"},
        sub={"essential": True, "value": str(account.id)},
        nonce={"essential": True, "value": "n-0S6_WzA2Mj"},
        at_hash={"essential": True, "value": at_hash(body["access_token"])},
        sid={"essential": True, "value": browser.sid},
        acr={"essential": True, "value": browser.acr},
        auth_time={"essential": True, "value": int(browser.auth_time.timestamp())},
        exp={"essential": True},
        iat={"essential": True},
    )
    registry.validate(id_token.claims)
    access = jwt.decode(body["access_token"], keys, algorithms=["ES256"])
    access_registry = jwt.JWTClaimsRegistry(jti={"essential": True}, aud={"essential": True, "value": TEST_ISSUER})
    access_registry.validate(access.claims)

    form = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    refreshed = client.post("/token", auth=BASIC, data=form)
    assert refreshed.status_code == 200, refreshed.text
    assert_no_store(refreshed)


def test_a_reused_code_commits_its_revocations(
    client: TestClient, settings: Settings, db: Database, person: Any
) -> None:
    code = new_code(client, settings, db, person)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert client.post("/token", auth=BASIC, data=form).status_code == 200
    again = client.post("/token", auth=BASIC, data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert_no_store(again)
    with db.session() as session:  # what the error response's transaction committed
        assert all(row.revoked_at is not None for row in session.scalars(select(Token)))


def test_a_bad_basic_secret_answers_401_with_www_authenticate(client: TestClient, person: Any) -> None:
    response = client.post("/token", auth=("rp", "not-the-secret"), data={"grant_type": "client_credentials"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == f'Basic realm="{TEST_ISSUER}"'
    assert_no_store(response)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
    ],
    ids=["password", "implicit", "no-grant-type", "repeated"],
)
def test_malformed_requests(client: TestClient, person: Any, data: Any, error: str) -> None:
    if isinstance(data, str):
        headers = {"content-type": "application/x-www-form-urlencoded"}
        response = client.post("/token", auth=BASIC, content=data, headers=headers)
    else:
        response = client.post("/token", auth=BASIC, data=data)
    assert response.status_code == 400 and response.json()["error"] == error, response.text
    assert_no_store(response)


def test_parameters_are_read_from_the_body_only(client: TestClient, person: Any) -> None:
    response = client.post("/token?grant_type=client_credentials", auth=BASIC)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    json_body = client.post("/token", auth=BASIC, json={"grant_type": "client_credentials"})
    assert json_body.status_code == 400 and json_body.json()["error"] == "invalid_request"


def test_only_post(client: TestClient) -> None:
    assert client.get("/token").status_code == 405


def test_a_public_client_cannot_use_client_credentials(client: TestClient, settings: Settings, db: Database) -> None:
    with db.session() as session:
        make_client(session, settings, "spa", token_endpoint_auth_method="none")
    response = client.post("/token", data={"grant_type": "client_credentials", "client_id": "spa"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_the_whole_code_flow_through_the_front_channel(rp: Any, user: Account) -> None:
    from tests.support.factories import PASSWORD

    tokens = rp.code_flow(user.username, PASSWORD)
    assert tokens["id_claims"]["sub"] == str(user.id)
    refreshed = rp.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    rp.validate_id_token(refreshed.json()["id_token"], nonce=None, access_token=refreshed.json()["access_token"])


# -- the service functions


def test_issue_access_token_and_find_it_by_jti(
    client: TestClient, settings: Settings, db: Database, person: Any
) -> None:
    account, browser = person
    keyring = client.app.state.keyring  # type: ignore[attr-defined]
    with db.session() as session:
        ctx = ProtocolContext(settings, session, keyring)
        rp = client_storage.get_by_client_id(session, "rp")
        assert rp is not None
        value, row = issue_access_token(ctx, client=rp, account=account, scope="openid profile",
                                        session_id=browser.id, sid=browser.sid, acr=browser.acr, amr=browser.amr,
                                        auth_time=browser.auth_time)
        stored = find_token_by_jti(session, row.jti)  # written at once, as the returned values say
        assert stored is not None and (stored.id, stored.account_id, stored.session_id) == (row.id, account.id, browser.id)
        claims = jwt.decode(value, keyring.verification_keys()).claims
        assert claims["jti"] == row.jti and claims["sid"] == browser.sid and claims["scope"] == "openid profile"
        assert row.expires_at - row.created_at <= timedelta(seconds=settings.tokens.access_token_ttl_seconds + 1)
        assert revoke_tokens_of_session(ctx, browser.id) == 1
        assert revoke_tokens_of_session(ctx, browser.id) == 0  # already revoked
        session.refresh(stored)
        assert stored.revoked_at is not None


def test_revocation_helpers(client: TestClient, settings: Settings, db: Database, person: Any) -> None:
    code = new_code(client, settings, db, person)
    body = client.post("/token", auth=BASIC, data={"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": REDIRECT_URI}).json()
    with db.session() as session:
        ctx = ProtocolContext(settings, session, client.app.state.keyring)  # type: ignore[attr-defined]
        refresh = find_refresh_token(ctx, body["refresh_token"])
        assert refresh is not None and refresh.family_id is not None and refresh.authorization_code_id is not None
        assert find_refresh_token(ctx, "idp_rt_nope") is None and find_refresh_token(ctx, body["access_token"]) is None
        assert revoke_token_family(ctx, refresh.family_id) == 2
        assert revoke_tokens_of_code(ctx, refresh.authorization_code_id) == 0
