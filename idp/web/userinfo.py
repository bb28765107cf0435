"""GET and POST /userinfo (OIDC Core §5.3): HTTP around ``idp.protocol.userinfo``.

A plain ``def`` route (the protocol is synchronous and reads the database); the form body, where RFC 6750 §2.2 lets
a POST carry the token, is read before by the async ``read_http_request`` dependency. CORS is not offered: relying
parties call userinfo from their servers.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from idp.protocol.context import ProtocolContext
from idp.protocol.userinfo import userinfo_response
from idp.web.deps import DbSession, KeyRingDep, SettingsDep
from idp.web.introspection import ProtocolRequest
from idp.web.protocol_io import audit_context, to_response

router = APIRouter()


@router.api_route("/userinfo", methods=["GET", "POST"], include_in_schema=False)
def userinfo_endpoint(
    http: ProtocolRequest, settings: SettingsDep, keyring: KeyRingDep, session: DbSession
) -> Response:
    ctx = ProtocolContext(settings, session, keyring, audit=audit_context(http))
    return to_response(userinfo_response(ctx, http))
