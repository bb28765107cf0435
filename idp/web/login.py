"""The login page (SPEC §1.1, UI-TEXTS "Login"): username and password, for a parked interaction.

GET shows the step the interaction calls for (``idp.interaction.steps``): this form, or a redirect to the code or
the terms page. POST checks the CSRF token and the credentials; then, on a browser not trusted for the account
(``idp.authn.trusted_browsers``), it records the password in the interaction and goes to the code page
(``idp.web.login_otp``); on a trusted browser the login ends here at acr otp (method ``password+trusted_browser``);
where codes are not required and none is wanted, at acr weak. A failed login answers the same words whatever was
wrong.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, Response

from idp.audit import record
from idp.authn import sessions, trusted_browsers
from idp.authn.password_login import check_password
from idp.clock import utcnow
from idp.interaction import steps
from idp.models import Interaction
from idp.settings import Settings
from idp.web.deps import DbSession, SettingsDep, ThrottleDep
from idp.web.login_flow import complete, open_interaction, redirect, step_url
from idp.web.pages import csrf_refusal, render
from idp.web.protocol_io import audit_context

router = APIRouter()

BAD_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."
#: Said alike whether the login is delayed, locked or refused for its address, and whether it exists (issue 4, 7).
TOO_MANY_ATTEMPTS = "Trop de tentatives. Réessayez dans quelques minutes."


def _form(request: Request, settings: Settings, row: Interaction, *, username: str = "", error: str | None = None, status: int = 200) -> Response:
    prefill = username or (row.params.get("login_hint") or "")[:254]
    return render(request, settings, "login.html", {"uid": row.uid, "username": prefill, "error": error}, status=status,
                  form_leads_to=row.params.get("redirect_uri"))


@router.get("/login")
def login_page(request: Request, uid: str, settings: SettingsDep, session: DbSession) -> Response:
    row = open_interaction(request, settings, session, uid)
    if isinstance(row, Response):
        return row
    live = sessions.load(session, settings, request.cookies.get(sessions.COOKIE_NAME))
    step = steps.next_step(row, live)
    if step == "otp" and steps.pending_account_id(row) is None and live is not None:
        steps.password_proved(row, live.account.id, live.row.auth_time)  # step-up: the session proved it
    return _form(request, settings, row) if step == "password" else redirect(step_url(step, row.uid))


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
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    row = open_interaction(request, settings, session, uid)
    if isinstance(row, Response):
        return row
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
        # The account's own trail shows the attempts on it (SPEC §4); the page says the same whoever it was.
        record(session, "login.password.failed", context=audit, outcome="failure", client_id=client_id,
               account_id=attempt.account_id)
        return _form(request, settings, row, username=username, error=BAD_CREDENTIALS, status=401)
    throttle.record_success(session, attempt)
    record(session, "login.password.succeeded", context=audit, account_id=account.id, client_id=client_id)
    now = utcnow()
    trusted = trusted_browsers.is_trusted(session, settings, account.id,
                                          request.cookies.get(trusted_browsers.COOKIE_NAME), now=now)
    if trusted:
        return complete(request, settings, session, row, account, "password+trusted_browser", audit)
    if steps.code_wanted(row, settings.otp_required):
        steps.password_proved(row, account.id, now)
        return redirect(step_url("otp", row.uid))
    return complete(request, settings, session, row, account, "password", audit)
