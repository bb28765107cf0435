"""Browser SSO sessions (SPEC §1.8: every login gets an acr and amr, kept in the session).

The cookie carries a random secret (``idp_ss_...``); the table keeps only its keyed hash, so a copy of the database
opens no session. ``sid`` is the session's public identifier, put in ID tokens and logout tokens.

A login on a browser that already has a session for the same account *raises* that session (step-up: the acr
and amr grow, ``auth_time`` moves to the new authentication); a login as someone else ends the old session and
starts a new one, so one browser never holds two people's sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from idp.authn.levels import acr_level
from idp.clock import utcnow
from idp.crypto import keyed_hash, new_token
from idp.db import Session
from idp.models import Account, BrowserSession
from idp.settings import Settings
from idp.storage import sessions as storage

COOKIE_NAME = "idp_session"
_HASH_PURPOSE = "browser-session"


@dataclass(frozen=True)
class LiveSession:
    row: BrowserSession
    account: Account


@dataclass(frozen=True)
class StartedSession:
    row: BrowserSession
    cookie_value: str  # to set in the browser; never stored


def load(session: Session, settings: Settings, cookie_value: str | None, *, now: datetime | None = None) -> LiveSession | None:
    if not cookie_value or len(cookie_value) > 128:
        return None
    found = storage.live_session_by_secret_hash(session, _hash(settings, cookie_value), now or utcnow())
    return LiveSession(*found) if found else None


def authenticated(
    session: Session,
    settings: Settings,
    *,
    account: Account,
    acr: str,
    amr: list[str],
    current: LiveSession | None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> StartedSession:
    """Record a successful authentication: raise the current session if it is the same person's, else start one."""
    now = now or utcnow()
    if current is not None and current.account.id != account.id:
        end(current.row, now=now)
        current = None
    cookie_value = new_token("idp_ss_")
    if current is not None:
        row = current.row
        if acr_level(acr) >= acr_level(row.acr):
            row.acr = acr
        row.amr = sorted(set(row.amr) | set(amr))
        row.auth_time = now
        # A new secret at every authentication: a cookie seen before the login (session fixation) stops working.
        row.secret_hash = _hash(settings, cookie_value)
        row.last_seen_at = now
        return StartedSession(row, cookie_value)
    row = BrowserSession(
        sid=new_token("", 16),
        secret_hash=_hash(settings, cookie_value),
        account_id=account.id,
        auth_time=now,
        acr=acr,
        amr=sorted(set(amr)),
        expires_at=now + timedelta(seconds=settings.tokens.session_ttl_seconds),
        last_seen_at=now,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:512] or None,
    )
    storage.add_session(session, row)
    return StartedSession(row, cookie_value)


def end(row: BrowserSession, *, now: datetime | None = None) -> None:
    if row.ended_at is None:
        row.ended_at = now or utcnow()


def _hash(settings: Settings, cookie_value: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), _HASH_PURPOSE, cookie_value)
