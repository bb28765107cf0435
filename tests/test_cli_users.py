"""``idp users`` and ``idp referents``: JSON out on success; on bad input one line on stderr and exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from idp.accounts.establishments import create_establishment
from idp.cli import CliContext, cli
from idp.db import Database
from idp.db.migrate import upgrade
from idp.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.processes import IDP, idp_env

CH_BOURG = "010780195"
EHPAD = "010000016"


def run(settings: Settings, db: Database, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj=CliContext(settings, db), input=input)


def assert_bad_input(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("idp: error: "), result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def person(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"username": "john_wick", "establishment": CH_BOURG, "given_name": "John",
                                "family_name": "Wick", "email": "john.wick@example.fr"}
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def create(settings: Settings, db: Database, *command: str, **changes: Any) -> Result:
    command = command or ("users", "create")
    return run(settings, db, *command, "-", input=json.dumps(person(**changes)))


@pytest.fixture(autouse=True)
def establishments(db: Database) -> None:
    with db.session() as session:
        create_establishment(session, finess=CH_BOURG, name="Centre hospitalier de Bourg", region="ARA")
        create_establishment(session, finess=EHPAD, name="EHPAD Les Tilleuls", region="ARA")


@pytest.mark.parametrize(
    "command",
    [["users"], ["users", "create"], ["users", "list"], ["users", "disable"], ["users", "send-activation"],
     ["referents"], ["referents", "add"]],
)
def test_help(settings: Settings, db: Database, command: list[str]) -> None:
    result = run(settings, db, *command, "--help")
    assert result.exit_code == 0 and "Usage: " in result.stdout


def test_users_create_prints_the_account_without_secrets(settings: Settings, db: Database) -> None:
    result = create(settings, db, username="John_Wick", phone_number="+33 6 12 34 56 78")
    assert result.exit_code == 0, result.stderr
    account = json.loads(result.stdout)
    assert (account["username"], account["status"], account["kind"]) == ("john_wick", "pending", "establishment")
    assert account["phone_number"] == "+33612345678" and account["email_verified"] is False
    assert account["establishments"] == [{"finess": CH_BOURG, "name": "Centre hospitalier de Bourg",
                                          "role": "professional"}]
    assert account["activation_url"].startswith("https://idp.test/password/activate?token=idp_act_")
    assert not {"password_hash", "totp_secret_encrypted"} & set(account) and "argon2" not in result.stdout


def test_users_create_from_a_file(settings: Settings, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "john.json"
    path.write_text(json.dumps(person()), encoding="utf-8")
    assert run(settings, db, "users", "create", str(path)).exit_code == 0


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"establishment": "010787190"}, "unknown establishment: 010787190"),
        ({"establishment": "01078019"}, "invalid user document: establishment: "),
        ({"establishment": "010780196"}, "wrong check digit"),
        ({"email": "john"}, "email: is not a valid e-mail address"),
        ({"username": "j"}, "username: must be 3 to 64 characters"),
        ({"rpps": "123"}, "rpps: must be an RPPS number: 11 digits"),
        ({"phone_number": "06 12 34 56 78"}, "phone_number: must be an international number"),
        ({"nickname": "JW"}, "nickname: unknown field"),
        ({"kind": "assistant"}, "kind: assistants are invited"),
        ({"username": None}, "username: is required for an establishment account"),
    ],
)
def test_users_create_bad_documents(settings: Settings, db: Database, changes: dict[str, Any], fragment: str) -> None:
    assert_bad_input(create(settings, db, **changes), fragment)


def test_users_create_refuses_a_duplicate_username(settings: Settings, db: Database) -> None:
    assert create(settings, db).exit_code == 0
    assert_bad_input(create(settings, db, username="JOHN_WICK", email="other@example.fr"),
                     "username john_wick is already taken")


def test_users_create_refuses_what_is_not_a_json_object(settings: Settings, db: Database, tmp_path: Path) -> None:
    assert_bad_input(run(settings, db, "users", "create", "-", input="{nope"), "- is not valid JSON")
    assert_bad_input(run(settings, db, "users", "create", "-", input="[]"), "must hold one JSON object")
    assert_bad_input(run(settings, db, "users", "create", str(tmp_path / "none.json")), "cannot read")


def test_users_list_and_filter(settings: Settings, db: Database) -> None:
    assert create(settings, db, username="anne", family_name="Martin").exit_code == 0
    assert create(settings, db, username="bob", family_name="Bernard", establishment=EHPAD).exit_code == 0
    everyone = json.loads(run(settings, db, "users", "list").stdout)
    assert [u["username"] for u in everyone] == ["bob", "anne"]
    assert all("activation_url" not in u for u in everyone)
    filtered = run(settings, db, "users", "list", "--establishment", EHPAD)
    assert [u["username"] for u in json.loads(filtered.stdout)] == ["bob"]
    assert_bad_input(run(settings, db, "users", "list", "--establishment", "010787190"), "unknown establishment")


def test_users_disable(settings: Settings, db: Database) -> None:
    assert create(settings, db).exit_code == 0
    result = run(settings, db, "users", "disable", "john_wick")
    assert result.exit_code == 0, result.stderr
    account = json.loads(result.stdout)
    assert account["status"] == "disabled" and account["disabled_at"]
    assert_bad_input(run(settings, db, "users", "disable", "nobody"), "unknown user: nobody")
    assert_bad_input(run(settings, db, "users", "send-activation", "john_wick"), "john_wick is disabled")


def test_users_send_activation(settings: Settings, db: Database) -> None:
    first = json.loads(create(settings, db).stdout)["activation_url"]
    result = run(settings, db, "users", "send-activation", "john_wick")
    assert result.exit_code == 0, result.stderr
    again = json.loads(result.stdout)
    assert again["activation_url"] != first and again["activation_expires_at"]


def test_referents_add_promotes_an_existing_account(settings: Settings, db: Database) -> None:
    assert create(settings, db).exit_code == 0
    result = run(settings, db, "referents", "add", "--username", "john_wick", "--establishment", CH_BOURG)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["establishments"][0]["role"] == "referent"
    assert_bad_input(run(settings, db, "referents", "add", "--username", "john_wick", "--establishment", CH_BOURG),
                     "john_wick is already référent of 010780195")
    other = run(settings, db, "referents", "add", "--username", "john_wick", "--establishment", EHPAD)
    assert [e["role"] for e in json.loads(other.stdout)["establishments"]] == ["referent", "referent"]


def test_referents_add_creates_an_account_from_a_document(settings: Settings, db: Database) -> None:
    result = create(settings, db, "referents", "add")
    assert result.exit_code == 0, result.stderr
    account = json.loads(result.stdout)
    assert account["establishments"][0]["role"] == "referent" and account["activation_url"]
    assert_bad_input(create(settings, db, "referents", "add", kind="liberal", username=None, establishment=None,
                            rpps="10001234567"), "kind: a référent is an establishment account")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "give --username and --establishment"),
        (["--username", "john_wick"], "give --username and --establishment"),
        (["-", "--username", "john_wick"], "not both"),
        (["--username", "nobody", "--establishment", CH_BOURG], "unknown user: nobody"),
        (["--username", "john_wick", "--establishment", "010787190"], "unknown establishment"),
    ],
)
def test_referents_add_bad_input(settings: Settings, db: Database, args: list[str], fragment: str) -> None:
    assert create(settings, db).exit_code == 0
    assert_bad_input(run(settings, db, "referents", "add", *args, input="{}"), fragment)


@pytest.mark.slow
def test_the_installed_command_answers_an_unknown_establishment_in_one_line(fresh_database_url: str) -> None:
    upgrade(fresh_database_url)
    env = idp_env(IDP_DATABASE_URL=fresh_database_url, IDP_ENVIRONMENT="test", IDP_SECRET_KEY=TEST_SECRET_KEY)
    result = subprocess.run([IDP, "users", "create", "-"], input=json.dumps(person()), env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == ["idp: error: unknown establishment: 010780195"]
    assert result.stdout == ""
