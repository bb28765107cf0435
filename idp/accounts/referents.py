"""Référents: the establishment professionals who manage their establishment's accounts (SPEC §1 table).

A référent is not a kind of account but a role on a membership: ``Membership.role == "referent"``. Two ways in:

- ``add_referent`` promotes an existing establishment account. When the account is not yet a member of that
  establishment, the membership is created with the référent role: the caller is an administrator (the CLI, or the
  admin API with ``idp:admin``), who may attach a person to any establishment; the audit event says so
  (``membership_created``). A référent acting through the admin API is limited to their own establishments by the
  API, not here.
- ``create_referent`` creates a new account from a user document, with the référent role on its establishment, and
  sends the activation e-mail like any other creation.

Being référent twice is ``AlreadyExists``; a libéral or a disabled account cannot become one (``InvalidInput``).

``remove_referent`` demotes: the membership stays, its role goes back to ``professional`` (the person still works
there; only the right to manage its accounts ends). ``referent_establishments`` and ``account_establishments`` are the
reads the admin API's access rule is built on; they are read at every request, so a demotion takes effect at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from idp.accounts.establishments import get_establishment
from idp.accounts.users import CreatedUser, create_user, find_user
from idp.audit import CLI, AuditContext, record
from idp.db import Session
from idp.errors import AlreadyExists, InvalidInput, NotFound
from idp.models import Account, Membership
from idp.notify.outbox import Outbox
from idp.settings import Settings
from idp.storage import accounts as storage

REFERENT = "referent"
PROFESSIONAL = "professional"


def add_referent(session: Session, *, username: str, establishment: str, context: AuditContext = CLI) -> Membership:
    """Make the account ``username`` référent of the establishment with FINESS ``establishment``."""
    account = find_user(session, username)
    place = get_establishment(session, establishment)
    if account.kind != "establishment":
        raise InvalidInput(f"{username} is a {account.kind} account: only establishment accounts can be référents")
    if account.status == "disabled":
        raise InvalidInput(f"{username} is disabled and cannot become référent")
    membership = storage.membership(session, account.id, place.id)
    created = membership is None
    if membership is None:
        membership = storage.add_membership(
            session, Membership(account_id=account.id, establishment_id=place.id, role=REFERENT)
        )
    elif membership.role == REFERENT:
        raise AlreadyExists(f"{account.username} is already référent of {place.finess}")
    else:
        membership.role = REFERENT
    record(
        session,
        "referent.added",
        context=context,
        account_id=account.id,
        details={"username": account.username, "establishment": place.finess, "membership_created": created},
    )
    return membership


def create_referent(
    session: Session, settings: Settings, document: dict[str, Any], *, outbox: Outbox, context: AuditContext = CLI
) -> CreatedUser:
    """Create a référent account from a user document (kind ``establishment``); its activation e-mail goes to
    ``outbox``."""
    return create_user(session, settings, document, outbox=outbox, context=context, role=REFERENT)


def remove_referent(session: Session, *, username: str, establishment: str, context: AuditContext = CLI) -> Membership:
    """Demote ``username`` to a plain member of ``establishment``; ``NotFound`` if they are not its référent."""
    account = find_user(session, username)
    place = get_establishment(session, establishment)
    membership = storage.membership(session, account.id, place.id)
    if membership is None or membership.role != REFERENT:
        raise NotFound(f"{username} is not référent of {place.finess}")
    membership.role = PROFESSIONAL
    record(session, "referent.removed", context=context, account_id=account.id,
           details={"username": account.username, "establishment": place.finess})
    return membership


def list_referents(session: Session, establishment: str) -> list[Account]:
    """The référents of the establishment with this FINESS number (``NotFound`` if unknown), in name order."""
    place = get_establishment(session, establishment)
    members = storage.list_accounts(session, establishment_id=place.id)
    roles = storage.memberships_of(session, [account.id for account in members])
    return [account for account in members
            if any(m.role == REFERENT and e.id == place.id for m, e in roles[account.id])]


def account_establishments(session: Session, account_id: uuid.UUID) -> dict[str, str]:
    """The establishments of an account, FINESS number -> role (``professional`` or ``referent``)."""
    return {place.finess: member.role for member, place in storage.memberships_of(session, [account_id])[account_id]}


def referent_establishments(session: Session, account_id: uuid.UUID) -> frozenset[str]:
    """The FINESS numbers of the establishments this account is référent of (empty when none)."""
    return frozenset(finess for finess, role in account_establishments(session, account_id).items() if role == REFERENT)
