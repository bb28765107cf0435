"""The ``idp`` command line.

One click group; each sub-command lives in its own module and registers itself on ``cli``. Commands reach settings
and the database through ``CliContext`` (tests hand in their own with ``obj=``). Errors are translated in one place:
a domain error or bad input prints ``idp: error: <what went wrong>`` and exits with status 2; the database being
down exits with 1; nothing prints a traceback unless ``IDP_DEBUG=1``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from pydantic import ValidationError

from idp.db import Database, Session
from idp.errors import DomainError, Unavailable
from idp.settings import Settings, load_settings

BAD_INPUT = 2
FAILURE = 1


class CliError(click.ClickException):
    exit_code = BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"idp: error: {self.format_message()}", err=True)


class CliContext:
    """Settings and database, built on first use."""

    def __init__(self, settings: Settings | None = None, database: Database | None = None) -> None:
        self._settings = settings
        self._database = database

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "settings"
                raise CliError(f"invalid configuration: {where}: {first['msg']}") from None
            except FileNotFoundError as exc:
                raise CliError(str(exc)) from None
        return self._settings

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database.from_url(self.settings.database_url)
        return self._database

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.database.session() as session:
            yield session


class IdpGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Unavailable as exc:
            err = CliError(exc.description)
            err.exit_code = FAILURE
            raise err from None
        except DomainError as exc:
            raise CliError(exc.description) from None


@click.group(cls=IdpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="idp", prog_name="idp")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """idp, the OpenID Connect identity provider of ViaTrajectoire."""
    ctx.ensure_object(CliContext)


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def read_json_document(source: str) -> dict[str, Any]:
    """Read one JSON object from a file path or ``-`` (standard input)."""
    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(document, dict):
        raise CliError(f"{source} must hold one JSON object")
    return document


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def main() -> None:
    try:
        cli.main(prog_name="idp")
    except Exception as exc:  # the last guard: one line, never a traceback, unless asked for
        if os.environ.get("IDP_DEBUG"):
            raise
        click.echo(f"idp: unexpected error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(FAILURE)


# Sub-commands register themselves on ``cli``.
from idp.cli import clients, db, demo, establishments, keys, referents, serve, users  # noqa: E402,F401
