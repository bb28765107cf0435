"""POST /introspect (RFC 7662): who may ask, and what active and inactive tokens answer."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from idp.clock import utcnow
from idp.models import Account, AuditEvent
from idp.protocol.clients import register_client
from tests.support.resource_tokens import ACR, SECRET, World, basic, past, unverified_claims
from tests.support.resource_tokens import world  # noqa: F401 (the fixture)


INACTIVE = {"active": False}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def person(world: World) -> Account:
    world.add_client("rp")
    world.add_client("resource-server", scope="openid")
    return world.add_user()


def introspect(world: World, token: str, *, client: str = "resource-server", **form: str) -> dict:  # type: ignore[type-arg]
    response = world.http.post("/introspect", data={"token": token, **form}, headers=basic(client))
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()  # type: ignore[no-any-return]


def test_active_access_token(world: World, person: Account) -> None:
    value, row = world.access_token("rp", person, "openid profile")
    claims = unverified_claims(value)
    assert introspect(world, value) == {
        "active": True,
        "scope": "openid profile",
        "client_id": "rp",
        "sub": str(person.id),
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": world.settings.issuer,
        "aud": world.settings.issuer,
        "jti": row.jti,
        "token_type": "Bearer",
        "auth_time": claims["auth_time"],
        "acr": ACR,
    }


def test_active_refresh_token(world: World, person: Account) -> None:
    value, row, _ = world.refresh_token("rp", person, "openid email")
    body = introspect(world, value, token_type_hint="refresh_token")
    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["scope"] == "openid email" and body["client_id"] == "rp" and body["sub"] == str(person.id)
    assert body["jti"] == row.jti and body["acr"] == ACR and body["exp"] > body["iat"]


def test_client_credentials_token_has_no_person(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", None, "openid")
    body = introspect(world, value)
    assert body["active"] is True and body["sub"] == "rp" and "auth_time" not in body and "acr" not in body


def test_client_credentials_tokens_of_a_disabled_client_or_expired_are_inactive(world: World, person: Account) -> None:
    expired, _ = world.access_token("rp", None, "openid", issued_at=past(hours=2))
    assert introspect(world, expired) == INACTIVE
    value, _ = world.access_token("rp", None, "openid")
    assert introspect(world, value)["active"] is True
    from idp.storage.clients import get_by_client_id

    with world.db.session() as session:
        get_by_client_id(session, "rp").disabled_at = utcnow()  # type: ignore[union-attr]
    assert introspect(world, value) == INACTIVE


@pytest.mark.parametrize("hint", ["refresh_token", "access_token", "id_token", ""])
def test_a_wrong_or_unknown_hint_still_finds_the_token(world: World, person: Account, hint: str) -> None:
    access, _ = world.access_token("rp", person, "openid")
    refresh, _, _ = world.refresh_token("rp", person, "openid")
    assert introspect(world, access, token_type_hint=hint)["token_type"] == "Bearer"
    assert introspect(world, refresh, token_type_hint=hint)["token_type"] == "refresh_token"


def test_the_token_s_own_client_may_introspect_it(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    assert introspect(world, value, client="rp")["active"] is True


def test_client_secret_post_works(world: World, person: Account) -> None:
    world.add_client("rs-post", method="client_secret_post", scope="openid")
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post("/introspect", data={"token": value, "client_id": "rs-post", "client_secret": SECRET})
    assert response.json()["active"] is True


def test_refresh_token_introspection_is_audited_access_token_introspection_is_not(
    world: World, person: Account
) -> None:
    refresh, row, access = world.refresh_token("rp", person)
    introspect(world, access)
    introspect(world, refresh)
    with world.db.session() as session:
        events = session.query(AuditEvent).filter_by(event="token.introspected").all()
    assert [(e.client_id, e.account_id, e.details["issued_to"], e.details["token_id"]) for e in events] == [
        ("resource-server", person.id, "rp", str(row.id))
    ]


# -- inactive: {"active": false} and nothing else (RFC 7662 §2.2)


@pytest.mark.parametrize("value", ["unknown", "a.b.c", "idp_rt_unknown", "x" * 5000])
def test_unknown_or_malformed_tokens(world: World, person: Account, value: str) -> None:
    assert introspect(world, value) == INACTIVE


def test_expired_tokens(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid", issued_at=past(hours=2))
    assert introspect(world, value) == INACTIVE
    refresh, row, _ = world.refresh_token("rp", person)
    world.update(row, expires_at=utcnow() - timedelta(seconds=1))
    assert introspect(world, refresh) == INACTIVE


def test_revoked_tokens(world: World, person: Account) -> None:
    value, row = world.access_token("rp", person, "openid")
    world.update(row, revoked_at=utcnow())
    assert introspect(world, value) == INACTIVE
    refresh, refresh_row, _ = world.refresh_token("rp", person)
    world.update(refresh_row, revoked_at=utcnow())
    assert introspect(world, refresh) == INACTIVE


def test_a_rotated_refresh_token_is_inactive(world: World, person: Account) -> None:
    refresh, row, _ = world.refresh_token("rp", person)
    world.update(row, rotated_at=utcnow())
    assert introspect(world, refresh) == INACTIVE


def test_tokens_of_a_disabled_account(world: World, person: Account) -> None:
    access, _ = world.access_token("rp", person, "openid")
    refresh, _, _ = world.refresh_token("rp", person)
    world.update(person, status="disabled", disabled_at=utcnow())
    assert introspect(world, access) == INACTIVE
    assert introspect(world, refresh) == INACTIVE


def test_inactive_introspection_is_not_audited(world: World, person: Account) -> None:
    refresh, row, _ = world.refresh_token("rp", person)
    world.update(row, revoked_at=utcnow())
    introspect(world, refresh)
    with world.db.session() as session:
        assert session.query(AuditEvent).filter_by(event="token.introspected").count() == 0


# -- client authentication (RFC 7662 §2.1)


def test_no_client_authentication(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post("/introspect", data={"token": value})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_secret(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post("/introspect", data={"token": value}, headers=basic("resource-server", "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_unknown_client(world: World, person: Account) -> None:
    response = world.http.post("/introspect", data={"token": "x"}, headers=basic("nobody"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_public_clients_may_not_introspect(world: World, person: Account) -> None:
    world.add_client("spa", method="none")
    value, _ = world.access_token("spa", person, "openid")
    response = world.http.post("/introspect", data={"token": value, "client_id": "spa"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_client_is_held_to_its_registered_method(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")  # rp is registered for client_secret_basic
    response = world.http.post("/introspect", data={"token": value, "client_id": "rp", "client_secret": SECRET})
    assert response.status_code == 401


def test_a_disabled_client_may_not_introspect(world: World, person: Account) -> None:
    from idp.storage.clients import get_by_client_id

    with world.db.session() as session:
        get_by_client_id(session, "resource-server").disabled_at = utcnow()  # type: ignore[union-attr]
    response = world.http.post("/introspect", data={"token": "x"}, headers=basic("resource-server"))
    assert response.status_code == 401


def test_missing_token_parameter(world: World, person: Account) -> None:
    response = world.http.post("/introspect", data={}, headers=basic("resource-server"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_get_is_not_allowed(world: World, person: Account) -> None:
    assert world.http.get("/introspect", headers=basic("resource-server")).status_code == 405


def test_private_key_jwt(world: World, person: Account) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "rs-key"})
    with world.db.session() as session:
        register_client(
            session,
            world.settings,
            {
                "client_id": "rs-jwt",
                "redirect_uris": ["https://rs.example/cb"],
                "scope": "openid",
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks": {"keys": [key.as_dict(private=False)]},
            },
        )
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "ES256", "kid": "rs-key"},
        {
            "iss": "rs-jwt",
            "sub": "rs-jwt",
            "aud": world.settings.issuer,
            "iat": now,
            "exp": now + 60,
            "jti": "one",
        },
        key,
    )
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post(
        "/introspect",
        data={
            "token": value,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


def test_two_client_credentials_at_once_are_refused(world: World, person: Account) -> None:
    response = world.http.post(
        "/introspect", data={"token": "x", "client_secret": SECRET}, headers=basic("resource-server")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_client_id_naming_another_client_is_refused(world: World, person: Account) -> None:
    response = world.http.post("/introspect", data={"token": "x", "client_id": "rp"}, headers=basic("resource-server"))
    assert response.status_code == 401


def test_authentication_failures_are_audited(world: World, person: Account) -> None:
    world.http.post("/introspect", data={"token": "x"}, headers=basic("resource-server", "wrong"))
    with world.db.session() as session:
        failures = session.query(AuditEvent).filter_by(event="client.authentication.failed").all()
    assert [e.client_id for e in failures] == ["resource-server"]
