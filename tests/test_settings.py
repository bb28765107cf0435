"""Settings: where values come from, what production refuses, and documentation that cannot drift."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from idp.config_doc import README_BEGIN, README_END, render_markdown, render_toml
from idp.settings import DEVELOPMENT_SECRET_KEY, PROJECT_ROOT, Settings, load_settings

EXAMPLE = PROJECT_ROOT / "config" / "idp.example.toml"
STRONG_SECRET = "x" * 48


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("IDP_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_environment_wins_over_the_config_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('issuer = "https://from-file.example"\notp_remember_days = 7\n[tokens]\ncode_ttl_seconds = 30\n')
    clean_env.setenv("IDP_CONFIG_FILE", str(config))
    clean_env.setenv("IDP_OTP_REMEMBER_DAYS", "12")
    clean_env.setenv("IDP_TOKENS__ACCESS_TOKEN_TTL_SECONDS", "120")
    settings = load_settings()
    assert settings.issuer == "https://from-file.example"
    assert settings.otp_remember_days == 12
    assert settings.tokens.code_ttl_seconds == 30
    assert settings.tokens.access_token_ttl_seconds == 120


def test_unknown_key_in_the_config_file_is_refused(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('isuer = "https://typo.example"\n')
    clean_env.setenv("IDP_CONFIG_FILE", str(config))
    with pytest.raises(ValidationError, match="isuer"):
        load_settings()


def test_a_named_config_file_must_exist(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("IDP_CONFIG_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(FileNotFoundError):
        load_settings()


def test_issuer_loses_its_trailing_slash_and_refuses_query_or_fragment() -> None:
    assert Settings(issuer="https://idp.example/").issuer == "https://idp.example"
    for bad in ("https://idp.example/?a=b", "https://idp.example/#x", "idp.example"):
        with pytest.raises(ValidationError):
            Settings(issuer=bad)


PRODUCTION_OK = {
    "environment": "production",
    "issuer": "https://idp.viatrajectoire.fr",
    "secret_key": STRONG_SECRET,
    "smtp_url": "smtp://mail.internal:25",
    "sms_url": "https://sms.internal/send",
}


def test_production_accepts_a_complete_configuration() -> None:
    assert Settings(**PRODUCTION_OK).is_production


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"secret_key": DEVELOPMENT_SECRET_KEY}, "IDP_SECRET_KEY"),
        ({"secret_key": "short-secret"}, "IDP_SECRET_KEY"),
        ({"issuer": "http://idp.viatrajectoire.fr"}, "IDP_ISSUER"),
        ({"smtp_url": ""}, "IDP_SMTP_URL"),
        ({"sms_url": ""}, "IDP_SMS_URL"),
    ],
)
def test_production_refuses_development_values(override: dict[str, str], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Settings(**{**PRODUCTION_OK, **override})


def test_the_cli_refuses_to_start_in_production_with_the_development_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(IDP_ENVIRONMENT="production", IDP_ISSUER="https://idp.example", IDP_SMTP_URL="smtp://127.0.0.1:1")
    env["IDP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'never.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "idp.cli", "db", "upgrade"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "IDP_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()


def test_example_file_is_the_rendered_settings() -> None:
    assert EXAMPLE.read_text() == render_toml(), "run: python -m idp.config_doc toml > config/idp.example.toml"


def test_example_file_documents_every_key_with_a_valid_default(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    uncommented = re.sub(r"^# (\w+ = .*)$", r"\1", EXAMPLE.read_text(), flags=re.MULTILINE)
    config = tmp_path / "all.toml"
    config.write_text(uncommented)
    clean_env.setenv("IDP_CONFIG_FILE", str(config))
    from_file = load_settings()
    clean_env.delenv("IDP_CONFIG_FILE")
    defaults = load_settings()
    # Every field was set from the file (none left to its default) and to the default value.
    assert from_file.model_fields_set == set(Settings.model_fields)
    for section in ("tokens", "keys", "argon2", "psc", "card"):
        assert getattr(from_file, section).model_fields_set == set(type(getattr(defaults, section)).model_fields)
    assert from_file.model_dump(exclude={"database_url"}) == defaults.model_dump(exclude={"database_url"})


def test_readme_configuration_table_is_current() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    start, end = readme.index(README_BEGIN), readme.index(README_END) + len(README_END)
    assert readme[start:end] + "\n" == render_markdown(), "run: python -m idp.config_doc readme"
