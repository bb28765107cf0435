"""The schema is what the migrations build, on SQLite and PostgreSQL, and they go down as cleanly as up."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from idp.db import Base, build_engine
from idp.db.migrate import alembic_config, downgrade, head_revision, upgrade


def test_upgrade_to_head_then_down_to_base(fresh_database_url: str) -> None:
    upgrade(fresh_database_url)
    engine = build_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
        downgrade(fresh_database_url, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade(fresh_database_url)  # and up again: downgrade left nothing behind that blocks it
    finally:
        engine.dispose()


def test_models_match_migrations(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_alembic_check_reports_no_pending_change(database_url: str) -> None:
    command.check(alembic_config(database_url))


def test_database_is_at_head(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
