"""``/establishments``: an administrator creates them; a référent sees only their own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from idp.accounts.establishments import (
    create_establishment,
    establishment_document,
    get_establishment,
    list_establishments,
)
from idp.web.admin import schemas
from idp.web.admin.access import check_establishment
from idp.web.admin.auth import Administrator, Principal
from idp.web.admin.errors import documented
from idp.web.deps import DbSession

router = APIRouter(prefix="/establishments", tags=["establishments"])


@router.get("", summary="List establishments", response_model=list[schemas.Establishment], responses=documented())
def list_(principal: Principal, session: DbSession) -> list[dict[str, Any]]:
    """Every establishment for an administrator; a référent's own establishments for a référent (FINESS order)."""
    return [establishment_document(e) for e in list_establishments(session) if principal.manages(e.finess)]


@router.post("", summary="Create an establishment", status_code=status.HTTP_201_CREATED,
             response_model=schemas.Establishment, responses=documented(400, 409))
def create(body: schemas.EstablishmentIn, principal: Administrator, session: DbSession) -> dict[str, Any]:
    """Administrators only. The FINESS number must pass its check digit; audited as ``establishment.created``."""
    establishment = create_establishment(session, finess=body.finess, name=body.name, region=body.region,
                                         context=principal.audit)
    return establishment_document(establishment)


@router.get("/{finess}", summary="Read an establishment", response_model=schemas.Establishment,
            responses=documented(404))
def read(finess: schemas.Finess, principal: Principal, session: DbSession) -> dict[str, Any]:
    """A référent reads only their own establishments; any other answers 404, as an unknown one does."""
    return establishment_document(get_establishment(session, check_establishment(principal, finess)))
