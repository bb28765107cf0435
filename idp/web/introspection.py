"""POST /introspect (RFC 7662) and POST /revoke (RFC 7009): HTTP around authlib's endpoints in ``idp.protocol``.

Plain ``def`` routes: authlib is synchronous, so FastAPI runs them in its thread pool; the form body is read before,
by the async ``read_http_request`` dependency. Both answers carry ``Cache-Control: no-store`` (set by the protocol
on every answer, errors included: RFC 7662 §2.2 responses describe tokens; RFC 6749 §5.1).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from idp.protocol.context import ProtocolContext
from idp.protocol.requests import HttpRequest
from idp.protocol.server import build_server
from idp.web.deps import DbSession, KeyRingDep, SettingsDep
from idp.web.protocol_io import audit_context, read_http_request, to_response

router = APIRouter()

#: The request as the protocol reads it, body included (read asynchronously before the route runs).
ProtocolRequest = Annotated[HttpRequest, Depends(read_http_request)]


def _endpoint_response(
    name: str, http: HttpRequest, settings: SettingsDep, keyring: KeyRingDep, session: DbSession
) -> Response:
    ctx = ProtocolContext(settings, session, keyring, audit=audit_context(http))
    result = build_server(ctx).create_endpoint_response(name, http)
    if result.header("Cache-Control") is None:
        result.headers.append(("Cache-Control", "no-store"))
    return to_response(result)


@router.post("/introspect", include_in_schema=False)
def introspection_endpoint(
    http: ProtocolRequest, settings: SettingsDep, keyring: KeyRingDep, session: DbSession
) -> Response:
    return _endpoint_response("introspection", http, settings, keyring, session)


@router.post("/revoke", include_in_schema=False)
def revocation_endpoint(
    http: ProtocolRequest, settings: SettingsDep, keyring: KeyRingDep, session: DbSession
) -> Response:
    return _endpoint_response("revocation", http, settings, keyring, session)
