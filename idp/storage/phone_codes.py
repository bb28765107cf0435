"""Queries on phone-verification codes (``OtpCode`` rows of purpose ``phone_verification``).

A person has at most one live code: asking for a new one retires the previous ones, so an old SMS stops working.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp.models import OtpCode

PURPOSE = "phone_verification"


def add_code(session: Session, code: OtpCode) -> OtpCode:
    session.add(code)
    session.flush()
    return code


def retire_codes(session: Session, account_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(OtpCode)
        .where(OtpCode.account_id == account_id, OtpCode.purpose == PURPOSE, OtpCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def latest_code(session: Session, account_id: uuid.UUID) -> OtpCode | None:
    """The newest code not yet used or retired (it may have expired: the caller says so)."""
    query = (
        select(OtpCode)
        .where(OtpCode.account_id == account_id, OtpCode.purpose == PURPOSE, OtpCode.used_at.is_(None))
        .order_by(OtpCode.created_at.desc(), OtpCode.id)
        .limit(1)
    )
    return session.scalar(query)


def count_wrong_try(session: Session, code: OtpCode) -> int:
    """One more wrong try, counted in the database (two parallel guesses count as two); returns the new count."""
    statement = (
        update(OtpCode).where(OtpCode.id == code.id).values(attempts=OtpCode.attempts + 1)
        .returning(OtpCode.attempts).execution_options(synchronize_session=False)
    )
    attempts = session.execute(statement).scalar_one()
    code.attempts = attempts
    return attempts
