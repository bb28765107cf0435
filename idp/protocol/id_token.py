"""ID tokens (OIDC Core §2, §3.1.3.6, §12.2), signed with the algorithm the client registered.

- ``id_token_signed_response_alg`` picks the key: RS256 (the default, OIDC Registration §2) or ES256; the header
  names it by ``kid`` so that relying parties pick it from the JWKS without guessing.
- ``auth_time``, ``acr``, ``amr`` and ``sid`` describe the authentication, not the token request: a refresh carries
  the original values (OIDC Core §12.2); ``nonce`` comes with the code exchange only.
- ``at_hash`` (§3.1.3.6) is the left half of the SHA-256 of the access token (both our algorithms use SHA-256),
  base64url without padding.
- Claims about the person go to userinfo (§5.4: with an access token, scope claims are served there); the ID token
  carries only those asked one by one in the ``claims`` parameter's ``id_token`` member (§5.5), within what the
  client is registered for (``idp.protocol.claims``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

from joserfc import jwt

from idp.models import Client
from idp.protocol.claims import release_claims
from idp.protocol.context import ProtocolContext
from idp.protocol.tokens import Authorization
from idp.storage import token_records
from idp.storage.token_records import AccountRef

#: Claims the OP sets itself: a ``claims`` request can ask for them, never overwrite them.
_PROTOCOL_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"})


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6 for RS256 and ES256 (SHA-256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def encode_id_token(
    ctx: ProtocolContext, *, client: Client, authorization: Authorization, access_token: str | None = None
) -> str:
    alg = client.id_token_signed_response_alg
    kid, key = ctx.keyring.signing_key(alg)
    claims = id_token_claims(ctx, client=client, authorization=authorization, access_token=access_token)
    return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key, algorithms=[alg])


def id_token_claims(
    ctx: ProtocolContext, *, client: Client, authorization: Authorization, access_token: str | None = None
) -> dict[str, Any]:
    now = ctx.clock.now()
    subject = authorization.subject
    claims: dict[str, Any] = _requested_claims(ctx, client, authorization)
    claims.update(
        iss=ctx.issuer,
        sub=subject.sub,
        aud=client.client_id,
        azp=client.client_id,  # OIDC Core §2: the party the token was issued to
        exp=int((now + timedelta(seconds=ctx.settings.tokens.id_token_ttl_seconds)).timestamp()),
        iat=int(now.timestamp()),
        auth_time=int(subject.auth_time.timestamp()),
        acr=subject.acr,
        amr=list(subject.amr),
    )
    if subject.sid:
        claims["sid"] = subject.sid  # OIDC Back-Channel Logout §2.1 / Front-Channel Logout §3
    if authorization.nonce:
        claims["nonce"] = authorization.nonce
    if access_token:
        claims["at_hash"] = at_hash(access_token)
    return claims


def _requested_claims(ctx: ProtocolContext, client: Client, authorization: Authorization) -> dict[str, Any]:
    member = (authorization.claims or {}).get("id_token")
    if not isinstance(member, dict) or not member:
        return {}
    account = authorization.account
    if isinstance(account, AccountRef):  # an exchange knows the account by id: read the claims now
        account = token_records.account_view(ctx.session, account.id)
        if account is None:
            return {}
    released = release_claims(ctx.session, account, "", requested=member, allowed_scope=client.scope)
    return {name: value for name, value in released.items() if name not in _PROTOCOL_CLAIMS}
