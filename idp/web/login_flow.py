"""What the login pages share: sending a code, and ending the factor chain.

``complete`` is the one place a login through these pages ends: the browser session is started or raised with the
method's acr and amr (``idp.authn.levels.METHODS``), the interaction is finished and the browser goes back to the
authorization endpoint, which decides what comes next (terms of use, the client).

Codes leave after the commit, as background tasks (CONVENTIONS 4); a failed delivery is logged, and the person can
ask for a new code on the page.
"""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import RedirectResponse

from idp.audit import AuditContext, record
from idp.authn import otp, sessions, trusted_browsers
from idp.authn.levels import acr_of, amr_of
from idp.authn.throttle import Throttle
from idp.authn.throttle_policy import Verdict
from idp.clock import utcnow
from idp.db import Session
from idp.interaction import service as interactions
from idp.interaction import steps
from idp.models import Account, Interaction
from idp.notify.code_messages import login_code_email, login_code_sms
from idp.notify.email import EmailMessage, build_email_sender
from idp.notify.sms import build_sms_sender
from idp.settings import Settings
from idp.web import csrf
from idp.web.pages import error_page

log = logging.getLogger("idp.login")


def open_interaction(request: Request, settings: Settings, session: Session, uid: str) -> Interaction | Response:
    """This browser's interaction ``uid``, or the page saying it expired, was used, or belongs to another browser."""
    try:
        return interactions.load(session, settings, uid, request.cookies.get(interactions.COOKIE_NAME))
    except interactions.InteractionUnavailable:
        return error_page(request, settings, "interaction_unavailable")


def step_url(step: steps.Step, uid: str) -> str:
    return {"password": "/login", "otp": "/login/otp", "terms": "/login/terms"}[step] + f"?uid={uid}"


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def send_code(session: Session, settings: Settings, throttle: Throttle, background: BackgroundTasks,
              row: Interaction, account: Account, audit: AuditContext) -> Verdict:
    """Send a new code on the account's channel, if the send limits allow (``claim_code_send``)."""
    channel = otp.channel_of(account)
    client_id = row.params.get("client_id")
    verdict = throttle.code_sends.claim_code_send(session, account_id=account.id, channel=channel, context=audit,
                                                  client_id=client_id)
    if not verdict.allowed:
        return verdict
    issued = otp.issue(session, settings, account, channel, row.id, now=utcnow())
    steps.mark_code_sent(row)
    record(session, "otp.sent", context=audit, account_id=account.id, client_id=client_id,
           details={"channel": channel})
    if channel == "sms":
        background.add_task(_deliver_sms, settings, issued.row.destination, login_code_sms(issued.code, otp.CODE_TTL))
    else:
        message = login_code_email(to=account.email, given_name=account.given_name, family_name=account.family_name,
                                   code=issued.code, validity=otp.CODE_TTL)
        background.add_task(_deliver_email, settings, message)
    return verdict


def complete(request: Request, settings: Settings, session: Session, row: Interaction, account: Account, method: str,
             audit: AuditContext, *, trusted_cookie: tuple[str, int] | None = None) -> RedirectResponse:
    current = sessions.load(session, settings, request.cookies.get(sessions.COOKIE_NAME))
    started = sessions.authenticated(
        session, settings, account=account, acr=acr_of(method), amr=amr_of(method), current=current,
        ip_address=audit.ip_address, user_agent=request.headers.get("user-agent"),
    )
    steps.chain_done(row)
    interactions.finish(row, account_id=account.id, session_id=started.row.id, acr=started.row.acr,
                        amr=list(started.row.amr), auth_time=started.row.auth_time)
    record(session, "login.succeeded", context=audit, account_id=account.id, client_id=row.params.get("client_id"),
           details={"method": method, "acr": started.row.acr})
    response = redirect(f"/authorize/resume?uid={row.uid}")
    csrf.set_cookie(response, settings, sessions.COOKIE_NAME, started.cookie_value,
                    max_age=settings.tokens.session_ttl_seconds)
    if trusted_cookie is not None:
        csrf.set_cookie(response, settings, trusted_browsers.COOKIE_NAME, trusted_cookie[0], max_age=trusted_cookie[1])
    return response


def _deliver_email(settings: Settings, message: EmailMessage) -> None:
    try:
        build_email_sender(settings).send(message)
    except Exception as failure:  # the page offers "Recevoir un nouveau code"
        log.error("login code not delivered", extra={"channel": "email", "error": type(failure).__name__})


def _deliver_sms(settings: Settings, to: str, text: str) -> None:
    try:
        build_sms_sender(settings).send(to, text)
    except Exception as failure:
        log.error("login code not delivered", extra={"channel": "sms", "error": type(failure).__name__})
