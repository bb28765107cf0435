"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, on a free port, in a background thread.

It records what it receives (envelope and the parsed RFC 5322 message), and can speak STARTTLS, implicit TLS and
AUTH, so that ``SmtpEmailSender`` is tested against a server and not against a mock of smtplib.
"""

from __future__ import annotations

import logging
import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from idp.devtls import ensure_self_signed


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    controller: Controller
    handler: RecordingHandler
    scheme: str = "smtp"
    query: str = ""

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def url(self, userinfo: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"{self.scheme}://{at}127.0.0.1:{self.port}{self.query}"


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it; the tiny race is acceptable in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class TlsPair:
    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts the server's self-signed certificate, and nothing else


def tls_pair(directory: Path) -> TlsPair:
    certfile, keyfile = ensure_self_signed(directory, "localhost")  # names localhost and 127.0.0.1
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(certfile, keyfile)
    client = ssl.create_default_context(cafile=str(certfile))
    return TlsPair(server, client)


class Credentials:
    """An aiosmtpd authenticator accepting exactly one user name and password."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == self.username and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    credentials: Credentials | None = None,
) -> Iterator[SmtpServer]:
    """Run a recording SMTP server for the duration of the block.

    ``starttls``: offer STARTTLS with this server context and require it; ``implicit_tls``: speak TLS from the
    first byte (smtps); ``credentials``: require AUTH (over TLS) with them. aiosmtpd's per-connection INFO lines
    are held back (they arrive after the test, in its output).
    """
    mail_log = logging.getLogger("mail.log")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)
    handler = RecordingHandler()
    kwargs: dict[str, Any] = {}
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=True)
    if credentials is not None:
        kwargs.update(authenticator=credentials, auth_required=True, auth_require_tls=True)
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ssl_context=implicit_tls, server_hostname="localhost", **kwargs
    )
    controller.start()
    scheme = "smtps" if implicit_tls is not None else "smtp"
    try:
        yield SmtpServer(controller, handler, scheme, "?starttls=1" if starttls is not None else "")
    finally:
        controller.stop()
        mail_log.setLevel(level)
