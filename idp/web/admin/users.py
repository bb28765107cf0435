"""``/users``: accounts of professionals, created from the user document of ``idp users create``.

``{login}`` is a username, or the RPPS number of a libéral. A référent works only on the accounts of their
establishments (``idp.web.admin.access``); everything is audited with the acting référent or client.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status

from idp.accounts.password_reset import request_reset
from idp.accounts.users import create_user, disable_user, list_users, send_activation_again, user_documents
from idp.db import Session
from idp.errors import InvalidInput
from idp.models import Account
from idp.notify.outbox import Outbox
from idp.web.admin import schemas
from idp.web.admin.access import changeable_user, check_establishment, check_new_user, user_view, visible_user
from idp.web.admin.auth import AdminPrincipal, Principal
from idp.web.admin.errors import documented
from idp.web.admin.mail import EmailSenderDep, activation_after_commit, commit_then_send
from idp.web.deps import DbSession, SettingsDep

router = APIRouter(prefix="/users", tags=["users"])


def view(session: Session, principal: AdminPrincipal, accounts: list[Account]) -> list[dict[str, Any]]:
    return [user_view(principal, document) for document in user_documents(session, accounts)]


@router.get("", summary="List accounts", response_model=list[schemas.User], responses=documented(404))
def list_(
    principal: Principal,
    session: DbSession,
    establishment: Annotated[str | None, Query(description="Only the members of this FINESS number")] = None,
) -> list[dict[str, Any]]:
    """Every account for an administrator; for a référent, the members of their establishments."""
    if establishment is not None:
        members = list_users(session, establishment=check_establishment(principal, establishment))
        return view(session, principal, members)
    if principal.referent_of is None:
        return view(session, principal, list_users(session))
    found = {a.id: a for finess in sorted(principal.referent_of) for a in list_users(session, establishment=finess)}
    ordered = sorted(found.values(), key=lambda a: (a.family_name, a.given_name, a.username or "", str(a.id)))
    return view(session, principal, ordered)


@router.post(
    "",
    summary="Create an account and e-mail its activation link",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.CreatedUser,
    responses=documented(400, 404, 409, 503),
    openapi_extra=schemas.body_of("UserDocument", description="OIDC claim names plus username, kind, establishment"),
)
def create(
    document: Annotated[dict[str, Any], Body()],
    principal: Principal,
    session: DbSession,
    settings: SettingsDep,
    sender: EmailSenderDep,
) -> dict[str, Any]:
    """The account is created ``pending``; the person gets their username and a single-use link by e-mail, sent
    after the commit. A référent creates accounts only in their establishments. If the mail server fails, the
    account is kept (201, ``activation.email_sent: false``): re-send with ``POST /users/{login}/activation``."""
    check_new_user(principal, document)
    outbox = Outbox()
    created = create_user(session, settings, document, outbox=outbox, context=principal.audit)
    result = user_view(principal, user_documents(session, [created.account])[0])
    login = created.account.username or created.account.rpps or ""
    activation = activation_after_commit(session, outbox, sender, login=login,
                                         expires_at=created.activation.expires_at.isoformat())
    return {**result, "activation": activation}


@router.get("/{login}", summary="Read an account", response_model=schemas.User, responses=documented(404))
def read(login: schemas.Login, principal: Principal, session: DbSession) -> dict[str, Any]:
    """An account a référent may not see answers 404, exactly as an unknown one."""
    return view(session, principal, [visible_user(session, principal, login)])[0]


@router.post("/{login}/disable", summary="Disable an account", response_model=schemas.User,
             responses=documented(404))
def disable(login: schemas.Login, principal: Principal, session: DbSession) -> dict[str, Any]:
    """No more logins, its unused activation and reset links die; disabling twice changes nothing."""
    changeable_user(session, principal, login)
    return view(session, principal, [disable_user(session, login, context=principal.audit)])[0]


@router.post("/{login}/activation", summary="E-mail a new activation link", response_model=schemas.ActivationSent,
             responses=documented(400, 404, 503))
def send_activation(
    login: schemas.Login, principal: Principal, session: DbSession, settings: SettingsDep, sender: EmailSenderDep
) -> dict[str, Any]:
    """For a ``pending`` account only (400 otherwise); earlier links stop working. 503 ``delivery_failed`` when the
    mail server fails (the new link was stored but not received: call again)."""
    changeable_user(session, principal, login)
    outbox = Outbox()
    link = send_activation_again(session, settings, login, outbox=outbox, context=principal.audit)
    commit_then_send(session, outbox, sender)
    return {"login": login, "expires_at": link.expires_at.isoformat()}


@router.post("/{login}/password-reset", summary="E-mail a password reset link", response_model=schemas.ResetSent,
             responses=documented(400, 404, 503))
def send_password_reset(
    login: schemas.Login, principal: Principal, session: DbSession, settings: SettingsDep, sender: EmailSenderDep
) -> dict[str, Any]:
    """For an ``active`` account only (400 otherwise): the person gets the same single-use link as from "Mot de
    passe oublié ?" (valid ``IDP_LINKS__PASSWORD_RESET_TTL_MINUTES``); earlier reset links stop working. 503
    ``delivery_failed`` when the mail server fails."""
    account = changeable_user(session, principal, login)
    outbox = Outbox()
    if not request_reset(session, settings, account.username or account.rpps or "", outbox=outbox,
                         context=principal.audit):
        raise InvalidInput(f"{login} is {account.status}: only an active account can be sent a reset link")
    commit_then_send(session, outbox, sender)
    return {"login": login, "valid_minutes": settings.links.password_reset_ttl_minutes}
