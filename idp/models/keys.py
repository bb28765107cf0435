"""Signing keys. The private key is PEM encrypted with ``SecretBox`` (associated data ``signing-key:<kid>``).

Life of a key: ``next`` (published in the JWKS, not used to sign) -> ``active`` (signs) -> ``retired`` (published until
``expires_at``, when no token it signed can still be valid).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps, one_of

KEY_STATES = ("next", "active", "retired")


class SigningKey(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "signing_keys"
    __table_args__ = (
        one_of("state", KEY_STATES, "state"),
        one_of("alg", ("RS256", "ES256"), "alg"),
        Index("ix_signing_keys_alg_state", "alg", "state"),
    )

    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]]
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
