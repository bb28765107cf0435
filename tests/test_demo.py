"""`idp demo setup` (run by `make run`): everything a first look needs, made once, never twice."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from idp.authn.passwords import build_password_hasher
from idp.cli import CliContext, cli
from idp.cli.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, DEMO_USERS
from idp.db import Base, Database
from idp.models import Account, Client, Membership, SigningKey
from idp.protocol.clients import verify_client_secret
from idp.settings import Settings
from tests.conftest import make_settings


def _row_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {name: session.scalar(select(func.count()).select_from(table)) for name, table in Base.metadata.tables.items()}


def test_demo_setup_makes_keys_accounts_and_client_once(settings: Settings, db: Database) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "setup"], obj=CliContext(settings, db))
    assert first.exit_code == 0, first.output
    assert "created 4 signing keys" in first.stdout
    after_first = _row_counts(db)
    second = runner.invoke(cli, ["demo", "setup"], obj=CliContext(settings, db))
    assert second.exit_code == 0, second.output
    assert "nothing created" in second.stdout
    assert _row_counts(db) == after_first, "a second run must change nothing"

    with db.session() as session:
        keys = session.scalars(select(SigningKey)).all()
        assert sorted((k.alg, k.state) for k in keys) == [
            ("ES256", "active"), ("ES256", "next"), ("RS256", "active"), ("RS256", "next")
        ]
        hasher = build_password_hasher(settings)
        for user in DEMO_USERS:
            account = session.scalars(select(Account).where(Account.username == user.username)).one()
            assert account.status == "active" and account.email_verified_at is not None
            assert hasher.verify(account.password_hash, user.password)
            assert user.password in second.stdout  # printed for whoever ran make run
            role = session.scalars(select(Membership.role).where(Membership.account_id == account.id)).one()
            assert role == ("referent" if user.referent else "professional")
        client = session.scalars(select(Client).where(Client.client_id == DEMO_CLIENT_ID)).one()
        assert client.redirect_uris == [DEMO_REDIRECT_URI]
        assert verify_client_secret(settings, client, DEMO_CLIENT_SECRET)
        assert client.client_secret_hash != DEMO_CLIENT_SECRET


def test_demo_setup_is_refused_in_production(database_url: str, db: Database) -> None:
    production = make_settings(
        database_url, environment="production", issuer="https://idp.example", smtp_url="smtp://127.0.0.1:25",
        sms_url="https://sms.example/send",
    )
    result = CliRunner().invoke(cli, ["demo", "setup"], obj=CliContext(production, db))
    assert result.exit_code == 2
    assert result.stderr.startswith("idp: error:") and "Traceback" not in result.output
    assert _row_counts(db)["accounts"] == 0
