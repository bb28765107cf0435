"""Registering OAuth clients (relying parties): ``idp clients add`` now, the admin API later, one function for both.

``register_client`` validates the document (``ClientMetadata``), generates what is absent (``client_id``; a
``client_secret`` for the ``client_secret_*`` methods), stores the secret only as a keyed hash and returns the
plaintext exactly once. The error codes are those of RFC 7591 §3.2.2 (``invalid_redirect_uri``,
``invalid_client_metadata``) so that the admin API can answer with them; both are ``InvalidInput`` to everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from idp.audit import CLI, AuditContext, record
from idp.crypto import constant_time_equals, keyed_hash, new_token
from idp.db import Session
from idp.errors import AlreadyExists, InvalidInput
from idp.models import Client
from idp.protocol.client_metadata import SECRET_AUTH_METHODS, ClientMetadata
from idp.settings import Settings
from idp.storage import clients as storage
from idp.validation import describe_error

CLIENT_SECRET_PURPOSE = "client-secret"
CLIENT_SECRET_PREFIX = "idp_cs_"  # recognisable by secret scanners (CONVENTIONS §10)
_CLIENT_ID_BYTES = 16
_CLIENT_SECRET_BYTES = 32


class InvalidClientMetadata(InvalidInput):
    code = "invalid_client_metadata"


class InvalidRedirectUri(InvalidInput):
    code = "invalid_redirect_uri"


_UNKNOWN_MEMBER = "unknown member (client metadata names are those of RFC 7591 and OIDC Registration)"


def parse_client_metadata(document: Any) -> ClientMetadata:
    """Validate a registration document; the first problem becomes a one-line domain error naming the field."""
    if not isinstance(document, dict):
        raise InvalidClientMetadata("the client document must be a JSON object")
    try:
        return ClientMetadata.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        description = describe_error(first, unknown_field=_UNKNOWN_MEMBER)  # never the input: it may be a secret
        if len(errors) > 1:
            description += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        error_class = InvalidRedirectUri if first["type"] == "invalid_redirect_uri" else InvalidClientMetadata
        raise error_class(description) from None


def hash_client_secret(settings: Settings, secret: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), CLIENT_SECRET_PURPOSE, secret)


def verify_client_secret(settings: Settings, client: Client, presented: str) -> bool:
    """Whether ``presented`` is the client's secret; constant time, False for clients without one."""
    if client.client_secret_hash is None:
        return False
    return constant_time_equals(hash_client_secret(settings, presented), client.client_secret_hash)


@dataclass(frozen=True)
class RegisteredClient:
    """The stored client, and its secret in clear when one was generated or given (shown once, never stored)."""

    client: Client
    client_secret: str | None

    def document(self) -> dict[str, Any]:
        document = client_document(self.client)
        if self.client_secret is not None:
            document["client_secret"] = self.client_secret
            document["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: required with a secret; 0 = never
        return document


def register_client(
    session: Session, settings: Settings, document: dict[str, Any], *, context: AuditContext = CLI
) -> RegisteredClient:
    metadata = parse_client_metadata(document)
    client_id = metadata.client_id or new_token("", _CLIENT_ID_BYTES)
    if storage.get_by_client_id(session, client_id) is not None:
        raise AlreadyExists(f"client_id {client_id} is already registered")
    secret: str | None = None
    if metadata.token_endpoint_auth_method in SECRET_AUTH_METHODS:
        given = metadata.client_secret
        secret = given.get_secret_value() if given else new_token(CLIENT_SECRET_PREFIX, _CLIENT_SECRET_BYTES)
    client = Client(
        client_id=client_id,
        client_secret_hash=hash_client_secret(settings, secret) if secret is not None else None,
        client_name=metadata.client_name or client_id,  # RFC 7591 §2: the raw client_id may stand for the name
        redirect_uris=metadata.redirect_uris,
        post_logout_redirect_uris=metadata.post_logout_redirect_uris,
        backchannel_logout_uri=metadata.backchannel_logout_uri,
        backchannel_logout_session_required=metadata.backchannel_logout_session_required,
        token_endpoint_auth_method=metadata.token_endpoint_auth_method,
        jwks=metadata.jwks,
        jwks_uri=metadata.jwks_uri,
        id_token_signed_response_alg=metadata.id_token_signed_response_alg,
        grant_types=metadata.grant_types,
        response_types=metadata.response_types,
        scope=metadata.scope,
        default_acr_values=metadata.default_acr_values,
        minimum_acr=metadata.minimum_acr,
    )
    storage.add_client(session, client)
    details = {
        "client_name": client.client_name,
        "auth_method": client.token_endpoint_auth_method,
        "grant_types": client.grant_types,
        "credential_generated": metadata.client_secret is None and secret is not None,
    }
    if context.client_id:  # the row's client_id names the new client; this, the one that registered it (admin API)
        details["registered_by_client_id"] = context.client_id
    record(session, "client.created", context=context, client_id=client_id, details=details)
    return RegisteredClient(client, secret)


def list_clients(session: Session) -> list[Client]:
    return storage.list_clients(session)


def client_document(client: Client) -> dict[str, Any]:
    """The client's registered metadata under RFC 7591 names; never its secret nor the hash of it."""
    document: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()) if client.created_at else None,
        "client_name": client.client_name,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "scope": client.scope,
        "default_acr_values": list(client.default_acr_values),
        "minimum_acr": client.minimum_acr,
    }
    return {name: value for name, value in document.items() if value is not None}  # unset members are left out
