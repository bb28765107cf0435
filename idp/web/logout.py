"""GET/POST /logout (RP-Initiated Logout 1.0) and POST /logout/confirm: HTTP around ``idp.protocol.logout``.

The protocol decides; this module reads the parameters (query for GET, form body for POST, §2), clears the session
cookie, renders the French pages (confirmation, done, error) and schedules the back-channel notices as a background
task, which Starlette runs after the response is sent and after ``DbSession`` committed (``deps``).

The confirmation form posts the relying party's parameters again, so that the confirmation re-validates them from
scratch and holds no server-side state; it carries them only when they were valid, and its CSRF token is checked
before anything else (a POST without it gets the "csrf" page, 403, and logs nobody out).
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from idp.authn import sessions
from idp.db import Database
from idp.protocol import backchannel, logout
from idp.protocol.context import ProtocolContext
from idp.settings import Settings
from idp.web import csrf
from idp.web.deps import DatabaseDep, DbSession, KeyRingDep, SettingsDep
from idp.web.pages import csrf_refusal, render
from idp.web.protocol_io import protocol_context, read_http_request

router = APIRouter()

_NOT_VERIFIED = (
    "La demande de déconnexion transmise par le site d'origine n'a pas pu être vérifiée. Par sécurité, vous ne serez "
    "pas renvoyé vers ce site."
)
_UNREGISTERED = (
    "L'adresse de retour demandée par le site d'origine n'est pas enregistrée pour ce site. Par sécurité, vous ne "
    "serez pas renvoyé vers cette adresse."
)
#: What each ``problem`` of ``idp.protocol.logout`` means to the person (SPEC §4: what happened, what to do).
PROBLEMS = {
    "invalid_id_token_hint": _NOT_VERIFIED,
    "client_id_mismatch": _NOT_VERIFIED,
    "unknown_client": _NOT_VERIFIED,
    "duplicate_parameter": _NOT_VERIFIED,
    "invalid_request": _NOT_VERIFIED,
    "unverifiable_post_logout_redirect_uri": _UNREGISTERED,
    "unregistered_post_logout_redirect_uri": _UNREGISTERED,
}


@router.api_route("/logout", methods=["GET", "POST"])
async def end_session_endpoint(request: Request, settings: SettingsDep, keyring: KeyRingDep, session: DbSession,
                               database: DatabaseDep, background: BackgroundTasks) -> Response:
    http = await read_http_request(request)
    ctx = protocol_context(request, session, http)
    pairs = http.form if request.method == "POST" else http.query
    outcome = await run_in_threadpool(logout.end_session, ctx, pairs, request.cookies.get(sessions.COOKIE_NAME))
    if isinstance(outcome, logout.AskConfirmation):
        return _confirmation_page(request, settings, outcome)
    if isinstance(outcome, logout.Refused):
        return render(request, settings, "error.html", {
            "title": "Demande de déconnexion invalide",
            "message": PROBLEMS[outcome.problem] + " Vous n'êtes pas connecté à ViaTrajectoire.",
        }, status=400)
    return _logged_out(request, settings, database, background, ctx, outcome)


@router.post("/logout/confirm")
async def confirm_endpoint(request: Request, settings: SettingsDep, keyring: KeyRingDep, session: DbSession,
                           database: DatabaseDep, background: BackgroundTasks) -> Response:
    http = await read_http_request(request)
    if (refused := csrf_refusal(request, settings, dict(http.form).get(csrf.FIELD_NAME))) is not None:
        return refused
    ctx = protocol_context(request, session, http)
    outcome = await run_in_threadpool(logout.confirmed, ctx, http.form, request.cookies.get(sessions.COOKIE_NAME))
    return _logged_out(request, settings, database, background, ctx, outcome)


def _confirmation_page(request: Request, settings: Settings, outcome: logout.AskConfirmation) -> Response:
    asked = outcome.request
    returning = asked.client is not None and asked.redirect_to is not None
    context = {
        "title": "Déconnexion",
        "problem": PROBLEMS.get(asked.problem or ""),
        "fields": asked.params if asked.problem is None else {},
        "return_to": asked.client.client_name if returning and asked.client else None,
        "username": outcome.account.username,
    }
    # Confirming ends at the client's post_logout_redirect_uri (verified before the page is shown).
    return render(request, settings, "logout_confirm.html", context,
                  form_leads_to=asked.redirect_to if returning and asked.problem is None else None)


def _logged_out(request: Request, settings: Settings, database: Database, background: BackgroundTasks,
                ctx: ProtocolContext, outcome: logout.LoggedOut) -> Response:
    response: Response
    if outcome.redirect_to:  # §3: registered for the verified client, state already appended
        response = RedirectResponse(outcome.redirect_to, status_code=303)
        response.headers["Cache-Control"] = "no-store"
    else:
        response = render(request, settings, "logout_done.html",
                          {"title": "Déconnexion", "problem": PROBLEMS.get(outcome.problem or "")})
    response.delete_cookie(sessions.COOKIE_NAME, path="/", secure=settings.issuer.startswith("https://"),
                           httponly=True, samesite="lax")
    if outcome.notices:
        background.add_task(backchannel.deliver, database, outcome.notices, ctx.audit)
    return response
