"""What the login pages share: sending a code, and ending the factor chain.

``complete`` is the one place a login through these pages ends: the browser session is started or raised with the
method's acr and amr (``idp.authn.levels.METHODS``), the interaction is finished and the browser goes back to the
authorization endpoint, which decides what comes next (terms of use, the client).

``send_code`` commits the code, then delivers it within the request (CONVENTIONS 4: it leaves after the commit; the
routes are plain ``def``, so the wait happens in the thread pool, bounded by the senders' timeouts and retries).
So the page knows whether the code left (issue 4 item 8): when it did not, the page says so and offers
"Réessayer", the failed send gives back its per-channel gap (``CodeSends.release_failed_send``: the retry works at
once, the hourly and per-address counts still hold), and ``otp.delivery_failed`` is audited with the channel only.
The undelivered code stays valid (it may still arrive late, and only reaches its rightful owner); a retry issues a
new code, which retires it (``otp.issue``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from idp.audit import AuditContext, record
from idp.authn import otp, sessions, trusted_browsers
from idp.authn.levels import acr_of, amr_of
from idp.authn.throttle import Throttle
from idp.authn.throttle_policy import Verdict
from idp.clock import utcnow
from idp.db import Session
from idp.errors import DomainError
from idp.interaction import service as interactions
from idp.interaction import steps
from idp.models import Account, Interaction
from idp.notify.code_messages import login_code_email, login_code_sms
from idp.notify.email import build_email_sender
from idp.notify.sms import build_sms_sender
from idp.observability.metrics import ONE_TIME_CODES_SENT
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


@dataclass(frozen=True)
class CodeSend:
    """What became of a request for a code: refused by the send limits, delivered, or issued but not delivered."""

    verdict: Verdict
    delivered: bool = False


def send_code(session: Session, settings: Settings, throttle: Throttle, row: Interaction, account: Account,
              audit: AuditContext) -> CodeSend:
    """Send a new code on the account's channel, if the send limits allow (``claim_code_send``).

    Commits the request's transaction before delivering: the code exists before it leaves, and a slow gateway
    holds no transaction open. The request's own commit at its end then writes what follows (a failure's audit).
    """
    channel = otp.channel_of(account)
    client_id = row.params.get("client_id")
    verdict = throttle.code_sends.claim_code_send(session, account_id=account.id, channel=channel, context=audit,
                                                  client_id=client_id)
    if not verdict.allowed:
        return CodeSend(verdict)
    issued = otp.issue(session, settings, account, channel, row.id, now=utcnow())
    steps.mark_code_sent(row)
    record(session, "otp.sent", context=audit, account_id=account.id, client_id=client_id,
           details={"channel": channel})
    deliver = _delivery(settings, account, channel, issued.row.destination, issued.code)
    session.commit()
    try:
        deliver()
    except Exception as failure:  # DeliveryFailed, or a sender that cannot even be built: the person must know
        steps.forget_code_sent(row)  # a reload of the page tries again instead of saying a code was sent
        _not_delivered(session, throttle, account, channel, client_id, audit, failure)
        return CodeSend(verdict, delivered=False)
    ONE_TIME_CODES_SENT.labels(channel=channel).inc()
    return CodeSend(verdict, delivered=True)


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


def _delivery(settings: Settings, account: Account, channel: str, destination: str, code: str) -> Callable[[], None]:
    if channel == "sms":
        text = login_code_sms(code, otp.CODE_TTL)
        return lambda: build_sms_sender(settings).send(destination, text)
    message = login_code_email(to=account.email, given_name=account.given_name, family_name=account.family_name,
                               code=code, validity=otp.CODE_TTL)
    return lambda: build_email_sender(settings).send(message)


def _not_delivered(session: Session, throttle: Throttle, account: Account, channel: str, client_id: str | None,
                   audit: AuditContext, failure: Exception) -> None:
    throttle.code_sends.release_failed_send(account.id, channel)
    record(session, "otp.delivery_failed", context=audit, outcome="failure", account_id=account.id,
           client_id=client_id, details={"channel": channel, "purpose": "login"})
    _log_failure("login code not delivered", channel, failure)


def _log_failure(message: str, channel: str, failure: Exception) -> None:
    """Log why a code did not leave: the error's own words name the server, never the text, code or destination."""
    if isinstance(failure, DomainError):  # DeliveryFailed, NotConfigured: expected, said in words
        log.error(message, extra={"channel": channel, "error": failure.code, "error_description": failure.description,
                                  "detail": failure.detail})
    else:  # a bug: its traceback is needed (smtplib's and httpx's errors never carry the message sent)
        log.exception(message, extra={"channel": channel, "error": type(failure).__name__})
