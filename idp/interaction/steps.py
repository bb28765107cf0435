"""Which login page an interaction calls for, and the factors achieved so far (canaille's factor chain, in
``Interaction.state``).

``/login?uid=`` asks ``next_step``: the password while no one is identified for this request, the one-time code
once the password is proved (or, for a step-up, when the browser's session already proved a password for the
account), the terms of use when they are all that is left. The page that completes the chain finishes the
interaction and the protocol resumes; anything still missing comes back here with its reasons.

State keys: ``account_id`` and ``factors`` (``["password"]``) between the password and the code; ``wanted_acr``
set by the protocol when the request asked for a level, so a code is asked for even where codes are optional.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from idp.authn.levels import ACR_OTP, acr_level
from idp.authn.sessions import LiveSession
from idp.db import Session
from idp.models import Account, Interaction
from idp.storage.accounts import account_by_id

Step = Literal["password", "otp", "terms"]
#: Reasons only a new authentication settles (the protocol's ``_SETTLED_BY_LOGIN``).
LOGIN_REASONS = frozenset({"no_session", "prompt_login", "max_age", "id_token_hint_mismatch"})


def next_step(row: Interaction, live: LiveSession | None) -> Step:
    if pending_account_id(row) is not None:
        return "otp"
    reasons = set(row.reasons)
    if live is None or reasons & LOGIN_REASONS:
        return "password"
    if "acr_not_satisfied" in reasons:
        # Step-up: the session already proved this account's password, so only the code is left. A session
        # without a password (a weak third-party login) logs in again instead.
        return "otp" if "pwd" in live.row.amr else "password"
    return "terms" if "terms_pending" in reasons else "password"


def password_proved(row: Interaction, account_id: uuid.UUID, now: datetime) -> None:
    row.state = {**row.state, "account_id": str(account_id), "factors": ["password"], "password_at": now.isoformat()}


def pending_account_id(row: Interaction) -> uuid.UUID | None:
    """The account whose password is proved for this request and whose code is awaited."""
    value = (row.state or {}).get("account_id")
    return uuid.UUID(value) if value and "password" in row.state.get("factors", []) else None


def pending_account(session: Session, row: Interaction) -> Account | None:
    """That account, while it may still log in (disabled meanwhile: the chain stops)."""
    account_id = pending_account_id(row)
    account = account_by_id(session, account_id) if account_id else None
    return account if account is not None and account.status == "active" else None


def mark_code_sent(row: Interaction) -> None:
    row.state = {**row.state, "code_sent": True}


def forget_code_sent(row: Interaction) -> None:
    """The code did not leave (its delivery failed): the page must not say it was sent."""
    row.state = {k: v for k, v in (row.state or {}).items() if k != "code_sent"}


def code_sent(row: Interaction) -> bool:
    return bool((row.state or {}).get("code_sent"))


def chain_done(row: Interaction) -> None:
    """The factors are spent: a later step of the same interaction (terms) starts from the session."""
    row.state = {k: v for k, v in (row.state or {}).items() if k == "wanted_acr"}


def code_wanted(row: Interaction, otp_required: bool) -> bool:
    """Codes are required, or the request asked for the level a code reaches. A wish for a level no method here
    reaches (card) is let go, as the protocol lets it go (OIDC Core §3.1.2.1: acr_values is a wish)."""
    wanted = (row.state or {}).get("wanted_acr")
    return otp_required or (bool(wanted) and acr_level(wanted) == acr_level(ACR_OTP))
