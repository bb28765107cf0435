"""The terms of use page (SPEC §1.1.3, §1.1.5; UI-TEXTS "Terms of use"): ``/login/terms?uid=``.

Shown when the interaction's only remaining reason is ``terms_pending``, to the person of the browser's session.
POST (CSRF first) without the box ticked shows the page again with the error; with it, the acceptance is stored
(``idp.accounts.terms``), the interaction finished with what the session proved, and the browser goes back to the
authorization endpoint.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, Response
from markupsafe import Markup

from idp.accounts import terms
from idp.authn import sessions
from idp.authn.sessions import LiveSession
from idp.clock import utcnow
from idp.db import Session
from idp.interaction import service as interactions
from idp.interaction import steps
from idp.models import Interaction
from idp.settings import Settings
from idp.web.deps import DbSession, SettingsDep
from idp.web.login_flow import open_interaction, redirect, step_url
from idp.web.pages import csrf_refusal, render
from idp.web.protocol_io import audit_context

router = APIRouter()

HEADING = "CONDITIONS GÉNÉRALES D'UTILISATION DE VIATRAJECTOIRE"
NOT_TICKED = "Cochez la case « J'ai lu et accepte les conditions ci-dessus » pour continuer."


def _page(request: Request, settings: Settings, row: Interaction, *, error: str | None = None, status: int = 200) -> Response:
    context = {"title": HEADING, "uid": row.uid, "label": settings.cgu_label, "error": error,
               "text": Markup(terms.text(settings))}  # operator content from config/, like a template
    return render(request, settings, "login_terms.html", context, status=status,
                  form_leads_to=row.params.get("redirect_uri"))


def _open(request: Request, settings: Settings, session: Session, uid: str) -> tuple[Interaction, LiveSession] | Response:
    row = open_interaction(request, settings, session, uid)
    if isinstance(row, Response):
        return row
    live = sessions.load(session, settings, request.cookies.get(sessions.COOKIE_NAME))
    step = steps.next_step(row, live)
    if step != "terms" or live is None:
        return redirect(step_url(step, row.uid))
    return row, live


@router.get("/login/terms")
def terms_page(request: Request, uid: str, settings: SettingsDep, session: DbSession) -> Response:
    opened = _open(request, settings, session, uid)
    return opened if isinstance(opened, Response) else _page(request, settings, opened[0])


@router.post("/login/terms")
def terms_submit(request: Request, settings: SettingsDep, session: DbSession, uid: str = Form(""),
                 accept: str = Form(""), csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    opened = _open(request, settings, session, uid)
    if isinstance(opened, Response):
        return opened
    row, live = opened
    if accept != "yes":
        return _page(request, settings, row, error=NOT_TICKED, status=400)
    terms.accept(session, settings, live.account.id, context=audit_context(request), now=utcnow(),
                 client_id=row.params.get("client_id"))
    # Nothing new was proved: the interaction carries the session's own authentication back to the protocol.
    interactions.finish(row, account_id=live.account.id, session_id=live.row.id, acr=live.row.acr,
                        amr=list(live.row.amr), auth_time=live.row.auth_time)
    return redirect(f"/authorize/resume?uid={row.uid}")
