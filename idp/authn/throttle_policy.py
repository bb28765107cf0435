"""The throttling rules as pure functions of a failure series and the time (issue 4, item 7).

A *series* is the run of consecutive failures of one login (or of one account's one-time codes): it ends with a
success, or ``failure_window_hours`` after its first failure. With ``free`` = ``account_free_attempts``:

- the first ``free`` failures cost nothing; after the n-th failure (n >= free) the next attempt must wait
  ``delay_base * 2**(n - free)`` seconds (capped at ``delay_max``) after that failure;
- the failure that brings the series to ``account_lock_after`` locks the login for ``lock_minutes``; each further
  failure once the lock has expired locks it again, until a success ends the series;
- an attempt still being checked counts as a failure until it is known not to be one (``in_flight``), so sending
  many attempts at once gains nothing: at most ``free`` can run together, and once delays apply, one at a time.

A refused attempt is not checked at all (the password is not even hashed), so waiting is the only way forward.
Addresses are throttled per IPv4 address or per IPv6 /64 (``address_of``): one host commonly holds a whole /64.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from idp.settings import ThrottleSettings

Reason = Literal["allowed", "delayed", "locked", "address"]


@dataclass(frozen=True)
class FailureSeries:
    failures: int = 0
    first_failed_at: datetime | None = None
    last_failed_at: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    reason: Reason
    retry_after: int = 0  # whole seconds, for the Retry-After header

    @property
    def allowed(self) -> bool:
        return self.reason == "allowed"


ALLOWED = Verdict("allowed")


class Policy:
    def __init__(self, settings: ThrottleSettings) -> None:
        self.settings = settings
        self.window = timedelta(hours=settings.failure_window_hours)
        self.lock_duration = timedelta(minutes=settings.lock_minutes)

    def current(self, series: FailureSeries, now: datetime) -> FailureSeries:
        """The series as it stands at ``now``: one older than the window is forgotten (a lock still holds)."""
        if series.first_failed_at is not None and series.first_failed_at + self.window <= now:
            return FailureSeries(locked_until=series.locked_until)
        return series

    def series_since(self, now: datetime) -> datetime:
        """A series that began at or before this instant is over: the next failure starts a new one."""
        return now - self.window

    def delay(self, failures: int) -> float:
        """Seconds to wait after the last failure of a series of ``failures``."""
        free = self.settings.account_free_attempts
        if failures < free:
            return 0.0
        exponent = min(failures - free, 32)  # 2**32 seconds is past any ceiling; keeps the number small
        return float(min(self.settings.delay_base_seconds * 2**exponent, self.settings.delay_max_seconds))

    def locks(self, failures: int) -> bool:
        return failures >= self.settings.account_lock_after

    def lock_until(self, now: datetime) -> datetime:
        return now + self.lock_duration

    def verdict(self, series: FailureSeries, now: datetime, *, in_flight: int = 1) -> Verdict:
        """May an attempt start now? ``in_flight`` counts the attempts of this login being checked, this one too."""
        series = self.current(series, now)
        if series.locked_until is not None and series.locked_until > now:
            return Verdict("locked", _seconds(series.locked_until - now))
        others = max(in_flight, 1) - 1
        if series.failures + others < self.settings.account_free_attempts:
            return ALLOWED
        if others:
            return Verdict("delayed", _seconds(timedelta(seconds=max(self.delay(series.failures + others), 1))))
        # The last failure's time may be missing for a moment while a concurrent failure is being written.
        last = series.last_failed_at or series.first_failed_at or now
        wait_until = last + timedelta(seconds=self.delay(series.failures))
        if wait_until > now:
            return Verdict("delayed", _seconds(wait_until - now))
        return ALLOWED


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def address_of(ip: str | None) -> str:
    """The unit an address is throttled by: an IPv4 address, or the /64 network of an IPv6 one (one host's)."""
    if not ip:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
