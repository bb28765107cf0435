"""Accounts: creation with an activation link, listing, disabling.

An account is created ``pending``, with no password: the person sets one through the activation link (SPEC §1.1.1),
which also verifies the e-mail address. The activation e-mail goes to the ``Outbox`` the caller hands in and
leaves after the caller's commit (``idp.notify.outbox``). Every change writes an audit event in the same
transaction (``user.created``, ``user.disabled``, ``user.activation_sent``, and ``referent.added`` for an account
created as référent).

Errors are domain errors: an invalid document is ``InvalidInput`` naming the field, an unknown establishment
``NotFound``, a username or RPPS number already in use ``AlreadyExists``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idp.accounts.activation import ActivationLink, issue_activation
from idp.accounts.establishments import get_establishment
from idp.accounts.user_document import UserDocument, parse_user_document
from idp.audit import CLI, AuditContext, record
from idp.clock import Clock, SystemClock
from idp.db import Session
from idp.errors import AlreadyExists, InvalidInput, NotFound
from idp.models import Account, Establishment, Membership
from idp.notify.outbox import Outbox
from idp.settings import Settings
from idp.storage import accounts as storage
from idp.storage import action_tokens

ROLES = ("professional", "referent")


@dataclass(frozen=True)
class CreatedUser:
    account: Account
    membership: Membership | None
    establishment: Establishment | None
    activation: ActivationLink


def create_user(
    session: Session,
    settings: Settings,
    document: dict[str, Any],
    *,
    outbox: Outbox,
    context: AuditContext = CLI,
    role: str = "professional",
    clock: Clock | None = None,
) -> CreatedUser:
    """Create a pending account from a user document (``idp.accounts.user_document``) and its activation e-mail."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = parse_user_document(document)
    if role == "referent" and user.kind != "establishment":
        raise InvalidInput("kind: a référent is an establishment account")
    establishment = get_establishment(session, user.establishment) if user.establishment else None
    if user.username and storage.account_by_username(session, user.username):
        raise AlreadyExists(f"username {user.username} is already taken")
    if user.rpps and storage.account_by_rpps(session, user.rpps):
        raise AlreadyExists(f"an account with RPPS number {user.rpps} already exists")
    account = _add_account(session, user, context)
    membership = None
    if establishment is not None:
        membership = storage.add_membership(
            session, Membership(account_id=account.id, establishment_id=establishment.id, role=role)
        )
    activation = issue_activation(
        session, settings, account, outbox=outbox, clock=clock,
        establishment_name=establishment.name if establishment else None,
    )
    details = {"kind": user.kind, "username": user.username, "rpps": user.rpps, "role": role if membership else None,
               "establishment": user.establishment, "activation_expires_at": activation.expires_at.isoformat()}
    record(session, "user.created", context=context, account_id=account.id, details=details)
    if role == "referent" and establishment is not None:
        record(session, "referent.added", context=context, account_id=account.id,
               details={"username": user.username, "establishment": establishment.finess, "membership_created": True})
    return CreatedUser(account, membership, establishment, activation)


def _add_account(session: Session, user: UserDocument, context: AuditContext) -> Account:
    fields = user.model_dump(exclude={"establishment", "address"})
    address = user.address.model_dump(exclude_none=True) if user.address else None
    account = Account(**fields, status="pending", address=address, created_by_id=context.actor_id)
    return storage.add_account(session, account)


def find_user(session: Session, login: str) -> Account:
    """The account whose username (any case) or, for a libéral, RPPS number is ``login``."""
    account = storage.account_by_username(session, login.strip().lower()) or storage.account_by_rpps(session, login)
    if account is None:
        raise NotFound(f"unknown user: {login}")
    return account


def list_users(session: Session, *, establishment: str | None = None) -> list[Account]:
    """Every account, or the members of the establishment with this FINESS number (``NotFound`` if unknown)."""
    establishment_id = get_establishment(session, establishment).id if establishment is not None else None
    return storage.list_accounts(session, establishment_id=establishment_id)


def disable_user(session: Session, login: str, *, context: AuditContext = CLI, clock: Clock | None = None) -> Account:
    """Disable an account: it can no longer log in, and its unused action links (activation, reset) die now.

    Already-issued access tokens are not revoked here; the token endpoint refuses to issue or refresh tokens for a
    disabled account, so nothing new is granted. Disabling twice changes nothing and is not audited twice.
    """
    account = find_user(session, login)
    if account.status == "disabled":
        return account
    account.status = "disabled"
    account.disabled_at = (clock or SystemClock()).now()
    action_tokens.delete_unused_action_tokens(session, account.id)
    record(session, "user.disabled", context=context, account_id=account.id, details={"username": account.username})
    return account


def send_activation_again(
    session: Session, settings: Settings, login: str, *, outbox: Outbox, context: AuditContext = CLI
) -> ActivationLink:
    """A new activation link for a pending account (the e-mail was lost, or the link expired); earlier links die."""
    account = find_user(session, login)
    if account.status != "pending":
        raise InvalidInput(f"{login} is {account.status}: only a pending account can be sent an activation link")
    memberships = storage.memberships_of(session, [account.id])[account.id]
    name = memberships[0][1].name if memberships else None
    link = issue_activation(session, settings, account, outbox=outbox, establishment_name=name)
    record(session, "user.activation_sent", context=context, account_id=account.id,
           details={"activation_expires_at": link.expires_at.isoformat()})
    return link


def user_documents(session: Session, accounts: list[Account]) -> list[dict[str, Any]]:
    """The JSON shape of accounts for the CLI and the admin API: OIDC claim names, never a secret or a hash."""
    memberships = storage.memberships_of(session, [account.id for account in accounts])
    return [_document(account, memberships[account.id]) for account in accounts]


def _document(account: Account, memberships: list[tuple[Membership, Establishment]]) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": str(account.id),
        "kind": account.kind,
        "status": account.status,
        "username": account.username,
        "rpps": account.rpps,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "email": account.email,
        "email_verified": account.email_verified_at is not None,
        "phone_number": account.phone_number,
        "address": account.address,
        "profession": account.profession,
        "specialty": account.specialty,
        "establishments": [{"finess": e.finess, "name": e.name, "role": m.role} for m, e in memberships],
        "created_at": when(account.created_at),
        "disabled_at": when(account.disabled_at),
    }
