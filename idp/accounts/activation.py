"""Activation links: issued when an account is created, they verify the e-mail address and lead to the password page.

SPEC §1.1.1: the e-mail carries the login and a single-use link, valid 72 hours by default, to
``{issuer}/password/activate?token=<token>``. The token is 32 random bytes with the recognisable prefix
``idp_act_`` (so that secret scanners spot a leaked link); the row keeps only its keyed hash
(``keyed_hash(secret, "action-token", token)``), its purpose ``activation`` and its expiry, so a copy of the database
activates nobody.

``bound_to`` pins the link to the address it was sent to (a keyed fingerprint of the lowercased e-mail): the page that
consumes the link must check it, so that a link cannot verify an address that changed after it was sent.

Issuing a new link kills the account's earlier unused activation links: only the newest e-mail works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from idp.clock import Clock, SystemClock
from idp.crypto import keyed_hash, new_token
from idp.db import Session
from idp.models import Account, ActionToken
from idp.notify.messages import activation_email
from idp.notify.outbox import Outbox
from idp.settings import Settings
from idp.storage import action_tokens as storage

#: How long an activation link stays valid (SPEC §1.1.1 default). Meant to become a setting.
ACTIVATION = "activation"
TOKEN_PREFIX = "idp_act_"
TOKEN_HASH_PURPOSE = "action-token"
ACTIVATION_PATH = "/password/activate"


@dataclass(frozen=True)
class ActivationLink:
    url: str
    expires_at: datetime


def token_hash(settings: Settings, token: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), TOKEN_HASH_PURPOSE, token)


def email_fingerprint(settings: Settings, email: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), "activation-email", email.lower())


def issue_activation(
    session: Session,
    settings: Settings,
    account: Account,
    *,
    outbox: Outbox,
    establishment_name: str | None = None,
    clock: Clock | None = None,
) -> ActivationLink:
    """Store a new activation token for ``account`` and put its e-mail in ``outbox`` (sent after the commit)."""
    now = (clock or SystemClock()).now()
    validity = timedelta(hours=settings.links.activation_ttl_hours)
    storage.delete_unused_action_tokens(session, account.id, ACTIVATION)
    token = new_token(TOKEN_PREFIX)
    row = ActionToken(
        purpose=ACTIVATION,
        token_hash=token_hash(settings, token),
        account_id=account.id,
        bound_to=email_fingerprint(settings, account.email),
        expires_at=now + validity,
    )
    storage.add_action_token(session, row)
    link = ActivationLink(url=f"{settings.issuer}{ACTIVATION_PATH}?token={token}", expires_at=row.expires_at)
    outbox.add(
        activation_email(
            to=account.email,
            given_name=account.given_name,
            family_name=account.family_name,
            login=account.username or account.rpps or "",
            link=link.url,
            validity=validity,
            establishment_name=establishment_name,
        )
    )
    return link
