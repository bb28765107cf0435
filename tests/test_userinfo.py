"""GET and POST /userinfo (OIDC Core §5.3) with bearer tokens (RFC 6750): where the token may be, and every error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from idp.clock import utcnow
from tests.support.resource_tokens import World, basic, bearer, past, unverified_claims
from tests.support.resource_tokens import world  # noqa: F401 (the fixture)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def token(world: World) -> str:
    world.add_client("rp")
    account = world.add_user()
    value, _ = world.access_token("rp", account, "openid profile email")
    return value


def assert_invalid_token(response, description: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert response.headers["Cache-Control"] == "no-store"
    if description:
        assert description in response.json()["error_description"]


def signed(world: World, claims: dict, header: dict | None = None, alg: str = "RS256") -> str:  # type: ignore[type-arg]
    kid, key = world.keyring.signing_key(alg)
    return jwt.encode({"alg": alg, "typ": "at+jwt", "kid": kid, **(header or {})}, claims, key, algorithms=[alg])


def good_claims(world: World, **overrides: object) -> dict:  # type: ignore[type-arg]
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": world.settings.issuer,
        "sub": str(uuid.uuid4()),
        "aud": world.settings.issuer,
        "exp": now + 300,
        "iat": now,
        "jti": "unknown-jti",
        "client_id": "rp",
        "scope": "openid",
    }
    claims.update(overrides)
    return claims


# -- where the token is (RFC 6750 §2)


def test_get_with_the_token_in_the_header(world: World, token: str) -> None:
    response = world.http.get("/userinfo", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(response.json()) >= {"sub", "name", "email"}


def test_post_with_the_token_in_the_header(world: World, token: str) -> None:
    response = world.http.post("/userinfo", headers=bearer(token))
    assert response.status_code == 200, response.text


def test_post_with_the_token_in_a_form_body(world: World, token: str) -> None:
    response = world.http.post("/userinfo", data={"access_token": token})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "john_wick@hopital.example"


def test_scheme_is_case_insensitive(world: World, token: str) -> None:
    assert world.http.get("/userinfo", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_token_in_the_query_string_is_refused(world: World, token: str) -> None:
    response = world.http.get("/userinfo", params={"access_token": token})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_token_in_a_multipart_body_is_refused(world: World, token: str) -> None:
    response = world.http.post("/userinfo", files={"access_token": (None, token)})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_two_methods_at_once_are_refused(world: World, token: str) -> None:
    response = world.http.post("/userinfo", headers=bearer(token), data={"access_token": token})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "more than one method" in response.json()["error_description"]


def test_the_token_twice_in_the_body_is_refused(world: World, token: str) -> None:
    response = world.http.post("/userinfo", content=f"access_token={token}&access_token={token}", headers=FORM)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# -- RFC 6750 §3.1 errors


def test_missing_token_is_a_bare_challenge(world: World) -> None:
    response = world.http.get("/userinfo")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "error" not in response.json()


def test_another_authorization_scheme_is_no_bearer_token(world: World) -> None:
    response = world.http.get("/userinfo", headers=basic("rp"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_empty_bearer_token_is_an_invalid_request(world: World) -> None:
    response = world.http.get("/userinfo", headers={"Authorization": "Bearer "})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("value", ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_malformed_token(world: World, value: str) -> None:
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "malformed")


def test_bad_signature(world: World, token: str) -> None:
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(forged)), "signature")


def test_signed_by_a_key_we_do_not_publish(world: World, token: str) -> None:
    kid, _ = world.keyring.signing_key("RS256")
    impostor = RSAKey.generate_key(2048)
    claims = unverified_claims(token)
    forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims, impostor)
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(forged)), "signature")


def test_expired_token(world: World) -> None:
    world.add_client("rp")
    account = world.add_user()
    value, _ = world.access_token("rp", account, "openid", issued_at=past(hours=2))
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "expired")


def test_expired_jwt_with_a_live_row_is_still_expired(world: World, token: str) -> None:
    claims = {**unverified_claims(token), "exp": int(past(minutes=5).timestamp())}
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(signed(world, claims))), "expired")


def test_row_expiry_is_honoured_even_if_the_jwt_says_otherwise(world: World) -> None:
    world.add_client("rp")
    value, row = world.access_token("rp", world.add_user(), "openid")
    world.update(row, expires_at=utcnow() - timedelta(seconds=1))
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "expired")


def test_revoked_token(world: World) -> None:
    world.add_client("rp")
    value, row = world.access_token("rp", world.add_user(), "openid")
    world.update(row, revoked_at=utcnow())
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "revoked")


def test_token_of_a_disabled_account(world: World) -> None:
    world.add_client("rp")
    account = world.add_user()
    value, _ = world.access_token("rp", account, "openid")
    world.update(account, status="disabled", disabled_at=utcnow())
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "account")


def test_token_of_a_disabled_client(world: World) -> None:
    world.add_client("rp")
    value, _ = world.access_token("rp", world.add_user(), "openid")
    from idp.storage.clients import get_by_client_id

    with world.db.session() as session:
        get_by_client_id(session, "rp").disabled_at = utcnow()  # type: ignore[union-attr]
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "client")


def test_unknown_jti(world: World) -> None:
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(signed(world, good_claims(world)))), "unknown")


def test_an_id_token_is_not_an_access_token(world: World, token: str) -> None:
    claims = unverified_claims(token)
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(signed(world, claims, {"typ": "JWT"}))), "typ")


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_token_for_another_issuer_or_audience(world: World, token: str, claim: str) -> None:
    claims = {**unverified_claims(token), claim: "https://elsewhere.example"}
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(signed(world, claims))))


def test_es256_tokens_verify_too(world: World, token: str) -> None:
    claims = unverified_claims(token)
    response = world.http.get("/userinfo", headers=bearer(signed(world, claims, alg="ES256")))
    assert response.status_code == 200, response.text


def test_token_without_openid_is_insufficient_scope(world: World) -> None:
    world.add_client("rp")
    value, _ = world.access_token("rp", world.add_user(), "profile email")
    response = world.http.get("/userinfo", headers=bearer(value))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="openid"' in challenge


def test_client_credentials_token_describes_no_one(world: World) -> None:
    world.add_client("rp")
    value, _ = world.access_token("rp", None, "openid")
    assert_invalid_token(world.http.get("/userinfo", headers=bearer(value)), "client")
