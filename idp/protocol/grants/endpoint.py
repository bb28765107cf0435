"""``POST /token`` (RFC 6749 §3.2), framework-neutral: the web layer hands in the request and sends the answer.

Before authlib sees it: parameters come from the body only (RFC 6749 §4.1.3 and §3.2 put them in the entity-body),
none may repeat (§3.2: "MUST NOT be included more than once") and ``grant_type`` must be present — authlib would
call its absence ``unsupported_grant_type``; §5.2 calls it ``invalid_request``. Every answer, errors included, is
``Cache-Control: no-store`` and ``Pragma: no-cache`` (§5.1).
"""

from __future__ import annotations

import dataclasses

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error

from idp.protocol.context import ProtocolContext
from idp.protocol.requests import HttpRequest
from idp.protocol.responses import ProtocolResponse
from idp.protocol.server import build_server

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def token_response(ctx: ProtocolContext, http: HttpRequest) -> ProtocolResponse:
    http = dataclasses.replace(http, query=[])
    server = build_server(ctx)
    problem = _malformed(http)
    if problem is not None:
        result = server.handle_error_response(None, problem)
    else:
        result = server.create_token_response(http)
    return _no_store(result)


def _malformed(http: HttpRequest) -> OAuth2Error | None:
    names = [name for name, _ in http.form]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return InvalidRequestError(f"parameters must not be repeated: {', '.join(repeated)}")
    if "grant_type" not in names:
        return InvalidRequestError("grant_type is required")
    return None


def _no_store(result: ProtocolResponse) -> ProtocolResponse:
    kept = [(k, v) for k, v in result.headers if k.lower() not in ("cache-control", "pragma")]
    result.headers = [*kept, *NO_STORE]
    return result
