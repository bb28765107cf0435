"""GET/POST /authorize and GET /authorize/resume: HTTP around ``idp.protocol.authorize``.

The protocol decides; this module only reads the request and the browser's cookies, and renders the outcome: a
redirect to the client, the form_post page, the French error page (never a redirect to an untrusted URI), or the
login page for a parked interaction.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from idp.authn import sessions
from idp.interaction import service as interactions
from idp.protocol.authorize import BrowserState, ErrorPage, FormPost, GoToLogin, Outcome, authorize, resume
from idp.settings import Settings
from idp.web.csrf import set_cookie
from idp.web.deps import DbSession, KeyRingDep, SettingsDep
from idp.web.pages import error_page, render
from idp.web.protocol_io import http_request, protocol_context, read_http_request, to_response

router = APIRouter()


def browser_state(request: Request) -> BrowserState:
    return BrowserState(
        session_cookie=request.cookies.get(sessions.COOKIE_NAME),
        interaction_cookie=request.cookies.get(interactions.COOKIE_NAME),
        user_agent=request.headers.get("user-agent"),
    )


@router.api_route("/authorize", methods=["GET", "POST"])
async def authorization_endpoint(request: Request, settings: SettingsDep, keyring: KeyRingDep, session: DbSession) -> Response:
    http = await read_http_request(request)  # the body, read here; the database work runs in the thread pool
    ctx = protocol_context(request, session, http)
    outcome = await run_in_threadpool(authorize, ctx, http, browser_state(request))
    return render_outcome(request, settings, outcome)


@router.get("/authorize/resume")
def resume_endpoint(request: Request, uid: str, settings: SettingsDep, keyring: KeyRingDep, session: DbSession) -> Response:
    http = http_request(request)
    ctx = protocol_context(request, session, http)
    return render_outcome(request, settings, resume(ctx, uid, browser_state(request), http))


def render_outcome(request: Request, settings: Settings, outcome: Outcome) -> Response:
    if isinstance(outcome, ErrorPage):
        return error_page(request, settings, outcome.reason)
    if isinstance(outcome, GoToLogin):
        response = RedirectResponse(f"/login?uid={outcome.uid}", status_code=303)
        response.headers["Cache-Control"] = "no-store"
        set_cookie(response, settings, interactions.COOKIE_NAME, outcome.binding_cookie)
        return response
    if isinstance(outcome, FormPost):
        # The page posts to the client, and only there.
        return render(request, settings, "form_post.html", {"action": outcome.action, "fields": outcome.fields},
                      form_leads_to=outcome.action)
    return to_response(outcome)
