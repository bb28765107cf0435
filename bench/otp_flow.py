"""The login with a one-time code, for bench/oidc.py: an in-process SMTP server, the flow, and the ``otp_login`` bench.

- ``mail_server()``: aiosmtpd on 127.0.0.1 in a thread of the bench; ``idp serve`` gets ``IDP_SMTP_URL`` pointing at
  it, so codes leave idp exactly as in production (``SmtpEmailSender``, one SMTP connection per message, after the
  commit). The handler keeps the six-digit code of each login-code e-mail for its recipient (``Mailbox``).
- ``code_login_flow()``: what a person does on a browser idp does not trust: authorize, the login form (password),
  the code page (its first display sends the code), the code read from the e-mail and posted, the terms of use if
  asked, back to the client with a code, and the token request. It uses only oidcbench's HTTP client and helpers.
- ``otp_login_bench()``: that whole flow in a closed loop, a fresh cookie jar each time (a new browser), counted as
  flows per second with p50/p99 and idp's CPU per flow. Each flow takes an account from ``AccountPool`` (see
  bench/otp_accounts.py for why several) and presents its own client address in ``X-Forwarded-For``, as nginx does
  in production (``IDP_FORWARDED_ALLOW_IPS`` trusts 127.0.0.1), so that the production throttle's per-address window
  (100 codes per 15 minutes) sees many people rather than one address.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import logging
import re
import secrets
import statistics
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aiosmtpd.controller import Controller

from idp.notify.code_messages import LOGIN_CODE_SUBJECT as CODE_SUBJECT

CODE_TIMEOUT_S = 15.0  # an e-mail later than this is a failed flow
#: The production throttle: one code per account and channel per minute, five per account per hour. The pool keeps
#: a margin on both (its clock starts at the end of a flow, after the code left).
ACCOUNT_GAP_S = 62.0
ACCOUNT_PER_HOUR = 5
#: Per request. oidcbench's is 10 s; at concurrency 32 on two cores, 32 production argon2id hashes queue longer than
#: that, and otp_login has no peer to be compared with: it measures idp's capacity, not a deadline.
BROWSER_TIMEOUT_S = 30.0


# ------------------------------------------------------------------------------------------------ mail
class Mailbox:
    """Login codes by recipient, filled by the SMTP server's thread, awaited by the flows' event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, deque[str]] = {}
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[str]]]] = {}
        self.received = 0
        self.ignored = 0

    def deliver(self, recipients: list[str], code: str) -> None:
        with self._lock:
            self.received += 1
            for rcpt in (r.lower() for r in recipients):
                waiters = self._waiters.pop(rcpt, [])
                if waiters:
                    for loop, future in waiters:
                        loop.call_soon_threadsafe(_resolve, future, code)
                else:
                    self._codes.setdefault(rcpt, deque()).append(code)

    def forget(self, rcpt: str) -> None:
        """Drop codes kept for ``rcpt`` (before a new login of that account)."""
        with self._lock:
            self._codes.pop(rcpt.lower(), None)

    async def code_for(self, rcpt: str, timeout: float = CODE_TIMEOUT_S) -> str:
        rcpt = rcpt.lower()
        loop = asyncio.get_running_loop()
        with self._lock:
            kept = self._codes.get(rcpt)
            if kept:
                return kept.popleft()
            future: asyncio.Future[str] = loop.create_future()
            self._waiters.setdefault(rcpt, []).append((loop, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            with self._lock:
                waiting = self._waiters.get(rcpt, [])
                if (loop, future) in waiting:
                    waiting.remove((loop, future))
            raise TimeoutError(f"no login code e-mailed to {rcpt} within {timeout:.0f} s") from None


def _resolve(future: asyncio.Future[str], code: str) -> None:
    if not future.done():
        future.set_result(code)


@dataclass
class _CodeHandler:
    mailbox: Mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)) if message["Subject"] == CODE_SUBJECT else None
        found = re.search(r"\b(\d{6})\b", body.get_content()) if body is not None else None  # type: ignore[union-attr]
        if found:
            self.mailbox.deliver(list(envelope.rcpt_tos), found.group(1))
        else:
            self.mailbox.ignored += 1
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    port: int
    mailbox: Mailbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextmanager
def mail_server(port: int) -> Iterator[MailServer]:
    """aiosmtpd on 127.0.0.1:``port`` in a background thread, for the duration of the block."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # no INFO line per connection
    mailbox = Mailbox()
    controller = Controller(_CodeHandler(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield MailServer(port, mailbox)
    finally:
        controller.stop()


# ------------------------------------------------------------------------------------------------ the flow
def forwarding_browser(ob: ModuleType) -> type:
    """oidcbench's Browser, sending ``X-Forwarded-For: <address>`` on every request when an address is set."""

    class ForwardingBrowser(ob.Browser):  # type: ignore[name-defined, misc]
        forwarded_for: str | None = None

        async def request(self, method: str, url: str, headers: dict[str, str] | None = None,
                          body: bytes | None = None) -> Any:
            if self.forwarded_for:
                headers = {**(headers or {}), "X-Forwarded-For": self.forwarded_for}
            return await super().request(method, url, headers, body)

    return ForwardingBrowser


_PAGES = ("/login", "/login/otp", "/login/terms")


async def code_login_flow(ob: ModuleType, browser: Any, cfg: Any, disc: dict[str, Any], mailbox: Mailbox, *,
                          username: str, password: str, email_address: str, accept_terms: bool) -> dict[str, Any]:
    """The whole code flow of a browser idp does not trust: password, e-mailed code (terms when asked), token."""
    verifier, challenge = ob.pkce_pair()
    state = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": cfg.client_id, "redirect_uri": cfg.redirect_uri, "scope": cfg.scope,
        "state": state, "nonce": secrets.token_urlsafe(16), "code_challenge": challenge,
        "code_challenge_method": "S256"})
    final, resp = await ob.follow_redirects(browser, await browser.get(f"{disc['authorization_endpoint']}?{query}"), cfg)
    seen: list[str] = []
    while not final:
        path = urllib.parse.urlsplit(str(resp.url)).path
        seen.append(path)
        if resp.status_code != 200 or path not in _PAGES or len(seen) > 4:
            raise ob.FlowError(f"login pages {' -> '.join(seen)}: HTTP {resp.status_code} {resp.text[:160]!r}")
        forms = ob._Forms()  # the driver's own form reader (as its `form` login uses it)
        forms.feed(resp.text)
        form = next((f for f in forms.forms if f["method"] == "post"
                     and urllib.parse.urlsplit(urllib.parse.urljoin(str(resp.url), f["action"])).path == path), None)
        if form is None:
            raise ob.FlowError(f"{path}: no form posting to {path}")
        data = {a["name"]: a.get("value", "") for tag, a in form["inputs"]
                if tag == "input" and a.get("type") == "hidden" and a.get("name")}
        if path == "/login":
            data.update(username=username, password=password)
        elif path == "/login/otp":
            data["code"] = await mailbox.code_for(email_address)
        elif accept_terms:
            data["accept"] = "yes"
        else:
            raise ob.FlowError("the terms of use were asked (the bench accounts accepted them beforehand)")
        resp = await browser.post(urllib.parse.urljoin(str(resp.url), form["action"]), data=data)
        final, resp = await ob.follow_redirects(browser, resp, cfg)
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(final).query)
    if params.get("state", [""])[0] != state or "code" not in params:
        raise ob.FlowError(f"back at the client without a code: {final[:160]}")
    response = await browser.post(disc["token_endpoint"], headers={
        "Authorization": ob.basic_auth(cfg.client_id, cfg.client_secret)}, data={
        "grant_type": "authorization_code", "code": params["code"][0], "redirect_uri": cfg.redirect_uri,
        "code_verifier": verifier})
    if response.status_code != 200:
        raise ob.FlowError(f"token: HTTP {response.status_code} {response.text[:160]!r}")
    return response.json()


def cookie_value(browser: Any, name: str) -> str | None:
    header = browser.cookies.header_for("/") or ""
    for pair in header.split("; "):
        key, _, value = pair.partition("=")
        if key == name:
            return value
    return None


async def earn_trusted_browsers(ob: ModuleType, cfg: Any, disc: dict[str, Any], mailbox: Mailbox,
                                accounts: list[dict[str, str]], *, cookie_name: str,
                                parallel: int = 4) -> list[dict[str, str]]:
    """One real login of each account with the e-mailed code (the terms accepted when asked), from an address of its
    own: ``accounts`` with the trusted-browser cookie each earned (``cookie``: ``name=value``)."""
    browser_class = forwarding_browser(ob)
    gate = asyncio.Semaphore(parallel)

    async def earn(account: dict[str, str]) -> dict[str, str]:
        browser = browser_class(cfg.base_url, timeout=BROWSER_TIMEOUT_S)
        browser.forwarded_for = _next_address()
        try:
            async with gate:
                mailbox.forget(account["email"])
                await code_login_flow(ob, browser, cfg, disc, mailbox, username=account["username"],
                                      password=account["password"], email_address=account["email"],
                                      accept_terms=True)
            value = cookie_value(browser, cookie_name)
        finally:
            await browser.aclose()
        if not value:
            raise ob.FlowError(f"the login with a code set no {cookie_name} cookie (IDP_OTP_REMEMBER_DAYS=0?)")
        return {**account, "cookie": f"{cookie_name}={value}"}

    return list(await asyncio.gather(*(earn(a) for a in accounts)))


# ------------------------------------------------------------------------------------------------ the bench
@dataclass
class AccountPool:
    """Bench accounts, each lent to one flow at a time and only as often as the production throttle sends it codes."""

    accounts: deque[dict[str, str]]
    used: dict[str, list[float]] = field(default_factory=dict)  # username -> monotonic end times of its flows

    @classmethod
    def of(cls, accounts: list[dict[str, str]]) -> AccountPool:
        return cls(deque(accounts))

    def take(self) -> dict[str, str] | None:
        now = time.monotonic()
        for _ in range(len(self.accounts)):  # least recently returned first
            account = self.accounts.popleft()
            ends = [t for t in self.used.get(account["username"], []) if now - t < 3600 + ACCOUNT_GAP_S]
            self.used[account["username"]] = ends
            if (not ends or now - ends[-1] >= ACCOUNT_GAP_S) and len(ends) < ACCOUNT_PER_HOUR:
                return account
            self.accounts.append(account)
        return None

    def give_back(self, account: dict[str, str]) -> None:
        self.used.setdefault(account["username"], []).append(time.monotonic())
        self.accounts.append(account)


_addresses = itertools.count(1)


def _next_address() -> str:
    """A client address of its own for each flow (10.0.0.0/8, in order)."""
    n = next(_addresses) % (1 << 24)
    return f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"


async def otp_login_bench(ob: ModuleType, cfg: Any, disc: dict[str, Any], mailbox: Mailbox, pool: AccountPool,
                          concurrency: int, duration: float, server_pid: int | None) -> dict[str, Any]:
    """New browsers logging in with password and e-mailed code, in a closed loop: whole flows per second."""
    browser_class = forwarding_browser(ob)
    browsers = [browser_class(cfg.base_url, timeout=BROWSER_TIMEOUT_S) for _ in range(concurrency)]
    latencies: list[float] = []
    ok = errors = 0
    first_error: str | None = None
    exhausted = False
    deadline = time.monotonic() + duration

    async def worker(browser: Any) -> None:
        nonlocal ok, errors, first_error, exhausted
        while time.monotonic() < deadline:
            account = pool.take()
            if account is None:
                exhausted = True
                return
            browser.cookies.clear()  # a new browser: no session, not trusted
            browser.forwarded_for = _next_address()
            mailbox.forget(account["email"])
            started = time.perf_counter()
            try:
                await code_login_flow(ob, browser, cfg, disc, mailbox, username=account["username"],
                                      password=account["password"], email_address=account["email"],
                                      accept_terms=False)
                good = True
            except Exception as error:  # noqa: BLE001 - counted and reported, like the driver's closed loop
                good = False
                first_error = first_error or f"{type(error).__name__}: {error}"[:300]
            finally:
                pool.give_back(account)
            if good:
                ok += 1
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    try:
        with ob.CpuMeter(server_pid) as meter:
            started = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(worker(b) for b in browsers)), timeout=duration + 120)
            elapsed = time.perf_counter() - started
    finally:
        for browser in browsers:
            await browser.aclose()
    row: dict[str, Any] = ob.summarize("otp_login", "python", concurrency, elapsed, ok, errors, latencies, meter,
                                       {"first_error": first_error})
    row["pool_exhausted"] = exhausted
    if latencies:
        row["mean_ms"] = round(statistics.mean(latencies) * 1e3, 2)
    return row
