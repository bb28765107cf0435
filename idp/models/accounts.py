"""Accounts, their establishment memberships, and the one-time-code settings that belong to a person.

``kind`` is one of SPEC §1's three kinds; a référent is an establishment professional whose membership has the role
``referent``. ``username`` is the login of establishment professionals; libéraux and assistants log in with their
RPPS or card national identifier (``rpps``, ``national_id``), so ``username`` may be empty for them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps, one_of

ACCOUNT_KINDS = ("establishment", "liberal", "assistant")
ACCOUNT_STATUSES = ("pending", "active", "disabled")
OTP_CHANNELS = ("email", "sms", "totp")
MEMBERSHIP_ROLES = ("professional", "referent")


class Account(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        one_of("kind", ACCOUNT_KINDS, "kind"),
        one_of("status", ACCOUNT_STATUSES, "status"),
        one_of("otp_channel", OTP_CHANNELS, "otp_channel"),
        Index("ix_accounts_email", "email"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    rpps: Mapped[str | None] = mapped_column(String(16), unique=True)
    national_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    given_name: Mapped[str] = mapped_column(String(128))
    family_name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str] = mapped_column(String(254))
    email_verified_at: Mapped[datetime | None]
    phone_number: Mapped[str | None] = mapped_column(String(32))
    phone_verified_at: Mapped[datetime | None]
    address: Mapped[dict[str, Any] | None]
    profession: Mapped[str | None] = mapped_column(String(128))
    specialty: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    otp_channel: Mapped[str] = mapped_column(String(8), default="email")
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed_at: Mapped[datetime | None]
    # The RFC 6238 time step of the last code accepted: a code of that step or an older one is refused (§5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    first_password_login_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # The current series of password failures (idp.authn.throttle): when it began and when it last grew.
    first_failed_login_at: Mapped[datetime | None]
    last_failed_login_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=func.now())
    disabled_at: Mapped[datetime | None]


class Membership(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "memberships"
    # One membership per (account, establishment): the role says whether the person is also its référent.
    __table_args__ = (
        one_of("role", MEMBERSHIP_ROLES, "role"),
        Index("uq_memberships_account_establishment", "account_id", "establishment_id", unique=True),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    establishment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("establishments.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="professional")
