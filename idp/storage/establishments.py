"""Queries on establishments.

``add_establishment`` flushes inside a savepoint so that two référents (or two CLI runs) racing to create the same
FINESS end with ``AlreadyExists`` for the loser, not an IntegrityError that poisons the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.models import Establishment
from idp.storage._unique import add_unique


def get_by_finess(session: Session, finess: str) -> Establishment | None:
    return session.scalars(select(Establishment).where(Establishment.finess == finess)).one_or_none()


def add_establishment(session: Session, establishment: Establishment) -> Establishment:
    add_unique(session, establishment, f"establishment {establishment.finess} already exists")
    return establishment


def list_establishments(session: Session) -> list[Establishment]:
    return list(session.scalars(select(Establishment).order_by(Establishment.finess)))
