"""Registered clients, kept in memory for a few seconds.

Every token, introspection and revocation request authenticates a client; the rows change rarely (an operator
registers or disables a client), so each process keeps what it read for ``ttl`` seconds. A client disabled or
changed is seen by every process within that time (``IDP_CLIENT_CACHE_SECONDS``; 0 turns the cache off). Unknown
client_ids are never cached, so a newly registered client works at once and a flood of made-up ids cannot fill
memory; the cache holds at most ``max_entries`` clients.

Cached rows are detached from the session that read them (all columns loaded) and only ever read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from idp.db import Session
from idp.models import Client
from idp.storage import clients as client_storage


class ClientCache:
    def __init__(self, ttl: float, max_entries: int = 1024) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, Client]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, client_id: str) -> Client | None:
        if not client_id:
            return None
        if self._ttl <= 0:
            return client_storage.get_by_client_id(session, client_id)
        now = time.monotonic()
        hit = self._entries.get(client_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = client_storage.get_by_client_id(session, client_id)
        if row is None:
            return None
        client_storage.detach(session, row)
        with self._lock:
            self._entries[client_id] = (now + self._ttl, row)
            self._entries.move_to_end(client_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return row


#: For code that builds a context without an application (the CLI, tests): always read the table.
NO_CACHE = ClientCache(ttl=0)
