"""What a référent may see and change: the admin API's access rule, in one place.

An administrator (``idp:admin``) passes every check. A référent is limited to the establishments they are référent
of, with these decisions:

- **What a référent may not see does not exist for them**: an establishment that is not theirs, or an account with no
  membership in theirs, answers 404 ``not_found`` with the very words an unknown one gets ("unknown user: x"), so a
  référent cannot probe which accounts or establishments exist elsewhere. (Usernames remain one namespace: creating
  a username taken elsewhere is still ``already_exists``, as in any directory with unique logins.)
- **Seeing is not changing**: an account that also belongs to an establishment the référent does not manage is
  visible (it is one of theirs) but cannot be disabled or sent an activation link by them (403 ``forbidden``):
  that would act on another establishment's account too.
- A référent sees only the memberships of their own establishments in a user document.
- Libéral accounts belong to no establishment: référents neither see nor create them.
"""

from __future__ import annotations

from typing import Any

from idp.accounts.establishments import normalise_finess
from idp.accounts.referents import account_establishments
from idp.accounts.user_document import parse_user_document
from idp.accounts.users import find_user
from idp.db import Session
from idp.errors import Forbidden, NotFound
from idp.models import Account
from idp.web.admin.auth import AdminPrincipal


def check_establishment(principal: AdminPrincipal, finess: str) -> str:
    """The normalised FINESS number, if the principal manages it; ``NotFound`` (as if unknown) otherwise."""
    normalised = normalise_finess(finess)
    if not principal.manages(normalised):
        raise NotFound(f"unknown establishment: {finess}")
    return normalised


def visible_user(session: Session, principal: AdminPrincipal, login: str) -> Account:
    """The account ``login`` if the principal may see it; ``NotFound`` (as if unknown) otherwise."""
    account = find_user(session, login)
    if not principal.is_admin and not any(map(principal.manages, account_establishments(session, account.id))):
        raise NotFound(f"unknown user: {login}")
    return account


def changeable_user(session: Session, principal: AdminPrincipal, login: str) -> Account:
    """The account ``login`` if the principal may change it: visible, and managed in every establishment it has."""
    account = visible_user(session, principal, login)
    elsewhere = [f for f in account_establishments(session, account.id) if not principal.manages(f)]
    if elsewhere:
        raise Forbidden(f"{login} also belongs to establishments you are not référent of; ask an administrator")
    return account


def member_of(session: Session, principal: AdminPrincipal, login: str, finess: str) -> Account:
    """For a référent: the account ``login`` if it is a member of ``finess`` (which they manage); an administrator
    may name any account (the services then attach it or say it is not référent there)."""
    account = find_user(session, login)
    if not principal.is_admin and finess not in account_establishments(session, account.id):
        raise NotFound(f"unknown user: {login}")
    return account


def check_new_user(principal: AdminPrincipal, document: dict[str, Any]) -> None:
    """A référent creates accounts only in their establishments (the document is validated first, naming fields)."""
    if principal.is_admin:
        return
    user = parse_user_document(document)
    if user.establishment is None:
        raise Forbidden("a référent creates accounts of their own establishments only")
    check_establishment(principal, user.establishment)


def user_view(principal: AdminPrincipal, document: dict[str, Any]) -> dict[str, Any]:
    """A user document as the principal may see it: a référent sees their own establishments' memberships only."""
    if principal.is_admin:
        return document
    mine = [m for m in document["establishments"] if principal.manages(m["finess"])]
    return {**document, "establishments": mine}
