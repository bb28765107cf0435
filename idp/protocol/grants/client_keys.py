"""The public keys a ``private_key_jwt`` client signs its assertions with (RFC 7523 §2.2; RFC 7591 §2).

- ``jwks`` registered inline: parsed once per distinct document (a small LRU keyed by its canonical JSON).
- ``jwks_uri``: fetched over https with a 5 s timeout, without following redirects, at most 64 KiB, and kept for
  five minutes. An assertion whose ``kid`` is not in the cached set triggers one early re-fetch (a client rotating
  its keys publishes the new one first), at most every 30 seconds per URI so that a stream of bogus ``kid`` values
  cannot turn the OP into a request amplifier.

``RemoteKeySets`` is the outbound edge; ``httpx.Client`` is built on first use, never at import time.
"""

from __future__ import annotations

import json
import threading
import time
from functools import lru_cache
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.models import Client

MAX_DOCUMENT_BYTES = 64 * 1024


class KeysUnavailable(Exception):
    """The client's keys could not be read (none registered, jwks_uri unreachable or not a JWK Set)."""


@lru_cache(maxsize=512)
def _parse(document: str) -> KeySet:
    try:
        return KeySet.import_key_set(json.loads(document))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise KeysUnavailable(f"not a JWK Set: {exc}") from exc


def inline_key_set(jwks: dict[str, Any]) -> KeySet:
    return _parse(json.dumps(jwks, sort_keys=True, separators=(",", ":")))


class RemoteKeySets:
    def __init__(
        self, *, ttl_seconds: float = 300.0, refetch_seconds: float = 30.0, timeout_seconds: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._ttl, self._refetch, self._timeout = ttl_seconds, refetch_seconds, timeout_seconds
        self._transport = transport
        self._client: httpx.Client | None = None
        self._cache: dict[str, tuple[float, KeySet]] = {}  # uri -> (monotonic time fetched, keys)
        self._lock = threading.Lock()

    def get(self, uri: str, kid: str | None = None) -> KeySet:
        cached = self._cache.get(uri)
        now = time.monotonic()
        if cached is not None:
            fetched_at, keys = cached
            fresh = now - fetched_at < self._ttl
            knows_kid = kid is None or any(key.kid == kid for key in keys.keys)
            if fresh and (knows_kid or now - fetched_at < self._refetch):
                return keys
        keys = self._fetch(uri)
        self._cache[uri] = (time.monotonic(), keys)
        return keys

    def _fetch(self, uri: str) -> KeySet:
        try:
            with self._http().stream("GET", uri, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise KeysUnavailable(f"jwks_uri answered {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise KeysUnavailable("jwks_uri document is too large")
        except httpx.HTTPError as exc:
            raise KeysUnavailable(f"jwks_uri unreachable: {type(exc).__name__}") from exc
        return _parse(body.decode("utf-8", errors="replace"))

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self._timeout, follow_redirects=False, transport=self._transport
                )
            return self._client


#: The process-wide cache of remote key sets (tests may replace it).
REMOTE_KEY_SETS = RemoteKeySets()


def client_key_set(client: Client, kid: str | None = None) -> KeySet:
    if client.jwks:
        return inline_key_set(client.jwks)
    if client.jwks_uri:
        return REMOTE_KEY_SETS.get(client.jwks_uri, kid)
    raise KeysUnavailable("the client registered neither jwks nor jwks_uri")
