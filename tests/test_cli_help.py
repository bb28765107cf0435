"""Every command of the `idp` CLI answers --help (exit 0, a usage line), as the operator's first resort."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from idp.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


EXPECTED = {
    ("serve",), ("db", "upgrade"), ("keys", "rotate"), ("clients", "add"), ("clients", "list"),
    ("establishments", "add"), ("users", "create"), ("users", "list"), ("users", "disable"), ("referents", "add"),
}


def test_the_commands_of_the_spec_exist() -> None:
    assert EXPECTED <= set(_commands(cli))


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "idp")
def test_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert len(result.output.splitlines()) > 2  # a description, not just the usage line
