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
"""

from __future__ import annotations

from typing import Any

from idp.accounts.establishments import get_establishment
from idp.accounts.users import CreatedUser, create_user, find_user
from idp.audit import CLI, AuditContext, record
from idp.db import Session
from idp.errors import AlreadyExists, InvalidInput
from idp.models import Membership
from idp.notify.outbox import Outbox
from idp.settings import Settings
from idp.storage import accounts as storage

REFERENT = "referent"


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
