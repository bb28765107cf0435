"""Password hashing with Argon2id (SPEC §1.2, RFC 9106), parameters from ``settings.argon2``.

The encoded hash carries its own parameters and salt (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``), so raising
the cost later only needs ``needs_rehash`` after a successful login. ``verify`` never raises for a wrong password or
a malformed stored hash: both mean "no". ``verify_dummy`` spends the same time on a login that matches no account,
so that response time does not tell whether a username exists (CONVENTIONS §11).

What a good password is (the policy) is another object; this one only hashes.
"""

from __future__ import annotations

from functools import cached_property

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.settings import Argon2Settings, Settings


class PasswordHasher:
    def __init__(self, parameters: Argon2Settings) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        if not password_hash:
            self.verify_dummy(password)
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for a login that matched no account (or one without password)."""
        try:
            self._hasher.verify(self._dummy_hash, password)
        except VerificationError:
            pass

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("idp-dummy-password-never-matches-anything")


def build_password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(settings.argon2)
