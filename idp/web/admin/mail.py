"""Activation e-mails from the admin API: sent after the commit, as ``idp.notify.outbox`` requires.

The request's transaction (``DbSession``) commits when the route returns, too late for a route that must say whether
the e-mail left. So the routes that send mail commit at one point, here, right before flushing their outbox: the
account exists before its link is mailed, and a mail server that hangs holds no transaction open. The session's
own commit at the end of the request then has nothing left to do.

A delivery failure keeps what was committed, as ``idp users create`` does: on creation the answer is still 201,
with ``activation.email_sent: false`` and the reason, and ``POST /users/{login}/activation`` sends a new link later
(answering 503 ``delivery_failed`` if the server is still down: there, the e-mail is the whole point).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends

from idp.db import Session
from idp.notify.email import DeliveryFailed, EmailSender, build_email_sender
from idp.notify.outbox import Outbox
from idp.web.admin.schemas import Activation
from idp.web.deps import SettingsDep

log = logging.getLogger("idp.admin")


def get_email_sender(settings: SettingsDep) -> EmailSender:
    """``IDP_SMTP_URL``'s sender; a malformed URL fails here (503 ``not_configured``) before anything is created."""
    return build_email_sender(settings)


EmailSenderDep = Annotated[EmailSender, Depends(get_email_sender)]


def commit_then_send(session: Session, outbox: Outbox, sender: EmailSender) -> None:
    """Commit the request's work, then send its e-mails; ``DeliveryFailed`` propagates (the work stays)."""
    session.commit()
    outbox.flush(sender)


def activation_after_commit(session: Session, outbox: Outbox, sender: EmailSender, *, expires_at: str,
                            login: str) -> Activation:
    """``commit_then_send`` for a creation: a delivery failure becomes ``email_sent: false``, not an error."""
    try:
        commit_then_send(session, outbox, sender)
    except DeliveryFailed as exc:
        log.warning("activation e-mail not sent", extra={"login": login, "error": exc.code, "detail": exc.detail})
        return Activation(expires_at=expires_at, email_sent=False, error_description=exc.description)
    return Activation(expires_at=expires_at, email_sent=True)
