"""Short-lived counters shared by every instance: Redis when ``IDP_REDIS_URL`` is set, else this process's memory.

Built on the ``limits`` library rather than on hand-written Redis commands: its storages give the same atomic
operations on Redis (Lua scripts, one round trip each) and in memory (locks), its moving windows are the
well-tested part of rate limiting that is easy to get subtly wrong (window edges, expiry, concurrent hits), and
the in-memory twin keeps development and single-process tests free of a Redis server. What idp needs of it:

- counters with a time to live (``incr``, ``get``, ``put``, ``clear``): ``incr`` is atomic and sets the time to
  live when it creates the key; ``put`` (clear then add) is for keys that a single writer owns, such as "the
  time of the n-th failure", where a lost race only matters to that writer;
- moving windows (``window_count``, ``window_hit``): how many events happened in the last ``seconds`` and, with
  ``window_hit``, add one atomically unless ``limit`` are there already.

Values are integers (timestamps are stored as epoch milliseconds). In Redis every key is prefixed with ``idp`` so
that a Redis shared with other software keeps them apart. A Redis that cannot be reached raises: callers fail closed
(a login is refused with an error page rather than let through unthrottled), and ``/health`` reports it.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

KEY_PREFIX = "idp"
_REDIS_TIMEOUT_SECONDS = 2.0  # a login must not hang on an unreachable Redis


class Counters:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._windows = MovingWindowRateLimiter(storage)

    @classmethod
    def from_url(cls, redis_url: str, *, prefix: str = KEY_PREFIX) -> Counters:
        """Redis for ``redis://`` / ``rediss://`` URLs; an empty URL keeps the counters in this process."""
        if not redis_url:
            return cls(MemoryStorage())
        return cls(
            RedisStorage(
                redis_url,
                key_prefix=prefix,
                socket_timeout=_REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            )
        )

    @property
    def shared(self) -> bool:
        return isinstance(self.storage, RedisStorage)

    def close(self) -> None:
        if isinstance(self.storage, RedisStorage):
            self.storage.storage.close()

    # -- counters
    def incr(self, key: str, *, ttl: int, amount: int = 1) -> int:
        return self.storage.incr(key, ttl, amount)

    def get(self, key: str) -> int:
        return self.storage.get(key)

    def put(self, key: str, value: int, *, ttl: int) -> None:
        self.storage.clear(key)
        self.storage.incr(key, ttl, value)

    def clear(self, *keys: str) -> None:
        for key in keys:
            self.storage.clear(key)

    # -- moving windows
    def window_count(self, key: str, *, limit: int, seconds: int) -> tuple[int, int]:
        """Events in the last ``seconds`` (at most ``limit`` are kept), and in how many whole seconds the oldest
        leaves the window (at least 1)."""
        stats = self._windows.get_window_stats(RateLimitItemPerSecond(limit, seconds), key)
        return limit - stats.remaining, max(1, math.ceil(stats.reset_time - time.time()))

    def window_hit(self, key: str, *, limit: int, seconds: int) -> bool:
        return self._windows.hit(RateLimitItemPerSecond(limit, seconds), key)

    def window_clear(self, key: str, *, limit: int, seconds: int) -> None:
        self._windows.clear(RateLimitItemPerSecond(limit, seconds), key)

