"""``POST /token``: the token endpoint (RFC 6749 §3.2), a thin adapter over ``idp.protocol.grants.token_response``.

The body is read by an async dependency; the route itself is a plain ``def`` because authlib is synchronous (FastAPI
runs it in the thread pool). An OAuth error is an ordinary answer: the route returns normally, so the request's
transaction commits what the error path wrote (a reused code's revoked tokens, the audit event).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from idp.protocol.context import ProtocolContext
from idp.protocol.grants import token_response
from idp.protocol.requests import HttpRequest
from idp.web.deps import DbSession, KeyRingDep, SettingsDep
from idp.web.protocol_io import audit_context, read_http_request, to_response

router = APIRouter()

HttpRequestDep = Annotated[HttpRequest, Depends(read_http_request)]


@router.post("/token", include_in_schema=False)
def token(http: HttpRequestDep, session: DbSession, settings: SettingsDep, keyring: KeyRingDep) -> Response:
    keyring.refresh_if_stale()  # a key rotated by another process is used from here on
    ctx = ProtocolContext(settings, session, keyring, audit=audit_context(http))
    return to_response(token_response(ctx, http))
