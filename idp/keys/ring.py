"""The in-process key ring: the signing keys and the JWKS document, read from the database and kept in memory.

The token endpoint asks for a signing key on every request and the JWKS is the busiest public URL, so both are
precomputed into an immutable ``_Snapshot`` that a reload replaces in one assignment: readers never lock and never
see half a reload. A reload happens at most every ``settings.keys.refresh_seconds`` (a monotonic-clock comparison on
the hot path), which is how a rotation made by ``idp keys rotate`` in another process reaches running servers.

A ring that cannot load (database down, schema missing, wrong ``IDP_SECRET_KEY``) logs why and stays unloaded
rather than raising: the process keeps serving ``/health/live``, ``/health/ready`` says the keys are missing, and the
next refresh tries again. Once loaded, a failed reload keeps the keys it has.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

from idp.clock import Clock, SystemClock
from idp.crypto import DecryptionError, SecretBox
from idp.db import Database, Session
from idp.errors import Unavailable
from idp.keys import material
from idp.keys.material import SigningJwk
from idp.keys.service import ensure_signing_keys
from idp.models import SigningKey
from idp.settings import Settings
from idp.storage import keys as key_storage

log = logging.getLogger("idp.keys")


class KeysNotLoaded(Unavailable):
    """No signing key is in memory yet (see the log for why)."""


@dataclass(frozen=True)
class _Snapshot:
    signers: dict[str, tuple[str, SigningJwk]]
    jwks: bytes
    etag: str
    verifiers: KeySet


class KeyRing:
    def __init__(self, settings: Settings, database: Database, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.database = database
        self._clock = clock or SystemClock()
        self._box = SecretBox(settings.secret_key.get_secret_value())
        self._snapshot: _Snapshot | None = None
        self._next_check = 0.0
        self._reloading = threading.Lock()

    def start(self) -> None:
        """Create the missing keys and load them. Never raises: a failure is logged and the ring stays unloaded."""
        with self._reloading:
            self._reload()

    def is_loaded(self) -> bool:
        return self._snapshot is not None

    def signing_key(self, alg: str) -> tuple[str, SigningJwk]:
        """``(kid, private key)`` of the active key for ``alg``: a dict lookup, the key was parsed at load time."""
        snapshot = self._snapshot
        if snapshot is None:
            raise KeysNotLoaded("no signing key is loaded")
        try:
            return snapshot.signers[alg]
        except KeyError:
            raise ValueError(f"unsupported signing algorithm: {alg}") from None

    def jwks_bytes(self) -> bytes:
        """The JWKS document (RFC 7517 §5) as JSON bytes, built once per load."""
        return self._loaded().jwks

    def jwks_with_etag(self) -> tuple[bytes, str]:
        """The JWKS bytes and their strong ETag (RFC 9110 §8.8.3), from one snapshot so that they always agree."""
        snapshot = self._loaded()
        return snapshot.jwks, snapshot.etag

    def verification_keys(self) -> KeySet:
        """The published public keys (active, next, retired) as a joserfc ``KeySet``, parsed once per load.

        What verifies the OP's own JWTs (access tokens at userinfo and introspection, ``id_token_hint``): a token
        signed by a key the JWKS no longer lists no longer verifies, exactly as for a relying party.
        """
        return self._loaded().verifiers

    def is_stale(self) -> bool:
        """Whether ``refresh_if_stale`` would read the database; lets async callers move that work to a thread."""
        return time.monotonic() >= self._next_check

    def refresh_if_stale(self) -> None:
        """Re-read the key table when the last read is older than ``refresh_seconds``.

        One thread reloads; the others keep using the current snapshot rather than queue behind it.
        """
        if not self.is_stale() or not self._reloading.acquire(blocking=False):
            return
        try:
            if self.is_stale():
                self._reload()
        finally:
            self._reloading.release()

    def _loaded(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise KeysNotLoaded("no signing key is loaded")
        return snapshot

    def _reload(self) -> None:
        # Set first: a failing database is retried every refresh_seconds, not on every request.
        self._next_check = time.monotonic() + self.settings.keys.refresh_seconds
        try:
            with self.database.session() as session:
                if self._snapshot is None:  # first load: the keys may not exist yet
                    ensure_signing_keys(session, self.settings)
                snapshot = self._read(session)
            self._snapshot = snapshot  # only once committed: never sign with a key that a rollback undid
        except Unavailable as exc:
            self._failed(logging.WARNING, "the database does not answer", detail=exc.detail)
        except DecryptionError:
            self._failed(
                logging.ERROR,
                "they do not decrypt with IDP_SECRET_KEY (restore the secret they were sealed with; "
                "if it is lost, `idp keys rotate` twice replaces the active and next keys)",
            )
        except Exception as exc:  # schema missing, a key row edited by hand...: say so, keep serving what we have
            self._failed(logging.ERROR, f"{type(exc).__name__}: {exc}", exc_info=True)

    def _failed(self, level: int, reason: str, *, detail: str | None = None, exc_info: bool = False) -> None:
        keeping = "; keeping the keys already loaded" if self._snapshot else ""
        log.log(level, "signing keys not loaded: %s%s", reason, keeping, extra={"detail": detail}, exc_info=exc_info)

    def _read(self, session: Session) -> _Snapshot:
        rows = key_storage.published_keys(session, self._clock.now())
        # Keys already decrypted stay as they are: a reload that changes nothing parses nothing.
        previous = dict(self._snapshot.signers.values()) if self._snapshot else {}
        signers: dict[str, tuple[str, SigningJwk]] = {}
        for alg in material.ALGORITHMS:
            active = [row for row in rows if row.alg == alg and row.state == "active"]
            if not active:
                raise LookupError(f"no active {alg} signing key; run `idp keys rotate`")
            # Two instances racing at first start may leave two active keys: the newest signs.
            newest = max(active, key=lambda row: (row.activated_at or row.created_at, row.kid))
            key = previous.get(newest.kid) or material.unseal(self._box, newest.kid, alg, newest.private_key_encrypted)
            signers[alg] = (newest.kid, key)
        jwks = _jwks_document(rows)
        etag = '"' + hashlib.sha256(jwks).hexdigest()[:32] + '"'
        unchanged = self._snapshot is not None and self._snapshot.etag == etag
        return _Snapshot(
            signers=signers,
            jwks=jwks,
            etag=etag,
            # parsed once per change of the published set, like the private keys above
            verifiers=self._snapshot.verifiers if unchanged else KeySet.import_key_set(json.loads(jwks)),
        )


_STATE_ORDER = {"active": 0, "next": 1, "retired": 2}


def _jwks_document(rows: list[SigningKey]) -> bytes:
    """Active keys first: a relying party that ignores ``kid`` tends to take the first key of the right type."""
    ordered = sorted(rows, key=lambda row: _STATE_ORDER[row.state])
    keys: list[dict[str, Any]] = [_published(row) for row in ordered]
    return json.dumps({"keys": keys}, separators=(",", ":")).encode()


def _published(row: SigningKey) -> dict[str, Any]:
    # Rebuilt from the public members only: whatever else the column holds is never served.
    jwk = {name: row.public_jwk[name] for name in _PUBLIC_MEMBERS[row.public_jwk["kty"]]}
    return {**jwk, "kid": row.kid, "alg": row.alg, "use": "sig"}


# RFC 7518 §6.2.1 (EC) and §6.3.1 (RSA): the public parameters.
_PUBLIC_MEMBERS = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y")}
