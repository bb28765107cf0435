"""Where a failure series lives: on the account row, or in the shared counters.

- ``AccountFailures``: an account's password failures, on its row (``failed_login_count``, ``first_failed_login_at``,
  ``last_failed_login_at``, ``locked_until``), so that a lock survives restarts and an administrator sees it.
- ``CounterFailures``: everything else, in ``idp.storage.counters`` (Redis or memory) under a key: the password
  failures of a login that matches no account, and an account's one-time-code failures. Giving unknown logins a
  series of their own is what keeps the throttle from telling which logins exist: they are delayed and locked
  exactly like accounts, by the same ``Policy`` on the same numbers.

Both answer the same four calls. Times are stored in the counters as epoch milliseconds; the throttle works in
whole milliseconds everywhere so that both stores give the same ``Retry-After`` to the second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from idp.authn.throttle_policy import FailureSeries
from idp.db import Session
from idp.models import Account
from idp.storage import login_failures
from idp.storage.counters import Counters


class FailureStore(Protocol):
    def load(self) -> FailureSeries: ...

    def add_failure(self, now: datetime, series_since: datetime) -> FailureSeries: ...

    def lock(self, until: datetime) -> None: ...

    def clear(self) -> None: ...


class AccountFailures:
    def __init__(self, session: Session, account: Account) -> None:
        self.session = session
        self.account = account

    def load(self) -> FailureSeries:
        a = self.account
        return FailureSeries(a.failed_login_count or 0, a.first_failed_login_at, a.last_failed_login_at, a.locked_until)

    def add_failure(self, now: datetime, series_since: datetime) -> FailureSeries:
        count, first = login_failures.add_failure(self.session, self.account, now=now, series_since=series_since)
        return FailureSeries(count, first, now, self.account.locked_until)

    def lock(self, until: datetime) -> None:
        login_failures.lock(self.account, until)

    def clear(self) -> None:
        login_failures.clear(self.account)


class CounterFailures:
    """A series as counters: ``n`` (atomic), ``first``, ``last:<n>`` (written once, by the failure that made n)
    and ``lock``. ``ttl`` only bounds how long Redis keeps them; the series' own window decides what they mean."""

    def __init__(self, counters: Counters, key: str, *, ttl: int, lock_ttl: int) -> None:
        self.counters = counters
        self.key = key
        self.ttl = ttl
        self.lock_ttl = lock_ttl

    def load(self) -> FailureSeries:
        c, k = self.counters, self.key
        locked_until = _time(c.get(f"{k}:lock"))
        failures = c.get(f"{k}:n")
        if failures <= 0:
            return FailureSeries(locked_until=locked_until)
        return FailureSeries(failures, _time(c.get(f"{k}:first")), _time(c.get(f"{k}:last:{failures}")), locked_until)

    def add_failure(self, now: datetime, series_since: datetime) -> FailureSeries:
        c, k = self.counters, self.key
        first = _time(c.get(f"{k}:first"))
        if first is None or first <= series_since:
            # A new series. Two failures racing here may both restart it and count 1 instead of 2: the cost is one
            # extra free attempt at the start of a series, never a missed lock.
            c.clear(f"{k}:n")
            first = now
        failures = c.incr(f"{k}:n", ttl=self.ttl)
        if failures == 1:
            c.put(f"{k}:first", _millis(now), ttl=self.ttl)
        c.put(f"{k}:last:{failures}", _millis(now), ttl=self.ttl)
        return FailureSeries(failures, first, now, _time(c.get(f"{k}:lock")))

    def lock(self, until: datetime) -> None:
        self.counters.put(f"{self.key}:lock", _millis(until), ttl=self.lock_ttl)

    def clear(self) -> None:
        self.counters.clear(f"{self.key}:n", f"{self.key}:first", f"{self.key}:lock")


def _millis(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def _time(millis: int) -> datetime | None:
    return datetime.fromtimestamp(millis / 1000, UTC) if millis > 0 else None
