"""The account page (SPEC §1.3, UI-TEXTS "Account"): phone verification, channel of codes, authenticator app.

Every route needs a live browser session (cookie ``idp_session``); without one the page says to log in from
ViaTrajectoire first. Every POST checks the CSRF token before anything else. A live session is enough to change
the phone or the channel (no fresh re-authentication asked): the session itself came from password + code.

Sending the SMS is the one step that talks to the outside: its route runs its own transaction, commits the code,
*then* hands the SMS to the gateway, so a failed delivery can be shown with a way to retry and a slow gateway never
holds the transaction open. A failed delivery (503, "Vérifier" again) is audited and frees the one-a-minute gap, so
the retry is not refused as a resend (``phone_verification.delivery_failed``). Typed codes (SMS or app) go through
``Throttle.before_code_attempt`` like the login's.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import segno
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from idp.audit import record
from idp.authn import code_channel, phone_verification as phone, sessions, totp
from idp.authn.throttle import Throttle
from idp.db import Session
from idp.errors import DomainError
from idp.models import Account
from idp.notify.sms import build_sms_sender
from idp.settings import Settings
from idp.web.account_texts import CODE_PROBLEMS, TEXTS
from idp.web.deps import DatabaseDep, DbSession, SettingsDep, ThrottleDep
from idp.web.pages import csrf_refusal, render
from idp.web.protocol_io import audit_context

router = APIRouter()
log = logging.getLogger("idp.account")
PAGE = "/account"


@router.get(PAGE)
def account_page(request: Request, settings: SettingsDep, session: DbSession, done: str = "") -> Response:
    account = _account(request, settings, session)
    if account is None:
        return _login_needed(request, settings)
    return _page(request, settings, session, account, notice=TEXTS.get(f"done_{done[:16]}"))


@router.post(PAGE + "/phone")
def send_phone_code(request: Request, settings: SettingsDep, database: DatabaseDep, throttle: ThrottleDep,
                    phone_number: str = Form(""), csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    with database.session() as session:  # committed before the SMS leaves
        account = _account(request, settings, session)
        if account is None:
            return _login_needed(request, settings)
        try:
            sms = phone.send_code(session, settings, throttle.code_sends, account, phone_number,
                                  context=audit_context(request))
        except phone.InvalidPhoneNumber:
            return _page(request, settings, session, account, errors={"phone": TEXTS["phone_invalid"]},
                         typed_phone=phone_number[:32], status=400)
        except phone.SendRefused as refused:
            response = _page(request, settings, session, account, errors={"phone": TEXTS["send_throttled"]},
                             typed_phone=phone_number[:32], status=429)
            response.headers["Retry-After"] = str(refused.verdict.retry_after)
            return response
    try:
        build_sms_sender(settings).send(sms.to, sms.text)
    except Exception as failure:  # DeliveryFailed, or a sender that cannot be built: say so, offer to retry
        _log_failure(failure)
        with database.session() as session:
            account = _account(request, settings, session)
            assert account is not None
            phone.delivery_failed(session, throttle.code_sends, account, context=audit_context(request))
            return _page(request, settings, session, account, errors={"phone": TEXTS["send_failed"]},
                         typed_phone=phone_number[:32], status=503)
    return RedirectResponse(f"{PAGE}?done=sent", status_code=303)


@router.post(PAGE + "/phone/confirm")
def confirm_phone(request: Request, settings: SettingsDep, session: DbSession, throttle: ThrottleDep,
                  code: str = Form(""), csrf_token: str = Form("")) -> Response:
    return _with_code(request, settings, session, throttle, csrf_token, "phone_code",
                      lambda account: _confirm_phone(session, settings, account, code, request))


@router.post(PAGE + "/channel")
def choose_channel(request: Request, settings: SettingsDep, session: DbSession, channel: str = Form(""),
                   csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    account = _account(request, settings, session)
    if account is None:
        return _login_needed(request, settings)
    try:
        code_channel.choose_channel(session, account, channel, context=audit_context(request))
    except code_channel.ChannelUnavailable:
        return _page(request, settings, session, account, errors={"channel": TEXTS["channel_refused"]}, status=400)
    return RedirectResponse(f"{PAGE}?done=channel", status_code=303)


@router.post(PAGE + "/totp")
def start_totp(request: Request, settings: SettingsDep, session: DbSession, csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    account = _account(request, settings, session)
    if account is None:
        return _login_needed(request, settings)
    totp.begin_enrolment(settings, account)
    return RedirectResponse(f"{PAGE}#totp", status_code=303)


@router.post(PAGE + "/totp/confirm")
def confirm_totp(request: Request, settings: SettingsDep, session: DbSession, throttle: ThrottleDep,
                 code: str = Form(""), csrf_token: str = Form("")) -> Response:
    def confirm(account: Account) -> str | None:
        if not totp.confirm_enrolment(settings, account, code):
            return TEXTS["totp_wrong"]
        record(session, "totp.enrolled", context=audit_context(request), account_id=account.id)
        return None

    return _with_code(request, settings, session, throttle, csrf_token, "totp", confirm, done="totp")


# -- inside


def _confirm_phone(session: Session, settings: Settings, account: Account, code: str, request: Request) -> str | None:
    try:
        phone.confirm_code(session, settings, account, code, context=audit_context(request))
    except phone.CodeRejected as rejected:
        return CODE_PROBLEMS[rejected.reason].format(tries=rejected.tries_left)
    return None


def _with_code(request: Request, settings: Settings, session: Session, throttle: Throttle, csrf_token: str,
               section: str, check: Any, *, done: str = "phone") -> Response:
    """A typed code, throttled like the login's: refused before it is checked when the account is being guessed."""
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    account = _account(request, settings, session)
    if account is None:
        return _login_needed(request, settings)
    attempt = throttle.before_code_attempt(session, account_id=account.id, context=audit_context(request))
    if not attempt.allowed:
        response = _page(request, settings, session, account, errors={section: TEXTS["too_many"]}, status=429)
        response.headers["Retry-After"] = str(attempt.verdict.retry_after)
        return response
    problem = check(account)
    if problem is not None:
        throttle.record_failure(session, attempt)
        return _page(request, settings, session, account, errors={section: problem}, status=400)
    throttle.record_success(session, attempt)
    return RedirectResponse(f"{PAGE}?done={done}", status_code=303)


def _log_failure(failure: Exception) -> None:
    # The error names the gateway; neither it nor this line carries the number or the text (it holds the code).
    message = "phone verification code not delivered"
    if isinstance(failure, DomainError):
        log.error(message, extra={"channel": "sms", "error": failure.code, "error_description": failure.description,
                                  "detail": failure.detail})
    else:  # a bug: its traceback is needed
        log.exception(message, extra={"channel": "sms", "error": type(failure).__name__})


def _account(request: Request, settings: Settings, session: Session) -> Account | None:
    live = sessions.load(session, settings, request.cookies.get(sessions.COOKIE_NAME))
    return live.account if live is not None and live.account.status == "active" else None


def _page(request: Request, settings: Settings, session: Session, account: Account, *, status: int = 200,
          errors: dict[str, str] | None = None, notice: str | None = None, typed_phone: str = "") -> Response:
    pending = totp.pending_enrolment(settings, account)
    context = {
        "title": "Mon compte", "account": account, "errors": errors or {}, "notice": notice,
        "typed_phone": typed_phone or account.phone_number or "",
        "pending_phone": phone.pending_number(session, account), "mask": phone.mask,
        "channels": code_channel.available_channels(account),
        "totp_enrolled": totp.is_enrolled(account),
        "totp_secret": pending[0] if pending else None, "totp_qr": _qr_data_uri(pending[1]) if pending else None,
    }
    return render(request, settings, "account.html", context, status=status)


def _qr_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI (the CSP allows ``img-src data:``): no image library, no extra request."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _login_needed(request: Request, settings: Settings) -> Response:
    return render(request, settings, "account_login.html", {"title": "Mon compte"}, status=401)

