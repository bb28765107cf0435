"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from idp.clock import utcnow


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A CHECK that keeps an enumerated text column honest on every backend."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
