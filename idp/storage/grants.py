"""Queries on authorization codes, tokens and accepted client assertions.

Codes, refresh tokens and assertion ids are found by their keyed hash only. The token endpoint's own reads and
writes (a grant with its account and session, consuming a code, rotating a refresh token, writing token rows) are
prebuilt Core statements in ``idp.storage.grant_records``; here are the ORM queries of the other endpoints
(revocation, logout, introspection of refresh tokens) and of /authorize.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.models import Account, AuthorizationCode, BrowserSession, ClientAssertion, SessionClient, Token

# -- authorization codes


def add_authorization_code(session: Session, code: AuthorizationCode) -> AuthorizationCode:
    session.add(code)
    session.flush()
    return code


# -- tokens


def token_by_jti(session: Session, jti: str) -> Token | None:
    return session.scalar(select(Token).where(Token.jti == jti))


def refresh_token_by_hash(session: Session, token_hash: str) -> Token | None:
    return session.scalar(select(Token).where(Token.token_hash == token_hash, Token.kind == "refresh"))


def revoke_access_token_row(session: Session, jti: str, now: datetime) -> bool:
    """Mark the token row under ``jti`` revoked; False when there is none, or it already was."""
    statement = (
        update(Token)
        .where(Token.jti == jti, Token.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")  # a copy loaded in this session sees it too
    )
    return bool(session.execute(statement).rowcount)


def revoke_tokens(
    session: Session,
    now: datetime,
    *,
    family_id: uuid.UUID | None = None,
    authorization_code_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> int:
    """Revoke every live token of a refresh family, of a code, or of a browser session; returns how many."""
    conditions: list[ColumnElement[bool]] = [Token.revoked_at.is_(None)]
    if family_id is not None:
        conditions.append(Token.family_id == family_id)
    elif authorization_code_id is not None:
        conditions.append(Token.authorization_code_id == authorization_code_id)
    elif session_id is not None:
        conditions.append(Token.session_id == session_id)
    else:
        raise ValueError("revoke_tokens needs a family, a code or a session")
    statement = update(Token).where(*conditions).values(revoked_at=now).execution_options(synchronize_session="fetch")
    return int(session.execute(statement).rowcount or 0)


# -- what a grant stands on


def get_account(session: Session, account_id: uuid.UUID) -> Account | None:
    return session.get(Account, account_id)


def remember_session_client(session: Session, session_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """Record that ``client_id`` took part in the browser session (back-channel logout notifies it), once."""
    found = session.scalar(
        select(SessionClient.id).where(SessionClient.session_id == session_id, SessionClient.client_id == client_id)
    )
    if found is not None:
        return
    try:
        with session.begin_nested():  # a concurrent authorization of the same pair may insert it first
            session.add(SessionClient(session_id=session_id, client_id=client_id))
    except IntegrityError:
        pass


# -- client assertions (private_key_jwt)


def add_client_assertion(session: Session, assertion: ClientAssertion) -> bool:
    """Record an assertion's ``jti``; False when it was already recorded (a replay)."""
    try:
        with session.begin_nested():
            session.add(assertion)
    except IntegrityError:
        return False
    return True
