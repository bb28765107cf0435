"""The authorization code grant at the token endpoint (RFC 6749 §4.1.3, OIDC Core §3.1.3, RFC 7636)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from authlib.oauth2.rfc6749 import InvalidRequestError
from sqlalchemy import select

from idp.crypto import keyed_hash
from idp.db import Database
from idp.models import AuthorizationCode, Client, SessionClient, Token
from idp.protocol.id_token import at_hash
from idp.settings import Settings
from tests.conftest import TEST_ISSUER
from tests.support.tokens import AMR, REDIRECT_URI, World, decode, error_of, make_client, make_world, pkce_pair


@pytest.fixture
def world(settings: Settings, db: Database) -> Iterator[World]:
    yield from make_world(settings, db)


# -- the happy path


def test_code_exchange_returns_tokens_and_a_strictly_valid_id_token(world: World) -> None:
    code = world.code()
    response = world.exchange(code)
    assert response.status == 200, response.body
    body = response.body
    assert body["token_type"] == "Bearer" and body["expires_in"] == world.settings.tokens.access_token_ttl_seconds
    assert body["scope"] == "openid profile email"
    assert body["refresh_token"].startswith("idp_rt_")
    assert response.header("Cache-Control") == "no-store" and response.header("Pragma") == "no-cache"

    id_token = decode(body["id_token"], world.keys)
    assert id_token.header["alg"] == "RS256" and id_token.header["kid"] == world.keyring.signing_key("RS256")[0]
    claims = id_token.claims
    now = int(world.clock.now().timestamp())
    assert claims["iss"] == TEST_ISSUER and claims["aud"] == "rp" and claims["azp"] == "rp"
    assert claims["sub"] == str(world.account.id)
    assert claims["iat"] == now and claims["exp"] == now + world.settings.tokens.id_token_ttl_seconds
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["at_hash"] == at_hash(body["access_token"])
    assert claims["auth_time"] == int(world.browser.auth_time.timestamp())
    assert claims["acr"] == world.browser.acr and claims["amr"] == list(AMR)
    assert claims["sid"] == world.browser.sid
    assert "email" not in claims  # scope claims are for userinfo (OIDC Core §5.4)


def test_access_token_is_an_rfc9068_jwt_recorded_under_its_jti(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="idp.audit")
    body = world.exchange(world.code()).body
    access = decode(body["access_token"], world.keys)
    assert access.header["typ"] == "at+jwt" and access.header["alg"] == "ES256"
    assert access.header["kid"] == world.keyring.signing_key("ES256")[0]
    claims = access.claims
    assert claims["iss"] == TEST_ISSUER and claims["aud"] == TEST_ISSUER
    assert claims["sub"] == str(world.account.id) and claims["client_id"] == "rp"
    assert claims["scope"] == "openid profile email"
    assert claims["exp"] - claims["iat"] == world.settings.tokens.access_token_ttl_seconds
    assert claims["sid"] == world.browser.sid and claims["acr"] == world.browser.acr and claims["amr"] == list(AMR)
    row = world.session.scalar(select(Token).where(Token.jti == claims["jti"]))
    assert row is not None and row.kind == "access" and row.account_id == world.account.id
    assert row.session_id == world.browser.id and row.authorization_code_id is not None
    refresh = world.session.scalar(select(Token).where(Token.kind == "refresh"))
    assert refresh is not None and refresh.family_id == row.family_id
    secret = world.settings.secret_key.get_secret_value()
    assert refresh.token_hash == keyed_hash(secret, "refresh-token", body["refresh_token"])
    assert world.audit("token.issued") == []
    [issued] = [r for r in caplog.records if getattr(r, "audit_event", None) == "token.issued"]
    assert issued.client_id == "rp" and issued.details["grant_type"] == "authorization_code"


def test_the_code_is_stored_as_a_keyed_hash_with_its_context(world: World) -> None:
    verifier, challenge = pkce_pair()
    code = world.code(code_challenge=challenge, code_challenge_method="S256",
                      claims='{"id_token": {"email": null}, "userinfo": {"phone_number": null}}')
    assert code.startswith("idp_ac_")
    row = world.session.scalar(select(AuthorizationCode))
    assert row is not None and code not in (row.code_hash, row.redirect_uri)
    assert row.code_hash == keyed_hash(world.settings.secret_key.get_secret_value(), "authorization-code", code)
    assert (row.redirect_uri, row.scope, row.nonce) == (REDIRECT_URI, "openid profile email", "n-0S6_WzA2Mj")
    assert (row.code_challenge, row.code_challenge_method) == (challenge, "S256")
    assert row.claims == {"id_token": {"email": None}, "userinfo": {"phone_number": None}}
    assert (row.acr, row.amr, row.session_id) == (world.browser.acr, list(AMR), world.browser.id)
    assert row.expires_at == world.clock.now() + timedelta(seconds=60)
    assert world.session.scalar(select(SessionClient).where(SessionClient.session_id == world.browser.id))
    world.code()  # a second authorization records the session's client once
    assert len(list(world.session.scalars(select(SessionClient)))) == 1


def test_claims_requested_for_the_id_token_are_in_it(world: World) -> None:
    code = world.code(claims='{"id_token": {"email": {"essential": true}, "phone_number": null, "iss": null}}')
    claims = decode(world.exchange(code).body["id_token"], world.keys).claims
    assert claims["email"] == world.account.email and "email_verified" not in claims  # only what was asked
    assert "phone_number" not in claims  # phone is not in the client's registered scope
    assert claims["iss"] == TEST_ISSUER


def test_an_es256_client_gets_es256_id_tokens(world: World) -> None:
    make_client(world.session, world.settings, "rp-ec", id_token_signed_response_alg="ES256")
    code = world.code(client_id="rp-ec")
    body = world.exchange(code, basic="rp-ec").body
    id_token = decode(body["id_token"], world.keys)
    assert id_token.header["alg"] == "ES256" and id_token.claims["at_hash"] == at_hash(body["access_token"])


def test_without_openid_there_is_neither_id_token_nor_refresh_token(world: World) -> None:
    body = world.exchange(world.code(scope="profile", nonce=None)).body
    assert "id_token" not in body and "refresh_token" not in body and body["scope"] == "profile"


def test_no_refresh_token_for_a_client_without_the_grant(world: World) -> None:
    make_client(world.session, world.settings, "rp-norefresh", grant_types=["authorization_code"])
    body = world.exchange(world.code(client_id="rp-norefresh"), basic="rp-norefresh").body
    assert "id_token" in body and "refresh_token" not in body


def test_without_nonce_the_id_token_has_none(world: World) -> None:
    claims = decode(world.exchange(world.code(nonce=None)).body["id_token"], world.keys).claims
    assert "nonce" not in claims


# -- invalid_grant


def test_a_code_used_twice_fails_and_revokes_what_it_issued(world: World) -> None:
    code = world.code()
    first = world.exchange(code).body
    second = world.exchange(code)
    assert second.status == 400 and error_of(second) == "invalid_grant"
    assert second.header("Cache-Control") == "no-store"
    rows = list(world.session.scalars(select(Token)))
    assert len(rows) == 2 and all(row.revoked_at is not None for row in rows)
    [reused] = world.audit("code.reused")
    assert reused.outcome == "failure" and reused.details["revoked_count"] == 2
    refreshed = world.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert error_of(refreshed) == "invalid_grant"


def test_a_code_replayed_after_expiry_still_revokes(world: World) -> None:
    code = world.code()
    world.exchange(code)
    world.clock.advance(120)
    assert error_of(world.exchange(code)) == "invalid_grant"
    assert all(row.revoked_at is not None for row in world.session.scalars(select(Token)))


def test_an_expired_code_is_refused(world: World) -> None:
    code = world.code()
    world.clock.advance(60)
    assert error_of(world.exchange(code)) == "invalid_grant"
    assert world.session.scalar(select(Token)) is None


def test_the_redirect_uri_must_be_the_one_of_the_authorization_request(world: World) -> None:
    code = world.code()
    assert error_of(world.exchange(code, redirect_uri=REDIRECT_URI + "/")) == "invalid_grant"
    assert error_of(world.token(grant_type="authorization_code", code=code)) == "invalid_grant"
    assert world.exchange(code).status == 200  # a refused attempt does not consume the code


def test_a_code_issued_to_another_client_is_refused(world: World) -> None:
    make_client(world.session, world.settings, "rp-other")
    code = world.code()
    assert error_of(world.exchange(code, basic="rp-other")) == "invalid_grant"
    assert world.exchange(code).status == 200


def test_an_unknown_code_is_refused(world: World) -> None:
    assert error_of(world.exchange("idp_ac_unknown")) == "invalid_grant"
    assert error_of(world.exchange("not-even-ours")) == "invalid_grant"
    assert error_of(world.token(grant_type="authorization_code", redirect_uri=REDIRECT_URI)) == "invalid_request"


def test_a_disabled_account_gets_no_tokens(world: World) -> None:
    code = world.code()
    world.account.status = "disabled"
    assert error_of(world.exchange(code)) == "invalid_grant"


def test_a_logged_out_session_gets_no_tokens(world: World) -> None:
    code = world.code()
    world.browser.ended_at = world.clock.now()
    assert error_of(world.exchange(code)) == "invalid_grant"


def test_a_client_not_registered_for_the_grant_is_unauthorized(world: World) -> None:
    code = world.code()
    client = world.session.scalar(select(Client).where(Client.client_id == "rp"))
    assert client is not None
    client.grant_types = ["client_credentials"]
    assert error_of(world.exchange(code)) == "unauthorized_client"


# -- PKCE (RFC 7636)


def test_pkce_s256_round_trip(world: World) -> None:
    verifier, challenge = pkce_pair()
    code = world.code(code_challenge=challenge, code_challenge_method="S256")
    assert world.exchange(code, code_verifier=verifier).status == 200


def test_pkce_missing_verifier_when_a_challenge_was_sent(world: World) -> None:
    _, challenge = pkce_pair()
    code = world.code(code_challenge=challenge, code_challenge_method="S256")
    assert error_of(world.exchange(code)) == "invalid_request"


def test_pkce_wrong_verifier(world: World) -> None:
    _, challenge = pkce_pair()
    code = world.code(code_challenge=challenge, code_challenge_method="S256")
    assert error_of(world.exchange(code, code_verifier=pkce_pair()[0])) == "invalid_grant"


def test_pkce_verifier_without_challenge_is_refused(world: World) -> None:
    assert error_of(world.exchange(world.code(), code_verifier=pkce_pair()[0])) == "invalid_request"


@pytest.mark.parametrize("method", ["plain", None, "S512"])
def test_pkce_only_s256_at_the_authorization_endpoint(world: World, method: str | None) -> None:
    verifier, _ = pkce_pair()
    with pytest.raises(InvalidRequestError):
        world.code(code_challenge=verifier, code_challenge_method=method)


def test_pkce_is_required_of_public_clients(world: World) -> None:
    make_client(world.session, world.settings, "spa", token_endpoint_auth_method="none")
    with pytest.raises(InvalidRequestError, match="code_challenge is required"):
        world.code(client_id="spa")
    verifier, challenge = pkce_pair()
    code = world.code(client_id="spa", code_challenge=challenge, code_challenge_method="S256")
    response = world.exchange(code, basic="", client_id="spa", code_verifier=verifier)
    assert response.status == 200, response.body
    assert "refresh_token" in response.body


def test_public_client_must_send_its_verifier(world: World) -> None:
    make_client(world.session, world.settings, "spa", token_endpoint_auth_method="none")
    _, challenge = pkce_pair()
    code = world.code(client_id="spa", code_challenge=challenge, code_challenge_method="S256")
    assert error_of(world.exchange(code, basic="", client_id="spa")) == "invalid_request"


def test_unknown_scopes_are_ignored_not_refused(world: World) -> None:
    world.code(scope="openid unknown-scope email")  # OIDC Core §3.1.2.1
    row = world.session.scalar(select(AuthorizationCode))
    assert row is not None and row.scope == "openid email"
