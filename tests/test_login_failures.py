"""The failure counter on the account row (idp.storage.login_failures): one atomic statement per failure, so that
wrong passwords sent at the same moment from two processes count as two, and an old series starts again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from idp.db import Database
from idp.db.migrate import upgrade
from idp.models import Account
from idp.storage import login_failures
from tests.conftest import make_settings
from tests.support.factories import make_user

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=12)


def count_failure(database: Database, account_id, now: datetime = NOW) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        account = session.get(Account, account_id)
        return login_failures.add_failure(session, account, now=now, series_since=now - WINDOW)[0]


def test_a_failure_counts_and_an_old_series_starts_again(db: Database, database_url: str) -> None:
    user = make_user(db, make_settings(database_url))
    assert [count_failure(db, user.id, NOW + timedelta(minutes=i)) for i in range(3)] == [1, 2, 3]
    assert count_failure(db, user.id, NOW + WINDOW) == 1  # the series began 12 h before: a new one
    with db.session() as session:
        row = session.get(Account, user.id)
        assert (row.first_failed_login_at, row.last_failed_login_at) == (NOW + WINDOW, NOW + WINDOW)
        login_failures.clear(row)
    with db.session() as session:
        assert session.get(Account, user.id).failed_login_count == 0


@pytest.fixture
def two_processes(fresh_database_url: str) -> Iterator[tuple[Database, Database]]:
    upgrade(fresh_database_url)
    first, second = Database.from_url(fresh_database_url), Database.from_url(fresh_database_url)
    yield first, second
    first.dispose()
    second.dispose()


@pytest.mark.postgresql_only
def test_simultaneous_failures_both_count(two_processes: tuple[Database, Database], fresh_database_url: str) -> None:
    first, second = two_processes
    user = make_user(first, make_settings(fresh_database_url))
    seen: list[int] = []
    with first.session() as session:
        account = session.get(Account, user.id)
        assert login_failures.add_failure(session, account, now=NOW, series_since=NOW - WINDOW)[0] == 1
        other = threading.Thread(target=lambda: seen.append(count_failure(second, user.id)))
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waiting for the first transaction's row lock, not reading a stale count
    other.join(10)
    assert seen == [2]
