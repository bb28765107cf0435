"""Recognising an ID token this OP issued, when a client hands one back as ``id_token_hint`` (OIDC Core
§3.1.2.1 at the authorization endpoint, RP-Initiated Logout §2 at the end-session endpoint).

Only a compact JWS signed by one of our published keys with an algorithm we sign ID tokens with, from our
issuer, with a subject and an audience, and that is an ID token (not an access token ``at+jwt`` nor a logout
token, which carry the same signature). Expiry is not checked: an expired ID token is still a good hint.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from idp.protocol.context import ProtocolContext

HINT_ALGORITHMS = ["RS256", "ES256"]  # what we sign ID tokens with; never none, never HS*


def verify_id_token_hint(ctx: ProtocolContext, value: str) -> dict[str, Any] | None:
    """The claims of an ID token this OP issued, or None."""
    if value.count(".") != 2:  # a JWS in compact form; never a JWE or an unsecured JWT without signature part
        return None
    try:
        token = jwt.decode(value, ctx.keyring.verification_keys(), algorithms=HINT_ALGORITHMS)
    except (JoseError, ValueError, TypeError):
        return None
    typ = token.header.get("typ")
    if typ is not None and str(typ).upper() != "JWT":  # at+jwt, logout+jwt: ours, but not ID tokens
        return None
    claims = token.claims
    if claims.get("iss") != ctx.issuer or "events" in claims:
        return None
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or not audiences(claims):
        return None
    return dict(claims)


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return [v for v in values if isinstance(v, str) and v]
