"""The password-failure counter kept on each account row (``idp.authn.throttle`` decides what it means).

A failure is counted by one ``UPDATE ... RETURNING`` rather than read-modify-write in Python: two wrong passwords
sent at the same moment must count as two, or a brute force would gain by sending them in parallel. On PostgreSQL
the second statement waits for the first's row lock and then adds to the value it committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, literal, or_, update
from sqlalchemy.orm import Session

from idp.db import UTCDateTime
from idp.models import Account


def add_failure(session: Session, account: Account, *, now: datetime, series_since: datetime) -> tuple[int, datetime]:
    """Count one failure; a series that began before ``series_since`` (or none) starts again at 1.

    Returns the new count and when the series began; the loaded ``account`` is brought up to date.
    """
    restart = or_(Account.first_failed_login_at.is_(None), Account.first_failed_login_at <= series_since)
    at = literal(now, UTCDateTime())
    statement = (
        update(Account)
        .where(Account.id == account.id)
        .values(
            failed_login_count=case((restart, 1), else_=Account.failed_login_count + 1),
            first_failed_login_at=case((restart, at), else_=Account.first_failed_login_at),
            last_failed_login_at=at,
        )
        .returning(Account.failed_login_count, Account.first_failed_login_at)
        .execution_options(synchronize_session="fetch")
    )
    count, first = session.execute(statement).one()
    return count, first


def lock(account: Account, until: datetime) -> None:
    account.locked_until = until


def clear(account: Account) -> None:
    """Forget the series and any lock: after a successful login, or when an administrator unlocks the account."""
    account.failed_login_count = 0
    account.first_failed_login_at = None
    account.last_failed_login_at = None
    account.locked_until = None
