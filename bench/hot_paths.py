"""CPU per request of the protocol's hot endpoints, in process: no sockets, no load driver, one request at a time.

    .venv/bin/python bench/hot_paths.py                          # PostgreSQL when it answers, else SQLite
    .venv/bin/python bench/hot_paths.py --cases userinfo,refresh --requests 800 --runs 5
    .venv/bin/python bench/hot_paths.py --cases code --profile   # cProfile (CPU time) of the last run, top 40

With ``--profile`` the protocol runs on the event loop's thread instead of its executor (cProfile sees one thread
only), so the figures of a profiled run leave out the thread hop.

bench/oidc.py measures idp against the peer under load; this script is the quick loop for working on one endpoint.
It builds a fresh database (migrated; dropped at the end), the app as ``create_app`` makes it (test settings with the
key ring refreshed every 30 s as in production, not on every request), a confidential client, a service client and
an account; a real code flow (tests/support/rp.py) gives the tokens and codes. Then it calls the ASGI app directly
(every middleware included) and prints, per case, the median over ``--runs`` of the process CPU time per request
(all threads: the protocol's thread pool included). The machine is shared: compare medians, run twice.

Cases: discovery, cc (client_credentials), userinfo, introspect, refresh (a chain: each request presents the
refresh token the previous one returned), code (exchanges of codes minted before the timed runs; a code lives 60 s,
so keep ``--requests`` modest).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import concurrent.futures
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from idp.db import Database  # noqa: E402
from idp.main import create_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.databases import migrated_database_url, postgres_answers  # noqa: E402
from tests.support.factories import CLIENT_SECRET, PASSWORD, make_client, make_user  # noqa: E402
from tests.support.rp import RelyingParty  # noqa: E402

CASES = ["discovery", "cc", "userinfo", "introspect", "refresh", "code"]
FORM = {"content-type": "application/x-www-form-urlencoded"}


def basic(client_id: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{CLIENT_SECRET}".encode()).decode()


async def call(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """One request through the whole ASGI app, as uvicorn would hand it over."""
    raw = [(k.encode(), v.encode()) for k, v in headers.items()] + [(b"host", b"idp.test")]
    if body:
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "https",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 50000), "server": ("idp.test", 443), "state": {}}
    received = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the app answers
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


class InlineExecutor(concurrent.futures.Executor):
    """Runs the submitted work at once, on the caller's thread (``--profile``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine, as a thread pool would
            future.set_exception(exc)
        return future


class World:
    """The rows and credentials the cases use, made before anything is timed."""

    def __init__(self, app: Any, settings: Any, database: Database) -> None:
        make_user(database, settings)
        registered = make_client(database, settings,
                                 grant_types=["authorization_code", "refresh_token", "client_credentials"])
        make_client(database, settings, client_id="svc", grant_types=["client_credentials"], redirect_uris=[],
                    post_logout_redirect_uris=[], scope="idp:admin")
        self.app = app
        self.redirect_uri = registered["redirect_uris"][0]
        with TestClient(app, base_url=settings.issuer) as http:
            self.rp = RelyingParty(http, settings.issuer, "rp-test", self.redirect_uri, client_secret=CLIENT_SECRET)
            tokens = self.rp.code_flow("john_wick", PASSWORD)
        self.access_token, self.refresh_token = tokens["access_token"], tokens["refresh_token"]

    def codes(self, count: int) -> list[tuple[str, str]]:
        """(code, PKCE verifier) pairs of the person's SSO session."""
        with TestClient(self.app, base_url=self.rp.issuer) as http:
            self.rp.http = http
            pairs = []
            for _ in range(count):
                request = self.rp.authorization_request()
                callback = self.rp.login(request, "john_wick", PASSWORD)
                pairs.append((self.rp.validate_callback(callback, request), request.verifier))
        return pairs


def timed_requests(world: World, case: str, count: int) -> Callable[[], Awaitable[None]]:
    """An async function that sends ``count`` requests of ``case``, each checked for a 200."""
    app = world.app

    async def send_all(requests: list[tuple[str, str, dict[str, str], bytes]]) -> None:
        for method, path, headers, body in requests:
            status, answer = await call(app, method, path, headers, body)
            assert status == 200, (case, status, answer[:300])

    if case == "discovery":
        requests = [("GET", "/.well-known/openid-configuration", {}, b"")] * count
    elif case == "cc":
        requests = [("POST", "/token", {**FORM, "authorization": basic("svc")},
                     b"grant_type=client_credentials&scope=idp:admin")] * count
    elif case == "userinfo":
        requests = [("GET", "/userinfo", {"authorization": "Bearer " + world.access_token}, b"")] * count
    elif case == "introspect":
        body = urlencode({"token": world.access_token}).encode()
        requests = [("POST", "/introspect", {**FORM, "authorization": basic("rp-test")}, body)] * count
    elif case == "code":
        requests = [("POST", "/token", {**FORM, "authorization": basic("rp-test")},
                     urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": world.redirect_uri,
                                "code_verifier": verifier}).encode())
                    for code, verifier in world.codes(count)]
    elif case == "refresh":
        async def chain() -> None:
            for _ in range(count):
                body = urlencode({"grant_type": "refresh_token", "refresh_token": world.refresh_token}).encode()
                status, answer = await call(app, "POST", "/token", {**FORM, "authorization": basic("rp-test")}, body)
                assert status == 200, (case, status, answer[:300])
                world.refresh_token = json.loads(answer)["refresh_token"]
        return chain
    else:
        raise SystemExit(f"unknown case {case!r}: {', '.join(CASES)}")
    return lambda: send_all(requests)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL to create the bench database in (SQLite when it does not answer)")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--requests", type=int, default=400, help="per run (code: codes are minted per run)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile (CPU time) of each case's last run")
    opts = parser.parse_args()
    base = opts.db_url if postgres_answers(opts.db_url) else None
    databases = migrated_database_url(base, Path(tempfile.mkdtemp()))
    url = next(databases)
    settings = make_settings(url, keys={"rsa_key_size": 2048, "refresh_seconds": 30}, log_level="WARNING")
    database = Database.from_url(url)
    try:
        app = create_app(settings, database=database)
        world = World(app, settings, database)
        print(f"# in-process CPU per request, {database.backend}, {opts.runs} runs x {opts.requests} requests")
        for case in opts.cases.split(","):
            # Everything minted before the lifespan starts: a TestClient inside it would run a lifespan of its own.
            warm_up = timed_requests(world, case, 10)
            work = [timed_requests(world, case, opts.requests) for _ in range(opts.runs)]
            figures, profile = [], cProfile.Profile(time.process_time) if opts.profile else None

            async def run_case() -> None:
                async with app.router.lifespan_context(app):
                    if profile is not None:
                        app.state.protocol_executor = InlineExecutor()
                    await warm_up()
                    for index, send in enumerate(work):
                        last = profile is not None and index == len(work) - 1
                        started = time.process_time()
                        if last:
                            profile.enable()
                        await send()
                        if last:
                            profile.disable()
                        figures.append((time.process_time() - started) / opts.requests * 1e6)

            asyncio.run(run_case())
            print(f"{case:12s} {statistics.median(figures):8,.0f} µs/request  runs: "
                  + ", ".join(f"{figure:,.0f}" for figure in figures))
            if profile is not None:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    finally:
        database.dispose()
        databases.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
