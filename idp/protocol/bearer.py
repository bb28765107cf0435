"""Bearer access tokens (RFC 6750) issued by this OP as JWTs (RFC 9068): where a request carries one, and whether it
is still good.

``authenticate_bearer`` is authlib's ``JWTBearerTokenValidator`` run against the key ring: the signature is checked
with the published keys parsed once per key-ring load (``KeyRing.verification_keys``), never per request; then the
``jti`` is looked up with one indexed query that also brings the client and the account, as read-only views
(``idp.storage.token_records``: a Core select of the columns the checks and the claims read; loading ORM entities
cost ~15% more CPU per request). A JWT that verifies is not enough: revocation (RFC 7009), a disabled account
or client, and the row's own expiry all end a token before its ``exp``. A ``client_credentials`` token has no row
until it is revoked (``idp.protocol.tokens``): the same query finds its client, and the absence of a row means it
was never revoked. Every failure is ``invalid_token`` (RFC 6750 §3.1) with a description that tells the client
developer which check failed and nothing an attacker could not already see.

``bearer_token`` finds the token in a request (RFC 6750 §2): the ``Authorization`` header, or the
``access_token`` member of a form-encoded POST body; the query string is refused (RFC 6750 §2.3 and §5.3: URLs end up
in logs and ``Referer`` headers; OAuth 2.0 Security BCP §2.4 says MUST NOT).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from idp.keys.material import ALGORITHMS
from idp.protocol.bearer_errors import BearerInsufficientScope, BearerInvalidRequest, MissingBearerToken
from idp.protocol import tokens
from idp.protocol.context import ProtocolContext
from idp.protocol.requests import HttpRequest
from idp.protocol.token_status import inactive_reason
from idp.storage import token_records as storage
from idp.storage.token_records import AccessTokenRecord, AccountView, ClientView, TokenView

#: Clock skew tolerated on ``exp``/``iat`` between the instances that sign and verify (RFC 7519 §4.1.4).
LEEWAY_SECONDS = 30
#: RFC 9068 §4: the resource server MUST check that ``typ`` is ``at+jwt`` (``application/at+jwt`` is its long form).
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
FORM_URLENCODED = "application/x-www-form-urlencoded"


def invalid_token(description: str) -> InvalidTokenError:
    return InvalidTokenError(description=description)


class AccessTokenClaims(JWTAccessTokenClaims):
    """The verified claims of an access token; ``record`` (row, client, account: read-only views) is set once the
    row was found."""

    record: AccessTokenRecord

    @property
    def token(self) -> TokenView:
        return self.record.token

    @property
    def client(self) -> ClientView:
        return self.record.client

    @property
    def account(self) -> AccountView | None:
        return self.record.account

    @property
    def scope(self) -> str:
        return self.record.token.scope


class AccessTokenValidator(JWTBearerTokenValidator):
    def __init__(self, ctx: ProtocolContext) -> None:
        # RFC 9068 §3: our access tokens name the OP itself as their audience (it serves userinfo).
        super().__init__(issuer=ctx.issuer, resource_server=ctx.issuer)
        self.ctx = ctx

    def get_jwks(self) -> KeySet:
        self.ctx.keyring.refresh_if_stale()  # a key rotated by another process becomes known here too
        return self.ctx.keyring.verification_keys()

    def authenticate_token(self, token_string: str) -> AccessTokenClaims:
        # authlib's version re-imports the key set on every call and accepts any algorithm of joserfc's
        # recommended list: ours verifies with the ring's parsed keys and the OP's own algorithms only.
        try:
            decoded = jwt.decode(token_string, self.get_jwks(), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise invalid_token("The access token is malformed or its signature does not verify.") from exc
        # RFC 9068 §4: typ MUST be at+jwt; authlib checks it only when present. An ID token is not an access token.
        if str(decoded.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise invalid_token("The token is not an access token (typ must be at+jwt).")
        return AccessTokenClaims(decoded.claims, decoded.header, self._claims_options())

    def _claims_options(self) -> dict[str, Any]:
        return {
            "iss": {"essential": True, "value": self.issuer},  # RFC 9068 §4: MUST exactly match
            "aud": {"essential": True, "value": self.resource_server},
            **{name: {"essential": True} for name in ("exp", "iat", "jti", "client_id")},
        }

    def validate_token(self, token: AccessTokenClaims, scopes: Any, request: Any) -> None:  # type: ignore[override]
        now = int(self.ctx.clock.now().timestamp())
        try:
            token.validate(now=now, leeway=LEEWAY_SECONDS)
        except ExpiredTokenError as exc:
            raise invalid_token("The access token has expired.") from exc
        except JoseError as exc:
            raise invalid_token("The access token was not issued by this server for this use.") from exc
        token.record = self._current_record(token)
        if self.scope_insufficient(token.scope, scopes):
            raise BearerInsufficientScope(" ".join(scopes))

    def _current_record(self, claims: dict[str, Any]) -> AccessTokenRecord:
        record = token_record(self.ctx, claims)
        if record is None:
            raise invalid_token("The access token is unknown.")
        reason = inactive_reason(*record, self.ctx.clock.now())
        if reason is not None:
            raise invalid_token(reason)
        return record


def token_record(ctx: ProtocolContext, claims: dict[str, Any]) -> AccessTokenRecord | None:
    """The row (stored, or made from the claims of a row-less token), client and account of verified claims."""
    jti, client_id = claims.get("jti"), claims.get("client_id")
    if not isinstance(jti, str) or not isinstance(client_id, str):
        return None
    found = storage.access_token_lookup(ctx.session, jti, client_id)
    if found is None:
        return None
    if found.token is not None:
        return AccessTokenRecord(found.token, found.client, found.account)
    if tokens.is_stateless(claims):
        return AccessTokenRecord(tokens.stateless_row(claims, found.client), found.client, None)
    return None


def authenticate_bearer(ctx: ProtocolContext, token_string: str, *, scope: str | None = None) -> AccessTokenClaims:
    """The access token's verified claims and current row, or ``InvalidTokenError`` / ``BearerInsufficientScope``
    (``OAuth2Error``s: ``error()`` gives the RFC 6750 status, body and challenge)."""
    validator = AccessTokenValidator(ctx)
    claims = validator.authenticate_token(token_string)
    validator.validate_token(claims, [scope] if scope else None, None)
    return claims


def verified_access_token(
    ctx: ProtocolContext, token_string: str
) -> tuple[AccessTokenClaims, AccessTokenRecord] | None:
    """An access token of ours whatever its state (revocation must find expired and revoked ones too): signature,
    ``typ`` and ``iss`` verified, row found by ``jti``; None for anything else."""
    validator = AccessTokenValidator(ctx)
    try:
        claims = validator.authenticate_token(token_string)
    except InvalidTokenError:
        return None
    if claims.get("iss") != ctx.issuer:
        return None
    record = token_record(ctx, claims)
    return (claims, record) if record is not None else None


def bearer_token(http: HttpRequest) -> str:
    """The one access token the request carries (RFC 6750 §2), or ``BearerInvalidRequest`` / ``MissingBearerToken``.

    An ``Authorization`` header of another scheme (Basic...) is no bearer credential: the answer is then the bare
    ``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3.1, a request without credentials gets no error code).
    """
    if any(name == "access_token" for name, _ in http.query):
        raise BearerInvalidRequest("The access token must not be sent in the query string.")
    found: list[str] = []
    scheme, _, credentials = (http.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer":  # RFC 7235 §2.1: the scheme is case-insensitive
        found.append(credentials.strip())
    in_body = [value for name, value in http.form if name == "access_token"]
    if in_body:
        # RFC 6750 §2.2: only in an application/x-www-form-urlencoded body.
        if http.method != "POST" or not _is_form_urlencoded(http):
            raise BearerInvalidRequest("The access_token parameter is only accepted in a form-encoded POST body.")
        found.extend(in_body)
    if len(found) > 1:
        raise BearerInvalidRequest("The request uses more than one method to send the access token.")
    if not found:
        raise MissingBearerToken()
    if not found[0]:
        raise BearerInvalidRequest("The access token is empty.")
    return found[0]


def _is_form_urlencoded(http: HttpRequest) -> bool:
    content_type = http.headers.get("content-type") or ""
    return content_type.split(";", 1)[0].strip().lower() == FORM_URLENCODED
