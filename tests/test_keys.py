"""Signing keys: creation, encryption at rest, rotation, the key ring, and ``idp keys``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.cli import CliContext, cli
from idp.clock import utcnow
from idp.crypto import DecryptionError, SecretBox
from idp.db import Database
from idp.db.migrate import upgrade
from idp.keys import material
from idp.keys.ring import KeyRing, KeysNotLoaded
from idp.keys.service import ensure_signing_keys, list_signing_keys, rotate_signing_keys
from idp.models import SigningKey
from idp.settings import Settings
from idp.storage import audit as audit_storage
from tests.conftest import TEST_SECRET_KEY, make_settings


def keys_by_state(db: Database, alg: str) -> dict[str, list[SigningKey]]:
    with db.session() as session:
        rows = list_signing_keys(session)
    found: dict[str, list[SigningKey]] = {"active": [], "next": [], "retired": []}
    for row in rows:
        if row.alg == alg:
            found[row.state].append(row)
    return found


def published_kids(ring: KeyRing) -> set[str]:
    return {key["kid"] for key in json.loads(ring.jwks_bytes())["keys"]}


def started_ring(settings: Settings, db: Database) -> KeyRing:
    ring = KeyRing(settings, db)
    ring.start()
    assert ring.is_loaded()
    return ring


# -- creation and encryption at rest ---------------------------------------------------------------------------


def test_ensure_creates_an_active_and_a_next_key_per_algorithm_once(settings: Settings, db: Database) -> None:
    with db.session() as session:
        created = ensure_signing_keys(session, settings)
    with db.session() as session:
        again = ensure_signing_keys(session, settings)
        events = audit_storage.events(session, event="keys.created")
    assert len(created) == 4 and again == []
    assert {e.details["kid"] for e in events} == set(created)
    for alg in material.ALGORITHMS:
        states = keys_by_state(db, alg)
        assert (len(states["active"]), len(states["next"]), len(states["retired"])) == (1, 1, 0)


def test_kid_is_the_rfc7638_thumbprint_of_the_published_key(settings: Settings, db: Database) -> None:
    with db.session() as session:
        ensure_signing_keys(session, settings)
        rows = list_signing_keys(session)
    for row in rows:
        assert KeySet.import_key_set({"keys": [row.public_jwk]}).keys[0].thumbprint() == row.kid


def test_private_keys_are_sealed_with_the_secret_key_and_their_kid(settings: Settings, db: Database) -> None:
    with db.session() as session:
        ensure_signing_keys(session, settings)
        rows = list_signing_keys(session)
    box, other_box = SecretBox(TEST_SECRET_KEY), SecretBox("another-secret-key-of-sufficient-length-000")
    first, second = rows[0], rows[1]
    for row in rows:
        assert b"BEGIN" not in row.private_key_encrypted and b"PRIVATE" not in row.private_key_encrypted
        assert material.unseal(box, row.kid, row.alg, row.private_key_encrypted).thumbprint() == row.kid
        with pytest.raises(DecryptionError):
            material.unseal(other_box, row.kid, row.alg, row.private_key_encrypted)
    with pytest.raises(DecryptionError):  # a ciphertext moved to another row does not open there
        material.unseal(box, second.kid, first.alg, first.private_key_encrypted)


def test_rsa_keys_have_the_configured_size(database_url: str, db: Database) -> None:
    settings = make_settings(database_url, keys={"rsa_key_size": 3072, "refresh_seconds": 0})
    ring = started_ring(settings, db)
    _, key = ring.signing_key("RS256")
    assert key.raw_value.key_size == 3072
    assert ring.signing_key("ES256")[1].as_dict()["crv"] == "P-256"


# -- rotation ----------------------------------------------------------------------------------------------------


def test_rotation_promotes_next_retires_active_and_prepublishes_a_new_next(settings: Settings, db: Database) -> None:
    ring = started_ring(settings, db)
    before = {alg: keys_by_state(db, alg) for alg in material.ALGORITHMS}
    now = utcnow()
    with db.session() as session:
        report = rotate_signing_keys(session, settings, now=now)
    ring.refresh_if_stale()
    tokens = settings.tokens
    lifetime = timedelta(
        seconds=max(tokens.access_token_ttl_seconds, tokens.id_token_ttl_seconds)
        + settings.keys.retired_key_grace_seconds
        + settings.keys.refresh_seconds  # 0 here; see retired_key_lifetime
    )
    for alg in material.ALGORITHMS:
        after, rotation = keys_by_state(db, alg), report.for_alg(alg)
        assert [k.kid for k in after["active"]] == [before[alg]["next"][0].kid] == [rotation.activated_kid]
        assert [k.kid for k in after["retired"]] == [before[alg]["active"][0].kid] == [rotation.retired_kid]
        assert [k.kid for k in after["next"]] == [rotation.next_kid]
        assert after["retired"][0].retired_at == now and after["retired"][0].expires_at == now + lifetime
        assert ring.signing_key(alg)[0] == rotation.activated_kid
    assert published_kids(ring) == {
        k for r in report.rotations for k in (r.activated_kid, r.retired_kid, r.next_kid)
    }
    with db.session() as session:
        events = audit_storage.events(session, event="keys.rotated")
    assert {e.details["alg"]: e.details["activated_kid"] for e in events} == {
        r.alg: r.activated_kid for r in report.rotations
    }


def test_first_rotation_on_an_empty_table_creates_what_it_promotes(settings: Settings, db: Database) -> None:
    with db.session() as session:
        report = rotate_signing_keys(session, settings)
    for alg in material.ALGORITHMS:
        rotation, states = report.for_alg(alg), keys_by_state(db, alg)
        assert rotation.retired_kid is None
        assert [k.kid for k in states["active"]] == [rotation.activated_kid]
        assert [k.kid for k in states["next"]] == [rotation.next_kid]


def test_a_retired_key_leaves_the_jwks_once_expired(settings: Settings, db: Database) -> None:
    ring = started_ring(settings, db)
    old_kids = {ring.signing_key(alg)[0] for alg in material.ALGORITHMS}
    long_ago = utcnow() - timedelta(days=3)  # retired so long ago that expires_at has passed
    with db.session() as session:
        rotate_signing_keys(session, settings, now=long_ago)
    ring.refresh_if_stale()
    assert old_kids.isdisjoint(published_kids(ring))
    assert len(published_kids(ring)) == 4


def test_tokens_of_the_new_and_the_retired_key_verify_against_the_jwks(settings: Settings, db: Database) -> None:
    ring = started_ring(settings, db)
    before = {alg: ring.signing_key(alg) for alg in material.ALGORITHMS}
    with db.session() as session:
        rotate_signing_keys(session, settings)
    ring.refresh_if_stale()
    published = KeySet.import_key_set(json.loads(ring.jwks_bytes()))
    for alg in material.ALGORITHMS:
        for kid, key in (before[alg], ring.signing_key(alg)):
            token = jwt.encode({"alg": alg, "kid": kid}, {"sub": "x"}, key)
            assert jwt.decode(token, published, algorithms=[alg]).claims == {"sub": "x"}


# -- the key ring --------------------------------------------------------------------------------------------------


def test_the_newest_active_key_signs_when_two_instances_raced(settings: Settings, db: Database) -> None:
    ring = started_ring(settings, db)
    with db.session() as session:  # what a second instance racing through first start would have left
        for row in list_signing_keys(session):
            if row.state == "next":
                row.state, row.activated_at = "active", utcnow() + timedelta(seconds=1)
    ring.refresh_if_stale()
    for alg in material.ALGORITHMS:
        newest = max(keys_by_state(db, alg)["active"], key=lambda row: row.activated_at)
        assert ring.signing_key(alg)[0] == newest.kid


def test_instances_starting_together_create_one_active_and_one_next_key(fresh_database_url: str) -> None:
    upgrade(fresh_database_url)
    settings = make_settings(fresh_database_url)
    databases = [Database.from_url(fresh_database_url) for _ in range(3)]
    barrier = threading.Barrier(len(databases))
    rings = [KeyRing(settings, database) for database in databases]

    def start(ring: KeyRing) -> None:
        barrier.wait()
        ring.start()

    try:
        threads = [threading.Thread(target=start, args=(ring,)) for ring in rings]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(ring.is_loaded() for ring in rings)  # the others waited for the first, none failed
        for alg in material.ALGORITHMS:
            states = keys_by_state(databases[0], alg)
            assert (len(states["active"]), len(states["next"])) == (1, 1)
    finally:
        for database in databases:
            database.dispose()


def test_keys_are_parsed_once_and_refresh_waits_for_refresh_seconds(database_url: str, db: Database) -> None:
    ring = started_ring(make_settings(database_url, keys={"refresh_seconds": 3600}), db)
    kid, key = ring.signing_key("RS256")
    assert ring.signing_key("RS256")[1] is key
    with db.session() as session:
        rotate_signing_keys(session, ring.settings)
    assert not ring.is_stale()
    ring.refresh_if_stale()
    assert ring.signing_key("RS256") == (kid, key)  # not re-read before refresh_seconds


def test_a_wrong_secret_key_leaves_the_ring_unloaded_with_a_clear_error(
    database_url: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    started_ring(make_settings(database_url), db)
    ring = KeyRing(make_settings(database_url, secret_key="a-different-secret-key-0123456789abcdef"), db)
    ring.start()
    assert not ring.is_loaded()
    assert any("IDP_SECRET_KEY" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    with pytest.raises(KeysNotLoaded):
        ring.signing_key("RS256")


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-dir/idp.sqlite3", "postgresql://postgres@127.0.0.1:1/idp"])
def test_a_database_that_does_not_answer_leaves_the_ring_unloaded(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database.from_url(url)
    try:
        ring = KeyRing(make_settings(url), database)
        ring.start()  # does not raise: the process must still answer /health/live
        assert not ring.is_loaded()
        ring.refresh_if_stale()
        assert not ring.is_loaded()
    finally:
        database.dispose()
    assert any("database does not answer" in r.getMessage() for r in caplog.records)


def test_an_unknown_algorithm_is_refused(settings: Settings, db: Database) -> None:
    with pytest.raises(ValueError):
        started_ring(settings, db).signing_key("HS256")


# -- idp keys ------------------------------------------------------------------------------------------------------


def test_cli_rotate_and_list(settings: Settings, db: Database) -> None:
    runner = CliRunner()
    ring = started_ring(settings, db)
    next_kids = {alg: keys_by_state(db, alg)["next"][0].kid for alg in material.ALGORITHMS}
    result = runner.invoke(cli, ["keys", "rotate"], obj=CliContext(settings, db))
    assert result.exit_code == 0, result.output
    for alg, kid in next_kids.items():
        assert f"{alg}: activated {kid}" in result.output
    listing = runner.invoke(cli, ["keys", "list"], obj=CliContext(settings, db))
    assert listing.exit_code == 0, listing.output
    states = sorted(line.split()[2] for line in listing.output.splitlines()[1:])
    assert states == ["active", "active", "next", "next", "retired", "retired"]
    assert "BEGIN" not in listing.output
    rows = json.loads(runner.invoke(cli, ["keys", "list", "--json"], obj=CliContext(settings, db)).output)
    assert {row["state"] for row in rows} == {"active", "next", "retired"}
    columns = {"kid", "alg", "state", "created_at", "activated_at", "retired_at", "expires_at"}
    assert all(set(row) == columns for row in rows)
    ring.refresh_if_stale()
    assert {alg: ring.signing_key(alg)[0] for alg in material.ALGORITHMS} == next_kids


@pytest.mark.slow
def test_idp_keys_rotate_in_another_process_reaches_a_running_ring(fresh_database_url: str) -> None:
    upgrade(fresh_database_url)
    settings = make_settings(fresh_database_url)
    database = Database.from_url(fresh_database_url)
    try:
        ring = started_ring(settings, database)
        next_kids = {alg: keys_by_state(database, alg)["next"][0].kid for alg in material.ALGORITHMS}
        env = {
            **os.environ,
            "IDP_DATABASE_URL": fresh_database_url,
            "IDP_SECRET_KEY": TEST_SECRET_KEY,
            "IDP_ENVIRONMENT": "test",
        }
        idp = Path(sys.executable).with_name("idp")
        done = subprocess.run([str(idp), "keys", "rotate"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        ring.refresh_if_stale()
        assert {alg: ring.signing_key(alg)[0] for alg in material.ALGORITHMS} == next_kids
    finally:
        database.dispose()
