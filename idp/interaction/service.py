"""Interactions: a validated authorization request parked while the person deals with a page.

The protocol ``begin``s one with the request's parameters and the reasons; pages ``load`` it (bound to the
browser that started it by a cookie whose keyed hash is stored) and ``finish`` it with what the person proved;
the protocol resumes from it and ``consume``s it when the client has its answer. An interaction serves one
authorization response only, and lives ``settings.tokens.interaction_ttl_seconds`` at most.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from idp.clock import utcnow
from idp.crypto import constant_time_equals, keyed_hash, new_token
from idp.db import Session
from idp.errors import DomainError
from idp.models import Interaction
from idp.settings import Settings
from idp.storage import interactions as storage

COOKIE_NAME = "idp_interaction"
_HASH_PURPOSE = "interaction-binding"


class InteractionUnavailable(DomainError):
    """Unknown, expired, already used, or opened in another browser: the login must start again from the site."""

    code = "interaction_unavailable"


def begin(
    session: Session,
    settings: Settings,
    *,
    client_row_id: uuid.UUID,
    params: dict[str, Any],
    reasons: list[str],
    binding_cookie: str | None,
    now: datetime | None = None,
) -> tuple[Interaction, str]:
    """Park the request; returns the interaction and the binding cookie value to (re)set in the browser."""
    now = now or utcnow()
    binding = binding_cookie if binding_cookie and len(binding_cookie) <= 128 else new_token("idp_ib_")
    row = Interaction(
        uid=new_token("", 16),
        browser_binding_hash=_hash(settings, binding),
        client_id=client_row_id,
        params=params,
        prompt="login",
        reasons=reasons,
        expires_at=now + timedelta(seconds=settings.tokens.interaction_ttl_seconds),
    )
    storage.add_interaction(session, row)
    return row, binding


def load(session: Session, settings: Settings, uid: str, binding_cookie: str | None, *, now: datetime | None = None) -> Interaction:
    row = storage.interaction_by_uid(session, uid) if uid and len(uid) <= 64 else None
    if row is None or row.expires_at <= (now or utcnow()):
        raise InteractionUnavailable("this login request has expired or was already used")
    if not binding_cookie or not constant_time_equals(row.browser_binding_hash, _hash(settings, binding_cookie)):
        raise InteractionUnavailable("this login request was started in another browser")
    return row


def finish(row: Interaction, *, account_id: uuid.UUID, session_id: uuid.UUID, acr: str, amr: list[str], auth_time: datetime) -> None:
    row.account_id = account_id
    row.session_id = session_id
    row.result = {"account_id": str(account_id), "acr": acr, "amr": amr, "auth_time": auth_time.isoformat()}
    row.completed_at = utcnow()


def consume(session: Session, row: Interaction) -> None:
    """The client got its answer: the interaction can never resume again."""
    session.delete(row)


def _hash(settings: Settings, binding: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), _HASH_PURPOSE, binding)
