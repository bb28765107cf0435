"""The per-process client cache: fewer queries, and still a bounded delay before a change takes effect."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, select

from idp.db import Database
from idp.models import Client
from idp.protocol.client_cache import ClientCache
from idp.settings import Settings
from tests.support.factories import make_client


def _count_selects(db: Database):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]) if "FROM clients" in a[2] else None)
    return seen


def test_a_cached_client_is_read_once(db: Database, settings: Settings) -> None:
    make_client(db, settings)
    cache, seen = ClientCache(ttl=60), _count_selects(db)
    with db.session() as session:
        first = cache.get(session, "rp-test")
    with db.session() as session:
        second = cache.get(session, "rp-test")
    assert first is second and first is not None and first.redirect_uris  # detached, columns still readable
    assert len(seen) == 1


def test_unknown_clients_are_not_cached(db: Database, settings: Settings) -> None:
    cache = ClientCache(ttl=60)
    with db.session() as session:
        assert cache.get(session, "rp-test") is None
    make_client(db, settings)  # registered after a miss: usable at once
    with db.session() as session:
        assert cache.get(session, "rp-test") is not None


def test_a_disabled_client_is_seen_once_the_entry_expires(db: Database, settings: Settings) -> None:
    from idp.clock import utcnow

    make_client(db, settings)
    cache = ClientCache(ttl=0.2)
    with db.session() as session:
        assert cache.get(session, "rp-test").disabled_at is None  # type: ignore[union-attr]
        session.scalars(select(Client).where(Client.client_id == "rp-test")).one().disabled_at = utcnow()
    with db.session() as session:
        assert cache.get(session, "rp-test").disabled_at is None  # type: ignore[union-attr]  # still cached
    time.sleep(0.25)
    with db.session() as session:
        assert cache.get(session, "rp-test").disabled_at is not None  # type: ignore[union-attr]


@pytest.mark.parametrize("ttl", [0, 60])
def test_the_cache_holds_a_bounded_number_of_clients(db: Database, settings: Settings, ttl: float) -> None:
    for n in range(3):
        make_client(db, settings, client_id=f"rp-{n}")
    cache = ClientCache(ttl=ttl, max_entries=2)
    with db.session() as session:
        for n in range(3):
            assert cache.get(session, f"rp-{n}") is not None
    assert len(cache._entries) == (0 if ttl == 0 else 2)
