"""Identities proved elsewhere and linked to an account.

- ``CardBinding``: a CPx card's national identifier (idNat, the certificate CN) linked to an account (SPEC §1.5).
- ``FederatedIdentity``: a subject at an upstream OIDC provider (Pro Santé Connect, a third-party site) linked to an
  account. For PSC the stable key is ``SubjectNameID`` (the idNat), never PSC's ``sub`` (reference §1.6).
- ``UpstreamLogin``: our own pending request to an upstream provider: state (keyed hash), nonce and the PKCE
  verifier (encrypted), tied to the interaction it serves.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps


class CardBinding(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "card_bindings"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    national_id: Mapped[str] = mapped_column(String(64), unique=True)
    card_type: Mapped[str | None] = mapped_column(String(8))
    issuer_dn: Mapped[str | None] = mapped_column(Text)
    last_used_at: Mapped[datetime | None]


class FederatedIdentity(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "federated_identities"
    __table_args__ = (Index("uq_federated_identities_provider_subject", "provider", "subject", unique=True),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    claims: Mapped[dict[str, Any]] = mapped_column(default=dict)  # last identity claims received
    last_login_at: Mapped[datetime | None]


class UpstreamLogin(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "upstream_logins"

    provider: Mapped[str] = mapped_column(String(64))
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("interactions.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
