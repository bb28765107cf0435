"""Queries on the audit trail."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.models import AuditEvent


def add_event(session: Session, event: AuditEvent) -> AuditEvent:
    session.add(event)
    return event


def events(session: Session, *, event: str | None = None, account_id: uuid.UUID | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.occurred_at)
    if event is not None:
        query = query.where(AuditEvent.event == event)
    if account_id is not None:
        query = query.where(AuditEvent.account_id == account_id)
    return list(session.scalars(query))
