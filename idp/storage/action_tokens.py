"""Queries on action tokens (activation, reset and invitation links).

Rows hold only the keyed hash of a token; finding one takes the hash, which the service computes from the link.
Using a link is one conditional UPDATE (``... WHERE used_at IS NULL``): two tabs posting the same link at once
cannot both use it, the database lets exactly one win.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from idp.models import ActionToken


def add_action_token(session: Session, token: ActionToken) -> ActionToken:
    session.add(token)
    session.flush()
    return token


def action_token_by_hash(session: Session, token_hash: str, purpose: str) -> ActionToken | None:
    return session.scalar(select(ActionToken).where(ActionToken.token_hash == token_hash, ActionToken.purpose == purpose))


def unused_action_tokens(session: Session, account_id: uuid.UUID, purpose: str | None = None) -> list[ActionToken]:
    query = select(ActionToken).where(ActionToken.account_id == account_id, ActionToken.used_at.is_(None))
    if purpose is not None:
        query = query.where(ActionToken.purpose == purpose)
    return list(session.scalars(query.order_by(ActionToken.created_at)))


def delete_unused_action_tokens(session: Session, account_id: uuid.UUID, purpose: str | None = None) -> int:
    """Kill every link of this account not yet used (of one purpose, or all); returns how many died."""
    statement = delete(ActionToken).where(ActionToken.account_id == account_id, ActionToken.used_at.is_(None))
    if purpose is not None:
        statement = statement.where(ActionToken.purpose == purpose)
    result = session.execute(statement.execution_options(synchronize_session="fetch"))
    return int(result.rowcount or 0)


def consume_action_token(session: Session, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark the link used; False when it already was (by an earlier or a concurrent request)."""
    statement = (
        update(ActionToken)
        .where(ActionToken.id == token_id, ActionToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)
