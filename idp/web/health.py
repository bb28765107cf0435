"""Liveness and readiness probes (SPEC §2).

``/health/live`` answers as long as the process serves HTTP and touches nothing else: a database outage must not
make the orchestrator restart every instance. ``/health/ready`` says whether this instance can serve logins now —
the database answers (and is migrated), the cache answers when one is configured, a signing key is loaded — so the
load balancer stops sending traffic while any of them is missing. A failing part is named with ``down`` (could not be
reached in time) or ``fail`` (reached, but not fit) and a short reason that never quotes a URL (it may hold a
password); the exception itself goes to the log.

Database calls block, so the check runs in a daemon thread and the probe stops waiting after
``CHECK_TIMEOUT_SECONDS``: a hung database (packets dropped, a lock) makes the probe answer 503 on time instead of
hanging with it. At most ``MAX_CHECKS_IN_FLIGHT`` such threads may be stuck at once; beyond that a probe fails
without starting another, so a long outage cannot pile up threads or pooled connections.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from idp.db import Database

router = APIRouter(prefix="/health", tags=["health"])
log = logging.getLogger("idp.health")

CHECK_TIMEOUT_SECONDS = 3.0
MAX_CHECKS_IN_FLIGHT = 2
NO_STORE = {"Cache-Control": "no-store"}

T = TypeVar("T")
Check = dict[str, Any]

_in_flight = threading.BoundedSemaphore(MAX_CHECKS_IN_FLIGHT)


class CheckTimeout(Exception):
    """A part did not answer in time (or earlier checks of it are still stuck)."""


async def run_blocking(fn: Callable[[], T], timeout: float) -> T:
    """``fn()`` in a daemon thread, awaited at most ``timeout`` seconds; a late thread is abandoned, not joined."""
    if not _in_flight.acquire(blocking=False):
        raise CheckTimeout("earlier checks have not returned yet")
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # the probe gave up waiting
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def work() -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (fn(), None)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting probe
            outcome = (None, exc)
        finally:
            _in_flight.release()
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop closed while we were stuck: nobody is waiting
            pass

    threading.Thread(target=work, name="idp-ready-check", daemon=True).start()
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError as exc:
        raise CheckTimeout(f"no answer within {timeout:g} s") from exc


def _failure(part: str, status: str, exc: BaseException) -> Check:
    reason = str(exc) if isinstance(exc, CheckTimeout) else type(exc).__name__
    log.warning("readiness: %s %s: %s", part, status, reason, extra={"check": part, "error": str(exc)})
    return {"status": status, "reason": reason}


async def check_database(database: Database) -> Check:
    try:
        revision = await run_blocking(database.ping, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return {**_failure("database", "down", exc), "backend": database.backend}
    return {"status": "ok", "backend": database.backend, "revision": revision}


async def check_cache(url: str) -> Check:
    # A fresh connection per probe, without redis-py's retries: the probe reports what it sees now.
    client: aioredis.Redis | None = None
    try:
        client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return _failure("cache", "down", CheckTimeout(f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"))
    except Exception as exc:
        return _failure("cache", "down", exc)
    finally:
        if client is not None:
            await client.aclose()
    return {"status": "ok"}


def check_signing_keys(request: Request) -> Check:
    if request.app.state.keyring.is_loaded():
        return {"status": "ok"}
    return {"status": "fail", "reason": "no signing key loaded"}


@router.get("/live")
async def live() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    pending = {"database": check_database(request.app.state.database)}
    if settings.redis_url:
        pending["cache"] = check_cache(settings.redis_url)
    results = await asyncio.gather(*pending.values())
    checks = dict(zip(pending, results, strict=True))
    checks["signing_keys"] = check_signing_keys(request)
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "fail", "checks": checks},
        status_code=200 if healthy else 503,
        headers=NO_STORE,
    )
