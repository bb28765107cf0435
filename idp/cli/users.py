"""``idp users create|list|disable|send-activation``.

``create`` commits the account first and sends the activation e-mail afterwards (the outbox rule of
``idp.notify.outbox``). When the mail server fails, the account stays created: the person who ran the command is told
in one line, exit status 1 (a dependency failed, as when the database is down; 2 is kept for bad input), and
``idp users send-activation LOGIN`` sends a new link once the server is back. Rolling the account back instead would
make a retry of ``create`` look like it worked the first time, but would also drop an account that is otherwise
complete because of a transient SMTP outage; the link is what is missing, so the link is what is re-sent.

The activation link is printed only outside production: there it must reach nobody but the person, by e-mail.
"""

from __future__ import annotations

from typing import Any

import click

from idp.accounts.users import CreatedUser, create_user, disable_user, list_users, send_activation_again, user_documents
from idp.cli import FAILURE, CliContext, CliError, cli, echo_json, pass_cli, read_json_document
from idp.db import Session
from idp.notify.email import DeliveryFailed, EmailSender, build_email_sender
from idp.notify.outbox import Outbox
from idp.settings import Settings

DOCUMENT_HELP = """
\b
The document uses OpenID Connect claim names:
  given_name, family_name, email (all three required), phone_number (+33...),
  address {formatted, street_address, locality, region, postal_code, country},
  profession, specialty, rpps (11 digits),
  kind: "establishment" (default; needs username and establishment, a FINESS number)
        or "liberal" (needs rpps, their login).
"""


def send_after_commit(sender: EmailSender, outbox: Outbox, login: str, *, created: bool) -> None:
    """Flush ``outbox``; a mail server failure becomes one line and exit status 1, saying how to re-send."""
    try:
        outbox.flush(sender)
    except DeliveryFailed as exc:
        what = f"{login} was created but the activation e-mail was not sent" if created else (
            f"the activation e-mail to {login} was not sent")
        err = CliError(f"{what} ({exc.description}); send a new link later with: idp users send-activation {login}")
        err.exit_code = FAILURE
        raise err from None


def created_document(session: Session, settings: Settings, created: CreatedUser) -> dict[str, Any]:
    document = user_documents(session, [created.account])[0]
    document["activation_expires_at"] = created.activation.expires_at.isoformat()
    if not settings.is_production:
        document["activation_url"] = created.activation.url
    return document


@cli.group()
def users() -> None:
    """Accounts of professionals."""


@users.command("create", epilog=DOCUMENT_HELP)
@click.argument("source", metavar="FILE|-")
@pass_cli
def users_create(ctx: CliContext, source: str) -> None:
    """Create a pending account from a JSON document and e-mail it an activation link (valid 72 hours).

    Prints the account as JSON (and, outside production, the activation link).
    """
    document = read_json_document(source)
    sender = build_email_sender(ctx.settings)  # a bad IDP_SMTP_URL fails here, before anything is created
    outbox = Outbox()
    with ctx.session() as session:
        created = create_user(session, ctx.settings, document, outbox=outbox)
        output = created_document(session, ctx.settings, created)
    echo_json(output)  # after the commit: what is printed exists
    send_after_commit(sender, outbox, created.account.username or created.account.rpps or "", created=True)


@users.command("list")
@click.option("--establishment", metavar="FINESS", help="Only the members of this establishment.")
@pass_cli
def users_list(ctx: CliContext, establishment: str | None) -> None:
    """Print the accounts as a JSON array."""
    with ctx.session() as session:
        documents = user_documents(session, list_users(session, establishment=establishment))
    echo_json(documents)


@users.command("disable")
@click.argument("login", metavar="USERNAME")
@pass_cli
def users_disable(ctx: CliContext, login: str) -> None:
    """Disable an account (username, or RPPS number of a libéral): no more logins, its pending links die."""
    with ctx.session() as session:
        document = user_documents(session, [disable_user(session, login)])[0]
    echo_json(document)


@users.command("send-activation")
@click.argument("login", metavar="USERNAME")
@pass_cli
def users_send_activation(ctx: CliContext, login: str) -> None:
    """E-mail a new activation link to a pending account; earlier links stop working."""
    sender = build_email_sender(ctx.settings)
    outbox = Outbox()
    with ctx.session() as session:
        link = send_activation_again(session, ctx.settings, login, outbox=outbox)
    result = {"username": login, "activation_expires_at": link.expires_at.isoformat()}
    if not ctx.settings.is_production:
        result["activation_url"] = link.url
    echo_json(result)
    send_after_commit(sender, outbox, login, created=False)
