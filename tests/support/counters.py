"""Counters for throttling tests: in memory and on a real Redis (database 15, a key prefix per test so that runs
sharing the server stay apart), and a way to move the time moving windows see."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import limits.storage.memory
import limits.storage.redis
import pytest

import idp.storage.counters
from idp.storage.counters import Counters

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["memory", "redis"])
def counters(request: pytest.FixtureRequest) -> Iterator[Counters]:
    if request.param == "memory":
        yield Counters.from_url("")
        return
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    shared = Counters.from_url(REDIS_URL, prefix=f"idp-test-{uuid.uuid4().hex}")
    yield shared
    shared.storage.reset()  # this test's keys only: another run may share the database
    shared.close()


def set_window_time(monkeypatch: pytest.MonkeyPatch, now: Callable[[], float]) -> None:
    """Moving windows run on ``time.time()``, in limits and in idp.storage.counters: move it for them."""
    fake = SimpleNamespace(time=now)
    for module in (idp.storage.counters, limits.storage.memory, limits.storage.redis):
        monkeypatch.setattr(module, "time", fake)
