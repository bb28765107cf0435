"""Client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1; OIDC Core §9).

authlib's ``ClientAuthentication`` tries each method the grant allows; a client must use the one it registered
(``OAuthClient.check_endpoint_auth_method``). Around it, ``ClientAuthenticating``:

- refuses a request that carries several credentials (RFC 6749 §2.3: "MUST NOT use more than one authentication
  method in each request") and a ``client_id`` that names another client than the one authenticated;
- answers every failure the same way — ``invalid_client``, 401, ``WWW-Authenticate: Basic realm=...`` (RFC 6749
  §5.2: a client that tried HTTP Basic MUST get 401 and the challenge; RFC 7235 §3.1: every 401 carries one) and a
  description that does not tell an unknown client from a wrong secret — and writes the failure to the audit trail.

``PrivateKeyJwt`` is authlib's RFC 7523 ``JWTBearerClientAssertion`` as the ``private_key_jwt`` method: audience the
token endpoint or the issuer (RFC 7523 §3 item 3; OIDC Core §9), keys from the client's ``jwks`` or ``jwks_uri``,
and each ``jti`` accepted once (RFC 7523 §3 item 7) in the ``client_assertions`` table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.jwk import KeySet

from idp.audit import record
from idp.crypto import keyed_hash
from idp.models import ClientAssertion
from idp.protocol.grants.client_keys import KeysUnavailable, client_key_set
from idp.protocol.oauth_client import OAuthClient
from idp.storage import grants as storage

PRIVATE_KEY_JWT = "private_key_jwt"
WITH_SECRET = ["client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT]
ANY_METHOD = [*WITH_SECRET, "none"]
#: An assertion must not outlive this (RFC 7523 §3 item 4 lets the server refuse an exp far in the future); it
#: bounds how long its jti must be remembered.
MAX_ASSERTION_LIFETIME = timedelta(hours=1)
FAILED = "client authentication failed"


class InvalidClient(InvalidClientError):
    status_code = 401

    def __init__(self, realm: str, description: str = FAILED) -> None:
        super().__init__(description=description, status_code=401)
        self.realm = realm

    def get_headers(self) -> list[tuple[str, str]]:
        return [*default_json_headers, ("WWW-Authenticate", f'Basic realm="{self.realm}"')]


class ClientAuthenticating:
    """Mixed into the grants, before authlib's grant class."""

    request: Any
    server: Any

    def authenticate_token_endpoint_client(self) -> OAuthClient:
        request = self.request
        _refuse_several_credentials(request)
        try:
            client: OAuthClient = super().authenticate_token_endpoint_client()  # type: ignore[misc]
        except InvalidClientError as error:
            self._failed(error.description or error.error)
            raise InvalidClient(self.server.ctx.issuer) from None
        named = request.form.get("client_id")
        if named is not None and named != client.client_id:
            self._failed("client_id does not match the authenticated client")
            raise InvalidClient(self.server.ctx.issuer)
        return client

    def _failed(self, reason: str) -> None:
        ctx = self.server.ctx
        claimed = extract_basic_authorization(self.request.headers)[0] or self.request.form.get("client_id")
        record(ctx.session, "client.authentication.failed", context=ctx.audit, outcome="failure",
               client_id=claimed[:128] if isinstance(claimed, str) else None, details={"reason": str(reason)[:200]})


def _refuse_several_credentials(request: Any) -> None:
    form = request.form
    used = [
        request.headers.get("Authorization", "").lower().startswith("basic "),
        "client_secret" in form,
        "client_assertion" in form or "client_assertion_type" in form,
    ]
    if sum(used) > 1:
        raise InvalidRequestError("use one client authentication method per request (RFC 6749 section 2.3)")


class PrivateKeyJwt(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, server: Any) -> None:
        super().__init__(validate_jti=True)
        self.server = server
        self._kid: str | None = None

    def get_audiences(self) -> list[str]:
        ctx = self.server.ctx
        return [ctx.endpoint("/token"), ctx.issuer]

    def extract_assertion(self, assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
        headers, claims = super().extract_assertion(assertion)
        kid = headers.get("kid")
        self._kid = kid if isinstance(kid, str) else None
        return headers, claims

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        try:
            return client_key_set(client.row, self._kid)
        except KeysUnavailable as exc:
            raise InvalidClientError(description="the client's keys are unavailable", status_code=401) from exc

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        ctx = self.server.ctx
        now = ctx.clock.now()
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC) + timedelta(seconds=self.leeway)
        if not isinstance(jti, str) or not jti or len(jti) > 255:
            raise InvalidClientError(description="the assertion's jti must be a string")
        if expires_at > now + MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(description="the assertion expires too far in the future")
        client = self.server.query_client(claims["sub"])
        secret = ctx.settings.secret_key.get_secret_value()
        jti_hash = keyed_hash(secret, "client-assertion", f"{client.client_id}\x00{jti}")
        return storage.add_client_assertion(
            ctx.session, ClientAssertion(jti_hash=jti_hash, client_id=client.row.id, expires_at=expires_at)
        )
