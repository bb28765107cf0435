"""Argon2id password hashing with the parameters of the settings."""

from __future__ import annotations

from idp.authn.passwords import PasswordHasher, build_password_hasher
from idp.settings import Argon2Settings, Settings


def test_hash_is_argon2id_with_the_configured_parameters(settings: Settings) -> None:
    hasher = build_password_hasher(settings)
    encoded = hasher.hash("Correct-Horse-9-battery")
    assert encoded.startswith("$argon2id$v=19$m=8192,t=1,p=1$")  # the test settings' cheap parameters
    assert hasher.verify(encoded, "Correct-Horse-9-battery")
    assert not hasher.verify(encoded, "correct-horse-9-battery")
    assert hasher.hash("Correct-Horse-9-battery") != encoded  # salted


def test_missing_or_malformed_hashes_verify_false(settings: Settings) -> None:
    hasher = build_password_hasher(settings)
    assert not hasher.verify(None, "anything")
    assert not hasher.verify("", "anything")
    assert not hasher.verify("$argon2id$garbage", "anything")
    hasher.verify_dummy("anything")  # spends the time, says nothing


def test_needs_rehash_when_the_parameters_change(settings: Settings) -> None:
    old = build_password_hasher(settings).hash("Correct-Horse-9-battery")
    stronger = PasswordHasher(Argon2Settings(time_cost=2, memory_cost_kib=8192, parallelism=1))
    assert not build_password_hasher(settings).needs_rehash(old)
    assert stronger.needs_rehash(old) and stronger.verify(old, "Correct-Horse-9-battery")
    assert stronger.needs_rehash("not a hash")
