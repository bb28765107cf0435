"""The claims about a person that the OP releases, by scope (OIDC Core §5.4) or one by one (§5.5).

``release_claims`` is the single place that turns an account into claims, for userinfo and ID tokens alike; the
scope-to-claims table is ``idp.protocol.scopes.SCOPE_CLAIMS``. Rules:

- A claim the account has no value for is omitted, never ``null`` (OIDC Core §5.3.2: "If a Claim is not returned,
  that Claim Name SHOULD be omitted"). ``phone_number_verified`` goes with ``phone_number`` only.
- ``sub`` is always released (OIDC Core §5.3.2: the ``sub`` Claim MUST always be returned).
- Claims requested one by one with the ``claims`` parameter (its ``userinfo`` or ``id_token`` member, §5.5) are
  released even without their scope, but only claims of the table: anything else is ignored (§5.5.1, "Claims not
  understood by the OP are ignored"). When ``allowed_scope`` is given (the client's registered scope), a claim is
  released one by one only if its scope is one the client may hold: the ``claims`` parameter must not open what the
  client registration closes.
- The database is read only for the families asked for: ``establishments`` and ``delegations`` cost one query each.
  Everything else is on the account itself: a session ``Account`` (ID tokens) or the read-only ``AccountView`` the
  bearer check loaded with the access token (userinfo, ``idp.storage.token_records``); both carry the same names.

``delegations`` is the list of what an *assistant* may do on behalf of which libéral (SPEC §1.7):
``[{"liberal": {"sub", "given_name", "family_name", "rpps"}, "rights": {"dossiers", "medical_data",
"autonomy_data"}}]`` with each right ``none``/``read``/``write``. A libéral's token does not carry the delegations
they granted: the claim means "on whose behalf this person acts", and giving it another shape for another kind of
account would invite a relying party to read a grantor's list as powers. Other accounts omit the claim.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from idp.db import Session
from idp.models import Account
from idp.models.delegations import RIGHTS
from idp.protocol.scopes import SCOPE_CLAIMS
from idp.protocol.subject import subject_identifier
from idp.storage import claims as storage
from idp.storage.token_records import AccountView

#: claim -> the scope that releases it
CLAIM_SCOPES: dict[str, str] = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}

Claims = dict[str, Any]
#: what claims are read from: a session row, or the access-token lookup's view of it
ClaimsAccount = Account | AccountView


def release_claims(
    session: Session,
    account: ClaimsAccount,
    scope: str,
    *,
    requested: Mapping[str, Any] | None = None,
    allowed_scope: str | None = None,
) -> Claims:
    """The claims about ``account`` that ``scope`` and the individually ``requested`` claims release."""
    names = claims_to_release(scope, requested, allowed_scope=allowed_scope)
    released: Claims = {}
    for family in _FAMILIES:
        wanted = [name for name in family.names if name in names]
        if wanted:
            values = family.read(session, account)
            released.update({name: values[name] for name in wanted if values.get(name) is not None})
    released["sub"] = subject_identifier(account)
    return released


def claims_to_release(
    scope: str, requested: Mapping[str, Any] | None = None, *, allowed_scope: str | None = None
) -> set[str]:
    """Claim names released by ``scope`` plus the supported ones named in ``requested``."""
    names = {claim for granted in scope.split() for claim in SCOPE_CLAIMS.get(granted, ())}
    if isinstance(requested, Mapping):
        allowed = set(allowed_scope.split()) if allowed_scope is not None else None
        for name in requested:
            claim_scope = CLAIM_SCOPES.get(name) if isinstance(name, str) else None
            if claim_scope is not None and (allowed is None or claim_scope in allowed):
                names.add(name)
    names.add("sub")
    return names


def _profile(session: Session, account: ClaimsAccount) -> Claims:
    updated = account.updated_at or account.created_at
    return {
        "name": f"{account.given_name} {account.family_name}".strip() or None,
        "given_name": account.given_name or None,
        "family_name": account.family_name or None,
        "preferred_username": account.username,
        "profession": account.profession,
        "specialty": account.specialty,
        "updated_at": int(updated.timestamp()) if updated else None,  # OIDC Core §5.1: seconds since the epoch
    }


def _email(session: Session, account: ClaimsAccount) -> Claims:
    if not account.email:
        return {}
    return {"email": account.email, "email_verified": account.email_verified_at is not None}


def _phone(session: Session, account: ClaimsAccount) -> Claims:
    if not account.phone_number:
        return {}
    return {"phone_number": account.phone_number, "phone_number_verified": account.phone_verified_at is not None}


def _address(session: Session, account: ClaimsAccount) -> Claims:
    # OIDC Core §5.1.1: a JSON object of the standard members; the account document admits no others.
    address = {k: v for k, v in (account.address or {}).items() if v not in (None, "")}
    return {"address": address or None}


def _national_ids(session: Session, account: ClaimsAccount) -> Claims:
    return {"rpps": account.rpps, "national_id": account.national_id}


def _establishments(session: Session, account: ClaimsAccount) -> Claims:
    rows = storage.establishment_claims(session, account.id)
    return {"establishments": [row._asdict() for row in rows] or None}


def _delegations(session: Session, account: ClaimsAccount) -> Claims:
    if account.kind != "assistant":
        return {}
    delegations: dict[Any, Claims] = {}
    for row in storage.delegation_claims(session, account.id):
        entry = delegations.get(row.delegation_id)
        if entry is None:
            # the libéral's sub, as subject_identifier() gives it for their own tokens
            liberal = {
                "sub": str(row.liberal_id),
                "given_name": row.liberal_given_name,
                "family_name": row.liberal_family_name,
                "rpps": row.liberal_rpps,
            }
            entry = {"liberal": {k: v for k, v in liberal.items() if v}, "rights": dict.fromkeys(RIGHTS, "none")}
            delegations[row.delegation_id] = entry
        if row.right in entry["rights"] and row.level:
            entry["rights"][row.right] = row.level
    return {"delegations": list(delegations.values()) or None}


class _Family:
    def __init__(self, scope: str, read: Callable[[Session, ClaimsAccount], Claims]) -> None:
        self.names = SCOPE_CLAIMS[scope]
        self.read = read


_FAMILIES = (
    _Family("profile", _profile),
    _Family("email", _email),
    _Family("phone", _phone),
    _Family("address", _address),
    _Family("rpps", _national_ids),
    _Family("establishments", _establishments),
    _Family("delegations", _delegations),
)
