"""The admin API's errors: every failure, whatever raised it, becomes ``{"error": code, "error_description": ...}``.

This module is the one place that knows the mapping (the sub-application installs its handlers); routers raise domain
errors (``idp.errors``) or authlib's ``OAuth2Error`` and never build an error response themselves.

| code | status | raised by |
| --- | --- | --- |
| ``invalid_input`` | 400 | a document or parameter that fails validation (the field is named), malformed JSON |
| ``invalid_client_metadata``, ``invalid_redirect_uri`` | 400 | client registration (RFC 7591 §3.2.2 codes) |
| ``missing_token`` | 401 | no bearer token; the challenge is the bare ``WWW-Authenticate: Bearer`` (RFC 6750 §3.1) |
| ``invalid_token`` | 401 | expired, revoked, unknown or foreign token; ``WWW-Authenticate`` says so (RFC 6750 §3.1) |
| ``invalid_request`` | 400 | token in the query string, or sent twice (RFC 6750 §2) |
| ``insufficient_scope`` | 403 | the token lacks ``idp:admin`` / ``idp:referent`` (RFC 6750 §3.1, with ``scope=``) |
| ``forbidden`` | 403 | a référent acting beyond their rights (an account shared with another establishment...) |
| ``not_found`` | 404 | unknown object, or one a référent may not see: both answer alike, so existence does not leak |
| ``already_exists`` | 409 | a FINESS, username, RPPS number or client_id already taken; already référent |
| ``method_not_allowed`` | 405 | the path exists, the method does not |
| ``not_configured``, ``unavailable``, ``delivery_failed`` | 503 | mail server or database down or misconfigured |
| ``server_error`` | 500 | anything unexpected (logged with the request id; no detail leaves) |
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from idp.errors import AlreadyExists, DomainError, Forbidden, InvalidInput, NotConfigured, NotFound, Unavailable
from idp.validation import describe_error

log = logging.getLogger("idp.admin")

_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 400),
    (NotFound, 404),
    (AlreadyExists, 409),
    (Forbidden, 403),
    (NotConfigured, 503),
    (Unavailable, 503),
)
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
_PARAMETER_PLACES = ("query", "path", "header")


class ErrorBody(BaseModel):
    """Every error of this API: a stable machine-readable code and a sentence for the developer."""

    error: str
    error_description: str | None = None


_DESCRIPTIONS = {
    400: "Invalid document or parameter (`invalid_input`, `invalid_client_metadata`, `invalid_redirect_uri`)",
    401: "No bearer token (`missing_token`), or one that is not valid (`invalid_token`); see `WWW-Authenticate`",
    403: "The token lacks the scope (`insufficient_scope`) or the référent the right (`forbidden`)",
    404: "Unknown, or not visible to this référent (`not_found`)",
    409: "Already exists (`already_exists`)",
    503: "The mail server or the database is unavailable (`delivery_failed`, `unavailable`, `not_configured`)",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: 401 and 403 always, plus ``statuses``."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in (401, 403, *statuses)}


def error_response(
    status: int, code: str, description: str | None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(ErrorBody(error=code, error_description=description).model_dump(), status, headers=headers)


def status_of(error: DomainError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 400)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = status_of(exc)
    log.log(logging.WARNING if status >= 500 else logging.INFO, "admin API: %s", exc.code,
            extra={"error": exc.code, "status": status, "detail": exc.detail})
    return error_response(status, exc.code, exc.description)


async def oauth_error(request: Request, exc: Exception) -> JSONResponse:
    """RFC 6750 errors from the bearer check, with their ``WWW-Authenticate`` challenge."""
    assert isinstance(exc, OAuth2Error)
    status, body, headers = exc()
    body = dict(body) or {"error": "missing_token", "error_description": "This API needs a bearer access token."}
    wanted = {name: value for name, value in headers if name.lower() == "www-authenticate"}
    return error_response(status, body["error"], body.get("error_description"), wanted)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        place, rest = (loc[0], loc[1:]) if loc else ("body", ())
        if error.get("type") == "json_invalid":
            problems.append("the body is not valid JSON")
        elif not rest:  # the body as a whole: absent, or not an object
            problems.append(f"the {place} must be a JSON object")
        else:
            where = f" ({place} parameter)" if place in _PARAMETER_PLACES else ""
            problems.append(describe_error({**error, "loc": rest}).replace(":", f"{where}:", 1))
    return error_response(400, InvalidInput.code, "; ".join(problems))


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "invalid_request")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after this answer, so the traceback reaches the server log with the request id. This
    # answer leaves from outside the sub-application's middleware: it sets its own Cache-Control.
    description = "An unexpected error occurred; it was logged."
    return error_response(500, "server_error", description, {"Cache-Control": "no-store"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(OAuth2Error, oauth_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
