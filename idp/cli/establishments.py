"""``idp establishments add|list``: the establishments (FINESS) that accounts and référents belong to."""

from __future__ import annotations

import click

from idp.accounts.establishments import create_establishment, establishment_document, list_establishments
from idp.cli import CliContext, cli, echo_json, pass_cli


@cli.group()
def establishments() -> None:
    """Establishments, known by their FINESS number."""


@establishments.command("add")
@click.option("--finess", required=True, help="FINESS number: 9 characters, e.g. 010780195 (spaces allowed).")
@click.option("--name", required=True, help="Name shown to users, e.g. 'Centre hospitalier de Bourg-en-Bresse'.")
@click.option("--region", required=True, help="Region, e.g. 'Auvergne-Rhône-Alpes'.")
@pass_cli
def establishments_add(ctx: CliContext, finess: str, name: str, region: str) -> None:
    """Create an establishment and print it as JSON.

    A malformed FINESS number (wrong length, département or check digit) or one that already exists is refused.
    """
    with ctx.session() as session:
        establishment = create_establishment(session, finess=finess, name=name, region=region)
        document = establishment_document(establishment)
    echo_json(document)


@establishments.command("list")
@pass_cli
def establishments_list(ctx: CliContext) -> None:
    """Print every establishment as a JSON array, by FINESS number."""
    with ctx.session() as session:
        documents = [establishment_document(e) for e in list_establishments(session)]
    echo_json(documents)
