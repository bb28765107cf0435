"""The single-use links sent by e-mail (activation, password reset): opening one, and using it once.

A link carries a random token with a recognisable prefix (``idp_act_``, ``idp_pwr_``); the ``action_tokens`` row
keeps only its keyed hash, its purpose and its expiry. Opening a link finds the row by hash *and* purpose (an
activation token is no reset token), then refuses it when used or expired. What the link is bound to (the e-mail
address, the current password) is the caller's check: each purpose binds to something else.

Using a link is one conditional UPDATE (``idp.storage.action_tokens.consume_action_token``): of two tabs that post
the same link at once, one wins and the other is told the link was used. Callers check everything that may refuse
the request (the password's policy) *before* using the link, and change nothing before it: a request that ends on
an error page must leave the link usable.

The errors say which of three things happened, since the page tells the person what to do about each; none
reveals more than the person holding the link already knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from idp.crypto import constant_time_equals, keyed_hash
from idp.db import Session
from idp.errors import DomainError
from idp.models import Account, ActionToken
from idp.settings import Settings
from idp.storage import accounts as account_storage
from idp.storage import action_tokens as storage

TOKEN_HASH_PURPOSE = "action-token"
MAX_TOKEN_LENGTH = 128


class LinkUnusable(DomainError):
    """Unknown, replaced by a newer link, or bound to something that changed since it was sent."""

    code = "link_invalid"


class LinkUsed(LinkUnusable):
    code = "link_used"


class LinkExpired(LinkUnusable):
    code = "link_expired"


@dataclass(frozen=True)
class OpenedLink:
    row: ActionToken
    account: Account
    token: str  # as received, for the form that posts it back


def token_hash(settings: Settings, token: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), TOKEN_HASH_PURPOSE, token)


def open_link(session: Session, settings: Settings, token: str, *, purpose: str, prefix: str, now: datetime) -> OpenedLink:
    """The unused, unexpired link of ``purpose`` that ``token`` names, with its account; else a ``LinkUnusable``."""
    if not token.startswith(prefix) or len(token) > MAX_TOKEN_LENGTH:
        raise LinkUnusable("this link is not a link of ours")
    row = storage.action_token_by_hash(session, token_hash(settings, token), purpose)
    if row is None or row.account_id is None:
        raise LinkUnusable("unknown or replaced link")
    if row.used_at is not None:
        raise LinkUsed("this link has already been used")
    if row.expires_at <= now:
        raise LinkExpired("this link has expired")
    account = account_storage.account_by_id(session, row.account_id)
    if account is None:
        raise LinkUnusable("the account of this link no longer exists")
    return OpenedLink(row, account, token)


def require_binding(link: OpenedLink, expected: str) -> None:
    """The link was bound to ``expected`` when it was sent (``bound_to``), and still is."""
    if link.row.bound_to is None or not constant_time_equals(link.row.bound_to, expected):
        raise LinkUnusable("what this link was bound to has changed since it was sent")


def use_link(session: Session, link: OpenedLink, now: datetime) -> None:
    """Mark the link used, or raise ``LinkUsed`` when another request used it first."""
    if not storage.consume_action_token(session, link.row.id, now):
        raise LinkUsed("this link has already been used")
