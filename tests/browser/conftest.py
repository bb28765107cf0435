"""The browser test harness: a real headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright, against a
real ``idp serve`` over TLS, a real SMTP server (aiosmtpd), a real HTTP SMS gateway (tests/support/sms_gateway.py) and a
relying party's callback that records what reaches it.

Installation (``scripts/install-test-deps.sh``, run by ``make test``): ``apt-get install chromium`` when
``/usr/bin/chromium`` is missing and we are root; the Python package ``playwright`` is pinned in pyproject's ``test``
extra and pip brings its driver. ``playwright install`` is never run: it downloads a browser of Playwright's own, which
this project does not use (and which cannot be downloaded here). Without Chromium or Playwright every test of this
folder skips and says why; nothing else changes.

Chromium is started with the flags known to work on our machines (``--headless --no-sandbox --disable-gpu
--disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync``; without the
background-networking ones it tries Google's hosts and the closed network refuses it), and Playwright gives each launch
a new, empty user-data-dir of its own (it passes ``--user-data-dir`` itself and refuses the flag from us). Each test
gets a new browser context: a person on a new browser, with no cookie.

TLS is real and verified. ``ignore_https_errors`` stays False; instead Chromium is told to trust exactly the test's
self-signed certificate with ``--ignore-certificate-errors-spki-list=<base64 SHA-256 of its SubjectPublicKeyInfo>``
(Chromium has no flag to add a CA; this one pins one key, so any other certificate is still refused, and it only takes
effect with a user-data-dir, which Playwright always gives). Serving plain HTTP to the browser would have been simpler
but would not exercise what a person gets: ``Secure`` cookies, HSTS and the pages over https.

The OP (module-scoped, like tests/test_openid_client_rp.py): ``idp serve`` on a free port, issuer
``https://localhost:<port>``, on a freshly migrated database of the run's kind (SQLite file, or a PostgreSQL database
created for the module and dropped after it), ``IDP_SMTP_URL`` pointing at the aiosmtpd server the tests read and
``IDP_SMS_URL``/``IDP_SMS_TOKEN`` at the SMS gateway whose texts they read as a person reads their phone. It is set
up in-process with the functions behind ``idp establishments add`` and ``idp clients add``: an establishment, and a
relying party whose redirect URI is ``http://127.0.0.1:<port>/cb`` (loopback http is allowed by registration, RFC 8252
§7.3), served by a tiny HTTP server that records each query and shows a page, so the browser really lands somewhere.
Accounts are created by the tests
with ``idp users create -`` (``OP.idp``), as a référent would. What each step left in the audit trail is read from the
server's database (``OP.audit``, tests/support/audit_trail.py).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import secrets
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from idp.db.migrate import upgrade
from idp.devtls import ensure_self_signed
from tests.support.audit_trail import Entry, audit_trail
from tests.support.databases import discard_database_url, new_database_url
from tests.support.password_pages import text_of
from tests.support.processes import IDP, free_port, idp_env, running
from tests.support.rp import RelyingParty
from tests.support.sms_gateway import TOKEN as SMS_TOKEN
from tests.support.sms_gateway import SmsGateway, running_gateway
from tests.support.smtp import ReceivedMail, SmtpServer, smtp_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
FINESS = "010780195"
SECRET_KEY = "browser-test-secret-key-long-enough-0123456789"
WAIT = 10.0  # seconds for an e-mail, an SMS or a callback to arrive; they take milliseconds


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of this folder is ``slow`` and ``browser``, and skips with the reason when it cannot run."""
    here = Path(__file__).parent
    reason = skip_reason()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _playwright_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("playwright") is None


# The test modules import Playwright at their top: without it they are not collected (instead of failing to import),
# and the run's header says why (pytest_report_header).
collect_ignore_glob = ["test_*.py"] if _playwright_missing() else []


def pytest_report_header(config: pytest.Config) -> str | None:
    reason = skip_reason()
    return f"browser tests skipped: {reason}" if reason else None


def skip_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: run scripts/install-test-deps.sh as root (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed: pip install -e '.[test]'"
    return None


def spki_hash(certfile: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)): what ``--ignore-certificate-errors-spki-list`` names a key by."""
    certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    spki = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


# -- the relying party's callback -------------------------------------------------------------------------------------

class Callbacks:
    """``http://127.0.0.1:<port>/cb``: records each query string and answers a small page ("Retour sur le site")."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self._arrived = threading.Condition()
        received, arrived = self.received, self._arrived

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path != "/cb":
                    self.send_error(404)
                    return
                with arrived:
                    received.append({k: v[0] for k, v in parse_qs(parts.query).items()})
                    arrived.notify_all()
                body = "<!doctype html><html lang=fr><title>Site partenaire</title><h1>Retour sur le site</h1>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="rp-callback", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cb"

    def __enter__(self) -> Callbacks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int) -> list[dict[str, str]]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=WAIT)
            return list(self.received)


# -- e-mails ----------------------------------------------------------------------------------------------------------

@dataclass
class Mailbox:
    """The aiosmtpd server's mail, read like a person's inbox: wait for the next unread message to an address."""

    smtp: SmtpServer
    read: set[int] = field(default_factory=set)

    def next_to(self, address: str, subject: str | None = None) -> ReceivedMail:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for index, mail in enumerate(list(self.smtp.received)):
                if index not in self.read and address in mail.rcpt_tos and (
                        subject is None or mail.message["Subject"] == subject):
                    self.read.add(index)
                    return mail
            time.sleep(0.02)
        unread = [(m.rcpt_tos, m.message["Subject"]) for i, m in enumerate(self.smtp.received) if i not in self.read]
        raise AssertionError(f"no e-mail to {address} ({subject or 'any subject'}) within {WAIT}s; unread: {unread}")

    def unread_to(self, address: str) -> list[str]:
        """The subjects of the messages to ``address`` not read yet."""
        return [str(m.message["Subject"]) for i, m in enumerate(list(self.smtp.received))
                if i not in self.read and address in m.rcpt_tos]

    def mark_all_read(self) -> None:
        self.read.update(range(len(self.smtp.received)))


# -- SMS ---------------------------------------------------------------------------------------------------------------

@dataclass
class Phones:
    """The SMS gateway's texts, read like a person's phone: wait for the next unread SMS to an E.164 number (the login
    may hand its SMS to the gateway after the response, so the text may come a moment after the page). Every SMS must
    carry the gateway's bearer token: the server really authenticated to it."""

    gateway: SmsGateway
    read: set[int] = field(default_factory=set)

    def next_to(self, number: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for index, sms in enumerate(list(self.gateway.requests)):
                if index not in self.read and sms.body.get("to") == number:
                    self.read.add(index)
                    assert sms.headers.get("authorization") == f"Bearer {SMS_TOKEN}", sms.headers
                    return str(sms.body["text"])
            time.sleep(0.02)
        unread = [r.body.get("to") for i, r in enumerate(self.gateway.requests) if i not in self.read]
        raise AssertionError(f"no SMS to {number} within {WAIT}s; unread SMS to: {unread}")

    def unread(self) -> list[str]:
        return [str(r.body.get("to")) for i, r in enumerate(list(self.gateway.requests)) if i not in self.read]

    def mark_all_read(self) -> None:
        self.read.update(range(len(self.gateway.requests)))


def sms_code(text: str) -> str:
    """The one-time code of an SMS (6 digits)."""
    codes = set(re.findall(r"(?<!\d)\d{6}(?!\d)", text))
    assert len(codes) == 1, text
    return codes.pop()


def link_in(mail: ReceivedMail, issuer: str, path: str) -> str:
    """The one absolute link to ``issuer + path`` in the text body (what the person clicks)."""
    links = set(re.findall(re.escape(issuer + path) + r"\?token=[A-Za-z0-9_-]+", text_of(mail)))
    assert len(links) == 1, text_of(mail)
    return links.pop()


def code_in(mail: ReceivedMail) -> str:
    """The one-time code of a code e-mail (6 digits)."""
    codes = set(re.findall(r"(?<!\d)\d{6}(?!\d)", html.unescape(text_of(mail))))
    assert len(codes) == 1, text_of(mail)
    return codes.pop()


# -- the OP -----------------------------------------------------------------------------------------------------------

@dataclass
class OP:
    issuer: str
    certfile: Path
    spki: str
    env: dict[str, str]
    mailbox: Mailbox
    callbacks: Callbacks
    client_id: str
    client_secret: str
    trust: ssl.SSLContext
    phones: Phones
    _http: list[httpx.Client] = field(default_factory=list)

    def idp(self, *args: str, stdin: str | None = None) -> str:
        """Run the ``idp`` CLI against the server's database and mail server (what a référent or operator does)."""
        done = subprocess.run([IDP, *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"idp {' '.join(args)} failed ({done.returncode}): {done.stderr}"
        return done.stdout

    def create_user(self, username: str, given_name: str, family_name: str, email: str, *,
                    cli: bool = True) -> dict[str, Any]:
        """A référent creates an account; its activation e-mail leaves for the aiosmtpd server. ``cli``: with
        ``idp users create -``; otherwise in-process with the function behind it (2 seconds cheaper, for the journeys
        where the account is only a precondition)."""
        document = {"username": username, "establishment": FINESS, "given_name": given_name,
                    "family_name": family_name, "email": email}
        if cli:
            return json.loads(self.idp("users", "create", "-", stdin=json.dumps(document)))
        from idp.accounts.users import create_user
        from idp.db import Database, build_engine
        from idp.notify.email import build_email_sender
        from idp.notify.outbox import Outbox
        from tests.conftest import make_settings

        settings = make_settings(self.env["IDP_DATABASE_URL"], issuer=self.issuer, secret_key=SECRET_KEY,
                                 smtp_url=self.env["IDP_SMTP_URL"])
        outbox, engine = Outbox(), build_engine(settings.database_url)
        try:
            with Database(engine).session() as session:
                account_id = str(create_user(session, settings, document, outbox=outbox).account.id)
        finally:
            engine.dispose()
        outbox.flush(build_email_sender(settings))
        return {"id": account_id, "username": username}

    def set_account(self, account: dict[str, Any], **values: Any) -> None:
        """Change the account's row in the server's database: for a precondition that its own journey covers and that
        the pages would take too long to reach again (the phone verified a minute ago, say)."""
        from idp.db import Database, build_engine
        from idp.models import Account

        engine = build_engine(self.env["IDP_DATABASE_URL"])
        try:
            with Database(engine).session() as session:
                row = session.get(Account, uuid.UUID(account["id"]))
                assert row is not None, account
                for name, value in values.items():
                    setattr(row, name, value)
        finally:
            engine.dispose()

    def audit(self, account: dict[str, Any]) -> list[Entry]:
        """The account's audit events so far, oldest first, from the server's database."""
        return audit_trail(self.env["IDP_DATABASE_URL"], account["id"])

    def close_clients(self) -> None:
        for http in self._http:
            http.close()

    def relying_party(self) -> RelyingParty:
        """The registered client's back end (PKCE authorization requests, code exchange, ID token checks)."""
        http = httpx.Client(base_url=self.issuer, verify=self.trust, timeout=10)
        self._http.append(http)  # closed before the server stops: uvicorn waits for open keep-alive connections
        return RelyingParty(http, self.issuer, self.client_id, self.callbacks.url, client_secret=self.client_secret)


def _answers(url: str, trust: ssl.SSLContext) -> bool:
    try:
        return httpx.get(url, verify=trust, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _establishment_and_client(url: str, issuer: str, redirect_uri: str) -> dict[str, Any]:
    """The establishment accounts belong to, and the relying party, registered in-process (the CLI's own code, without
    two more 2-second process starts; ``idp establishments add`` and ``idp clients add`` are tested elsewhere)."""
    from idp.accounts.establishments import create_establishment
    from idp.db import Database, build_engine
    from idp.protocol.clients import register_client
    from tests.conftest import make_settings

    secret = secrets.token_urlsafe(32)
    engine = build_engine(url)
    try:
        with Database(engine).session() as session:
            create_establishment(session, finess=FINESS, name="CH de Bourg-en-Bresse", region="Auvergne-Rhône-Alpes")
            return register_client(session, make_settings(url, issuer=issuer, secret_key=SECRET_KEY), {
                "client_name": "Site partenaire (tests navigateur)",
                "client_secret": secret,
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": ["authorization_code"],
                "scope": "openid profile email",
            }).document() | {"client_secret": secret}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def op(base_database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OP]:
    tmp = tmp_path_factory.mktemp("browser")
    url = new_database_url(base_database_url, tmp)
    try:
        upgrade(url)
        certfile, keyfile = ensure_self_signed(tmp / "tls")
        trust = ssl.create_default_context(cafile=str(certfile))
        port = free_port()
        issuer = f"https://localhost:{port}"
        with smtp_server() as smtp, running_gateway() as sms, Callbacks() as callbacks:
            env = idp_env(
                IDP_ENVIRONMENT="test",
                IDP_ISSUER=issuer,
                IDP_DATABASE_URL=url,
                IDP_SECRET_KEY=SECRET_KEY,
                IDP_LISTEN_PORT=str(port),
                IDP_TLS_CERTFILE=str(certfile),
                IDP_TLS_KEYFILE=str(keyfile),
                IDP_SMTP_URL=smtp.url(),
                IDP_SMS_URL=sms.url,
                IDP_SMS_TOKEN=SMS_TOKEN,
                IDP_LOG_LEVEL="WARNING",
                # Cheap hashing, as in the rest of the suite (bench/ measures the production parameters).
                IDP_ARGON2__TIME_COST="1",
                IDP_ARGON2__MEMORY_COST_KIB="8192",
                IDP_ARGON2__PARALLELISM="1",
            )
            client = _establishment_and_client(url, issuer, callbacks.url)
            setup = OP(issuer, certfile, spki_hash(certfile), env, Mailbox(smtp), callbacks,
                       client["client_id"], client["client_secret"], trust, Phones(sms))
            with running([IDP, "serve"], env, lambda: _answers(f"{issuer}/health/ready", trust)):
                try:
                    yield setup
                finally:
                    setup.close_clients()
    finally:
        discard_database_url(url)


# -- the browser ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(op: OP) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={op.spki}"],
            # Playwright's own default would be the same; said here so that nobody "fixes" a test by flipping it.
            chromium_sandbox=False,
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a new browser context (a new browser for the person: no cookie), verifying TLS, in French."""
    context = browser.new_context(ignore_https_errors=False, locale="fr-FR")
    context.set_default_timeout(WAIT * 1000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """Pages of further new browsers, for a test that needs more than one."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(ignore_https_errors=False, locale="fr-FR")
        context.set_default_timeout(WAIT * 1000)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
