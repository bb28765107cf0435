"""The queries behind the claims that do not live on the account row: one query per claim family.

``establishment_claims`` joins memberships to their establishments; ``delegation_claims`` joins an assistant's
active delegations to the granting libéral and the rights, one row per (delegation, right). Both return plain tuples
(no ORM identity-map work for rows that are only read), ordered so that the released claims are stable from one
token to the next.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from idp.models import Account, Delegation, DelegationRight, Establishment, Membership


class EstablishmentRow(NamedTuple):
    finess: str
    name: str
    region: str
    role: str


class DelegationRow(NamedTuple):
    delegation_id: uuid.UUID
    liberal_id: uuid.UUID
    liberal_given_name: str
    liberal_family_name: str
    liberal_rpps: str | None
    right: str | None  # None: a delegation with no right rows yet (every right is then "none")
    level: str | None


def establishment_claims(session: Session, account_id: uuid.UUID) -> list[EstablishmentRow]:
    """The account's memberships of establishments that are not disabled, by FINESS."""
    rows = session.execute(
        select(Establishment.finess, Establishment.name, Establishment.region, Membership.role)
        .join(Membership, Membership.establishment_id == Establishment.id)
        .where(Membership.account_id == account_id, Establishment.disabled_at.is_(None))
        .order_by(Establishment.finess)
    )
    return [EstablishmentRow(*row) for row in rows]


def delegation_claims(session: Session, assistant_id: uuid.UUID) -> list[DelegationRow]:
    """The assistant's active delegations from libéraux whose account is active, with their rights.

    A delegation from a disabled (or not yet active) libéral grants nothing: the person who delegated can no longer
    act, so neither can anyone on their behalf.
    """
    liberal = aliased(Account)
    rows = session.execute(
        select(
            Delegation.id,
            liberal.id,
            liberal.given_name,
            liberal.family_name,
            liberal.rpps,
            DelegationRight.name,
            DelegationRight.level,
        )
        .join(liberal, liberal.id == Delegation.liberal_id)
        .outerjoin(DelegationRight, DelegationRight.delegation_id == Delegation.id)
        .where(
            Delegation.assistant_id == assistant_id,
            Delegation.status == "active",
            liberal.status == "active",
        )
        .order_by(liberal.family_name, liberal.given_name, Delegation.id, DelegationRight.name)
    )
    return [DelegationRow(*row) for row in rows]
