"""``idp db upgrade``: migrate the configured database with alembic."""

from __future__ import annotations

import click

from idp.cli import CliContext, cli, pass_cli
from idp.db.migrate import upgrade


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_cli
def db_upgrade(ctx: CliContext, revision: str) -> None:
    """Migrate the database (IDP_DATABASE_URL) to REVISION."""
    url = ctx.settings.database_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url, revision)
    click.echo(f"database migrated to {revision}")
