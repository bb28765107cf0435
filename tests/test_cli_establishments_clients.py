"""``idp establishments`` and ``idp clients``: JSON out on success; on bad input one line on stderr and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from idp.cli import CliContext, cli
from idp.db import Database
from idp.db.migrate import upgrade
from idp.settings import Settings
from tests.conftest import TEST_SECRET_KEY

RP = "https://portail.example/cb"
IDP = Path(sys.executable).parent / "idp"


def run(settings: Settings, db: Database, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj=CliContext(settings, db), input=input)


def assert_bad_input(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("idp: error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def add_client(settings: Settings, db: Database, document: Any) -> Result:
    return run(settings, db, "clients", "add", "-", input=json.dumps(document))


@pytest.mark.parametrize(
    "command",
    [[], ["establishments"], ["establishments", "add"], ["establishments", "list"], ["clients"], ["clients", "add"],
     ["clients", "list"]],
)
def test_help(settings: Settings, db: Database, command: list[str]) -> None:
    result = run(settings, db, *command, "--help")
    assert result.exit_code == 0 and "Usage: " in result.stdout


def test_establishments_add_and_list(settings: Settings, db: Database) -> None:
    result = run(settings, db, "establishments", "add", "--finess", "01 078 019 5", "--name", "Clinique Convert",
                 "--region", "Auvergne-Rhône-Alpes")
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["finess"] == "010780195"
    assert (created["name"], created["region"]) == ("Clinique Convert", "Auvergne-Rhône-Alpes")
    listed = json.loads(run(settings, db, "establishments", "list").stdout)
    assert [e["finess"] for e in listed] == ["010780195"]


@pytest.mark.parametrize(
    ("finess", "fragment"),
    [
        ("01078019", "is not a FINESS number"),
        ("010780196", "wrong check digit"),
        ("2C0780195", "is not a FINESS number"),
    ],
)
def test_establishments_add_refuses_a_malformed_finess(
    settings: Settings, db: Database, finess: str, fragment: str
) -> None:
    result = run(settings, db, "establishments", "add", "--finess", finess, "--name", "N", "--region", "R")
    assert_bad_input(result, "finess: ", fragment)


def test_establishments_add_refuses_a_duplicate(settings: Settings, db: Database) -> None:
    args = ["establishments", "add", "--finess", "010780195", "--name", "N", "--region", "R"]
    assert run(settings, db, *args).exit_code == 0
    assert_bad_input(run(settings, db, *args), "establishment 010780195 already exists")


def test_establishments_add_needs_its_options(settings: Settings, db: Database) -> None:
    result = run(settings, db, "establishments", "add", "--name", "N")
    assert result.exit_code == 2 and "--finess" in result.stderr and "Traceback" not in result.output


def test_clients_add_from_stdin_prints_the_secret_once(settings: Settings, db: Database) -> None:
    result = add_client(settings, db, {"client_id": "portail", "client_name": "Portail", "redirect_uris": [RP]})
    assert result.exit_code == 0, result.output
    registered = json.loads(result.stdout)
    assert registered["client_id"] == "portail" and registered["client_secret"].startswith("idp_cs_")
    assert registered["client_secret_expires_at"] == 0
    assert "will not be shown again" in result.stderr
    listed = run(settings, db, "clients", "list")
    assert listed.exit_code == 0
    [shown] = json.loads(listed.stdout)
    assert shown["client_id"] == "portail" and shown["redirect_uris"] == [RP]
    assert "client_secret" not in shown and registered["client_secret"] not in listed.stdout


def test_clients_add_from_a_file(settings: Settings, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"client_name": "App", "redirect_uris": ["com.example.app:/cb"],
                                "token_endpoint_auth_method": "none"}), encoding="utf-8")
    result = run(settings, db, "clients", "add", str(path))
    assert result.exit_code == 0, result.output
    registered = json.loads(result.stdout)
    assert registered["token_endpoint_auth_method"] == "none" and "client_secret" not in registered
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("document", "fragments"),
    [
        ({"redirect_uris": ["not a uri"]}, ["redirect_uris[0]: "]),
        ({"redirect_uris": ["http://portail.example/cb"]}, ["redirect_uris[0]: must use https (http only for"]),
        ({"redirect_uris": [RP + "#frag"]}, ["redirect_uris[0]: must not contain a fragment"]),
        ({"redirect_uris": [RP], "logo": "x"}, ["logo: unknown member"]),
        ({"redirect_uris": [RP], "client_secret": "not-a-secret-at-all"}, ["client_secret: "]),
    ],
)
def test_clients_add_refuses_bad_documents(
    settings: Settings, db: Database, document: Any, fragments: list[str]
) -> None:
    result = add_client(settings, db, document)
    assert_bad_input(result, *fragments)
    assert "not-a-secret-at-all" not in result.output


def test_clients_add_refuses_invalid_json_and_missing_files(settings: Settings, db: Database, tmp_path: Path) -> None:
    assert_bad_input(run(settings, db, "clients", "add", "-", input='{"redirect_uris": ['), "- is not valid JSON")
    assert_bad_input(run(settings, db, "clients", "add", "-", input=json.dumps([RP])), "must hold one JSON object")
    missing = tmp_path / "nowhere.json"
    assert_bad_input(run(settings, db, "clients", "add", str(missing)), f"cannot read {missing}")


def test_clients_add_refuses_a_duplicate_client_id(settings: Settings, db: Database) -> None:
    document = {"client_id": "portail", "redirect_uris": [RP]}
    assert add_client(settings, db, document).exit_code == 0
    assert_bad_input(add_client(settings, db, document), "client_id portail is already registered")


@pytest.mark.slow
def test_the_installed_command_answers_bad_input_in_one_line(fresh_database_url: str) -> None:
    upgrade(fresh_database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(IDP_DATABASE_URL=fresh_database_url, IDP_ENVIRONMENT="test", IDP_SECRET_KEY=TEST_SECRET_KEY)

    def idp(*args: str, document: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(IDP), *args], input=json.dumps(document), env=env, capture_output=True,
                              text=True, timeout=60)

    bad = idp("clients", "add", "-", document={"redirect_uris": ["http://portail.example/cb"]})
    assert bad.returncode == 2, bad.stderr
    assert bad.stderr.splitlines() == ["idp: error: redirect_uris[0]: must use https (http only for loopback)"]
    assert bad.stdout == "" and "Traceback" not in bad.stderr

    # The good path commits: another process sees the client.
    good = idp("clients", "add", "-", document={"client_id": "portail", "redirect_uris": [RP]})
    assert good.returncode == 0, good.stderr
    listed = idp("clients", "list", document={})
    assert [c["client_id"] for c in json.loads(listed.stdout)] == ["portail"]
