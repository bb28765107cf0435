"""Client authentication at the token endpoint (RFC 6749 §2.3 and §5.2; RFC 7523; OIDC Core §9)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import select

from idp.db import Database
from idp.models import Client, ClientAssertion
from idp.protocol.grants import client_keys
from idp.protocol.responses import ProtocolResponse
from idp.settings import Settings
from tests.conftest import TEST_ISSUER
from tests.support.tokens import SECRET, World, error_of, make_client, make_world

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_ENDPOINT = TEST_ISSUER + "/token"


@pytest.fixture
def world(settings: Settings, db: Database) -> Iterator[World]:
    yield from make_world(settings, db)


@pytest.fixture
def service(world: World) -> str:
    make_client(world.session, world.settings, "svc", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin", token_endpoint_auth_method="client_secret_post")
    return "svc"


def cc(world: World, **form: str) -> ProtocolResponse:
    form.setdefault("basic", "")
    return world.token(grant_type="client_credentials", **form)


def assert_invalid_client(response: ProtocolResponse) -> None:
    assert response.status == 401, response.body
    assert response.body["error"] == "invalid_client"
    assert response.body["error_description"] == "client authentication failed"  # the same for every cause
    assert response.header("WWW-Authenticate") == f'Basic realm="{TEST_ISSUER}"'
    assert response.header("Cache-Control") == "no-store" and response.header("Pragma") == "no-cache"


# -- secrets


def test_client_secret_basic(world: World) -> None:
    make_client(world.session, world.settings, "svc-basic", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin")
    assert cc(world, basic="svc-basic").status == 200


def test_a_bad_basic_secret_answers_401_with_a_basic_challenge(world: World) -> None:
    response = world.token(grant_type="authorization_code", code="idp_ac_x", redirect_uri="x", secret="wrong" * 8)
    assert_invalid_client(response)
    [event] = world.audit("client.authentication.failed")
    assert event.outcome == "failure" and event.client_id == "rp"


def test_no_credentials_at_all_is_invalid_client(world: World) -> None:
    assert_invalid_client(world.token(grant_type="authorization_code", code="idp_ac_x", redirect_uri="x", basic=""))


def test_client_secret_post(world: World, service: str) -> None:
    response = cc(world, client_id=service, client_secret=SECRET)
    assert response.status == 200, response.body


def test_a_bad_post_secret_and_an_unknown_client_look_the_same(world: World, service: str) -> None:
    assert_invalid_client(cc(world, client_id=service, client_secret="wrong" * 8))
    assert_invalid_client(cc(world, client_id="nobody", client_secret=SECRET))


def test_a_client_must_use_the_method_it_registered(world: World, service: str) -> None:
    assert_invalid_client(cc(world, basic=service))  # registered client_secret_post, tries HTTP Basic
    assert_invalid_client(cc(world, client_id="rp", client_secret=SECRET))  # registered basic, tries post


def test_a_confidential_client_cannot_go_without_authentication(world: World) -> None:
    response = world.token(grant_type="authorization_code", code="idp_ac_x", redirect_uri="x", basic="", client_id="rp")
    assert_invalid_client(response)


def test_a_disabled_client_cannot_authenticate(world: World, service: str) -> None:
    row = world.session.scalar(select(Client).where(Client.client_id == service))
    assert row is not None
    row.disabled_at = world.clock.now()
    assert_invalid_client(cc(world, client_id=service, client_secret=SECRET))


def test_one_authentication_method_per_request(world: World, service: str) -> None:
    response = cc(world, basic="rp", client_id=service, client_secret=SECRET)
    assert error_of(response) == "invalid_request"


def test_client_id_must_name_the_authenticated_client(world: World) -> None:
    response = world.token(grant_type="authorization_code", code="idp_ac_x", redirect_uri="x", client_id="other")
    assert_invalid_client(response)


# -- private_key_jwt


@pytest.fixture(params=["ES256", "RS256"])
def signer(request: pytest.FixtureRequest, world: World) -> tuple[str, Any]:
    alg = request.param
    key = ECKey.generate_key("P-256") if alg == "ES256" else RSAKey.generate_key(2048)
    public = key.as_dict(private=False, kid="k1", alg=alg, use="sig")
    make_client(world.session, world.settings, "pkj", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin", token_endpoint_auth_method="private_key_jwt", jwks={"keys": [public]})
    return alg, key


def assertion(signer: tuple[str, Any], **claims: Any) -> str:
    alg, key = signer
    now = int(time.time())
    values = {"iss": "pkj", "sub": "pkj", "aud": TOKEN_ENDPOINT, "iat": now, "exp": now + 60,
              "jti": f"jti-{now}-{time.perf_counter_ns()}"}
    values.update(claims)
    values = {k: v for k, v in values.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "k1"}, values, key, algorithms=[alg])


def with_assertion(world: World, value: str, **form: str) -> ProtocolResponse:
    return cc(world, client_assertion_type=ASSERTION_TYPE, client_assertion=value, **form)


@pytest.mark.parametrize("audience", [TOKEN_ENDPOINT, TEST_ISSUER, [TEST_ISSUER, "https://other.example"]])
def test_private_key_jwt(world: World, signer: tuple[str, Any], audience: Any) -> None:
    response = with_assertion(world, assertion(signer, aud=audience))
    assert response.status == 200, response.body
    stored = world.session.scalar(select(ClientAssertion))
    assert stored is not None and "jti" not in stored.jti_hash


def test_an_assertion_is_single_use(world: World, signer: tuple[str, Any]) -> None:
    value = assertion(signer)
    assert with_assertion(world, value).status == 200
    assert_invalid_client(with_assertion(world, value))


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://elsewhere.example/token"},
        {"exp": int(time.time()) - 3600},
        {"exp": int(time.time()) + 7200},  # lives too long (RFC 7523 §3 item 4)
        {"iss": "someone-else"},
        {"jti": None},
        {"sub": "rp"},
    ],
    ids=["audience", "expired", "too-long", "issuer", "no-jti", "other-client"],
)
def test_bad_assertions_are_refused(world: World, signer: tuple[str, Any], claims: dict[str, Any]) -> None:
    assert_invalid_client(with_assertion(world, assertion(signer, **claims)))


def test_an_assertion_signed_by_another_key_is_refused(world: World, signer: tuple[str, Any]) -> None:
    alg, _ = signer
    stranger = ECKey.generate_key("P-256") if alg == "ES256" else RSAKey.generate_key(2048)
    assert_invalid_client(with_assertion(world, assertion((alg, stranger))))
    assert_invalid_client(with_assertion(world, "not.a.jwt"))


def test_an_hmac_assertion_keyed_with_the_public_key_is_refused(world: World, signer: tuple[str, Any]) -> None:
    from joserfc.jwk import OctKey

    alg, key = signer
    forged_key = OctKey.import_key(json.dumps(key.as_dict(private=False, kid="k1")).encode())
    now = int(time.time())
    claims = {"iss": "pkj", "sub": "pkj", "aud": TOKEN_ENDPOINT, "exp": now + 60, "jti": "forged"}
    forged = jwt.encode({"alg": "HS256", "kid": "k1"}, claims, forged_key, algorithms=["HS256"])
    assert_invalid_client(with_assertion(world, forged))


def test_private_key_jwt_with_jwks_uri(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    key = ECKey.generate_key("P-256")
    published = {"keys": [key.as_dict(private=False, kid="k1", alg="ES256", use="sig")]}
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, content=json.dumps(published).encode())

    remote = client_keys.RemoteKeySets(transport=httpx.MockTransport(handler))
    monkeypatch.setattr(client_keys, "REMOTE_KEY_SETS", remote)
    make_client(world.session, world.settings, "pkj", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin", token_endpoint_auth_method="private_key_jwt", jwks_uri="https://rp.example/jwks")
    assert with_assertion(world, assertion(("ES256", key))).status == 200
    assert with_assertion(world, assertion(("ES256", key))).status == 200
    assert calls == ["https://rp.example/jwks"]  # cached


def test_an_unreachable_jwks_uri_fails_authentication(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    remote = client_keys.RemoteKeySets(transport=httpx.MockTransport(handler))
    monkeypatch.setattr(client_keys, "REMOTE_KEY_SETS", remote)
    make_client(world.session, world.settings, "pkj", grant_types=["client_credentials"], redirect_uris=[],
                scope="idp:admin", token_endpoint_auth_method="private_key_jwt", jwks_uri="https://rp.example/jwks")
    assert_invalid_client(with_assertion(world, assertion(("ES256", ECKey.generate_key("P-256")))))


def test_remote_key_sets_refetch_on_an_unknown_kid_at_most_every_30_seconds() -> None:
    keys = [ECKey.generate_key("P-256")]
    fetched: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(1)
        document = {"keys": [k.as_dict(private=False, kid=f"k{i}") for i, k in enumerate(keys)]}
        return httpx.Response(200, json=document)

    remote = client_keys.RemoteKeySets(transport=httpx.MockTransport(handler), refetch_seconds=0.0)
    assert [k.kid for k in remote.get("https://rp.example/jwks", "k0").keys] == ["k0"]
    keys.append(ECKey.generate_key("P-256"))
    assert [k.kid for k in remote.get("https://rp.example/jwks", "k1").keys] == ["k0", "k1"]
    assert len(fetched) == 2
    slow = client_keys.RemoteKeySets(transport=httpx.MockTransport(handler))
    slow.get("https://rp.example/jwks")
    slow.get("https://rp.example/jwks", "unknown")
    assert len(fetched) == 3  # the unknown kid did not trigger a second fetch within 30 s


def test_remote_key_sets_refuse_oversized_documents() -> None:
    remote = client_keys.RemoteKeySets(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=b" " * (70 * 1024)))
    )
    with pytest.raises(client_keys.KeysUnavailable):
        remote.get("https://rp.example/jwks")
