"""The confirmation code page (SPEC §1.1.3-4, §1.3; UI-TEXTS "Confirmation code"): ``/login/otp?uid=``.

Reached once the password is proved for the interaction (``idp.interaction.steps``). The first display sends the
code on the account's channel (e-mail, SMS; a TOTP app computes its own); "Recevoir un nouveau code" is a
CSRF-protected POST limited by ``claim_code_send``. A code that could not be delivered gives the page with status
503, an alert saying so and a "Réessayer" button (the same POST): nobody is left waiting for a code that will not
come (issue 4 item 8; ``idp.web.login_flow.send_code``). Every try goes through ``before_code_attempt`` first; a
wrong, expired or dead code is a failure for the throttle. A right code ends the login at acr otp, trusts the
browser (``idp.authn.trusted_browsers``) and goes back to the authorization endpoint.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, Response

from idp.audit import AuditContext, record
from idp.authn import otp, totp, trusted_browsers
from idp.clock import utcnow
from idp.db import Session
from idp.interaction import steps
from idp.models import Account, Interaction
from idp.settings import Settings
from idp.web.deps import DbSession, SettingsDep, ThrottleDep
from idp.web.login import TOO_MANY_ATTEMPTS
from idp.web.login_flow import CodeSend, complete, open_interaction, redirect, send_code, step_url
from idp.web.pages import csrf_refusal, render
from idp.web.protocol_io import audit_context

router = APIRouter()

WRONG_CODE = "Code de confirmation incorrect."
EXPIRED_CODE = "Ce code a expiré. Cliquez sur « Recevoir un nouveau code »."
DEAD_CODE = "Ce code n'est plus valable. Cliquez sur « Recevoir un nouveau code »."
SEND_THROTTLED = "Un code vient de vous être envoyé. Attendez quelques minutes avant d'en demander un nouveau."
NEW_CODE_SENT = "Un nouveau code vous a été envoyé."
#: The code could not be handed to the mail server or the SMS gateway (the page offers "Réessayer").
NOT_DELIVERED = {
    "email": "Le code n'a pas pu vous être envoyé par e-mail. Réessayez dans quelques instants ; si le problème "
             "persiste, contactez le référent ViaTrajectoire de votre établissement.",
    "sms": "Le SMS contenant votre code n'a pas pu être envoyé. Réessayez dans quelques instants ; si le problème "
           "persiste, contactez le référent ViaTrajectoire de votre établissement.",
}


def _page(request: Request, settings: Settings, row: Interaction, account: Account, *, error: str | None = None,
          notice: str | None = None, status: int = 200, undelivered: bool = False) -> Response:
    channel = otp.channel_of(account)
    context = {"title": "Code de confirmation", "uid": row.uid, "channel": channel, "error": error, "notice": notice,
               "destination": otp.masked_destination(channel, otp.destination_of(account, channel)),
               "undelivered": undelivered}
    # The form ends, after /authorize/resume, at the client's (registered, checked) redirect URI: CSP form-action.
    return render(request, settings, "login_otp.html", context, status=status,
                  form_leads_to=row.params.get("redirect_uri"))


def _open(request: Request, settings: Settings, session: Session, uid: str) -> tuple[Interaction, Account] | Response:
    row = open_interaction(request, settings, session, uid)
    if isinstance(row, Response):
        return row
    account = steps.pending_account(session, row)
    return (row, account) if account is not None else redirect(step_url("password", row.uid))


def _unsent(request: Request, settings: Settings, row: Interaction, account: Account, sent: CodeSend) -> Response:
    """The page for a code that did not leave: 429 (send limits) or 503 (delivery failed, "Réessayer")."""
    if not sent.verdict.allowed:
        refused = _page(request, settings, row, account, error=SEND_THROTTLED, status=429)
        refused.headers["Retry-After"] = str(sent.verdict.retry_after)
        return refused
    return _page(request, settings, row, account, error=NOT_DELIVERED[otp.channel_of(account)], status=503,
                 undelivered=True)


@router.get("/login/otp")
def otp_page(request: Request, uid: str, settings: SettingsDep, session: DbSession, throttle: ThrottleDep,
             sent: str = "") -> Response:
    opened = _open(request, settings, session, uid)
    if isinstance(opened, Response):
        return opened
    row, account = opened
    if otp.channel_of(account) != "totp" and not steps.code_sent(row):
        first = send_code(session, settings, throttle, row, account, audit_context(request))
        if not first.delivered:
            return _unsent(request, settings, row, account, first)
    return _page(request, settings, row, account, notice=NEW_CODE_SENT if sent else None)


@router.post("/login/otp/resend")
def otp_resend(request: Request, settings: SettingsDep, session: DbSession, throttle: ThrottleDep,
               uid: str = Form(""), csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    opened = _open(request, settings, session, uid)
    if isinstance(opened, Response):
        return opened
    row, account = opened
    if otp.channel_of(account) == "totp":
        return redirect(step_url("otp", row.uid))
    again = send_code(session, settings, throttle, row, account, audit_context(request))
    if not again.delivered:
        return _unsent(request, settings, row, account, again)
    return redirect(step_url("otp", row.uid) + "&sent=1")


@router.post("/login/otp")
def otp_submit(request: Request, settings: SettingsDep, session: DbSession, throttle: ThrottleDep,
               uid: str = Form(""), code: str = Form(""), csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    opened = _open(request, settings, session, uid)
    if isinstance(opened, Response):
        return opened
    row, account = opened
    audit, client_id = audit_context(request), row.params.get("client_id")
    attempt = throttle.before_code_attempt(session, account_id=account.id, context=audit, client_id=client_id)
    if not attempt.allowed:
        refused = _page(request, settings, row, account, error=TOO_MANY_ATTEMPTS, status=429)
        refused.headers["Retry-After"] = str(attempt.verdict.retry_after)
        return refused
    refusal = _refusal(session, settings, row, account, code, audit)
    if refusal is not None:
        throttle.record_failure(session, attempt)
        return _page(request, settings, row, account, error=refusal, status=400)
    throttle.record_success(session, attempt)
    channel = otp.channel_of(account)
    record(session, "otp.verified", context=audit, account_id=account.id, client_id=client_id,
           details={"channel": channel})
    now = utcnow()
    cookie = trusted_browsers.trust(session, settings, account.id, user_agent=request.headers.get("user-agent"),
                                    now=now)
    return complete(request, settings, session, row, account, otp.METHOD_OF_CHANNEL[channel], audit,
                    trusted_cookie=cookie)


def _refusal(session: Session, settings: Settings, row: Interaction, account: Account, typed: str,
             audit: AuditContext) -> str | None:
    """None when the code is right; else the message to show, audited."""
    client_id = row.params.get("client_id")
    if otp.channel_of(account) == "totp":
        if totp.verify(settings, account, "".join(typed.split())[:16]):
            return None
        reason, message = "wrong", WRONG_CODE
    else:
        try:
            otp.check(session, settings, account, row.id, typed, now=utcnow())
            return None
        except otp.OtpExpired:
            record(session, "otp.expired", context=audit, outcome="failure", account_id=account.id,
                   client_id=client_id)
            return EXPIRED_CODE
        except otp.OtpWrong:
            reason, message = "wrong", WRONG_CODE
        except otp.OtpDead:
            reason, message = "dead", DEAD_CODE
    record(session, "otp.failed", context=audit, outcome="failure", account_id=account.id, client_id=client_id,
           details={"reason": reason})
    return message
