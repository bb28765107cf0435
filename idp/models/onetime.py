"""Single-use secrets sent to people.

- ``ActionToken``: a link (activation, password reset, assistant invitation, e-mail verification). Stored as a keyed
  hash with its purpose and expiry; ``bound_to`` can pin it to state that must not have changed (for a reset link, a
  fingerprint of the current password hash, so a link dies when the password changes).
- ``OtpCode``: a 6-digit code (login, phone verification) stored as a keyed hash, with a count of wrong tries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps, one_of

ACTION_PURPOSES = ("activation", "password_reset", "invitation", "email_verification")
OTP_PURPOSES = ("login", "phone_verification")


class ActionToken(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "action_tokens"
    __table_args__ = (one_of("purpose", ACTION_PURPOSES, "purpose"),)

    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    bound_to: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OtpCode(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "otp_codes"
    __table_args__ = (
        one_of("purpose", OTP_PURPOSES, "purpose"),
        one_of("channel", ("email", "sms"), "channel"),
        Index("ix_otp_codes_account_purpose", "account_id", "purpose"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(254))  # address or number the code went to
    code_hash: Mapped[str] = mapped_column(String(64))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("interactions.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
