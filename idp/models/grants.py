"""Authorization codes and tokens.

Codes and refresh tokens are stored as keyed hashes only. Access tokens are JWTs (RFC 9068); their ``jti`` is kept
so that introspection and revocation can honour it. ``authorization_code_id`` links every token to the code that
issued it (a code used twice revokes them, RFC 6749 §4.1.2); ``family_id`` groups a refresh-token chain (reusing a
rotated refresh token revokes the family).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps, one_of

TOKEN_KINDS = ("access", "refresh")


class AuthorizationCode(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("browser_sessions.id", ondelete="SET NULL"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    claims: Mapped[dict[str, Any] | None]
    acr: Mapped[str] = mapped_column(String(128))
    amr: Mapped[list[Any]] = mapped_column(default=list)
    auth_time: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Token(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "tokens"
    __table_args__ = (one_of("kind", TOKEN_KINDS, "kind"),)

    kind: Mapped[str] = mapped_column(String(8))
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # refresh tokens only
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("browser_sessions.id", ondelete="SET NULL"), index=True
    )
    authorization_code_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("authorization_codes.id", ondelete="SET NULL"), index=True
    )
    family_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    scope: Mapped[str] = mapped_column(Text)
    claims: Mapped[dict[str, Any] | None]
    acr: Mapped[str | None] = mapped_column(String(128))
    amr: Mapped[list[Any] | None]
    auth_time: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ClientAssertion(UUIDPrimaryKey, Timestamps, Base):
    """A ``private_key_jwt`` assertion already accepted: its ``jti`` is single use (RFC 7523 §3, item 7).

    Only the keyed hash of ``client_id`` and ``jti`` is kept, until the assertion's own ``exp`` has passed.
    """

    __tablename__ = "client_assertions"

    jti_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
