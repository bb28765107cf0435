"""Queries on accounts and their establishment memberships.

Usernames are stored lowercased by the service (``idp.accounts.user_document``), so lookups compare exactly and
use the unique index. The unique constraints (username, RPPS, one membership per establishment) are the last word
when two administrators race (``idp.storage._unique``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from idp.models import Account, Establishment, Membership
from idp.storage._unique import add_unique


def add_account(session: Session, account: Account) -> Account:
    add_unique(session, account, "an account with this username or RPPS number already exists")
    return account


def add_membership(session: Session, membership: Membership) -> Membership:
    add_unique(session, membership, "this account is already a member of this establishment")
    return membership


def account_by_username(session: Session, username: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username == username))


def account_by_id(session: Session, account_id: uuid.UUID) -> Account | None:
    return session.get(Account, account_id)


def accounts_by_email(session: Session, email: str) -> list[Account]:
    """Every account with this e-mail address, compared without case (several people may share an address).

    ``lower(email)`` cannot use ``ix_accounts_email``; the forgotten-password form, its only caller, runs after
    the response is sent, so the scan costs no one a wait and reveals nothing through timing.
    """
    query = select(Account).where(func.lower(Account.email) == email.strip().lower())
    return list(session.scalars(query.order_by(Account.username, Account.id)))


def account_by_rpps(session: Session, rpps: str) -> Account | None:
    return session.scalar(select(Account).where(Account.rpps == rpps))


def list_accounts(session: Session, *, establishment_id: uuid.UUID | None = None) -> list[Account]:
    """Every account, or the members of one establishment; ordered by name, then username, for stable output."""
    query = select(Account)
    if establishment_id is not None:
        query = query.join(Membership, Membership.account_id == Account.id).where(
            Membership.establishment_id == establishment_id
        )
    query = query.order_by(Account.family_name, Account.given_name, Account.username, Account.id)
    return list(session.scalars(query))


def membership(session: Session, account_id: uuid.UUID, establishment_id: uuid.UUID) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.account_id == account_id, Membership.establishment_id == establishment_id)
    )


def memberships_of(
    session: Session, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[Membership, Establishment]]]:
    """The memberships of several accounts at once (one query, not one per account), by account id."""
    ids = list(account_ids)
    found: dict[uuid.UUID, list[tuple[Membership, Establishment]]] = {account_id: [] for account_id in ids}
    if not ids:
        return found
    rows = session.execute(
        select(Membership, Establishment)
        .join(Establishment, Establishment.id == Membership.establishment_id)
        .where(Membership.account_id.in_(ids))
        .order_by(Establishment.finess)
    )
    for member, establishment in rows:
        found[member.account_id].append((member, establishment))
    return found
