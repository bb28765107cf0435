"""Test databases: a SQLite file, or a PostgreSQL database created for the run and dropped after it.

``IDP_TEST_DATABASE_URL`` (or ``pytest --db-url``) selects PostgreSQL; the server it names must let us
``CREATE DATABASE`` (CI: trust auth as ``postgres``). Each run gets its own database so that a run never sees the
leftovers of another.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres://"))


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    plain = make_url(url).set(drivername="postgresql")
    return psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True, connect_timeout=3)


def create_postgres_database(base_url: str, prefix: str = "idp_test") -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    with _admin_connect(base_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with _admin_connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database_url(base_url: str | None, tmp_dir: Path) -> str:
    """A fresh, empty database of the kind the run is on."""
    if base_url and is_postgres(base_url):
        return create_postgres_database(base_url)
    return f"sqlite:///{tmp_dir / ('idp-' + secrets.token_hex(4) + '.sqlite3')}"


def migrated_database_url(base_url: str | None, tmp_dir: Path) -> Iterator[str]:
    """A fresh database of the run's kind at the latest migration, dropped when the generator closes (for fixtures:
    ``yield from``)."""
    from idp.db.migrate import upgrade

    url = new_database_url(base_url, tmp_dir)
    upgrade(url)
    yield url
    discard_database_url(url)


def discard_database_url(url: str) -> None:
    if is_postgres(url):
        drop_postgres_database(url)


def postgres_answers(url: str) -> bool:
    try:
        with _admin_connect(url) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


if __name__ == "__main__":  # used by the Makefile: exit 0 when PostgreSQL answers at the URL given
    sys.exit(0 if postgres_answers(sys.argv[1]) else 1)
