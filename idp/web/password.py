"""The password pages (SPEC §1.1.1-2, §1.4; UI-TEXTS "Password definition", "Forgotten password").

- ``/password/activate?token=`` and ``/password/reset?token=``: "Définition de votre mot de passe". GET shows the
  form when the link may be used; POST (CSRF first) hands the two passwords to ``idp.accounts`` and, once the
  password is set, sends the browser (303) to ``/password/done``. A reset also logs the account out everywhere
  (``idp.protocol.account_logout``). A dead link gets a page saying why and how to get a new one: 400 when it is
  unknown or replaced, 410 when it was used or expired.
- ``/password/forgot``: POST always answers the same page, in the same time: all the work (the lookup, the link,
  the e-mails) runs as a background task after the response, with its own transaction, so that neither the
  answer, nor its timing, nor a slow mail server tells whether an account exists. So a failed delivery cannot be
  shown there: the SMTP sender retries what may pass (``idp.notify.email``), and the answer tells the person to
  ask again if nothing arrives. Requests are throttled first, per client address and per identifier as typed
  (``idp.authn.code_sends.ResetRequests``), never per account: a 429 with Retry-After, the same for every input.

The policy and the hasher come from ``idp.authn`` and are handed to the ``idp.accounts`` services here (see
``idp.accounts.passwords`` for why). E-mails leave after the commit, as background tasks; a failed delivery is
logged, never shown (the forgotten-password answer must not change, and the confirmation e-mail is a courtesy).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Form, Request, Response
from fastapi.responses import RedirectResponse

from idp.accounts import activation, password_reset
from idp.accounts.action_links import LinkExpired, LinkUnusable, LinkUsed, OpenedLink
from idp.accounts.passwords import PasswordsDiffer, WeakPassword
from idp.audit import AuditContext
from idp.authn import sessions
from idp.authn.password_login import MAX_PASSWORD_LENGTH, hasher_for
from idp.authn.password_policy import policy_for
from idp.authn.throttle import Throttle
from idp.db import Database, Session
from idp.notify.email import build_email_sender
from idp.notify.outbox import Outbox
from idp.protocol import backchannel
from idp.protocol.account_logout import log_out_everywhere
from idp.protocol.context import ProtocolContext
from idp.settings import Settings
from idp.web.deps import DatabaseDep, DbSession, KeyRingDep, SettingsDep, ThrottleDep
from idp.web.pages import csrf_refusal, render
from idp.web.password_texts import (
    DIFFERENT,
    EMPTY_IDENTIFIER,
    TOO_MANY_REQUESTS,
    done_texts,
    forgot_sent_texts,
    link_problem_texts,
)
from idp.web.protocol_io import audit_context

router = APIRouter()
log = logging.getLogger("idp.password")

ACTIVATE, RESET, FORGOT, DONE_PATH = "/password/activate", "/password/reset", "/password/forgot", "/password/done"


# -- "Définition de votre mot de passe"


@router.get(ACTIVATE)
def activation_page(request: Request, settings: SettingsDep, session: DbSession, token: str = "") -> Response:
    try:
        link = activation.open_activation(session, settings, token)
    except LinkUnusable as problem:
        return _link_problem(request, settings, problem, "activation")
    return _form(request, settings, link, ACTIVATE)


@router.post(ACTIVATE)
def activation_submit(request: Request, settings: SettingsDep, session: DbSession, background: BackgroundTasks,
                      token: str = Form(""), password: str = Form(""), password_repeat: str = Form(""),
                      csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    outbox = Outbox()
    try:
        link = activation.open_activation(session, settings, token)
        activation.activate(session, settings, link, password, password_repeat, policy=policy_for(settings),
                            hasher=hasher_for(settings), outbox=outbox, context=audit_context(request))
    except LinkUnusable as problem:
        return _link_problem(request, settings, problem, "activation")
    except (PasswordsDiffer, WeakPassword) as refused:
        return _form(request, settings, link, ACTIVATE, refused)
    background.add_task(send_after_commit, settings, outbox)
    return RedirectResponse(f"{DONE_PATH}?via=activation", status_code=303)


@router.get(RESET)
def reset_page(request: Request, settings: SettingsDep, session: DbSession, token: str = "") -> Response:
    try:
        link = password_reset.open_reset(session, settings, token)
    except LinkUnusable as problem:
        return _link_problem(request, settings, problem, "reset")
    return _form(request, settings, link, RESET)


@router.post(RESET)
def reset_submit(request: Request, settings: SettingsDep, session: DbSession, keyring: KeyRingDep,
                 database: DatabaseDep, background: BackgroundTasks, token: str = Form(""), password: str = Form(""),
                 password_repeat: str = Form(""), csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    outbox, audit = Outbox(), audit_context(request)
    try:
        link = password_reset.open_reset(session, settings, token)
        account = password_reset.reset_password(session, settings, link, password, password_repeat,
                                                policy=policy_for(settings), hasher=hasher_for(settings),
                                                outbox=outbox, context=audit)
    except LinkUnusable as problem:
        return _link_problem(request, settings, problem, "reset")
    except (PasswordsDiffer, WeakPassword) as refused:
        return _form(request, settings, link, RESET, refused)
    # SPEC §1.4: whoever knew the old password loses the sessions and refresh tokens made with it.
    notices = log_out_everywhere(ProtocolContext(settings, session, keyring, audit=audit), account,
                                 reason="password_reset")
    background.add_task(send_after_commit, settings, outbox)
    if notices:
        background.add_task(backchannel.deliver, database, notices, audit)
    response = RedirectResponse(f"{DONE_PATH}?via=reset", status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/", secure=settings.issuer.startswith("https://"),
                           httponly=True, samesite="lax")
    return response


@router.get(DONE_PATH)
def done_page(request: Request, settings: SettingsDep, via: str = "") -> Response:
    return render(request, settings, "password_message.html", done_texts(settings, via))


def _form(request: Request, settings: Settings, link: OpenedLink, action: str,
          refused: PasswordsDiffer | WeakPassword | None = None) -> Response:
    if isinstance(refused, WeakPassword):
        errors = [refusal.message for refusal in refused.refusals]
    else:
        errors = [DIFFERENT] if refused is not None else []
    context = {"title": "Définition de votre mot de passe", "action": action, "token": link.token,
               "username": link.account.username or link.account.rpps or "", "policy": policy_for(settings).description,
               "errors": errors, "max_length": MAX_PASSWORD_LENGTH}
    return render(request, settings, "password_form.html", context, status=400 if errors else 200)


def _link_problem(request: Request, settings: Settings, problem: LinkUnusable, purpose: str) -> Response:
    status = 410 if isinstance(problem, (LinkUsed, LinkExpired)) else 400
    return render(request, settings, "password_message.html", link_problem_texts(settings, problem.code, purpose),
                  status=status)


# -- "Mot de passe oublié"


@router.get(FORGOT)
def forgot_page(request: Request, settings: SettingsDep) -> Response:
    return render(request, settings, "password_forgot.html", {"title": "Mot de passe oublié"})


@router.post(FORGOT)
def forgot_submit(request: Request, settings: SettingsDep, database: DatabaseDep, session: DbSession,
                  throttle: ThrottleDep, background: BackgroundTasks, identifier: str = Form(""),
                  csrf_token: str = Form("")) -> Response:
    if (refused := csrf_refusal(request, settings, csrf_token)) is not None:
        return refused
    if not identifier.strip():  # says nothing of any account: the field was empty
        return _forgot_form(request, settings, EMPTY_IDENTIFIER, status=400)
    refused = throttle_reset_request(request, settings, session, throttle, identifier)
    if refused is not None:
        return refused
    background.add_task(request_reset_in_background, database, settings, identifier, audit_context(request))
    return render(request, settings, "password_message.html", forgot_sent_texts(settings))


def throttle_reset_request(request: Request, settings: Settings, session: Session, throttle: Throttle,
                           identifier: str) -> Response | None:
    """A 429 when this address or this identifier asked too often (audited), else None. One call, before any work.

    Counted on what was typed, never on the account it names: the refusal is the same for every input.
    """
    verdict = throttle.reset_requests.claim(session, identifier=identifier, context=audit_context(request))
    if verdict.allowed:
        return None
    refused = _forgot_form(request, settings, TOO_MANY_REQUESTS, status=429)
    refused.headers["Retry-After"] = str(verdict.retry_after)
    return refused


def _forgot_form(request: Request, settings: Settings, error: str, *, status: int) -> Response:
    return render(request, settings, "password_forgot.html", {"title": "Mot de passe oublié", "error": error},
                  status=status)


def request_reset_in_background(database: Database, settings: Settings, identifier: str, audit: AuditContext) -> None:
    """The work of POST /password/forgot, after the response: its own transaction, then the e-mails. Never raises."""
    outbox = Outbox()
    try:
        with database.session() as session:
            password_reset.request_reset(session, settings, identifier, outbox=outbox, context=audit)
    except Exception:  # the person already has their answer; the log is the only place left to tell
        log.exception("password reset request failed")
        return
    send_after_commit(settings, outbox)


def send_after_commit(settings: Settings, outbox: Outbox) -> None:
    """Deliver the outbox (after the response, so after the commit). Never raises: nobody is left to answer."""
    try:
        outbox.flush(build_email_sender(settings))
    except Exception as failure:
        log.error("e-mail not delivered", extra={"error": getattr(failure, "description", type(failure).__name__),
                                                 "undelivered": len(outbox.pending)})

