"""Who calls the admin API: a bearer access token (RFC 6750, our RFC 9068 JWTs) resolved into an ``AdminPrincipal``.

Two kinds of caller, told apart by the token (``idp.protocol.bearer`` has already checked signature, expiry, jti
revocation, disabled client and inactive account):

- **administrator**: a ``client_credentials`` token (no person: ``sub`` is the client_id) carrying ``idp:admin``.
  It may do everything. A *person's* token carrying ``idp:admin`` is not an administrator: the scope belongs to
  the client acting for itself, and anyone logging in through that client would otherwise inherit it.
- **référent**: a person's token carrying ``idp:referent``, whose account is référent of at least one
  establishment. The establishments are read at every request, in the request's transaction: a référent demoted
  meanwhile loses access with the token they still hold (403 ``forbidden``).

A missing scope is 403 ``insufficient_scope`` naming the scope the token needed (``idp:admin`` for a client token,
``idp:referent`` for a person's); a missing or bad token is 401 with its ``WWW-Authenticate`` challenge.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from idp.accounts.referents import referent_establishments
from idp.audit import AuditContext
from idp.errors import Forbidden
from idp.protocol.bearer import authenticate_bearer, bearer_token
from idp.protocol.bearer_errors import BearerInsufficientScope
from idp.protocol.context import ProtocolContext
from idp.web.deps import DbSession, KeyRingDep, SettingsDep
from idp.web.protocol_io import audit_context, http_request

ADMIN_SCOPE = "idp:admin"
REFERENT_SCOPE = "idp:referent"

# Documentation only (OpenAPI ``securitySchemes``): the token is read and judged by ``bearer_token`` below.
_bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token of this OP: client_credentials with `idp:admin`, or a référent's with `idp:referent`.",
    auto_error=False,
)


@dataclass(frozen=True)
class AdminPrincipal:
    client_id: str
    account_id: uuid.UUID | None  # the référent; None for an administrator client
    referent_of: frozenset[str] | None  # FINESS numbers; None: every establishment (administrator)
    audit: AuditContext  # actor and client for every audit event the request writes

    @property
    def is_admin(self) -> bool:
        return self.referent_of is None

    def manages(self, finess: str) -> bool:
        return self.referent_of is None or finess in self.referent_of


def admin_principal(
    request: Request,
    settings: SettingsDep,
    keyring: KeyRingDep,
    session: DbSession,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> AdminPrincipal:
    http = http_request(request)
    where = audit_context(http)
    access = authenticate_bearer(ProtocolContext(settings, session, keyring, audit=where), bearer_token(http))
    scopes = access.scope.split()
    client_id = access.client.client_id
    if access.account is None:
        if ADMIN_SCOPE not in scopes:
            raise BearerInsufficientScope(ADMIN_SCOPE)
        return AdminPrincipal(client_id, None, None, dataclasses.replace(where, client_id=client_id))
    if REFERENT_SCOPE not in scopes:
        raise BearerInsufficientScope(REFERENT_SCOPE)
    establishments = referent_establishments(session, access.account.id)
    if not establishments:
        raise Forbidden("this account is not référent of any establishment")
    actor = dataclasses.replace(where, client_id=client_id, actor_id=access.account.id)
    return AdminPrincipal(client_id, access.account.id, establishments, actor)


def administrator(principal: Annotated[AdminPrincipal, Depends(admin_principal)]) -> AdminPrincipal:
    """For what only an administrator may do (establishments, clients): a référent's token lacks ``idp:admin``."""
    if not principal.is_admin:
        raise BearerInsufficientScope(ADMIN_SCOPE)
    return principal


Principal = Annotated[AdminPrincipal, Depends(admin_principal)]
Administrator = Annotated[AdminPrincipal, Depends(administrator)]
