"""``GET /jwks``: what relying parties fetch to verify our tokens."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.db import Database
from idp.keys.service import rotate_signing_keys
from idp.main import create_app
from idp.settings import Settings
from tests.conftest import TEST_ISSUER, make_settings

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def test_jwks_serves_both_algorithms_with_public_members_only(client: TestClient) -> None:
    response = client.get("/jwks")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert {(k["alg"], k["kty"]) for k in keys} == {("RS256", "RSA"), ("ES256", "EC")}
    assert len(keys) == 4  # active and next of each algorithm
    for key in keys:
        assert key["use"] == "sig" and key["kid"]
        assert PRIVATE_MEMBERS.isdisjoint(key), key


def test_jwks_lists_active_keys_first(client: TestClient) -> None:
    keyring = client.app.state.keyring  # type: ignore[attr-defined]
    active = {keyring.signing_key(alg)[0] for alg in ("RS256", "ES256")}
    assert {k["kid"] for k in client.get("/jwks").json()["keys"][:2]} == active


def test_jwks_etag_answers_304_and_changes_with_the_keys(client: TestClient, settings: Settings, db: Database) -> None:
    first = client.get("/jwks")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong
    not_modified = client.get("/jwks", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag and not_modified.headers["cache-control"] == "public, max-age=300"
    assert client.get("/jwks", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get("/jwks", headers={"If-None-Match": '"other"'}).status_code == 200

    with db.session() as session:
        rotate_signing_keys(session, settings)
    rotated = client.get("/jwks", headers={"If-None-Match": etag})
    assert rotated.status_code == 200 and rotated.headers["etag"] != etag
    assert len(rotated.json()["keys"]) == 6  # active, next and retired of each algorithm


def test_tokens_signed_before_and_after_a_rotation_verify_against_the_served_jwks(
    client: TestClient, settings: Settings, db: Database
) -> None:
    keyring = client.app.state.keyring  # type: ignore[attr-defined]
    tokens = []
    for alg in ("RS256", "ES256"):
        kid, key = keyring.signing_key(alg)
        tokens.append((alg, jwt.encode({"alg": alg, "kid": kid}, {"sub": "before"}, key)))
    with db.session() as session:
        rotate_signing_keys(session, settings)
    published = KeySet.import_key_set(client.get("/jwks").json())  # the request refreshes the ring
    for alg in ("RS256", "ES256"):
        kid, key = keyring.signing_key(alg)
        tokens.append((alg, jwt.encode({"alg": alg, "kid": kid}, {"sub": "after"}, key)))
    for alg, token in tokens:
        assert jwt.decode(token, published, algorithms=[alg]).claims["sub"] in {"before", "after"}


def test_jwks_answers_503_when_no_key_could_be_loaded() -> None:
    url = "sqlite:////nonexistent-dir/idp.sqlite3"
    app = create_app(make_settings(url))
    with TestClient(app, base_url=TEST_ISSUER) as client:
        assert not app.state.keyring.is_loaded()
        response = client.get("/jwks")
    assert response.status_code == 503
    assert response.json() == {"error": "temporarily_unavailable"}
    assert response.headers["cache-control"] == "no-store"


def test_jwks_body_is_compact_json(client: TestClient) -> None:
    body = client.get("/jwks").content
    assert body == json.dumps(json.loads(body), separators=(",", ":")).encode()
