"""E-mail: the message, the ``EmailSender`` edge, and its SMTP, log and in-memory implementations.

``IDP_SMTP_URL`` chooses the sender (``build_email_sender``):

- ``smtp://[user:password@]host[:port]`` — plain SMTP (port 25 by default), for a relay on the same host or network;
- ``smtp://...?starttls=1`` — upgrade with STARTTLS before anything else is said (port 587 by default);
- ``smtps://...`` — implicit TLS (RFC 8314, port 465 by default);
- empty — ``LogEmailSender`` writes messages to the ``idp.notify`` logger. Development only: the messages carry
  action links, which is why the settings refuse production without an SMTP URL.

A failure that may pass is tried again (``retries`` more times, after a short growing pause, as ``HttpSmsSender``
does): a refused or dropped connection, a timeout, a 4xx answer (RFC 5321 §4.2.1: "transient negative
completion"). A 5xx answer is the server's final word, and TLS or AUTH problems are configuration: neither is
retried. Once one try has used up the whole timeout no other is started, since a person may be waiting on a page.
The same ``Message-ID`` goes with every try, so a server that took a message and then hung up can spot the repeat.

TLS always verifies the server's certificate against the system trust store (a test may hand in its own
``ssl.SSLContext``). Credentials are percent-decoded from the URL, refused without TLS unless the server is on the
loopback interface, and never part of an error or a log line.

A message leaves only after the transaction that produced it has committed: services put messages in an
``Outbox`` (``idp.notify.outbox``), the caller flushes it after the commit.
"""

from __future__ import annotations

import email.message
import email.utils
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from idp.errors import NotConfigured, Unavailable
from idp.observability.metrics import NOTIFICATIONS_SENT
from idp.settings import Settings

log = logging.getLogger("idp.notify")

SMTP_TIMEOUT_SECONDS = 10.0
SMTP_RETRIES = 2
BACKOFF_SECONDS = 0.5  # doubled at each retry: 0.5 s, 1 s
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class DeliveryFailed(Unavailable):
    """The mail server refused or did not answer. Says nothing of the credentials or the message's content."""

    code = "delivery_failed"


@dataclass(frozen=True)
class EmailMessage:
    """One e-mail to one person: a plain-text body for every client, and an HTML alternative."""

    to: str
    subject: str
    text: str
    html: str | None = None


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise ``DeliveryFailed``."""
        ...


def to_mime(message: EmailMessage, mail_from: str) -> email.message.EmailMessage:
    """The RFC 5322 form: multipart/alternative (text first, HTML preferred) when there is an HTML body."""
    mime = email.message.EmailMessage()
    mime["From"] = mail_from
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.formatdate(localtime=False)
    domain = email.utils.parseaddr(mail_from)[1].rpartition("@")[2] or None
    mime["Message-ID"] = email.utils.make_msgid(domain=domain)
    mime.set_content(message.text)
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html")
    return mime


@dataclass(frozen=True)
class SmtpEndpoint:
    host: str
    port: int
    security: str  # "none", "starttls" or "tls"
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpEndpoint:
        parts = urlsplit(url)
        starttls = any(v.lower() in _TRUE for v in parse_qs(parts.query).get("starttls", []))
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname or (starttls and parts.scheme == "smtps"):
            raise NotConfigured("IDP_SMTP_URL must look like smtp://host:port, smtp://host:port?starttls=1 or smtps://host")
        security = "tls" if parts.scheme == "smtps" else "starttls" if starttls else "none"
        try:
            port = parts.port or _DEFAULT_PORTS["smtp+starttls" if starttls else parts.scheme]
        except ValueError:
            raise NotConfigured("IDP_SMTP_URL has an invalid port") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if username and security == "none" and parts.hostname not in _LOOPBACK:
            # smtplib would send AUTH PLAIN in the clear across the network.
            raise NotConfigured("IDP_SMTP_URL has credentials but no TLS: add ?starttls=1 or use smtps://")
        return cls(parts.hostname, port, security, username, password)


class SmtpEmailSender:
    """Delivers through an SMTP server with the standard library; one connection per ``send``.

    Messages are rare (account creation, codes, resets), so a connection per message costs little and never leaves
    a half-dead connection in a pool.
    """

    def __init__(
        self,
        url: str,
        mail_from: str,
        *,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
        retries: int = SMTP_RETRIES,
        backoff: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = SmtpEndpoint.from_url(url)
        self.mail_from = mail_from
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._ssl_context = ssl_context
        self._sleep = sleep

    def send(self, message: EmailMessage) -> None:
        mime = to_mime(message, self.mail_from)
        where = f"{self.endpoint.host}:{self.endpoint.port}"
        started, failure = time.monotonic(), None
        for attempt in range(max(self.retries, 0) + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                self._deliver(mime)
            except (smtplib.SMTPException, OSError) as exc:
                failure = exc
                if not _transient(exc) or time.monotonic() - started >= self.timeout:  # no time left to wait
                    break
                continue
            NOTIFICATIONS_SENT.labels(channel="email", outcome="sent").inc()
            log.info("email sent", extra={"email_subject": message.subject, "smtp_server": where,
                                          "attempts": attempt + 1})
            return
        NOTIFICATIONS_SENT.labels(channel="email", outcome="failed").inc()
        assert failure is not None  # the loop ran at least once
        raise _failure(failure, where) from None

    def _deliver(self, mime: email.message.EmailMessage) -> None:
        endpoint = self.endpoint
        with self._connect() as smtp:
            if endpoint.security == "starttls":
                smtp.starttls(context=self._context())
            if endpoint.username:
                smtp.login(endpoint.username, endpoint.password or "")
            smtp.send_message(mime)

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        if endpoint.security == "tls":
            return smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=self.timeout, context=self._context())
        return smtplib.SMTP(endpoint.host, endpoint.port, timeout=self.timeout)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()


def _transient(exc: Exception) -> bool:
    """Might the same message get through a moment later? (``smtplib.SMTPException`` is itself an ``OSError``.)"""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):  # greeting, HELO, AUTH, MAIL, DATA: 4xx is "try again"
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    # No STARTTLS, no AUTH, a bad certificate: the settings must change. Refused, reset, timed out: try again.
    return not isinstance(exc, (smtplib.SMTPException, ssl.SSLError))


def _failure(exc: Exception, where: str) -> DeliveryFailed:
    """Say what failed in words an operator can act on; the detail (for the log) is a code or a class name."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryFailed(f"the mail server {where} refused our credentials", detail=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryFailed(f"the mail server {where} refused the recipient", detail="recipients refused")
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryFailed(f"the mail server {where} refused the message", detail=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryFailed(f"the mail server {where} does not offer STARTTLS or AUTH", detail=type(exc).__name__)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryFailed(f"the mail server {where} presented a certificate that is not trusted",
                              detail=exc.verify_message)
    if isinstance(exc, ssl.SSLError):
        return DeliveryFailed(f"the TLS connection to the mail server {where} failed", detail=type(exc).__name__)
    # Refused connections, timeouts, a server that hung up.
    return DeliveryFailed(f"the mail server {where} does not answer", detail=type(exc).__name__)


class LogEmailSender:
    """Writes each message to the ``idp.notify`` logger, for development without a mail server."""

    def send(self, message: EmailMessage) -> None:
        log.warning(
            "email not sent (IDP_SMTP_URL is empty); to=%s subject=%s\n%s",
            message.to,
            message.subject,
            message.text,
        )


class MemoryEmailSender:
    """Keeps messages in ``sent``; for unit tests (the e-mail tests use a real SMTP server)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def build_email_sender(settings: Settings) -> EmailSender:
    if settings.smtp_url:
        return SmtpEmailSender(settings.smtp_url, settings.mail_from)
    return LogEmailSender()
