"""Client registration: every rule of the metadata document, and the secret kept only as a keyed hash."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from joserfc.jwk import ECKey
from sqlalchemy import text

from idp.authn.levels import ACR_CARD, ACR_LADDER, ACR_OTP, ACR_WEAK
from idp.crypto import keyed_hash
from idp.db import Database
from idp.errors import AlreadyExists, InvalidInput
from idp.models.clients import AUTH_METHODS as STORED_AUTH_METHODS
from idp.models.clients import SIGNING_ALGS
from idp.protocol.client_metadata import AUTH_METHODS, SigningAlg
from idp.protocol.clients import (
    CLIENT_SECRET_PREFIX,
    InvalidClientMetadata,
    InvalidRedirectUri,
    RegisteredClient,
    client_document,
    list_clients,
    register_client,
    verify_client_secret,
)
from idp.settings import Settings
from idp.storage import audit as audit_storage

RP = "https://portail.example/cb"
GIVEN_SECRET = "s3cret-given-by-the-operator-0123456789"


def register(db: Database, settings: Settings, **document: Any) -> RegisteredClient:
    document.setdefault("redirect_uris", [RP])
    with db.session() as session:
        return register_client(session, settings, document)


def refused(
    db: Database, settings: Settings, message: str, error: type[InvalidInput] = InvalidInput, **document: Any
) -> None:
    with pytest.raises(error) as caught:
        register(db, settings, **document)
    assert message in caught.value.description, caught.value.description
    assert "\n" not in caught.value.description


def public_jwk() -> dict[str, Any]:
    return ECKey.generate_key("P-256").as_dict(private=False)


def test_the_model_speaks_the_same_enumerations_as_the_table() -> None:
    assert set(AUTH_METHODS) == set(STORED_AUTH_METHODS)
    assert set(get_args(SigningAlg)) == set(SIGNING_ALGS)
    assert dict(ACR_LADDER) == {ACR_WEAK: 1, ACR_OTP: 2, ACR_CARD: 3}


def test_defaults_generate_an_id_and_a_secret(db: Database, settings: Settings) -> None:
    registered = register(db, settings, client_name="Portail régional")
    client = registered.client
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", client.client_id)
    assert registered.client_secret and registered.client_secret.startswith(CLIENT_SECRET_PREFIX)
    assert len(registered.client_secret) >= 32 + len(CLIENT_SECRET_PREFIX)
    assert client.token_endpoint_auth_method == "client_secret_basic"
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.response_types == ["code"]
    assert client.scope == "openid profile email"
    assert client.id_token_signed_response_alg == "RS256"
    assert (client.minimum_acr, client.default_acr_values) == (None, [])


def test_secret_is_stored_only_as_a_keyed_hash(db: Database, settings: Settings) -> None:
    registered = register(db, settings)
    secret, client = registered.client_secret, registered.client
    assert secret is not None
    assert client.client_secret_hash == keyed_hash(settings.secret_key.get_secret_value(), "client-secret", secret)
    assert verify_client_secret(settings, client, secret)
    assert not verify_client_secret(settings, client, secret + "x")
    with db.session() as session:
        rows = [dict(row) for row in session.execute(text("SELECT * FROM clients")).mappings()]
        audit_rows = [dict(row) for row in session.execute(text("SELECT * FROM audit_events")).mappings()]
    assert len(rows) == 1
    assert secret not in repr(rows) and secret not in repr(audit_rows)
    assert "client_secret" not in client_document(client) and "client_secret_hash" not in client_document(client)


def test_a_given_secret_is_kept_hashed_and_returned_once(db: Database, settings: Settings) -> None:
    registered = register(db, settings, client_secret=GIVEN_SECRET, token_endpoint_auth_method="client_secret_post")
    assert registered.client_secret == GIVEN_SECRET
    assert verify_client_secret(settings, registered.client, GIVEN_SECRET)
    document = registered.document()
    assert document["client_secret"] == GIVEN_SECRET and document["client_secret_expires_at"] == 0


@pytest.mark.parametrize("secret", ["short", "x" * 256, "with spaces in the secret but long enough ok", "é" * 40])
def test_weak_or_odd_given_secrets_are_refused_without_echoing_them(
    db: Database, settings: Settings, secret: str
) -> None:
    with pytest.raises(InvalidClientMetadata) as caught:
        register(db, settings, client_secret=secret)
    assert caught.value.description.startswith("client_secret: ")
    assert secret not in caught.value.description


def test_public_client_has_no_secret(db: Database, settings: Settings) -> None:
    registered = register(db, settings, token_endpoint_auth_method="none", redirect_uris=["com.example.app:/cb"])
    assert registered.client_secret is None and registered.client.client_secret_hash is None
    assert "client_secret" not in registered.document()
    assert not verify_client_secret(settings, registered.client, "")


def test_public_client_rules(db: Database, settings: Settings) -> None:
    refused(db, settings, "client_secret: not used with token_endpoint_auth_method none",
            token_endpoint_auth_method="none", client_secret=GIVEN_SECRET)
    refused(db, settings, "grant_types: client_credentials needs a confidential client",
            token_endpoint_auth_method="none", grant_types=["authorization_code", "client_credentials"])


def test_private_key_jwt_needs_exactly_one_key_source(db: Database, settings: Settings) -> None:
    jwks = {"keys": [public_jwk()]}
    registered = register(db, settings, token_endpoint_auth_method="private_key_jwt", jwks=jwks)
    assert registered.client_secret is None and registered.client.jwks == jwks
    assert register(db, settings, token_endpoint_auth_method="private_key_jwt",
                    jwks_uri="https://rp.example/jwks").client.jwks_uri == "https://rp.example/jwks"
    refused(db, settings, "jwks: private_key_jwt needs jwks or jwks_uri", token_endpoint_auth_method="private_key_jwt")
    refused(db, settings, "not both", token_endpoint_auth_method="private_key_jwt", jwks=jwks,
            jwks_uri="https://rp.example/jwks")
    refused(db, settings, "client_secret: not used with token_endpoint_auth_method private_key_jwt",
            token_endpoint_auth_method="private_key_jwt", jwks=jwks, client_secret=GIVEN_SECRET)


def test_jwks_content_and_place(db: Database, settings: Settings) -> None:
    private = ECKey.generate_key("P-256").as_dict(private=True)
    method = {"token_endpoint_auth_method": "private_key_jwt"}
    refused(db, settings, "jwks: holds private key material", jwks={"keys": [private]}, **method)
    refused(db, settings, "jwks: must be a JWK Set", jwks={"keys": []}, **method)
    refused(db, settings, "jwks: keys[0]: kty must be RSA, EC or OKP", jwks={"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
            **method)
    refused(db, settings, "jwks: is not a valid JWK Set", jwks={"keys": [{"kty": "EC"}]}, **method)
    refused(db, settings, "jwks_uri: must use https", jwks_uri="http://127.0.0.1/jwks", **method)
    refused(db, settings, "jwks: only used with token_endpoint_auth_method private_key_jwt",
            jwks={"keys": [public_jwk()]})
    refused(db, settings, "jwks_uri: only used with", jwks_uri="https://rp.example/jwks")


@pytest.mark.parametrize(
    "uri",
    [
        RP,
        "https://portail.example:8443/oidc/callback?tenant=ara",
        "http://127.0.0.1:51004/cb",
        "http://[::1]/cb",
        "http://localhost:8080/cb",
    ],
)
def test_acceptable_redirect_uris(db: Database, settings: Settings, uri: str) -> None:
    client = register(db, settings, redirect_uris=[uri], post_logout_redirect_uris=[uri]).client
    assert client.redirect_uris == [uri] and client.post_logout_redirect_uris == [uri]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://portail.example/cb", "must use https (http only for loopback)"),
        ("http://127.0.0.2.example/cb", "must use https (http only for loopback)"),
        ("https://portail.example/cb#top", "must not contain a fragment"),
        ("https://*.portail.example/cb", "must not contain a wildcard"),
        ("https://portail.example/*", "must not contain a wildcard"),
        ("/cb", "must be an absolute URI"),
        ("portail.example/cb", "must be an absolute URI"),
        ("https:///cb", "must name a host"),
        ("https://portail.example@evil.example/cb", "must not carry user information"),
        ("https://portail.example:99999/cb", "has an invalid port"),
        ("https://portail.example/c b", "must not contain spaces"),
        ("javascript:alert(1)", "a private-use scheme must be a reverse domain name"),
        ("com.example.app:/cb", "private-use schemes are for public clients only"),
        ("https://portail.example/" + "a" * 2000, "at most 2000 characters"),
    ],
)
def test_unacceptable_redirect_uris(db: Database, settings: Settings, uri: str, message: str) -> None:
    refused(db, settings, f"redirect_uris[1]: {message}", InvalidRedirectUri, redirect_uris=[RP, uri])
    refused(db, settings, f"post_logout_redirect_uris[0]: {message}", post_logout_redirect_uris=[uri])


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("javascript:alert(1)", "reverse domain name"),
        ("myapp:/cb", "reverse domain name"),
        ("com.example.app:", "reverse domain name"),
    ],
)
def test_private_use_schemes_must_be_reverse_domain_names(
    db: Database, settings: Settings, uri: str, message: str
) -> None:
    refused(db, settings, message, InvalidRedirectUri, token_endpoint_auth_method="none", redirect_uris=[uri])


def test_redirect_uris_are_required_for_the_code_flow_and_unique(db: Database, settings: Settings) -> None:
    refused(db, settings, "redirect_uris: required for the authorization_code grant", InvalidRedirectUri,
            redirect_uris=[])
    refused(db, settings, "redirect_uris[1]: duplicate of redirect_uris[0]", InvalidRedirectUri, redirect_uris=[RP, RP])
    refused(db, settings, "redirect_uris: must be a valid list", redirect_uris=RP)


def test_backchannel_logout_uri(db: Database, settings: Settings) -> None:
    client = register(db, settings, backchannel_logout_uri="https://portail.example/bc?x=1",
                      backchannel_logout_session_required=True).client
    assert client.backchannel_logout_uri == "https://portail.example/bc?x=1"
    assert client.backchannel_logout_session_required
    assert register(db, settings, backchannel_logout_uri="http://127.0.0.1:9000/bc").client.backchannel_logout_uri
    refused(db, settings, "backchannel_logout_uri: must use https (http only for loopback)",
            backchannel_logout_uri="http://portail.example/bc")
    refused(db, settings, "backchannel_logout_uri: must not contain a fragment", backchannel_logout_uri=RP + "#f")
    refused(db, settings, "backchannel_logout_uri: must use https", backchannel_logout_uri="com.example.app:/bc")
    refused(db, settings, "backchannel_logout_session_required: needs backchannel_logout_uri",
            backchannel_logout_session_required=True)
    refused(db, settings, "backchannel_logout_session_required: must be a valid boolean",
            backchannel_logout_uri=RP, backchannel_logout_session_required="true")


def test_client_id_rules(db: Database, settings: Settings) -> None:
    assert register(db, settings, client_id="portail.ara-2024_v1~x").client.client_id == "portail.ara-2024_v1~x"
    refused(db, settings, "client_id: 1 to 128 characters", client_id="with space")
    refused(db, settings, "client_id: 1 to 128 characters", client_id="x" * 129)
    refused(db, settings, "client_id: 1 to 128 characters", client_id="")
    with pytest.raises(AlreadyExists, match="client_id portail.ara-2024_v1~x is already registered"):
        register(db, settings, client_id="portail.ara-2024_v1~x")


def test_client_name_defaults_to_the_client_id(db: Database, settings: Settings) -> None:
    assert register(db, settings, client_id="portail").client.client_name == "portail"
    refused(db, settings, "client_name: 1 to 255 characters", client_name="   ")


def test_grant_and_response_types(db: Database, settings: Settings) -> None:
    machine = register(db, settings, grant_types=["client_credentials"], redirect_uris=[], scope="idp:admin").client
    assert (machine.grant_types, machine.response_types, machine.scope) == (["client_credentials"], [], "idp:admin")
    both = register(db, settings, grant_types=["authorization_code", "client_credentials", "authorization_code"]).client
    assert both.grant_types == ["authorization_code", "client_credentials"] and both.response_types == ["code"]
    refused(db, settings, "grant_types[0]: must be 'authorization_code', 'refresh_token' or 'client_credentials'",
            grant_types=["implicit"])
    refused(db, settings, "grant_types: must name at least one grant type", grant_types=[])
    refused(db, settings, "grant_types: refresh_token comes with authorization_code",
            grant_types=["client_credentials", "refresh_token"], redirect_uris=[])
    refused(db, settings, "redirect_uris: only used with the authorization_code grant",
            grant_types=["client_credentials"])
    refused(db, settings, "response_types[0]: must be 'code'", response_types=["token"])
    refused(db, settings, "response_types: must be ['code']", response_types=[])
    refused(db, settings, "response_types: must be []", response_types=["code"], grant_types=["client_credentials"],
            redirect_uris=[])


def test_scope(db: Database, settings: Settings) -> None:
    client = register(db, settings, scope="openid  profile openid establishments rpps").client
    assert client.scope == "openid profile establishments rpps"
    refused(db, settings, "scope: unknown scope 'offline'", scope="openid offline")
    refused(db, settings, "scope: must name at least one scope", scope="   ")
    refused(db, settings, "scope: must be a valid string", scope=["openid"])


def test_acr_values_come_from_the_ladder(db: Database, settings: Settings) -> None:
    client = register(db, settings, minimum_acr=ACR_OTP, default_acr_values=[ACR_CARD, ACR_OTP, ACR_CARD]).client
    assert (client.minimum_acr, client.default_acr_values) == (ACR_OTP, [ACR_CARD, ACR_OTP])
    refused(db, settings, "minimum_acr: must be one of urn:viatrajectoire:acr:weak", minimum_acr="eidas1")
    refused(db, settings, "default_acr_values[0]: must be one of", default_acr_values=["urn:viatrajectoire:acr:max"])


def test_id_token_signing_algorithm(db: Database, settings: Settings) -> None:
    assert register(db, settings, id_token_signed_response_alg="ES256").client.id_token_signed_response_alg == "ES256"
    refused(db, settings, "id_token_signed_response_alg: must be 'RS256' or 'ES256'",
            id_token_signed_response_alg="HS256")


def test_unknown_members_and_wrong_types_are_named(db: Database, settings: Settings) -> None:
    refused(db, settings, "post_logout_redirect_uri: unknown member", InvalidClientMetadata,
            post_logout_redirect_uri=[RP])
    refused(db, settings, "token_endpoint_auth_method: must be", token_endpoint_auth_method="client_secret_jwt")
    refused(db, settings, "(and 1 more problem)", client_id="a b", unknown=1)
    with db.session() as session, pytest.raises(InvalidClientMetadata, match="must be a JSON object"):
        register_client(session, settings, [RP])  # type: ignore[arg-type]


def test_registration_is_audited_and_listed(db: Database, settings: Settings) -> None:
    first = register(db, settings, client_id="b-portail", client_name="Portail B")
    second = register(db, settings, client_id="a-logiciel", token_endpoint_auth_method="none")
    with db.session() as session:
        assert [c.client_id for c in list_clients(session)] == ["b-portail", "a-logiciel"]
        events = audit_storage.events(session, event="client.created")
    assert [e.client_id for e in events] == ["b-portail", "a-logiciel"]
    assert events[0].details == {
        "client_name": "Portail B",
        "auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "credential_generated": True,
    }
    document = client_document(first.client)
    assert document["client_id"] == "b-portail" and isinstance(document["client_id_issued_at"], int)
    assert "jwks" not in document and "minimum_acr" not in document and "backchannel_logout_uri" not in document
    assert client_document(second.client)["token_endpoint_auth_method"] == "none"
