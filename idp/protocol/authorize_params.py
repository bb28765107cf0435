"""Parameters of the authorization request that authlib leaves to us (OIDC Core §3.1.2.1, §5.5, §6).

Each problem is an authlib ``OAuth2Error`` with the wire code, raised only after the client and its redirect URI
were validated, so it is delivered to the client (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

import json
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error

from idp.authn.levels import ACR_LADDER, acr_level
from idp.interaction.checks import LoginRequirements
from idp.protocol.context import ProtocolContext
from idp.protocol.id_token_hint import verify_id_token_hint
from idp.protocol.oauth_client import OAuthClient

PROMPTS = frozenset({"none", "login", "consent", "select_account"})


class RequestNotSupported(OAuth2Error):
    error = "request_not_supported"


class RequestUriNotSupported(OAuth2Error):
    error = "request_uri_not_supported"


class RegistrationNotSupported(OAuth2Error):
    error = "registration_not_supported"


class UnmetAuthenticationRequirements(OAuth2Error):
    """OpenID Connect EAP ACR Values 1.0 §2.1: an essential acr the OP cannot satisfy."""

    error = "unmet_authentication_requirements"


def parse_requirements(data: dict[str, Any], client: OAuthClient, ctx: ProtocolContext) -> tuple[LoginRequirements, dict[str, Any] | None]:
    """Read prompt, max_age, claims, acr_values, id_token_hint and login_hint; return them and the parsed claims."""
    _refuse_unsupported(data)
    prompts = _prompts(data.get("prompt"))
    max_age = _max_age(data.get("max_age"))
    if max_age == 0:  # OIDC Core §3.1.2.1: max_age=0 is prompt=login
        prompts = prompts | {"login"}
    claims = _claims(data.get("claims"))
    acr, essential = _required_acr(data.get("acr_values"), claims, client.row.minimum_acr)
    return (
        LoginRequirements(
            prompts=prompts,
            max_age=max_age,
            acr=acr,
            acr_essential=essential,
            id_token_hint_sub=_id_token_hint_sub(data.get("id_token_hint"), ctx),
            login_hint=(data.get("login_hint") or "")[:254] or None,
        ),
        claims,
    )


def _refuse_unsupported(data: dict[str, Any]) -> None:
    # OIDC Core §6.1/§6.2 and Registration §2.1: an OP that does not support them answers with these codes.
    if "request" in data:
        raise RequestNotSupported("request objects are not supported")
    if "request_uri" in data:
        raise RequestUriNotSupported("request_uri is not supported")
    if "registration" in data:
        raise RegistrationNotSupported("the registration parameter is not supported")


def _prompts(value: str | None) -> frozenset[str]:
    prompts = frozenset((value or "").split())
    unknown = prompts - PROMPTS
    if unknown:
        raise InvalidRequestError(f"unsupported prompt value: {sorted(unknown)[0]}")
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with other values")
    return prompts


def _max_age(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 10:
        raise InvalidRequestError("max_age must be a non-negative number of seconds")
    return int(value)


def _claims(value: str | None) -> dict[str, Any] | None:
    """OIDC Core §5.5: a JSON object whose userinfo/id_token members map claim names to null or an object."""
    if not value:
        return None
    try:
        claims = json.loads(value)
    except ValueError:
        raise InvalidRequestError("the claims parameter is not valid JSON") from None
    if not isinstance(claims, dict):
        raise InvalidRequestError("the claims parameter must be a JSON object")
    for member in ("userinfo", "id_token"):
        requested = claims.get(member)
        if requested is None:
            continue
        if not isinstance(requested, dict) or any(v is not None and not isinstance(v, dict) for v in requested.values()):
            raise InvalidRequestError(f"claims.{member} must map claim names to null or an object")
    return claims


def _required_acr(acr_values: str | None, claims: dict[str, Any] | None, minimum: str | None) -> tuple[str | None, bool]:
    """The weakest acr that satisfies the request, and whether it is essential.

    ``acr_values`` is voluntary (OIDC Core §3.1.2.1); ``claims.id_token.acr`` may be essential (§5.5.1.1); a
    client's registered ``minimum_acr`` always applies, as an essential floor (SPEC §1.8).
    """
    asked: list[str] = (acr_values or "").split()
    essential = False
    acr_claim = ((claims or {}).get("id_token") or {}).get("acr")
    if isinstance(acr_claim, dict):
        values = acr_claim.get("values") or ([acr_claim["value"]] if "value" in acr_claim else [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidRequestError("claims.id_token.acr values must be strings")
        if values:
            asked = values
        essential = acr_claim.get("essential") is True
    known = [v for v in asked if v in ACR_LADDER]
    if asked and not known and essential:
        raise UnmetAuthenticationRequirements("none of the requested acr values is supported")
    wanted = min(known, key=acr_level) if known else None
    if minimum and (wanted is None or acr_level(minimum) > acr_level(wanted)):
        return minimum, True
    return wanted, essential


def _id_token_hint_sub(value: str | None, ctx: ProtocolContext) -> str | None:
    """The ``sub`` of an ID token we issued; anything else is an invalid request (OIDC Core §3.1.2.1)."""
    if not value:
        return None
    claims = verify_id_token_hint(ctx, value)
    if claims is None:
        raise InvalidRequestError("id_token_hint is not an ID token issued by this server")
    return claims["sub"]
