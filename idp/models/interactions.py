"""Interactions: a validated authorization request waiting for a person (node-oidc-provider's model).

The protocol layer stores the request (``params``), the prompt to show and its reasons (``no_session``,
``max_age``, ``acr_not_satisfied``...). A page finishes it with a ``result`` ({account, acr, amr, auth_time}) and
the authorization flow resumes from it. ``uid`` appears in page URLs and is bound to the browser by a cookie.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps


class Interaction(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "interactions"

    uid: Mapped[str] = mapped_column(String(64), unique=True)
    browser_binding_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("browser_sessions.id", ondelete="SET NULL"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    params: Mapped[dict[str, Any]]
    prompt: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # factors achieved so far during this login
    result: Mapped[dict[str, Any] | None]
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
