"""Delegations from a libéral to an assistant (SPEC §1.7), with one level per right.

A delegation starts ``invited`` (assistant not yet identified: names and e-mail only), becomes ``active`` once the
assistant authenticated with a card or e-CPS, and ``revoked`` when the libéral ends it. Tokens read the current
rights at issue time, so a change takes effect on the next token.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps, one_of

DELEGATION_STATUSES = ("invited", "active", "revoked")
RIGHTS = ("dossiers", "medical_data", "autonomy_data")
LEVELS = ("none", "read", "write")


class Delegation(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "delegations"
    __table_args__ = (one_of("status", DELEGATION_STATUSES, "status"),)

    liberal_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    assistant_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="invited")
    invited_given_name: Mapped[str] = mapped_column(String(128))
    invited_family_name: Mapped[str] = mapped_column(String(128))
    invited_email: Mapped[str] = mapped_column(String(254))
    accepted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class DelegationRight(UUIDPrimaryKey, Base):
    __tablename__ = "delegation_rights"
    __table_args__ = (
        one_of("name", RIGHTS, "name"),
        one_of("level", LEVELS, "level"),
        Index("uq_delegation_rights_delegation_name", "delegation_id", "name", unique=True),
    )

    delegation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("delegations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8), default="none")
