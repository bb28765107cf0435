"""idp against node-oidc-provider 9, side by side: requests/s, p50/p99 latency and server CPU per request.

    .venv/bin/python bench/oidc.py [--duration 10] [--passes 3] [--concurrency 32] [--benches a,b,...]

What it does, and undoes (everything it starts is stopped in ``finally``, whatever happens):

1. A fresh database: PostgreSQL when one answers at ``IDP_TEST_POSTGRES_URL`` (default
   ``postgresql://postgres@127.0.0.1:5432/test``; a database ``idp_bench_<hex>`` is created and dropped after),
   otherwise an SQLite file (said so in the output: not what production runs). ``idp db upgrade``,
   ``idp demo setup`` (keys, the demo establishment), ``idp clients add -`` for the bench client, registered like
   the peer's ``bench-client``: ``client_secret_basic``, ES256 ID tokens, the grants ``authorization_code``,
   ``refresh_token`` and ``client_credentials``, redirect URI ``http://127.0.0.1:4199/cb`` (never served; the
   driver stops at it); and the bench accounts (bench/accounts.py, made like ``demo.pro``): ``bench.pro.NNNNN``,
   one per simulated browser (``--concurrency`` of them), and ``bench.otp.NNNNN`` for otp_login (``--otp-accounts``,
   terms already accepted). Several accounts, not demo.pro for all: the production throttle counts the password
   attempts of one login in flight as failures and refuses (429) a sixth simultaneous login of one person; real
   traffic is many people, each on a browser of their own.
2. An SMTP server in this process (aiosmtpd on 127.0.0.1, bench/otp_flow.py) that keeps the code of each login-code
   e-mail, and ``idp serve --workers 2`` as in production (default argon2id parameters, key sizes, token formats;
   one-time codes required, ``IDP_OTP_REMEMBER_DAYS`` and the terms of use in force left at their defaults; codes
   sent by SMTP to that server; throttle counters in Redis, ``--redis-url``, database 14 by default, emptied
   first; JSON logs), except: plain HTTP on 127.0.0.1 (the peer is plain HTTP too; in
   production nginx terminates TLS), ``IDP_ENVIRONMENT=test`` (production refuses an ``http://`` issuer),
   ``IDP_LOG_LEVEL=WARNING`` (no access line per request), ``PROMETHEUS_MULTIPROC_DIR`` an empty temporary
   directory (as several workers need), SMTP without STARTTLS (loopback).
3. The peer: ``../shared/bench-peer/peer.sh`` in ``var/bench-peer`` (``setup`` the first time only), started
   with ``LOGIN_HASH=argon2id`` so that its login verifies an argon2id hash as ours does (``--peer-login-hash
   none`` for a plain comparison; its argon2 parameters are lighter than ours: m=19 MiB t=2 p=1 against 64 MiB t=3
   p=4, which weighs on the whole code flow only).
4. Trusted browsers, before anything is timed: each ``bench.pro`` account logs in once the way a professional does
   the first time on a browser: password, the code read from its e-mail and typed, the terms of use accepted. idp
   then trusts that browser (the ``idp_trusted`` cookie of ``idp.authn.trusted_browsers``, tied to the account)
   and the bench keeps the cookie (``var/bench/oidc-<time>/trusted-browsers.json``).
5. ``oidcbench.py`` (the shared load driver, not edited) against both, interleaved: peer, idp, peer, idp ...
   ``--passes`` times, same duration and concurrency, ``--server-pid`` so that the server's CPU time per request is
   measured (the figure that best survives the noise of a small shared machine). idp is driven with ``--profile
   ours`` through bench/oidcbench_idp.py, which is the driver plus one login plugin: each simulated browser is one
   ``bench.pro`` professional with the trusted-browser cookie earned in step 4, and fills the login form with the
   driver's own ``form`` plugin. Single-request benches use Debian's ``wrk`` (installed with apt-get when absent and
   running as root; otherwise the driver's Python engine, and the output says so).
   Two benches are measured here rather than by the driver:
   - ``token_code``, the authorization code exchange alone. Each simulated browser logs in once; its SSO session
     then mints a batch of codes (untimed), and only the ``POST /token grant_type=authorization_code`` requests
     that redeem them are timed and counted.
   - ``otp_login`` (idp only; the peer has no one-time code): the whole code flow of a returning professional on a
     new browser, in a closed loop at the same concurrency: authorize, login form, password, the code page (which
     sends the e-mail), the code read from the SMTP server and typed, back to the client, token. Flows/s, p50/p99
     and idp's CPU per flow; the e-mail's trip through SMTP is inside the latency, the person's reading time is not.
     Each flow takes a ``bench.otp`` account no code was sent to in the last 62 s and fewer than 5 times in the
     hour (the production throttle's limits, left as they are) and sends its own ``X-Forwarded-For`` address (as
     nginx does; idp believes it from 127.0.0.1) so that the throttle's per-address window (100 codes per 15 min)
     sees many people, not one address. Its requests may take 30 s rather than the driver's 10 s: 32 production
     argon2id hashes queue longer than that on two cores, and this line is idp's capacity, not a race.
6. A table: median req/s of each server over the passes, the ratio idp/peer, idp's p50/p99, the peer's p50/p99,
   and each server's CPU µs per request. Benches a server cannot serve are ``n/a (404)`` (or the status it gave).
   Raw results (the driver's JSON and logs, ``idp serve``'s log, ``summary.json``): ``var/bench/oidc-<time>/``.

What "whole code flow" measures for idp (and so code_flow, token_code, refresh and userinfo, which start from it):
a returning professional on a trusted browser whose terms of use are accepted, which is the steady state of a
professional's logins. Each flow is a new browser session (no SSO session: authorize, login page, password with
argon2id, the trusted-browser lookup, session, code, token), so the same work as the peer's login plus the
trusted-browser check: the peer asks a password only and has neither one-time codes nor terms, so a password-only
login is the like-for-like comparison. The first login on a browser costs more (a code sent and checked, often by a
person typing it); that is the ``otp_login`` line, idp's alone.

The whole code flow is dominated by password hashing: idp's production argon2id (64 MiB, t=3, p=4) costs several
times the peer's (19 MiB, t=2, p=1), and at concurrency 32 on two cores a flow can near the driver's 10 s request
timeout. ``--argon2 peer`` gives idp the peer's parameters, to compare the OP machinery rather than the policy.

The goal (issue item 8) is a ratio idp/peer at or above 1 on each line, measured in the same run on the same machine.
Absolute figures vary run to run; the ratios and the CPU per request are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import oidcbench_idp  # noqa: E402
import otp_flow  # noqa: E402
from idp.authn import trusted_browsers  # noqa: E402
from tests.support.databases import (  # noqa: E402
    create_postgres_database,
    discard_database_url,
    postgres_answers,
)

IDP = str(ROOT / ".venv" / "bin" / "idp")
DEFAULT_PEER_KIT = ROOT.parent / "shared" / "bench-peer"  # the shared kit beside the project
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"  # a database of its own: the bench empties it before starting
BENCHES = ["discovery", "jwks", "token_cc", "token_code", "introspect", "userinfo", "refresh", "code_flow",
           "otp_login"]
DRIVER_BENCHES = {"discovery", "jwks", "token_cc", "introspect", "userinfo", "refresh", "code_flow"}
LABELS = {
    "discovery": "discovery", "jwks": "JWKS", "token_cc": "token: client_credentials",
    "token_code": "token: code exchange", "introspect": "introspection", "userinfo": "userinfo",
    "refresh": "token: refresh", "code_flow": "whole code flow (flows/s)",
    "otp_login": "new browser: password + e-mail code (flows/s)",
}
BENCH_REDIRECT_URI = "http://127.0.0.1:4199/cb"  # the peer's; never served
BENCH_CLIENT_ID = "idp-bench"
#: bench/accounts.py: professionals on trusted browsers (one per simulated browser), and returning professionals on
#: new browsers (otp_login). One password for all.
TRUSTED_PREFIX, OTP_PREFIX, ACCOUNT_PASSWORD = "bench.pro.", "bench.otp.", "Banc-Essai-Code-2026!"
PEER_NO_OTP = "n/a (peer has no one-time code)"
PEER_PORT = 4100
#: idp's argon2id parameters for the bench: its production defaults, or those of the peer's LOGIN_HASH=argon2id.
ARGON2: dict[str, dict[str, str]] = {
    "production": {},
    "peer": {"IDP_ARGON2__MEMORY_COST_KIB": "19456", "IDP_ARGON2__TIME_COST": "2", "IDP_ARGON2__PARALLELISM": "1"},
}


def say(message: str) -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------------------------------ the load driver
def load_driver(kit: Path) -> ModuleType:
    """oidcbench.py as a module: its HTTP client, login plugins and CPU meter serve the probes, token_code and
    otp_login."""
    return oidcbench_idp.load_driver(kit)


def ensure_wrk(engine: str) -> str:
    """The engine for single-request benches: wrk when present or installable, else the Python driver."""
    if engine == "python" or shutil.which("wrk"):
        return engine if engine != "auto" else "wrk"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("== wrk is absent: apt-get install -y wrk")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for attempt in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "wrk"]):
            done = subprocess.run(attempt, env=apt_env, capture_output=True, text=True)
            if attempt[1] == "install" and done.returncode == 0 and shutil.which("wrk"):
                return "wrk"
    if engine == "wrk":
        raise SystemExit("--engine wrk: wrk is absent and could not be installed")
    say("== wrk is absent (and not installable here): single-request benches use oidcbench's Python engine,"
        " which loads the machine more per request; the ratios stay comparable, the absolute figures are lower")
    return "python"


# ------------------------------------------------------------------------------------------------ the database
@dataclass
class BenchDatabase:
    url: str
    kind: str


@contextmanager
def bench_database(postgres_url: str, tmp: Path) -> Iterator[BenchDatabase]:
    if postgres_answers(postgres_url):
        url = create_postgres_database(postgres_url, prefix="idp_bench")
        database = BenchDatabase(url, "postgresql")
    else:
        say(f"== PostgreSQL: none answers at {postgres_url}; idp runs on SQLite (NOT production-like; "
            "set IDP_TEST_POSTGRES_URL)")
        database = BenchDatabase(f"sqlite:///{tmp / 'idp-bench.sqlite3'}", "sqlite")
    try:
        yield database
    finally:
        discard_database_url(database.url)


# ------------------------------------------------------------------------------------------------ the servers
@dataclass
class Target:
    """One server under test: how to reach it, and the driver settings that make it one of oidcbench's profiles."""

    name: str
    pid: int
    profile: str
    overrides: dict[str, str] = field(default_factory=dict)
    info: str = ""
    #: The driver's script when not the kit's oidcbench.py (idp: bench/oidcbench_idp.py), and what it needs.
    driver: Path | None = None
    driver_env: dict[str, str] = field(default_factory=dict)
    #: idp only (bench/accounts.py): those whose browsers get trusted before the passes, and those of otp_login.
    trusted_accounts: list[dict[str, str]] = field(default_factory=list)
    otp_accounts: list[dict[str, str]] = field(default_factory=list)

    def config(self, ob: ModuleType) -> Any:
        return ob.Config(**{**ob.PROFILES[self.profile], **self.overrides})

    def driver_args(self) -> list[str]:
        args = ["--profile", self.profile, "--server-pid", str(self.pid)]
        for key, value in self.overrides.items():
            args += [f"--{key.replace('_', '-')}", value]
        return args


def _idp_run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([IDP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"idp {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes] | None, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer {url} within {timeout:.0f}s")


def bench_redis(url: str) -> str:
    """``url`` emptied for the bench when a Redis answers there, else "" (and the output says so)."""
    if not url:
        return ""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()  # counters of an earlier run would throttle this one
    except redis.RedisError:
        say(f"== no Redis answers at {url}: each idp worker keeps its own counters (not what production runs)")
        return ""
    return url


@contextmanager
def idp_server(database: BenchDatabase, workers: int, work: Path, argon2: dict[str, str], smtp_url: str,
               trusted_accounts: int, otp_accounts: int, redis_url: str) -> Iterator[Target]:
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    metrics_dir = Path(tempfile.mkdtemp(prefix="idp-bench-metrics-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(
        IDP_ENVIRONMENT="test",
        IDP_ISSUER=issuer,
        IDP_DATABASE_URL=database.url,
        IDP_SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        IDP_LISTEN_HOST="127.0.0.1",
        IDP_LISTEN_PORT=str(port),
        IDP_LOG_LEVEL="WARNING",
        IDP_SMTP_URL=smtp_url,
        IDP_REDIS_URL=redis_url,  # several workers share their throttle counters there, as in production
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        **argon2,
    )
    _idp_run(env, "db", "upgrade")
    _idp_run(env, "demo", "setup")
    registered = json.loads(_idp_run(env, "clients", "add", "-", stdin=json.dumps({
        "client_id": BENCH_CLIENT_ID,
        "client_name": "oidcbench",
        "redirect_uris": [BENCH_REDIRECT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
        "id_token_signed_response_alg": "ES256",
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scope": "openid profile email",
    })))
    started = time.monotonic()
    trusted = _accounts(env, TRUSTED_PREFIX, trusted_accounts)  # they accept the terms at their first login
    returning = _accounts(env, OTP_PREFIX, otp_accounts, "--terms-accepted")
    say(f"== bench accounts: {len(trusted)} for the trusted browsers, {len(returning)} for otp_login "
        f"({time.monotonic() - started:.0f} s)")
    log = (work / "idp-serve.log").open("wb")
    proc = subprocess.Popen([IDP, "serve", "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"{issuer}/health/ready", proc, "idp serve")
        yield Target(
            name="idp", pid=proc.pid, profile="ours",
            overrides={
                "base_url": issuer, "client_id": registered["client_id"], "client_secret": registered["client_secret"],
                "redirect_uri": BENCH_REDIRECT_URI, "username": trusted[0]["username"],
                "password": trusted[0]["password"],
                "scope": "openid profile email", "cc_scope": "", "login": "form",
            },
            info=f"idp serve --workers {workers} ({database.kind}, {'Redis' if redis_url else 'no Redis'}, plain HTTP, argon2id "
                 f"{_argon2_label(argon2)}, one-time codes by e-mail to {smtp_url}, log {work / 'idp-serve.log'})",
            trusted_accounts=trusted, otp_accounts=returning,
        )
    finally:
        _stop(proc, "idp serve")
        log.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _accounts(env: dict[str, str], prefix: str, count: int, *flags: str) -> list[dict[str, str]]:
    if count <= 0:
        return []
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "accounts.py"), prefix, str(count), ACCOUNT_PASSWORD,
                           *flags], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"bench/accounts.py failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
    return list(json.loads(done.stdout)["accounts"])


def _argon2_label(argon2: dict[str, str]) -> str:
    if not argon2:
        return "production defaults"
    return f"m={argon2['IDP_ARGON2__MEMORY_COST_KIB']} KiB t={argon2['IDP_ARGON2__TIME_COST']} " \
           f"p={argon2['IDP_ARGON2__PARALLELISM']}"


def _stop(proc: subprocess.Popen[bytes], what: str) -> None:
    """SIGTERM the uvicorn master (it stops its workers), then make sure none of its workers outlived it."""
    children = _descendants(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        say(f"== {what} ignored SIGTERM for 15 s: killing it")
        proc.kill()
        proc.wait()
    for pid in children:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rfind(")") + 2:].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


@contextmanager
def peer_server(kit: Path, work: Path, login_hash: str) -> Iterator[Target]:
    script = str(kit / "peer.sh")
    pid_file = work / "server.pid"
    if pid_file.exists():
        raise SystemExit(f"a peer may already be running from {work} (pid {pid_file.read_text().strip()}); "
                         f"stop it with {script} stop {work}")
    if not (work / "node_modules" / "oidc-provider" / "package.json").is_file():
        say(f"== installing the peer in {work} ({script} setup; once)")
        subprocess.run([script, "setup", str(work)], check=True)
    env = {**os.environ, "PORT": str(PEER_PORT), "LOGIN_HASH": login_hash}
    started = subprocess.run([script, "start", str(work)], env=env, capture_output=True, text=True)
    try:
        if started.returncode != 0 or not pid_file.exists():
            raise SystemExit(f"peer.sh start failed: {started.stdout}{started.stderr}")
        _wait_http(f"http://127.0.0.1:{PEER_PORT}/.well-known/openid-configuration", None, "the peer")
        yield Target(name="peer", pid=int(pid_file.read_text()), profile="node-oidc-provider",
                     info=f"node-oidc-provider: {started.stdout.strip()}, LOGIN_HASH={login_hash}")
    finally:
        if pid_file.exists():
            subprocess.run([script, "stop", str(work)], capture_output=True, text=True)


# ------------------------------------------------------------------------------------------------ probes
def _na(status: int, body: str = "") -> str:
    if status in (404, 405):
        return f"n/a ({status})"
    error = re.search(r'"error"\s*:\s*"([^"]+)"', body)
    return f"n/a (HTTP {status}{' ' + error.group(1) if error else ''})"


async def discover(ob: ModuleType, cfg: Any) -> dict[str, Any]:
    browser = ob.Browser(cfg.base_url)
    try:
        response = await browser.get(cfg.base_url.rstrip("/") + "/.well-known/openid-configuration")
        if response.status_code != 200:
            raise SystemExit(f"{cfg.base_url}: discovery answered HTTP {response.status_code}")
        return response.json()
    finally:
        await browser.aclose()


async def probe(ob: ModuleType, cfg: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Discovery, then one request of each kind: the benches this server cannot serve, with the reason."""
    browser = ob.Browser(cfg.base_url)
    unavailable: dict[str, str] = {}
    try:
        response = await browser.get(cfg.base_url.rstrip("/") + "/.well-known/openid-configuration")
        if response.status_code != 200:
            raise SystemExit(f"{cfg.base_url}: discovery answered HTTP {response.status_code}")
        disc = response.json()
        response = await browser.get(disc["jwks_uri"])
        if response.status_code != 200:
            unavailable["jwks"] = _na(response.status_code, response.text)
        basic = {"Authorization": ob.basic_auth(cfg.client_id, cfg.client_secret)}
        response = await browser.post(disc["token_endpoint"], headers=basic,
                                      data={"grant_type": "client_credentials",
                                            **({"scope": cfg.cc_scope} if cfg.cc_scope else {}), **cfg.cc_params})
        if response.status_code != 200:
            unavailable["token_cc"] = _na(response.status_code, response.text)
        await _probe_introspection(ob, browser, cfg, disc, basic, unavailable)
        await _probe_user_benches(ob, browser, cfg, disc, basic, unavailable)
    finally:
        await browser.aclose()
    return disc, unavailable


async def _probe_introspection(ob: ModuleType, browser: Any, cfg: Any, disc: dict[str, Any], basic: dict[str, str],
                               unavailable: dict[str, str]) -> None:
    endpoint = disc.get("introspection_endpoint")
    if not endpoint:
        unavailable["introspect"] = "n/a (not in discovery)"
        return
    response = await browser.post(endpoint, headers=basic, data={"token": "probe"})
    if response.status_code in (404, 405):
        unavailable["introspect"] = _na(response.status_code)
    elif "token_cc" in unavailable:
        unavailable["introspect"] = f"n/a (no token: {unavailable['token_cc'][4:-1]})"
    else:
        token = (await ob.client_credentials(browser, cfg, disc, cfg.introspect_cc_params))["access_token"]
        response = await browser.post(endpoint, headers=basic, data={"token": token})
        if response.status_code != 200 or response.json().get("active") is not True:
            unavailable["introspect"] = f"n/a (HTTP {response.status_code}, not active)"


async def _probe_user_benches(ob: ModuleType, browser: Any, cfg: Any, disc: dict[str, Any], basic: dict[str, str],
                              unavailable: dict[str, str]) -> None:
    userinfo = disc.get("userinfo_endpoint")
    if userinfo:
        response = await browser.get(userinfo, headers={"Authorization": "Bearer probe"})
        if response.status_code in (404, 405):
            unavailable["userinfo"] = _na(response.status_code)
    else:
        unavailable["userinfo"] = "n/a (not in discovery)"
    try:
        tokens = await ob.code_flow(browser, cfg, disc)
    except (ob.FlowError, ob.HTTPError, KeyError) as error:
        status = re.search(r"HTTP (\d+)", str(error))
        reason = _na(int(status.group(1)), str(error)) if status else f"n/a ({str(error)[:60]})"
        for bench in ("code_flow", "token_code", "refresh", "userinfo"):
            unavailable.setdefault(bench, reason)
        return
    if "userinfo" not in unavailable:
        response = await browser.get(userinfo, headers={"Authorization": f"Bearer {tokens['access_token']}"})
        if response.status_code != 200:
            unavailable["userinfo"] = _na(response.status_code, response.text)
    if "refresh_token" not in tokens:
        unavailable["refresh"] = "n/a (no refresh_token)"
    else:
        response = await browser.post(disc["token_endpoint"], headers=basic,
                                      data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        if response.status_code != 200:
            unavailable["refresh"] = _na(response.status_code, response.text)


# ------------------------------------------------------------------------------------------------ token_code
async def code_exchange_bench(ob: ModuleType, cfg: Any, disc: dict[str, Any], concurrency: int, duration: float,
                              server_pid: int | None, batch: int = 16) -> dict[str, Any]:
    """The authorization code exchange alone: codes minted through SSO sessions (untimed), then redeemed (timed)."""
    browsers = [ob.Browser(cfg.base_url) for _ in range(concurrency)]
    basic = {"Authorization": ob.basic_auth(cfg.client_id, cfg.client_secret)}
    latencies: list[float] = []
    ok = errors = 0
    timed = cpu = 0.0
    utils: list[float] = []
    first_error: str | None = None

    async def mint(browser: Any) -> tuple[str, str]:
        verifier, challenge = ob.pkce_pair()
        state = secrets.token_urlsafe(16)
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": cfg.client_id, "redirect_uri": cfg.redirect_uri,
            "scope": cfg.scope, "state": state, "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge, "code_challenge_method": "S256"})
        final, response = await ob.follow_redirects(browser, await browser.get(
            f"{disc['authorization_endpoint']}?{query}"), cfg)
        if not final:
            raise ob.FlowError(f"authorize with a session: HTTP {response.status_code} instead of a code")
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(final).query)
        if params.get("state", [""])[0] != state or "code" not in params:
            raise ob.FlowError(f"authorize with a session: {final[:160]}")
        return params["code"][0], verifier

    async def redeem(browser: Any, codes: list[tuple[str, str]]) -> None:
        nonlocal ok, errors, first_error
        for code, verifier in codes:
            started = time.perf_counter()
            try:
                response = await browser.post(disc["token_endpoint"], headers=basic, data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": cfg.redirect_uri,
                    "code_verifier": verifier})
                good = response.status_code == 200
                if not good and first_error is None:
                    first_error = f"HTTP {response.status_code} {response.text[:120]}"
            except ob.HTTPError as error:
                good, first_error = False, first_error or str(error)
            if good:
                ok += 1
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    logins = asyncio.Semaphore(2)  # 32 argon2id logins at once would outlast the driver's 10 s request timeout

    async def log_in(browser: Any) -> None:
        async with logins:
            await ob.code_flow(browser, cfg, disc)

    try:
        await asyncio.gather(*(log_in(b) for b in browsers))  # one login each, untimed: the SSO session
        deadline = time.monotonic() + duration * 10 + 60
        while timed < duration and time.monotonic() < deadline:
            batches = await asyncio.gather(*(_mint_batch(mint, b, batch) for b in browsers))
            with ob.CpuMeter(server_pid) as meter:
                started = time.perf_counter()
                await asyncio.gather(*(redeem(b, codes) for b, codes in zip(browsers, batches, strict=True)))
                timed += time.perf_counter() - started
            cpu += meter.server_cpu_s or 0.0
            if meter.machine_util is not None:
                utils.append(meter.machine_util)
    finally:
        for browser in browsers:
            await browser.aclose()
    latencies.sort()
    ms = lambda p: round(ob.pct(latencies, p) * 1e3, 2) if latencies else None  # noqa: E731
    return {
        "bench": "token_code", "engine": "python", "concurrency": concurrency, "elapsed_s": round(timed, 3),
        "ok": ok, "errors": errors, "rps": round(ok / timed, 1) if timed else None,
        "p50_ms": ms(50), "p90_ms": ms(90), "p99_ms": ms(99),
        "server_cpu_s": round(cpu, 3) if server_pid else None,
        "server_cpu_ms_per_op": round(cpu * 1e3 / ok, 3) if server_pid and ok else None,
        "machine_util": round(statistics.mean(utils), 3) if utils else None, "first_error": first_error,
    }


async def _mint_batch(mint: Any, browser: Any, size: int) -> list[tuple[str, str]]:
    return [await mint(browser) for _ in range(size)]  # one browser, one connection: sequential


# ------------------------------------------------------------------------------------------------ a pass
@dataclass
class Options:
    duration: float
    concurrency: int
    warmup: float
    engine: str
    pause: float


def run_driver(kit: Path, target: Target, benches: list[str], opts: Options, out: Path) -> dict[str, dict[str, Any]]:
    """One oidcbench.py run (a process of its own, as a user would run it): the summary row of each bench."""
    driver_benches = [b for b in benches if b in DRIVER_BENCHES]
    if not driver_benches:
        return {}
    argv = [sys.executable, str(target.driver or kit / "oidcbench.py"), *target.driver_args(), "--label", target.name,
            "--benches", ",".join(driver_benches), "--duration", str(opts.duration), "--concurrency",
            str(opts.concurrency), "--warmup", str(opts.warmup), "--engine", opts.engine, "--pause", str(opts.pause),
            "--out", str(out)]
    log = out.with_suffix(".log")
    with log.open("w") as handle:
        done = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, timeout=len(driver_benches)
                              * (opts.duration + opts.warmup + opts.pause + 120) + 120,
                              env={**os.environ, oidcbench_idp.KIT_ENV: str(kit), **target.driver_env})
    if done.returncode != 0 or not out.exists():
        tail = log.read_text()[-1500:]
        raise SystemExit(f"oidcbench.py failed for {target.name} ({done.returncode}); {log}:\n{tail}")
    result = json.loads(out.read_text())
    rows: dict[str, dict[str, Any]] = {}
    for run in result["runs"]:
        rows[run["bench"]] = run  # --repeat 1: one run per bench; a run that failed has only "error"
    return rows


def one_pass(ob: ModuleType, kit: Path, target: Target, benches: list[str], opts: Options, out: Path,
             disc: dict[str, Any], otp: OtpBench | None) -> dict[str, dict[str, Any]]:
    rows = run_driver(kit, target, benches, opts, out)
    if "token_code" in benches:
        cfg = target.config(ob)
        try:
            if opts.warmup > 0:
                asyncio.run(code_exchange_bench(ob, cfg, disc, opts.concurrency, opts.warmup, None))
            rows["token_code"] = asyncio.run(code_exchange_bench(ob, cfg, disc, opts.concurrency, opts.duration,
                                                                 target.pid))
        except (ob.FlowError, ob.HTTPError, KeyError, ValueError) as error:  # reported like the driver's failures
            rows["token_code"] = {"bench": "token_code", "error": f"{type(error).__name__}: {error}"[:400]}
        out.with_name(out.stem + "-token_code.json").write_text(json.dumps(rows["token_code"], indent=2))
    if "otp_login" in benches and otp is not None:
        cfg = target.config(ob)
        run = lambda seconds, pid: otp_flow.otp_login_bench(  # noqa: E731
            ob, cfg, disc, otp.mailbox, otp.pool, opts.concurrency, seconds, pid)
        try:
            if opts.warmup > 0:
                asyncio.run(run(opts.warmup, None))
            rows["otp_login"] = asyncio.run(run(opts.duration, target.pid))
        except (ob.FlowError, ob.HTTPError, KeyError, ValueError, TimeoutError) as error:
            rows["otp_login"] = {"bench": "otp_login", "error": f"{type(error).__name__}: {error}"[:400]}
        out.with_name(out.stem + "-otp_login.json").write_text(json.dumps(rows["otp_login"], indent=2))
    return rows


@dataclass
class OtpBench:
    """What otp_login needs across passes: the in-process SMTP server's mailbox and the bench accounts."""

    mailbox: otp_flow.Mailbox
    pool: otp_flow.AccountPool


def trust_browsers(ob: ModuleType, target: Target, disc: dict[str, Any], mailbox: otp_flow.Mailbox,
                   work: Path) -> str | None:
    """Before any timed pass: one real login with the e-mailed code (the terms accepted) for each trusted-browser
    account; the driver's simulated browsers and token_code's then log in with password and those cookies
    (bench/oidcbench_idp.py). None when it worked; else why the benches that log in cannot run."""
    started = time.monotonic()
    try:
        browsers = asyncio.run(otp_flow.earn_trusted_browsers(ob, target.config(ob), disc, mailbox,
                                                              target.trusted_accounts,
                                                              cookie_name=trusted_browsers.COOKIE_NAME))
    except (ob.FlowError, ob.HTTPError, KeyError, ValueError, TimeoutError) as error:
        status = re.search(r"HTTP (\d+)", str(error))
        return _na(int(status.group(1)), str(error)) if status else f"n/a ({str(error)[:60]})"
    listing = work / "trusted-browsers.json"  # cookies of a throw-away database, removed with it
    listing.write_text(json.dumps(browsers, indent=1))
    oidcbench_idp.register(ob, browsers)  # in this process: the probes and token_code
    target.overrides["login"] = oidcbench_idp.LOGIN
    target.driver = ROOT / "bench" / "oidcbench_idp.py"  # the driver's own process
    target.driver_env = {oidcbench_idp.BROWSERS_ENV: str(listing)}
    say(f"== {len(browsers)} browsers trusted (login with password, e-mailed code, terms) in "
        f"{time.monotonic() - started:.0f} s")
    return None


# ------------------------------------------------------------------------------------------------ the table
def median_of(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(per_pass: list[dict[str, dict[str, Any]]], bench: str) -> dict[str, Any]:
    rows = [p[bench] for p in per_pass if bench in p and "rps" in p[bench]]
    failed = [p[bench].get("error") or p[bench].get("first_error") for p in per_pass
              if bench in p and ("rps" not in p[bench] or not p[bench].get("ok") or p[bench].get("errors"))]
    return {"passes": len(rows), "rps": median_of(rows, "rps"), "p50_ms": median_of(rows, "p50_ms"),
            "p99_ms": median_of(rows, "p99_ms"), "cpu_us": _us(median_of(rows, "server_cpu_ms_per_op")),
            "errors": sum(r.get("errors", 0) for r in rows), "failed": [f for f in failed if f],
            "pool_exhausted": sum(1 for r in rows if r.get("pool_exhausted"))}


def _us(ms: float | None) -> float | None:
    return None if ms is None else ms * 1e3


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(benches: list[str], peer: dict[str, dict[str, Any]], ours: dict[str, dict[str, Any]],
                unavailable: dict[str, dict[str, str]]) -> None:
    head = ["endpoint", "peer req/s", "idp req/s", "idp/peer", "idp p50 ms", "idp p99 ms", "peer p50 ms",
            "peer p99 ms", "peer CPU µs/req", "idp CPU µs/req"]
    lines = []
    for bench in benches:
        p, o = peer.get(bench), ours.get(bench)
        peer_rps = unavailable["peer"].get(bench) or (_fmt(p["rps"], ",.0f") if p and p["rps"] else "error")
        idp_rps = unavailable["idp"].get(bench) or (_fmt(o["rps"], ",.0f") if o and o["rps"] else "error")
        ratio = (f"{o['rps'] / p['rps']:.2f}" if o and p and o["rps"] and p["rps"]
                 and bench not in unavailable["idp"] and bench not in unavailable["peer"] else "-")
        get = lambda s, k, spec: _fmt(s.get(k), spec) if s else "-"  # noqa: E731
        lines.append([LABELS[bench], peer_rps, idp_rps, ratio, get(o, "p50_ms", ".2f"), get(o, "p99_ms", ".2f"),
                      get(p, "p50_ms", ".2f"), get(p, "p99_ms", ".2f"), get(p, "cpu_us", ",.0f"),
                      get(o, "cpu_us", ",.0f")])
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for line in lines:
        print("| " + " | ".join(line) + " |")
    for name, summary in (("peer", peer), ("idp", ours)):
        for bench, s in summary.items():
            if s["errors"] or s["failed"]:
                print(f"  note: {name} {bench}: {s['errors']} failed requests; first error: {(s['failed'] or ['?'])[0]}")
            if s.get("pool_exhausted"):
                print(f"  note: {name} {bench}: its accounts ran out before the end in {s['pool_exhausted']} run(s) "
                      "(each may get a code once a minute, 5 an hour): the run was shorter; raise --otp-accounts")


# ------------------------------------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per bench run (default 10)")
    parser.add_argument("--passes", type=int, default=3, help="interleaved passes peer, idp, ... (default 3)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent connections/flows (default 32)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds before each bench (default 2)")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds of rest between runs (default 1)")
    parser.add_argument("--benches", default=",".join(BENCHES), help=f"comma list from {','.join(BENCHES)}")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of idp serve (default 2)")
    parser.add_argument("--engine", default="auto", choices=["auto", "wrk", "python"],
                        help="engine of the single-request benches (default: wrk, installed when possible)")
    parser.add_argument("--postgres-url", default=os.environ.get("IDP_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL server to create the bench database on (default IDP_TEST_POSTGRES_URL)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS,
                        help=f"Redis for idp's shared counters, as production has (default {DEFAULT_REDIS}; "
                             "'' or none answering: each worker keeps its own)")
    parser.add_argument("--peer-kit", type=Path, default=Path(os.environ.get("IDP_BENCH_PEER_KIT", DEFAULT_PEER_KIT)),
                        help=f"folder with peer.sh and oidcbench.py (default {DEFAULT_PEER_KIT})")
    parser.add_argument("--peer-login-hash", default="argon2id", choices=["argon2id", "none"],
                        help="how the peer's login checks the password (default argon2id, like idp)")
    parser.add_argument("--argon2", default="production", choices=sorted(ARGON2),
                        help="idp's argon2id parameters: production (default settings) or the peer's")
    parser.add_argument("--otp-accounts", type=int, default=None,
                        help="accounts for otp_login (default 400; 0 without otp_login); each gets a code at most "
                             "once a minute and 5 times an hour, as the production throttle allows")
    args = parser.parse_args()
    benches = [b.strip() for b in args.benches.split(",") if b.strip()]
    if unknown := [b for b in benches if b not in BENCHES]:
        parser.error(f"unknown benches {unknown}")

    otp_accounts = (400 if "otp_login" in benches else 0) if args.otp_accounts is None else args.otp_accounts
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if "otp_login" in benches and otp_accounts <= 0:
        parser.error("otp_login needs --otp-accounts > 0")

    ob = load_driver(args.peer_kit)
    opts = Options(args.duration, args.concurrency, args.warmup, ensure_wrk(args.engine), args.pause)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    work = ROOT / "var" / "bench" / f"oidc-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="idp-bench-")))
        database = stack.enter_context(bench_database(args.postgres_url, tmp))
        mail = stack.enter_context(otp_flow.mail_server(_free_port()))
        ours = stack.enter_context(idp_server(database, args.workers, work, ARGON2[args.argon2], mail.url,
                                              args.concurrency, otp_accounts, bench_redis(args.redis_url)))
        peer = stack.enter_context(peer_server(args.peer_kit, ROOT / "var" / "bench-peer", args.peer_login_hash))
        targets = [peer, ours]  # the order of every pass: peer, then idp
        discovery, unavailable = {}, {}
        discovery["idp"] = asyncio.run(discover(ob, ours.config(ob)))
        untrusted = trust_browsers(ob, ours, discovery["idp"], mail.mailbox, work)
        for target in targets:
            discovery[target.name], unavailable[target.name] = asyncio.run(probe(ob, target.config(ob)))
        unavailable["peer"]["otp_login"] = PEER_NO_OTP
        if untrusted:
            say(f"== the login with an e-mailed code failed: {untrusted}")
            for bench in ("code_flow", "token_code", "refresh", "userinfo", "otp_login"):
                unavailable["idp"].setdefault(bench, untrusted)
        otp = OtpBench(mail.mailbox, otp_flow.AccountPool.of(ours.otp_accounts))
        say(f"# {len(benches)} benches x {args.passes} passes, {opts.duration:g} s each, concurrency "
            f"{opts.concurrency}, engine {opts.engine}; {os.cpu_count()} CPUs")
        for target in targets:
            say(f"#   {target.name}: {target.info}")
            for bench, reason in unavailable[target.name].items():
                if bench in benches:
                    say(f"#     {bench}: {reason}")
        results: dict[str, list[dict[str, dict[str, Any]]]] = {t.name: [] for t in targets}
        for number in range(1, args.passes + 1):
            for target in targets:
                runnable = [b for b in benches if b not in unavailable[target.name]]
                started = time.monotonic()
                rows = one_pass(ob, args.peer_kit, target, runnable, opts, work / f"{target.name}-{number}.json",
                                discovery[target.name], otp if target is ours else None)
                results[target.name].append(rows)
                say(f"# pass {number}/{args.passes} {target.name}: {time.monotonic() - started:.0f} s "
                    + ", ".join(f"{b} {rows[b].get('rps', 'error')}" for b in runnable if b in rows))
        summary = {name: {b: summarize(passes, b) for b in benches if any(b in p for p in passes)}
                   for name, passes in results.items()}
        print()
        print_table(benches, summary["peer"], summary["idp"], unavailable)
        out = work / "summary.json"
        out.write_text(json.dumps({
            "date": stamp, "argv": sys.argv, "options": asdict(opts), "passes": args.passes,
            "database": database.kind, "targets": {t.name: t.info for t in targets}, "unavailable": unavailable,
            "summary": summary, "runs": results}, indent=2, default=str))
        print(f"\n# raw results: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
