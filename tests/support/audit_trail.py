"""One account's audit trail, read from the database a real server process writes to (tests/browser/).

In-process tests read ``AuditEvent`` rows through their own session; a test driving ``idp serve`` has only the
database URL. ``audit_trail`` opens a short-lived engine on it and returns the account's events oldest first, and
``assert_in_order`` checks that the expected events appear in that order (others may come between them), each with
at least the details given.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from idp.db import Database, build_engine
from idp.models import AuditEvent


@dataclass(frozen=True)
class Entry:
    event: str
    outcome: str = "success"
    details: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None

    def matches(self, wanted: Entry) -> bool:
        """Same event and outcome, the wanted details included (a client id only when one is wanted)."""
        return (self.event == wanted.event and self.outcome == wanted.outcome
                and all(self.details.get(key) == value for key, value in wanted.details.items())
                and (wanted.client_id is None or self.client_id == wanted.client_id))


def audit_trail(database_url: str, account_id: str | uuid.UUID) -> list[Entry]:
    """The account's audit events, oldest first (``record`` stamps each with the time it was written)."""
    engine = build_engine(database_url)
    try:
        with Database(engine).session() as session:
            rows = session.scalars(select(AuditEvent)
                                   .where(AuditEvent.account_id == uuid.UUID(str(account_id)))
                                   .order_by(AuditEvent.occurred_at))
            return [Entry(row.event, row.outcome, dict(row.details or {}), row.client_id) for row in rows]
    finally:
        engine.dispose()


def assert_in_order(trail: Sequence[Entry], expected: Sequence[Entry]) -> None:
    """Each expected entry matches a later entry of ``trail`` than the one before it."""
    position = 0
    for wanted in expected:
        while position < len(trail) and not trail[position].matches(wanted):
            position += 1
        assert position < len(trail), (
            f"audit event {wanted} missing (or out of order); the trail was:\n"
            + "\n".join(f"  {entry.event} {entry.outcome} {entry.details}" for entry in trail))
        position += 1
