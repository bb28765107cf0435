"""Inserting a row that a unique constraint guards.

The constraint is the last word when two writers race (two administrators creating the same username, FINESS or
client_id): the insert is flushed inside a savepoint, so the loser gets ``AlreadyExists`` and the caller's
transaction stays usable, instead of an ``IntegrityError`` that poisons it.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.errors import AlreadyExists


def add_unique(session: Session, row: object, conflict: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise AlreadyExists(conflict, detail=str(exc.orig)) from None
