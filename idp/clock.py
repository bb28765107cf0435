"""Time, in one place, so that tests can move it.

Every timestamp idp stores or compares is an aware UTC ``datetime``. Services take a ``Clock``; the default is the
system clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
