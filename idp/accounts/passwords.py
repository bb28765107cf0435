"""Setting a password: the policy's verdict, the Argon2id hash, the audit event and the confirmation e-mail.

Layering. What a good password is (``idp.authn.password_policy``) and how it is hashed (``idp.authn.passwords``)
belong to ``idp.authn``, a sibling of this package that it may not import (the import-linter layers). So, as
fastapi-users hands its user manager a ``PasswordHelper``, the two are handed in through the small protocols
below; the web layer, which may import both packages, passes ``policy_for(settings)`` and
``hasher_for(settings)``. The rules of *when* a password may be set (this person, this link, checked before
anything changes) stay here, in one service, with the account lifecycle they belong to.

Every successful change is audited ``password.changed`` (with ``via``: activation, reset, change) and puts the
confirmation e-mail of SPEC §1.1.2 ("votre mot de passe a été modifié") in the caller's outbox, which leaves after
the commit. A refused password changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from idp.audit import AuditContext, record
from idp.clock import Clock, SystemClock
from idp.db import Session
from idp.errors import InvalidInput
from idp.models import Account
from idp.notify.messages import password_changed_email
from idp.notify.outbox import Outbox
from idp.settings import Settings

FORGOT_PATH = "/password/forgot"


class Refusal(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


class PasswordRules(Protocol):
    """``idp.authn.password_policy.PasswordPolicy``."""

    def check(
        self, password: str, *, username: str | None, names: Iterable[str | None], current_hash: str | None
    ) -> Sequence[Refusal]: ...


class PasswordHashing(Protocol):
    """``idp.authn.passwords.PasswordHasher``."""

    def hash(self, password: str) -> str: ...


class PasswordsDiffer(InvalidInput):
    code = "passwords_differ"


class WeakPassword(InvalidInput):
    """The policy refused the password; ``refusals`` say why (codes and French messages)."""

    code = "weak_password"

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        self.refusals = tuple(refusals)
        super().__init__("the password does not follow the password policy: " + ", ".join(r.code for r in refusals))


def check_new_password(account: Account, password: str, repeated: str | None = None, *, policy: PasswordRules) -> None:
    """Raise ``PasswordsDiffer`` or ``WeakPassword`` unless ``password`` may become ``account``'s password."""
    if repeated is not None and password != repeated:
        raise PasswordsDiffer("the two passwords differ")
    refusals = policy.check(
        password,
        username=account.username or account.rpps,
        names=(account.given_name, account.family_name),
        current_hash=account.password_hash,
    )
    if refusals:
        raise WeakPassword(refusals)


def store_password(
    session: Session,
    settings: Settings,
    account: Account,
    password: str,
    *,
    hasher: PasswordHashing,
    outbox: Outbox,
    context: AuditContext,
    via: str,
    now: datetime,
) -> None:
    """Hash and store a password already checked by ``check_new_password``; audit it; queue the confirmation."""
    account.password_hash = hasher.hash(password)
    account.password_changed_at = now
    record(session, "password.changed", context=context, account_id=account.id, details={"via": via})
    outbox.add(
        password_changed_email(
            to=account.email,
            given_name=account.given_name,
            family_name=account.family_name,
            login=account.username or account.rpps or "",
            changed_at=now,
            forgot_link=settings.issuer + FORGOT_PATH,
        )
    )


def set_password(
    session: Session,
    settings: Settings,
    account: Account,
    new_password: str,
    *,
    policy: PasswordRules,
    hasher: PasswordHashing,
    outbox: Outbox,
    context: AuditContext,
    via: str = "change",
    clock: Clock | None = None,
) -> None:
    """Check ``new_password`` against the policy and make it ``account``'s password (``WeakPassword`` if refused)."""
    check_new_password(account, new_password, policy=policy)
    now = (clock or SystemClock()).now()
    store_password(session, settings, account, new_password, hasher=hasher, outbox=outbox, context=context, via=via,
                   now=now)
