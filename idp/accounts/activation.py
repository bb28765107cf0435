"""Activation links: issued when an account is created, they verify the e-mail address and lead to the password page.

SPEC §1.1.1: the e-mail carries the login and a single-use link, valid 72 hours by default, to
``{issuer}/password/activate?token=<token>``. The token is 32 random bytes with the recognisable prefix
``idp_act_`` (so that secret scanners spot a leaked link); the row keeps only its keyed hash
(``keyed_hash(secret, "action-token", token)``), its purpose ``activation`` and its expiry, so a copy of the database
activates nobody.

``bound_to`` pins the link to the address it was sent to (a keyed fingerprint of the lowercased e-mail): the page that
consumes the link must check it, so that a link cannot verify an address that changed after it was sent.

Issuing a new link kills the account's earlier unused activation links: only the newest e-mail works.

Using the link (``open_activation`` for the page, ``activate`` for its form, SPEC §1.1.2): it must be known, of
purpose ``activation``, unused, unexpired, still bound to the account's e-mail address, and the account still
``pending``. Activating checks the two passwords and the policy first, then uses the link (once: a conditional
update), verifies the address, sets the password, makes the account ``active`` and audits ``account.activated``;
the confirmation e-mail goes to the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from idp.accounts.action_links import (
    LinkUnusable,
    OpenedLink,
    open_link,
    require_binding,
    token_hash,
    use_link,
)
from idp.accounts.passwords import PasswordHashing, PasswordRules, check_new_password, store_password
from idp.audit import AuditContext, record
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
ACTIVATION_PATH = "/password/activate"


@dataclass(frozen=True)
class ActivationLink:
    url: str
    expires_at: datetime


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


def open_activation(session: Session, settings: Settings, token: str, *, clock: Clock | None = None) -> OpenedLink:
    """The activation link ``token`` names, if it may still be used (else a ``LinkUnusable``)."""
    now = (clock or SystemClock()).now()
    link = open_link(session, settings, token, purpose=ACTIVATION, prefix=TOKEN_PREFIX, now=now)
    require_binding(link, email_fingerprint(settings, link.account.email))  # the address it was sent to
    if link.account.status != "pending":
        raise LinkUnusable(f"the account is {link.account.status}, not pending")
    return link


def activate(
    session: Session,
    settings: Settings,
    link: OpenedLink,
    password: str,
    repeated: str,
    *,
    policy: PasswordRules,
    hasher: PasswordHashing,
    outbox: Outbox,
    context: AuditContext,
    clock: Clock | None = None,
) -> Account:
    """Set the first password through an opened activation link; ``PasswordsDiffer``, ``WeakPassword`` or
    ``LinkUsed`` leave everything as it was."""
    account = link.account
    check_new_password(account, password, repeated, policy=policy)
    now = (clock or SystemClock()).now()
    use_link(session, link, now)
    account.status = "active"
    account.email_verified_at = account.email_verified_at or now  # the link reached this address
    store_password(session, settings, account, password, hasher=hasher, outbox=outbox, context=context,
                   via="activation", now=now)
    record(session, "account.activated", context=context, account_id=account.id,
           details={"username": account.username})
    return account
