"""Token introspection (RFC 7662): a resource server asks whether a token is active and what it carries.

Decisions (RFC 7662 leaves them to the authorization server):

- **Who may ask.** Any *confidential* client that authenticates as it registered (``client_secret_basic``,
  ``client_secret_post`` or ``private_key_jwt``, RFC 7662 §2.1 "the endpoint MUST also require some form of
  authorization"). Public clients are refused with ``invalid_client``: they cannot keep a credential, so anyone could
  ask in their name (``OAuthClient.check_endpoint_auth_method``). An authenticated client may introspect *any* token,
  not only its own: that is what resource servers are for (RFC 7662 §1).
- **What is audited.** Client-authentication failures always (``client.authentication.failed``). An active *refresh*
  token's introspection is audited as ``token.introspected`` (who asked, whose token, issued to which client): the
  answer discloses what the opaque string does not (the person, the scope). An active *access* token's is not: the
  answer restates the JWT's own signed claims plus the liveness bit, so the row would record little the resource
  server did not already hold, while costing the hot path an insert and a commit (measured: ~0.9 ms CPU and ~6 ms of
  latency per request on PostgreSQL, about half the endpoint's throughput). ``AUDITED`` is the switch.
- **What is inactive.** Unknown, malformed, expired, revoked or rotated tokens, and tokens of a disabled client or an
  account that is no longer active, all answer ``{"active": false}`` and nothing else (RFC 7662 §2.2: "the
  authorization server MUST NOT ... include any additional information about an inactive token").
- **The hint** only orders the search (RFC 7662 §2.1); an unknown hint is ignored rather than an error.
- ``token_type`` is ``Bearer`` for access tokens (the ``token_type`` of RFC 6749 §7.1) and ``refresh_token`` for
  refresh tokens; ``aud`` is the issuer for both (access tokens name the OP, RFC 9068 §3; a refresh token is only
  ever presented to the OP's token endpoint).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from idp.audit import record
from idp.protocol.context import ProtocolContext
from idp.protocol.endpoint_client_auth import EndpointClientAuthentication
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.presented_tokens import ACCESS_TOKEN, REFRESH_TOKEN, PresentedToken, find_presented_token
from idp.protocol.subject import subject_identifier

#: The token kinds whose active introspection is written to the audit trail (see the module docstring).
AUDITED = frozenset({REFRESH_TOKEN})
#: The methods a client may authenticate with here; each client is held to the one it registered.
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


class TokenIntrospectionEndpoint(EndpointClientAuthentication, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    @property
    def ctx(self) -> ProtocolContext:
        return self.server.ctx  # type: ignore[no-any-return]

    def check_params(self, request: Any, client: OAuthClient) -> None:
        # RFC 7662 §2.1: ``token`` is REQUIRED; the hint is advisory, so an unknown one is no error.
        if not request.form.get("token"):
            raise InvalidRequestError("The token parameter is required.")

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        found = find_presented_token(self.ctx, token_string, token_type_hint)
        return found if found is not None and found.inactive_reason() is None else None

    def check_permission(self, token: PresentedToken, client: OAuthClient, request: Any) -> bool:
        return True  # any authenticated confidential client: see the module docstring

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        # authlib's steps (authenticate the client, find the token, answer), plus the audit of what was disclosed.
        client = self.authenticate_endpoint_client(request)
        token = self.authenticate_token(request, client)
        body = self.create_introspection_payload(token)
        if body["active"] and token.type_name in AUDITED:
            self._audit(token, client)
        return 200, body, default_json_headers

    def introspect_token(self, token: PresentedToken) -> dict[str, Any]:
        describe = _access_token_payload if token.type_name == ACCESS_TOKEN else _refresh_token_payload
        payload = describe(token, self.ctx.issuer)
        return {"active": True, **{name: value for name, value in payload.items() if value is not None}}

    def _audit(self, token: PresentedToken, client: OAuthClient) -> None:
        record(
            self.ctx.session,
            "token.introspected",
            context=self.ctx.audit,
            account_id=token.row.account_id,
            client_id=client.client_id,
            details={"token_kind": token.row.kind, "token_id": str(token.row.id), "issued_to": token.client.client_id},
        )


def _access_token_payload(token: PresentedToken, issuer: str) -> dict[str, Any]:
    claims = token.claims
    return {
        "scope": token.row.scope,
        "client_id": token.client.client_id,
        "sub": claims.get("sub"),
        "exp": claims.get("exp"),
        "iat": claims.get("iat"),
        "iss": claims.get("iss"),
        "aud": claims.get("aud"),
        "jti": claims.get("jti"),
        "token_type": "Bearer",
        "auth_time": claims.get("auth_time"),
        "acr": claims.get("acr"),
    }


def _refresh_token_payload(token: PresentedToken, issuer: str) -> dict[str, Any]:
    row = token.row
    return {
        "scope": row.scope,
        "client_id": token.client.client_id,
        "sub": subject_identifier(token.account) if token.account is not None else None,
        "exp": _epoch(row.expires_at),
        "iat": _epoch(row.created_at),
        "iss": issuer,
        "aud": issuer,
        "jti": row.jti,
        "token_type": "refresh_token",
        "auth_time": _epoch(row.auth_time),
        "acr": row.acr,
    }


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def register(server: Any) -> None:
    server.register_endpoint(TokenIntrospectionEndpoint)
