"""Logs: one JSON object per line, the request id on every line of a request, no query strings, no secrets."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from idp.db import Database
from idp.main import create_app
from idp.observability.context import bound_request_id
from idp.observability.logging import REDACTED, configure_logging
from idp.settings import Settings
from tests.conftest import TEST_ISSUER, make_settings


def json_lines(err: str) -> list[dict[str, Any]]:
    """Every line the handler wrote, each of which must be a JSON object."""
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def access_line(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    [line] = [line for line in lines if line["logger"] == "idp.access" and line["request_id"] == request_id]
    return line


def test_access_line_carries_the_request_id_and_not_the_query(
    client: TestClient, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    response = client.get("/health/live?code=the-secret-code&state=xyz")

    err = capfd.readouterr().err
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    line = access_line(json_lines(err), request_id)
    assert line["level"] == "INFO"
    assert line["timestamp"]
    assert line["method"] == "GET"
    assert line["route"] == "/health/live"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert "the-secret-code" not in err and "state=" not in err


def test_paths_are_logged_as_route_templates(client: TestClient, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    response = client.get("/invite/a-token-in-a-path")

    err = capfd.readouterr().err
    assert access_line(json_lines(err), response.headers["x-request-id"])["route"] == "<unmatched>"
    assert "a-token-in-a-path" not in err


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("nginx-4f2a.01_x", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("id with spaces", False),
        ('forged", "level": "ERROR', False),
        ("", False),
    ],
)
def test_incoming_request_id_is_reused_only_when_sane(client: TestClient, sent: str, kept: bool) -> None:
    returned = client.get("/health/live", headers={"X-Request-ID": sent}).headers["x-request-id"]

    if kept:
        assert returned == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_lines_written_inside_a_route_share_its_request_id(
    settings: Settings, db: Database, capfd: pytest.CaptureFixture[str]
) -> None:
    app: FastAPI = create_app(settings, database=db)

    def in_thread_pool() -> dict[str, str]:  # a plain def route: runs in a worker thread
        logging.getLogger("idp.test").info("inside the route", extra={"password": "hunter2", "client_id": "rp-1"})
        return {}

    app.add_api_route("/test-log", in_thread_pool)
    with TestClient(app, base_url=TEST_ISSUER) as client:
        capfd.readouterr()
        response = client.get("/test-log")

    lines = json_lines(capfd.readouterr().err)
    [inside] = [line for line in lines if line["logger"] == "idp.test"]
    assert inside["request_id"] == response.headers["x-request-id"]
    assert inside["message"] == "inside the route"
    assert inside["password"] == REDACTED
    assert inside["client_id"] == "rp-1"
    assert "hunter2" not in json.dumps(lines)


def test_secret_looking_extras_are_redacted(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    capfd.readouterr()

    details = {"token": "t0k", "kind": "activation", "nested": {"client_secret": "s3", "token_id": "tid"}}
    logging.getLogger("idp.test").warning(
        "calling the gateway",
        extra={
            "headers": {"Authorization": "Bearer abc.def", "Accept": "application/json"},
            "authorization_code": "c0de",
            "status_code": 502,
            "credential_generated": True,
            "upstream": "Basic dXNlcjpwYXNz",
            "details": details,
        },
    )

    [line] = json_lines(capfd.readouterr().err)
    assert line["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}
    assert line["authorization_code"] == REDACTED
    assert line["status_code"] == 502
    assert line["credential_generated"] is True  # a flag is not a secret
    assert line["upstream"] == REDACTED
    nested = {"client_secret": REDACTED, "token_id": "tid"}
    assert line["details"] == {"token": REDACTED, "kind": "activation", "nested": nested}
    assert details["token"] == "t0k"  # the caller's dict is left alone


def test_configuring_twice_installs_one_handler(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    configure_logging(settings)
    configure_logging(settings)
    capfd.readouterr()

    logging.getLogger("idp.test").info("once")

    assert len([h for h in logging.getLogger().handlers if h.get_name() == "idp"]) == 1
    assert len(capfd.readouterr().err.splitlines()) == 1
    assert logging.getLogger("uvicorn.access").disabled


def test_plain_text_when_json_is_off(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}", log_json=False))
    capfd.readouterr()

    with bound_request_id("req-42"):
        logging.getLogger("idp.test").info("hello")

    err = capfd.readouterr().err
    assert "INFO" in err and "idp.test" in err and "[req-42]" in err and "hello" in err
    assert not err.startswith("{")


def test_a_json_line_has_fixed_keys_first_extras_in_order_and_the_timestamp_last(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    capfd.readouterr()

    with bound_request_id("req-7"):
        logging.getLogger("idp.test").info("%s answered", "the gateway", extra={"zeta": 1, "alpha": [1, 2.5, None]})

    [line] = json_lines(capfd.readouterr().err)
    assert list(line) == ["level", "logger", "message", "request_id", "zeta", "alpha", "timestamp"]
    assert line["message"] == "the gateway answered" and line["request_id"] == "req-7"
    stamp = datetime.fromisoformat(line["timestamp"])  # ISO 8601 in UTC, as datetime.isoformat() writes it
    assert stamp.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


def test_exceptions_and_stacks_are_rendered_before_the_extras(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    capfd.readouterr()

    try:
        raise RuntimeError("the database went away")
    except RuntimeError:
        logging.getLogger("idp.test").exception("request failed", stack_info=True, extra={"route": "/token"})

    [line] = json_lines(capfd.readouterr().err)
    assert list(line) == ["level", "logger", "message", "request_id", "exc_info", "stack_info", "route", "timestamp"]
    assert line["level"] == "ERROR"
    assert line["exc_info"].startswith("Traceback (most recent call last):")
    assert line["exc_info"].endswith("RuntimeError: the database went away")
    assert line["stack_info"].startswith("Stack (most recent call last):")
