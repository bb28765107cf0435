"""Acceptances of the terms of use (CGU), kept with version and time (SPEC §1.1.5)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.clock import utcnow
from idp.db import Base, UUIDPrimaryKey


class TermsAcceptance(UUIDPrimaryKey, Base):
    __tablename__ = "terms_acceptances"
    __table_args__ = (Index("uq_terms_acceptances_account_version", "account_id", "version", unique=True),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))
