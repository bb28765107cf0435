"""``/establishments/{finess}/referents``: who manages an establishment's accounts.

``POST`` takes one of two bodies, as ``idp referents add`` does: ``{"username": ...}`` promotes an existing account;
a full user document creates a référent account (its ``establishment`` is the path's when left out) and e-mails its
activation link after the commit. A référent manages the référents of their own establishments only, and promotes
only the establishment's members; an administrator may attach any establishment account. ``DELETE`` demotes: the
person stays a member (``professional``); a référent may demote a peer, or themselves.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from idp.accounts.establishments import normalise_finess
from idp.accounts.referents import add_referent, create_referent, list_referents, remove_referent
from idp.accounts.users import user_documents
from idp.errors import InvalidInput
from idp.notify.outbox import Outbox
from idp.web.admin import schemas
from idp.web.admin.access import check_establishment, member_of, user_view
from idp.web.admin.auth import Principal
from idp.web.admin.errors import documented
from idp.web.admin.mail import EmailSenderDep, activation_after_commit
from idp.web.deps import DbSession, SettingsDep

router = APIRouter(prefix="/establishments/{finess}/referents", tags=["referents"])


@router.get("", summary="List the référents of an establishment", response_model=list[schemas.User],
            responses=documented(404))
def list_(finess: schemas.Finess, principal: Principal, session: DbSession) -> list[dict[str, Any]]:
    accounts = list_referents(session, check_establishment(principal, finess))
    return [user_view(principal, document) for document in user_documents(session, accounts)]


@router.post(
    "",
    summary="Promote an account to référent, or create a référent account",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.AddedReferent,
    responses=documented(400, 404, 409, 503),
    openapi_extra=schemas.body_of("ReferentRequest", "UserDocument",
                                  description="`{\"username\": ...}` to promote, or a user document to create"),
)
def add(
    finess: schemas.Finess,
    body: Annotated[dict[str, Any], Body()],
    principal: Principal,
    session: DbSession,
    settings: SettingsDep,
    sender: EmailSenderDep,
) -> dict[str, Any]:
    place = check_establishment(principal, finess)
    if set(body) == {"username"}:
        login = body["username"]
        if not isinstance(login, str):
            raise InvalidInput("username: must be a string")
        account = member_of(session, principal, login, place)
        add_referent(session, username=login, establishment=place, context=principal.audit)
        return user_view(principal, user_documents(session, [account])[0])
    document = _referent_document(body, place)
    outbox = Outbox()
    created = create_referent(session, settings, document, outbox=outbox, context=principal.audit)
    result = user_view(principal, user_documents(session, [created.account])[0])
    activation = activation_after_commit(session, outbox, sender, login=created.account.username or "",
                                         expires_at=created.activation.expires_at.isoformat())
    return {**result, "activation": activation}


def _referent_document(document: dict[str, Any], finess: str) -> dict[str, Any]:
    given = document.get("establishment", finess)
    if not isinstance(given, str) or normalise_finess(given) != finess:
        raise InvalidInput(f"establishment: must be {finess}, the establishment of the path, or left out")
    return {**document, "establishment": finess}


@router.delete("/{login}", summary="Demote a référent", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, responses=documented(404))
def remove(finess: schemas.Finess, login: schemas.Login, principal: Principal, session: DbSession) -> Response:
    """The membership stays, as ``professional``; audited as ``referent.removed``. The demoted person's tokens lose
    their admin access at their next request."""
    place = check_establishment(principal, finess)
    member_of(session, principal, login, place)
    remove_referent(session, username=login, establishment=place, context=principal.audit)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
