"""Queries on ``signing_keys``.

Creating and rotating keys first takes ``lock_signing_keys``: two instances starting together, or ``idp keys rotate``
run while a server starts, then take turns instead of each creating its own active key. The key ring only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from idp.models import SigningKey

# pg_advisory_xact_lock takes a bigint; any constant private to idp will do ("idpkeys" in ASCII).
_ADVISORY_LOCK_ID = 0x6964706B657973


def lock_signing_keys(session: Session) -> None:
    """Serialise key writers until the end of the transaction.

    PostgreSQL: a transaction-scoped advisory lock (rows that do not exist yet cannot be locked with FOR UPDATE).
    SQLite: a write that matches nothing still takes the database's write lock, so the other writer waits
    (busy timeout) instead of failing later on a stale snapshot.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_ID)))
    else:
        session.execute(update(SigningKey).where(SigningKey.id.is_(None)).values(state=SigningKey.state))


def add_key(session: Session, key: SigningKey) -> SigningKey:
    session.add(key)
    session.flush()
    return key


def keys_in_state(session: Session, alg: str, state: str) -> list[SigningKey]:
    """Keys of ``alg`` in ``state``, oldest first."""
    query = (
        select(SigningKey)
        .where(SigningKey.alg == alg, SigningKey.state == state)
        .order_by(SigningKey.created_at, SigningKey.kid)
    )
    return list(session.scalars(query))


def published_keys(session: Session, now: datetime) -> list[SigningKey]:
    """What the JWKS serves: active, next, and retired keys whose tokens may still be valid at ``now``."""
    query = (
        select(SigningKey)
        .where(
            or_(
                SigningKey.state.in_(("active", "next")),
                (SigningKey.state == "retired") & (SigningKey.expires_at > now),
            )
        )
        .order_by(SigningKey.alg, SigningKey.created_at, SigningKey.kid)
    )
    return list(session.scalars(query))


def all_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.alg, SigningKey.created_at, SigningKey.kid)))
