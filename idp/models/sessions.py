"""Browser SSO sessions, the clients that took part in each (for back-channel logout), and trusted browsers.

The session cookie holds a random secret; only its keyed hash is stored. ``sid`` is the public session id put in ID
tokens and logout tokens (OIDC Front/Back-Channel Logout). ``acr``/``amr``/``auth_time`` are what the session has
proved so far; step-up raises them.
A trusted browser (after a one-time code) spares the code until ``expires_at`` (``IDP_OTP_REMEMBER_DAYS``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps


class BrowserSession(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "browser_sessions"

    sid: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    auth_time: Mapped[datetime]
    acr: Mapped[str] = mapped_column(String(128))
    amr: Mapped[list[Any]] = mapped_column(default=list)
    federation: Mapped[str | None] = mapped_column(String(64))  # upstream provider name for third-party logins
    last_seen_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class SessionClient(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "session_clients"
    __table_args__ = (Index("uq_session_clients_session_client", "session_id", "client_id", unique=True),)

    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("browser_sessions.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"), index=True)


class TrustedBrowser(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "trusted_browsers"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(512))
