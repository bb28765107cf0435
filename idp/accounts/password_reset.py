"""Forgotten password (SPEC §1.4): a single-use link by e-mail, bound to the password it replaces.

``request_reset`` takes what the person typed: a username (any case), an RPPS number, or an e-mail address. An
address may be shared by several accounts (a secretary's, a service's): each *active* account gets its own e-mail
naming its username. For each, earlier unused reset links die and a new one is stored as a keyed hash, valid
``settings.links.password_reset_ttl_minutes``, with ``bound_to`` a keyed fingerprint of the *current* password hash
(as fastapi-users binds its reset token): once the password changes, by this link or any other way, every link sent
before dies. Pending accounts get nothing (their way in is the activation link, from their référent), nor do
disabled ones.

The caller answers the same whatever happened and sends the e-mails after the commit; this module only keeps the
trail: ``password.reset.requested``, ``success`` per account e-mailed, else one ``failure`` that names no account
when none matched. The typed value itself is not recorded (people type passwords into the wrong field), only its
kind.

``reset_password`` checks the two passwords and the policy (the current password is refused) before it uses the
link, then stores the new password and audits ``password.reset.completed``. Ending the account's sessions and
refresh tokens is the protocol layer's part (``idp.protocol.account_logout``), which also tells the relying parties.
"""

from __future__ import annotations

from datetime import timedelta

from idp.accounts.action_links import LinkUnusable, OpenedLink, open_link, require_binding, token_hash, use_link
from idp.accounts.passwords import PasswordHashing, PasswordRules, check_new_password, store_password
from idp.audit import AuditContext, record
from idp.clock import Clock, SystemClock
from idp.crypto import keyed_hash, new_token
from idp.db import Session
from idp.models import Account, ActionToken
from idp.notify.messages import password_reset_email
from idp.notify.outbox import Outbox
from idp.settings import Settings
from idp.storage import accounts as account_storage
from idp.storage import action_tokens as storage

PASSWORD_RESET = "password_reset"
TOKEN_PREFIX = "idp_pwr_"
RESET_PATH = "/password/reset"
MAX_IDENTIFIER_LENGTH = 254
EVENT = "password.reset.requested"


def password_fingerprint(settings: Settings, password_hash: str | None) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), "password-reset-binding", password_hash or "")


def request_reset(
    session: Session,
    settings: Settings,
    identifier: str,
    *,
    outbox: Outbox,
    context: AuditContext,
    clock: Clock | None = None,
) -> list[Account]:
    """Queue a reset e-mail for every active account ``identifier`` names; returns them (never shown to anyone)."""
    identifier = identifier.strip()
    kind, accounts = _lookup(session, identifier)
    active = [account for account in accounts if account.status == "active"]
    for account in accounts:
        if account.status != "active":
            record(session, EVENT, context=context, outcome="failure", account_id=account.id,
                   details={"identifier": kind, "reason": f"account_{account.status}"})
    if not accounts:
        record(session, EVENT, context=context, outcome="failure", details={"identifier": kind, "reason": "no_account"})
    now = (clock or SystemClock()).now()
    validity = timedelta(minutes=settings.links.password_reset_ttl_minutes)
    for account in active:
        storage.delete_unused_action_tokens(session, account.id, PASSWORD_RESET)
        token = new_token(TOKEN_PREFIX)
        storage.add_action_token(session, ActionToken(
            purpose=PASSWORD_RESET, token_hash=token_hash(settings, token), account_id=account.id,
            bound_to=password_fingerprint(settings, account.password_hash), expires_at=now + validity,
        ))
        outbox.add(password_reset_email(
            to=account.email, given_name=account.given_name, family_name=account.family_name,
            login=account.username or account.rpps or "", link=f"{settings.issuer}{RESET_PATH}?token={token}",
            validity=validity,
        ))
        record(session, EVENT, context=context, account_id=account.id, details={"identifier": kind})
    return active


def _lookup(session: Session, identifier: str) -> tuple[str, list[Account]]:
    """What kind of identifier this is, and the accounts it names (any status)."""
    if not identifier or len(identifier) > MAX_IDENTIFIER_LENGTH:
        return "invalid", []
    if "@" in identifier:
        return "email", account_storage.accounts_by_email(session, identifier)
    if identifier.isdigit():
        return "rpps", [a for a in [account_storage.account_by_rpps(session, identifier)] if a is not None]
    return "username", [a for a in [account_storage.account_by_username(session, identifier.lower())] if a is not None]


def open_reset(session: Session, settings: Settings, token: str, *, clock: Clock | None = None) -> OpenedLink:
    """The reset link ``token`` names, if it may still be used: the account active, its password unchanged."""
    now = (clock or SystemClock()).now()
    link = open_link(session, settings, token, purpose=PASSWORD_RESET, prefix=TOKEN_PREFIX, now=now)
    require_binding(link, password_fingerprint(settings, link.account.password_hash))
    if link.account.status != "active":
        raise LinkUnusable(f"the account is {link.account.status}")
    return link


def reset_password(
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
    """Set a new password through an opened reset link; ``PasswordsDiffer``, ``WeakPassword`` or ``LinkUsed``
    leave everything as it was."""
    account = link.account
    check_new_password(account, password, repeated, policy=policy)
    now = (clock or SystemClock()).now()
    use_link(session, link, now)
    store_password(session, settings, account, password, hasher=hasher, outbox=outbox, context=context,
                   via="reset", now=now)
    storage.delete_unused_action_tokens(session, account.id, PASSWORD_RESET)  # dead already (bound_to); tidy
    record(session, "password.reset.completed", context=context, account_id=account.id)
    return account
