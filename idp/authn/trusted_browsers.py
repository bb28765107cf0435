"""Trusted browsers (SPEC §1.1.4): after a one-time code, the browser spares the code for ``IDP_OTP_REMEMBER_DAYS``.

The ``idp_trusted`` cookie holds a random token; the table keeps its keyed hash with the account and the expiry, so
a copy of the database trusts no browser, and a cookie trusts its browser for the account that earned it only.
``IDP_OTP_REMEMBER_DAYS=0`` trusts no browser: every login asks for a code.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from idp.crypto import keyed_hash, new_token
from idp.db import Session
from idp.models import TrustedBrowser
from idp.settings import Settings
from idp.storage import login_factors as storage

COOKIE_NAME = "idp_trusted"
_HASH_PURPOSE = "trusted-browser"


def is_trusted(session: Session, settings: Settings, account_id: uuid.UUID, cookie: str | None, *, now: datetime) -> bool:
    if not cookie or len(cookie) > 128:
        return False
    row = storage.trusted_browser(session, account_id, _hash(settings, cookie), now)
    if row is None:
        return False
    row.last_used_at = now
    return True


def trust(session: Session, settings: Settings, account_id: uuid.UUID, *, user_agent: str | None,
          now: datetime) -> tuple[str, int] | None:
    """Trust this browser for the account; the cookie value and its max-age, or None when trust is off."""
    if settings.otp_remember_days <= 0:
        return None
    value = new_token("idp_tb_")
    lifetime = timedelta(days=settings.otp_remember_days)
    storage.add(session, TrustedBrowser(account_id=account_id, token_hash=_hash(settings, value),
                                        expires_at=now + lifetime, last_used_at=now,
                                        user_agent=(user_agent or "")[:512] or None))
    return value, int(lifetime.total_seconds())


def _hash(settings: Settings, value: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), _HASH_PURPOSE, value)
