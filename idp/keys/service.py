"""Create and rotate signing keys.

Every algorithm has one ``active`` key (it signs) and one ``next`` key (published, not yet signing). Rotation
promotes the next key: relying parties that cache the JWKS already hold it, so tokens signed right after a rotation
verify everywhere (OIDC Core §10.1.1: "the RP [...] re-retrieve the keys", which it only does on an unknown kid).
The old active key is retired and stays published until every token it may have signed has expired.

Functions here ``add``/``flush`` through ``idp.storage.keys``; the caller's transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from idp import audit
from idp.clock import utcnow
from idp.crypto import SecretBox
from idp.db import Session
from idp.keys import material
from idp.models import SigningKey
from idp.settings import Settings
from idp.storage import keys as key_storage


@dataclass(frozen=True)
class AlgRotation:
    alg: str
    activated_kid: str
    retired_kids: tuple[str, ...]  # usually one; none on a first rotation, several after a start-up race
    next_kid: str

    @property
    def retired_kid(self) -> str | None:
        return self.retired_kids[-1] if self.retired_kids else None


@dataclass(frozen=True)
class RotationReport:
    rotations: tuple[AlgRotation, ...]

    def for_alg(self, alg: str) -> AlgRotation:
        return next(r for r in self.rotations if r.alg == alg)


def retired_key_lifetime(settings: Settings) -> timedelta:
    """How long a retired key stays published.

    The longest-lived token it signed, plus the grace, plus ``refresh_seconds``: a server that has not re-read the
    table yet keeps signing with the old key for up to that long after the rotation.
    """
    tokens = settings.tokens
    seconds = max(tokens.access_token_ttl_seconds, tokens.id_token_ttl_seconds)
    return timedelta(seconds=seconds + settings.keys.retired_key_grace_seconds + settings.keys.refresh_seconds)


def ensure_signing_keys(session: Session, settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Give every algorithm an active and a next key when it lacks one; return the kids created.

    Idempotent, and safe when several instances start together (the key table is locked first).
    """
    now = now or utcnow()
    key_storage.lock_signing_keys(session)
    created = []
    for alg in material.ALGORITHMS:
        for state in ("active", "next"):
            if not key_storage.keys_in_state(session, alg, state):
                created.append(_create_key(session, settings, alg, state, now).kid)
    return created


def rotate_signing_keys(session: Session, settings: Settings, *, now: datetime | None = None) -> RotationReport:
    """Per algorithm: next -> active, active -> retired, and a fresh next key so the following rotation is
    pre-published too."""
    now = now or utcnow()
    key_storage.lock_signing_keys(session)
    return RotationReport(tuple(_rotate_alg(session, settings, alg, now) for alg in material.ALGORITHMS))


def list_signing_keys(session: Session) -> list[SigningKey]:
    """Every key, by algorithm then age (``idp keys list``)."""
    return key_storage.all_keys(session)


def _rotate_alg(session: Session, settings: Settings, alg: str, now: datetime) -> AlgRotation:
    waiting = key_storage.keys_in_state(session, alg, "next")
    # The oldest next key has been published the longest, so it is the likeliest to sit in every RP's cache.
    promoted = waiting[0] if waiting else _create_key(session, settings, alg, "next", now)
    retired = key_storage.keys_in_state(session, alg, "active")
    for old in retired:
        old.state, old.retired_at, old.expires_at = "retired", now, now + retired_key_lifetime(settings)
    promoted.state, promoted.activated_at = "active", now
    fresh = _create_key(session, settings, alg, "next", now)
    rotation = AlgRotation(alg, promoted.kid, tuple(k.kid for k in retired), fresh.kid)
    audit.record(
        session,
        "keys.rotated",
        details={
            "alg": alg,
            "activated_kid": rotation.activated_kid,
            "retired_kid": rotation.retired_kid,
            "next_kid": rotation.next_kid,
        },
    )
    return rotation


def _create_key(session: Session, settings: Settings, alg: str, state: str, now: datetime) -> SigningKey:
    key = material.generate(alg, rsa_key_size=settings.keys.rsa_key_size)
    kid = material.kid_of(key)
    box = SecretBox(settings.secret_key.get_secret_value())
    row = SigningKey(
        kid=kid,
        alg=alg,
        state=state,
        private_key_encrypted=material.seal(box, kid, key),
        public_jwk=material.public_jwk(key, kid, alg),
        activated_at=now if state == "active" else None,
        created_at=now,
    )
    key_storage.add_key(session, row)
    audit.record(session, "keys.created", details={"alg": alg, "kid": kid, "state": state})
    return row
