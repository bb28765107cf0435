"""Scopes and the claims each one releases (SPEC §2; OIDC Core §5.4 for the standard ones).

Discovery's ``scopes_supported`` and ``claims_supported`` are generated from this table, and the claims module
releases exactly these claims for these scopes.
"""

from __future__ import annotations

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "given_name", "family_name", "preferred_username", "profession", "specialty", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
    "rpps": ("rpps", "national_id"),
    "establishments": ("establishments",),
    "delegations": ("delegations",),
}

#: Scopes only a client-credentials client may hold: they open the admin API, never a person's data.
ADMIN_SCOPES = ("idp:admin", "idp:referent")

SCOPES_SUPPORTED: tuple[str, ...] = (*SCOPE_CLAIMS, *ADMIN_SCOPES)

#: Claims that describe the authentication itself, in ID tokens (OIDC Core §2).
AUTHENTICATION_CLAIMS = ("iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "at_hash")


def claims_supported() -> list[str]:
    seen: dict[str, None] = {}
    for claims in SCOPE_CLAIMS.values():
        seen.update(dict.fromkeys(claims))
    seen.update(dict.fromkeys(AUTHENTICATION_CLAIMS))
    return list(seen)
