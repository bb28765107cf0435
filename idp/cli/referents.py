"""``idp referents add``: make someone référent of an establishment, in one of two shapes.

- ``idp referents add --username U --establishment FINESS`` promotes an existing establishment account (adding the
  membership when the account is not yet a member: the CLI acts as an administrator).
- ``idp referents add FILE|-`` creates a new account from a user document, référent of the document's
  ``establishment``, and sends its activation e-mail after the commit, as ``idp users create`` does.

Mixing the shapes, or giving neither, is bad input (one line, exit status 2).
"""

from __future__ import annotations

import click

from idp.accounts.referents import add_referent, create_referent
from idp.accounts.users import find_user, user_documents
from idp.cli import CliContext, CliError, cli, echo_json, pass_cli, read_json_document
from idp.cli.users import DOCUMENT_HELP, created_document, send_after_commit
from idp.notify.email import build_email_sender
from idp.notify.outbox import Outbox


@cli.group()
def referents() -> None:
    """Référents: establishment professionals who manage their establishment's accounts."""


@referents.command("add", epilog=DOCUMENT_HELP)
@click.argument("source", metavar="[FILE|-]", required=False)
@click.option("--username", help="Existing establishment account to promote.")
@click.option("--establishment", metavar="FINESS", help="Establishment it becomes référent of.")
@pass_cli
def referents_add(ctx: CliContext, source: str | None, username: str | None, establishment: str | None) -> None:
    """Promote USERNAME to référent of FINESS, or create a référent account from a JSON document.

    \b
      idp referents add --username john_wick --establishment 010000016
      idp referents add referent.json
    """
    if source is not None:
        if username or establishment:
            raise CliError("give either a document (FILE|-) or --username and --establishment, not both")
        _create(ctx, source)
    elif username and establishment:
        with ctx.session() as session:
            add_referent(session, username=username, establishment=establishment)
            document = user_documents(session, [find_user(session, username)])[0]
        echo_json(document)
    else:
        raise CliError("give --username and --establishment to promote an account, or a document (FILE|-) to create one")


def _create(ctx: CliContext, source: str) -> None:
    document = read_json_document(source)
    sender = build_email_sender(ctx.settings)
    outbox = Outbox()
    with ctx.session() as session:
        created = create_referent(session, ctx.settings, document, outbox=outbox)
        output = created_document(session, ctx.settings, created)
    echo_json(output)
    send_after_commit(sender, outbox, created.account.username or "", created=True)
