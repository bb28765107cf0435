"""``idp clients add|list``: register relying parties from an RFC 7591 document, and list them.

The client secret is printed once, on standard output with the rest of the registration, so that it can be piped
into a secret store; a note on standard error says it cannot be shown again (only its keyed hash is kept).
"""

from __future__ import annotations

import click

from idp.cli import CliContext, cli, echo_json, pass_cli, read_json_document
from idp.protocol.clients import client_document, list_clients, register_client


@cli.group()
def clients() -> None:
    """OAuth / OpenID Connect clients (relying parties)."""


@clients.command("add")
@click.argument("source", metavar="FILE|-")
@pass_cli
def clients_add(ctx: CliContext, source: str) -> None:
    """Register a client from a JSON document (a file, or - for standard input).

    \b
    The members are the client metadata names of RFC 7591 / OpenID Connect Dynamic Client Registration:
      client_id, client_secret, client_name, redirect_uris, post_logout_redirect_uris,
      backchannel_logout_uri, backchannel_logout_session_required, token_endpoint_auth_method
      (client_secret_basic | client_secret_post | private_key_jwt | none), jwks | jwks_uri,
      id_token_signed_response_alg (RS256 | ES256), grant_types, response_types, scope,
      default_acr_values, and minimum_acr.
    client_id and client_secret are generated when absent; the secret is printed once.

    \b
    Example:
      echo '{"client_name": "Portail", "redirect_uris": ["https://portail.example/cb"]}' | idp clients add -
    """
    document = read_json_document(source)
    with ctx.session() as session:
        registered = register_client(session, ctx.settings, document)
        output = registered.document()
    echo_json(output)
    if registered.client_secret is not None:
        click.echo(
            "idp: note: keep the client_secret now; it is stored only as a hash and will not be shown again", err=True
        )


@clients.command("list")
@pass_cli
def clients_list(ctx: CliContext) -> None:
    """Print every registered client as a JSON array (never their secrets)."""
    with ctx.session() as session:
        documents = [client_document(client) for client in list_clients(session)]
    echo_json(documents)
