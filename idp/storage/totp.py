"""The TOTP replay guard kept on each account row (``idp.authn.totp`` decides what a step means).

Accepting a code is one conditional ``UPDATE``: the step is recorded only when it is newer than the last one
accepted. Two requests carrying the same code at the same moment cannot both pass: the database lets one win.
"""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, object_session

from idp.models import Account


def claim_step(account: Account, step: int) -> bool:
    """Record ``step`` as used by ``account``'s authenticator; False when it (or a later one) was already used.

    The account must be attached to a session (the request's): the update joins its transaction.
    """
    session = object_session(account)
    if session is None:
        raise ValueError("claim_step needs an account loaded in a session")
    return claim_step_in(session, account, step)


def claim_step_in(session: Session, account: Account, step: int) -> bool:
    statement = (
        update(Account)
        .where(Account.id == account.id, or_(Account.totp_last_step.is_(None), Account.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    claimed = session.execute(statement).rowcount == 1
    if claimed:
        account.totp_last_step = step  # without a reload: the row now holds this value
    return claimed
