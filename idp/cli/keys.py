"""``idp keys rotate|list``: operate the signing keys.

Running servers pick a rotation up on their own within ``keys.refresh_seconds``; nothing needs restarting.
"""

from __future__ import annotations

from datetime import datetime

import click

from idp.cli import CliContext, cli, echo_json, pass_cli
from idp.keys.service import list_signing_keys, rotate_signing_keys


@cli.group()
def keys() -> None:
    """Signing keys (RS256 and ES256) published in the JWKS."""


@keys.command("rotate")
@pass_cli
def keys_rotate(ctx: CliContext) -> None:
    """Rotate the signing keys of every algorithm.

    The next key (already published, so relying parties have it cached) starts signing; the active key is retired
    and stays in the JWKS until the tokens it signed have expired; a new next key is published for the following
    rotation. Servers pick the change up within keys.refresh_seconds.
    """
    settings = ctx.settings
    with ctx.session() as session:
        report = rotate_signing_keys(session, settings)
    for rotation in report.rotations:
        retired = ", ".join(rotation.retired_kids) or "none"
        click.echo(f"{rotation.alg}: activated {rotation.activated_kid}")
        click.echo(f"{' ' * len(rotation.alg)}  retired   {retired}")
        click.echo(f"{' ' * len(rotation.alg)}  next      {rotation.next_kid}")
    click.echo(f"running servers switch within {settings.keys.refresh_seconds:g} s")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@pass_cli
def keys_list(ctx: CliContext, as_json: bool) -> None:
    """List signing keys with state and dates.

    Shows kid, algorithm, state and the created/activated/retired/expires times; never private material.
    """
    with ctx.session() as session:
        rows = [
            {
                "kid": key.kid,
                "alg": key.alg,
                "state": key.state,
                "created_at": key.created_at,
                "activated_at": key.activated_at,
                "retired_at": key.retired_at,
                "expires_at": key.expires_at,
            }
            for key in list_signing_keys(session)
        ]
    if as_json:
        echo_json(rows)
        return
    columns = ("kid", "alg", "state", "created_at", "activated_at", "retired_at", "expires_at")
    table = [columns] + [tuple(_cell(row[c]) for c in columns) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def _cell(value: str | datetime | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return value
