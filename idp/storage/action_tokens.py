"""Queries on action tokens (activation, reset and invitation links).

Rows hold only the keyed hash of a token; finding one takes the hash, which the service computes from the link.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
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
