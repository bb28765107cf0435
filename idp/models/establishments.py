"""Establishments (hospitals, nursing homes), known by their FINESS number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps


class Establishment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "establishments"

    finess: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    region: Mapped[str] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None]
