"""Queries on what a login proves beyond the password: one-time codes, trusted browsers, terms acceptances."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp.models import OtpCode, TermsAcceptance, TrustedBrowser


def add(session: Session, row: OtpCode | TrustedBrowser | TermsAcceptance) -> None:
    session.add(row)
    session.flush()


def latest_login_code(session: Session, account_id: uuid.UUID, interaction_id: uuid.UUID) -> OtpCode | None:
    """The last login code sent for this interaction (older ones are retired when a new one is sent)."""
    return session.scalars(
        select(OtpCode)
        .where(OtpCode.account_id == account_id, OtpCode.purpose == "login", OtpCode.interaction_id == interaction_id)
        .order_by(OtpCode.created_at.desc(), OtpCode.id)
        .limit(1)
    ).first()


def retire_login_codes(session: Session, account_id: uuid.UUID, now: datetime) -> None:
    """Kill every unused login code of the account: only the newest code may be typed."""
    session.execute(
        update(OtpCode)
        .where(OtpCode.account_id == account_id, OtpCode.purpose == "login", OtpCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )


def count_code_attempt(session: Session, code: OtpCode) -> int:
    """Count one wrong try in the database itself, so parallel tries cannot share one count; the new count."""
    session.execute(update(OtpCode).where(OtpCode.id == code.id).values(attempts=OtpCode.attempts + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(code)
    return code.attempts


def use_code(session: Session, code: OtpCode, now: datetime) -> bool:
    """Mark the code used, unless another request did first: single use even under parallel submissions."""
    done = session.execute(update(OtpCode).where(OtpCode.id == code.id, OtpCode.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False))
    session.refresh(code)
    return done.rowcount == 1  # type: ignore[attr-defined]


def trusted_browser(session: Session, account_id: uuid.UUID, token_hash: str, now: datetime) -> TrustedBrowser | None:
    return session.scalars(
        select(TrustedBrowser).where(
            TrustedBrowser.token_hash == token_hash,
            TrustedBrowser.account_id == account_id,
            TrustedBrowser.expires_at > now,
        )
    ).first()


def terms_accepted(session: Session, account_id: uuid.UUID, version: str) -> bool:
    found = session.scalars(
        select(TermsAcceptance.id).where(TermsAcceptance.account_id == account_id, TermsAcceptance.version == version)
    ).first()
    return found is not None
