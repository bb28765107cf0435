"""``/clients``: relying parties, registered with the RFC 7591 document ``idp clients add`` reads. Administrators
only: a référent's token lacks ``idp:admin`` (403 ``insufficient_scope``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status

from idp.protocol.clients import client_document, list_clients, register_client
from idp.web.admin import schemas
from idp.web.admin.auth import Administrator
from idp.web.admin.errors import documented
from idp.web.deps import DbSession, SettingsDep

router = APIRouter(prefix="/clients", tags=["clients"])


@router.get("", summary="List clients", response_model=list[schemas.Client], response_model_exclude_none=True,
            responses=documented())
def list_(principal: Administrator, session: DbSession) -> list[dict[str, Any]]:
    """Every registered client's metadata; never a secret."""
    return [client_document(client) for client in list_clients(session)]


@router.post(
    "",
    summary="Register a client",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.RegisteredClient,
    response_model_exclude_none=True,
    responses=documented(400, 409),
    openapi_extra=schemas.body_of("ClientMetadata", description="RFC 7591 / OIDC Registration client metadata"),
)
def register(
    document: Annotated[dict[str, Any], Body()], principal: Administrator, session: DbSession, settings: SettingsDep
) -> dict[str, Any]:
    """Validates the document (errors are RFC 7591's ``invalid_client_metadata`` / ``invalid_redirect_uri``),
    generates ``client_id`` and, for the ``client_secret_*`` methods, a secret when absent: shown in this answer
    only (stored as a keyed hash). Audited as ``client.created``."""
    return register_client(session, settings, document, context=principal.audit).document()
