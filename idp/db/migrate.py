"""Run alembic from Python (``idp db upgrade``, ``make run``, the tests).

The migration scripts live in ``migrations/`` at the project root; ``IDP_MIGRATIONS_DIR`` points elsewhere (an
installed wheel, a container image with another layout).
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from idp.db.database import normalise_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def migrations_dir() -> Path:
    named = os.environ.get("IDP_MIGRATIONS_DIR")
    candidates = [Path(named)] if named else []
    candidates += [PROJECT_ROOT / "migrations", Path.cwd() / "migrations"]
    for path in candidates:
        if (path / "env.py").is_file():
            return path
    raise FileNotFoundError("migrations/ not found; set IDP_MIGRATIONS_DIR")


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url:
        # alembic's config is an ini parser: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
