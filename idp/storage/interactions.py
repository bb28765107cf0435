"""Queries on interactions (pending logins)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.models import Interaction


def add_interaction(session: Session, row: Interaction) -> Interaction:
    session.add(row)
    session.flush()
    return row


def interaction_by_uid(session: Session, uid: str) -> Interaction | None:
    return session.scalars(select(Interaction).where(Interaction.uid == uid)).one_or_none()
