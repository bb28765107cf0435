"""Queries on browser sessions and the clients that took part in them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.models import Account, BrowserSession, Client, SessionClient


def add_session(session: Session, row: BrowserSession) -> BrowserSession:
    session.add(row)
    session.flush()
    return row


def live_session_by_secret_hash(
    session: Session, secret_hash: str, now: datetime
) -> tuple[BrowserSession, Account] | None:
    """The session and its account, if the session is neither ended nor expired and the account is active."""
    row = session.execute(
        select(BrowserSession, Account)
        .join(Account, Account.id == BrowserSession.account_id)
        .where(
            BrowserSession.secret_hash == secret_hash,
            BrowserSession.ended_at.is_(None),
            BrowserSession.expires_at > now,
            Account.status == "active",
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


def session_by_sid(session: Session, sid: str) -> BrowserSession | None:
    return session.scalars(select(BrowserSession).where(BrowserSession.sid == sid)).one_or_none()


def live_sessions_of_account(session: Session, account_id: uuid.UUID, now: datetime) -> list[BrowserSession]:
    return list(
        session.scalars(
            select(BrowserSession).where(
                BrowserSession.account_id == account_id,
                BrowserSession.ended_at.is_(None),
                BrowserSession.expires_at > now,
            )
        )
    )


def clients_of_session(session: Session, session_id: uuid.UUID) -> list[Client]:
    return list(
        session.scalars(
            select(Client)
            .join(SessionClient, SessionClient.client_id == Client.id)
            .where(SessionClient.session_id == session_id)
            .order_by(Client.client_id)
        )
    )
