"""The login page (SPEC §1.1, UI-TEXTS "Login"): username and password, for a parked interaction.

GET shows the form; POST checks the CSRF token and the credentials, records the authentication in the browser
session, finishes the interaction and sends the browser back to the authorization endpoint, which decides what
comes next. A failed login answers the same words whatever was wrong.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from idp.audit import record
from idp.authn import sessions
from idp.authn.levels import acr_of, amr_of
from idp.authn.password_login import check_password
from idp.interaction import service as interactions
from idp.models import Interaction
from idp.settings import Settings
from idp.web import csrf
from idp.web.deps import DbSession, SettingsDep, ThrottleDep
from idp.web.pages import error_page, render
from idp.web.protocol_io import audit_context

router = APIRouter()

BAD_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."
#: Said alike whether the login is delayed, locked or refused for its address, and whether it exists (issue 4, 7).
TOO_MANY_ATTEMPTS = "Trop de tentatives. Réessayez dans quelques minutes."


def _form(request: Request, settings: Settings, row: Interaction, *, username: str = "", error: str | None = None, status: int = 200) -> Response:
    prefill = username or (row.params.get("login_hint") or "")[:254]
    return render(request, settings, "login.html", {"uid": row.uid, "username": prefill, "error": error}, status=status)


@router.get("/login")
def login_page(request: Request, uid: str, settings: SettingsDep, session: DbSession) -> Response:
    try:
        row = interactions.load(session, settings, uid, request.cookies.get(interactions.COOKIE_NAME))
    except interactions.InteractionUnavailable:
        return error_page(request, settings, "interaction_unavailable")
    return _form(request, settings, row)


@router.post("/login")
def login_submit(
    request: Request,
    settings: SettingsDep,
    session: DbSession,
    throttle: ThrottleDep,
    uid: str = Form(""),
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    try:
        csrf.verify(request, settings, csrf_token)
    except csrf.CsrfRejected:
        return error_page(request, settings, "csrf", status=403)
    try:
        row = interactions.load(session, settings, uid, request.cookies.get(interactions.COOKIE_NAME))
    except interactions.InteractionUnavailable:
        return error_page(request, settings, "interaction_unavailable")
    audit = audit_context(request)
    client_id = row.params.get("client_id")
    attempt = throttle.before_password_attempt(session, login=username, context=audit, client_id=client_id)
    if not attempt.allowed:  # refused before the password is looked at
        refused = _form(request, settings, row, username=username, error=TOO_MANY_ATTEMPTS, status=429)
        refused.headers["Retry-After"] = str(attempt.verdict.retry_after)
        return refused
    account = check_password(session, settings, username, password)
    if account is None:
        throttle.record_failure(session, attempt)
        record(session, "login.password.failed", context=audit, outcome="failure", client_id=client_id)
        return _form(request, settings, row, username=username, error=BAD_CREDENTIALS, status=401)
    throttle.record_success(session, attempt)
    current = sessions.load(session, settings, request.cookies.get(sessions.COOKIE_NAME))
    started = sessions.authenticated(
        session, settings, account=account, acr=acr_of("password"), amr=amr_of("password"), current=current,
        ip_address=audit.ip_address, user_agent=request.headers.get("user-agent"),
    )
    interactions.finish(row, account_id=account.id, session_id=started.row.id, acr=started.row.acr,
                        amr=list(started.row.amr), auth_time=started.row.auth_time)
    record(session, "login.password.succeeded", context=audit, account_id=account.id, client_id=client_id,
           details={"acr": started.row.acr})
    response = RedirectResponse(f"/authorize/resume?uid={row.uid}", status_code=303)
    csrf.set_cookie(response, settings, sessions.COOKIE_NAME, started.cookie_value,
                    max_age=settings.tokens.session_ttl_seconds)
    return response
