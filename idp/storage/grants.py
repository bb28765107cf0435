"""Queries on authorization codes, tokens and accepted client assertions.

Codes, refresh tokens and assertion ids are found by their keyed hash only. Consuming a code and rotating a refresh
token are single conditional UPDATEs (``... WHERE used_at IS NULL``): when two requests race with the same value,
the database lets exactly one of them win, which is what reuse detection rests on (RFC 6749 §4.1.2 and §10.4).
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


def authorization_code_by_hash(session: Session, code_hash: str) -> AuthorizationCode | None:
    return session.scalar(select(AuthorizationCode).where(AuthorizationCode.code_hash == code_hash))


def consume_authorization_code(session: Session, code_id: uuid.UUID, now: datetime) -> bool:
    """Mark the code used; False when it already was (by an earlier or a concurrent request)."""
    statement = (
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code_id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)


# -- tokens


def add_token(session: Session, token: Token) -> Token:
    """Stage a token row; the caller's next flush (``save_token``) or the commit writes it."""
    session.add(token)
    return token


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


def rotate_refresh_token(session: Session, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark the refresh token rotated; False when it already was, or was revoked meanwhile."""
    statement = (
        update(Token)
        .where(Token.id == token_id, Token.rotated_at.is_(None), Token.revoked_at.is_(None))
        .values(rotated_at=now)
        .execution_options(synchronize_session=False)
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


def get_browser_session(session: Session, session_id: uuid.UUID) -> BrowserSession | None:
    return session.get(BrowserSession, session_id)


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
