"""The audit writer: a row in the caller's transaction, an ``idp.audit`` JSON line, a count, and never a secret."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from idp.audit import AuditContext, record
from idp.db import Database
from idp.db.migrate import upgrade
from idp.observability.context import bound_request_id
from idp.observability.logging import configure_logging
from idp.storage.audit import events
from tests.conftest import make_settings

CONTEXT = AuditContext(ip_address="203.0.113.7", client_id="rp-portal")


@pytest.fixture
def committed(fresh_database_url: str) -> Iterator[tuple[Database, Database]]:
    """Two handles on one migrated database: the writer's side and an onlooker on another connection."""
    upgrade(fresh_database_url)
    writer, onlooker = Database.from_url(fresh_database_url), Database.from_url(fresh_database_url)
    yield writer, onlooker
    writer.dispose()
    onlooker.dispose()


def seen(database: Database, event: str) -> int:
    with database.session() as session:
        return len(events(session, event=event))


def test_the_row_lives_and_dies_with_the_callers_transaction(committed: tuple[Database, Database]) -> None:
    writer, onlooker = committed

    with pytest.raises(RuntimeError):
        with writer.session() as session:
            record(session, "password.changed", context=CONTEXT)
            session.flush()
            assert seen(onlooker, "password.changed") == 0  # not committed by the writer behind the caller's back
            raise RuntimeError("the action failed after the event was recorded")
    assert seen(onlooker, "password.changed") == 0  # rolled back with the action

    with writer.session() as session:
        record(session, "password.changed", context=CONTEXT)
    assert seen(onlooker, "password.changed") == 1


def test_the_row_names_time_account_client_address_and_request(db: Database) -> None:
    account = uuid.uuid4()

    with db.session() as session, bound_request_id("req-row"):
        row = record(session, "login.password.failed", context=CONTEXT, outcome="failure", account_id=account)

    with db.session() as session:
        [stored] = events(session, event="login.password.failed")
    assert stored.id == row.id
    assert stored.occurred_at is not None
    assert (stored.account_id, stored.client_id, stored.ip_address) == (account, "rp-portal", "203.0.113.7")
    assert stored.request_id == "req-row"  # taken from the request being served when the context has none
    assert stored.outcome == "failure"


def test_the_log_line_carries_the_event_as_json_fields(
    db: Database, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    account = uuid.uuid4()
    capfd.readouterr()

    with db.session() as session, bound_request_id("req-7"):
        record(session, "otp.sent", context=CONTEXT, account_id=account, details={"channel": "sms"})

    [line] = [json.loads(text) for text in capfd.readouterr().err.splitlines()]
    assert line["logger"] == "idp.audit"
    assert line["message"] == line["audit_event"] == "otp.sent"
    assert line["outcome"] == "success"
    assert line["account_id"] == str(account)
    assert line["client_id"] == "rp-portal"
    assert line["ip_address"] == "203.0.113.7"
    assert line["request_id"] == "req-7"
    assert line["details"] == {"channel": "sms"}


def test_the_cli_context_names_itself(db: Database, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    capfd.readouterr()

    with db.session() as session:
        row = record(session, "user.created")

    assert row.request_id == "cli"
    assert json.loads(capfd.readouterr().err)["request_id"] == "cli"


def test_events_are_counted(db: Database) -> None:
    labels = {"event": "keys.rotated", "outcome": "success"}
    before = REGISTRY.get_sample_value("idp_audit_events_total", labels) or 0.0

    with db.session() as session:
        record(session, "keys.rotated")

    assert REGISTRY.get_sample_value("idp_audit_events_total", labels) == before + 1


@pytest.mark.parametrize("key", ["password", "new_password", "otp", "code", "client_secret", "access_token", "pin"])
def test_details_that_look_secret_are_refused(db: Database, key: str, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    with db.session() as session:
        with pytest.raises(ValueError, match=key):
            record(session, "password.changed", details={key: "value"})
        assert events(session, event="password.changed") == []
    assert "password.changed" not in capfd.readouterr().err


@pytest.mark.parametrize("key", ["token_id", "token_kind", "grant_type", "channel", "method"])
def test_names_of_secrets_are_not_secrets(db: Database, key: str) -> None:
    with db.session() as session:
        record(session, "token.revoked", details={key: "value"})
