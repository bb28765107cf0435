"""The client credentials grant (RFC 6749 §4.4) and its RFC 9068 access token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from idp.db import Database
from idp.models import Token
from idp.protocol.responses import ProtocolResponse
from idp.settings import Settings
from tests.conftest import TEST_ISSUER
from tests.support.tokens import World, decode, error_of, make_client, make_world


@pytest.fixture
def world(settings: Settings, db: Database) -> Iterator[World]:
    yield from make_world(settings, db)


@pytest.fixture
def service(world: World) -> str:
    make_client(world.session, world.settings, "svc", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin idp:referent")
    return "svc"


def cc(world: World, **form: str) -> ProtocolResponse:
    form.setdefault("basic", "svc")
    return world.token(grant_type="client_credentials", **form)


def test_client_credentials_issue_an_access_token_for_the_client(world: World, service: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="idp.audit")
    response = cc(world, scope="idp:admin")
    assert response.status == 200, response.body
    body = response.body
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no refresh, no ID token
    assert body["scope"] == "idp:admin"
    token = decode(body["access_token"], world.keys)
    assert token.header["typ"] == "at+jwt" and token.header["alg"] == "ES256"
    claims = token.claims
    assert claims["sub"] == "svc" and claims["client_id"] == "svc" and claims["aud"] == TEST_ISSUER
    assert not {"auth_time", "acr", "amr", "sid"} & set(claims)
    assert claims["gty"] == "client_credentials"
    # No row: the signed token and the client's row are all a check needs; a row appears only if it is revoked.
    assert world.session.scalar(select(Token).where(Token.jti == claims["jti"])) is None
    # A routine issuance is in the audit log, not the table (no INSERT on the hot path).
    assert world.audit("token.issued") == []
    [event] = [r for r in caplog.records if getattr(r, "audit_event", None) == "token.issued"]
    assert event.client_id == "svc" and event.details == {
        "grant_type": "client_credentials", "scope": "idp:admin", "refresh_issued": False,
    }


def test_an_omitted_scope_means_the_clients_registered_scopes(world: World, service: str) -> None:
    assert cc(world).body["scope"] == "idp:admin idp:referent"


@pytest.mark.parametrize("scope", ["openid", "idp:admin profile", "unknown-scope"])
def test_person_unregistered_and_unknown_scopes_are_refused(world: World, scope: str) -> None:
    make_client(world.session, world.settings, "svc", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin openid profile")
    assert error_of(cc(world, scope=scope)) == "invalid_scope"
    assert error_of(cc(world, scope="idp:referent")) == "invalid_scope"


def test_a_client_without_the_grant_is_unauthorized(world: World) -> None:
    assert error_of(world.token(grant_type="client_credentials")) == "unauthorized_client"


def test_rs256_access_tokens_when_configured(world: World, service: str) -> None:
    world.settings = world.settings.model_copy(
        update={"tokens": world.settings.tokens.model_copy(update={"access_token_alg": "RS256"})}
    )
    token = decode(cc(world).body["access_token"], world.keys)
    assert token.header["alg"] == "RS256" and token.header["kid"] == world.keyring.signing_key("RS256")[0]
