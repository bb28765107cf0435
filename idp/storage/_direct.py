"""Prebuilt Core statements run straight on the driver's cursor, on PostgreSQL.

The hot statements of the protocol (the bearer-token lookup of userinfo and introspection; the grant lookup and
the consuming UPDATE of a code exchange or a refresh) are built once as Core statements. Run through
``Session.execute`` each still costs ~100-120 µs of CPU in SQLAlchemy's execution context, result set-up and row
processing around ~70 µs in psycopg itself (measured on one SELECT of the bearer lookup, medians of 5x2,000 runs).
``DirectStatement`` compiles the statement once per dialect and, on PostgreSQL, runs the SQL text on the DBAPI
cursor of the session's own connection: same transaction, same prepared-statement cache, plain tuples back.

Why the rows are the same: on PostgreSQL psycopg itself returns what SQLAlchemy's types would (``uuid.UUID`` for
``uuid``, aware datetimes for ``timestamptz``, parsed JSON for ``jsonb``); ``UTCDateTime`` only moves an aware
value to UTC, and every caller compares or converts instants. Parameters here are strings, UUIDs and aware
datetimes, which psycopg adapts as SQLAlchemy would; JSON values are the one bind processing SQLAlchemy would do,
and ``insert_many`` is told which columns hold them (psycopg's ``Jsonb``: a Python list would otherwise become a
PostgreSQL array). tests/test_direct_statements.py compares both paths on PostgreSQL.

As ``Session.execute`` would, pending changes of the session are flushed first (autoflush): a row staged in the
same session is found.

On other databases (SQLite: embedded and tests) the statement goes through ``Session.execute`` as before.
Read sessions (``Database.read_session``) open a transaction before a *write* through SQLAlchemy's events, which
a raw cursor bypasses: only SELECTs may run here in a read session; the UPDATEs and INSERTs run in ``session()``
(the token endpoint).

Driver errors are handed on as SQLAlchemy's (``DBAPIError.instance``: ``OperationalError``, ``IntegrityError``...),
and a connection the server dropped is invalidated, as ``Session.execute`` does: ``Database.session`` then answers
``Unavailable`` (503) and the pool does not hand the dead connection out again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable


class DirectStatement:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: tuple[Dialect, str, dict[str, Any]] | None = None

    def _sql(self, dialect: Dialect) -> tuple[str, dict[str, Any]]:
        compiled = self._compiled
        if compiled is None or compiled[0] is not dialect:
            built = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            compiled = self._compiled = (dialect, str(built), dict(built.params))
        return compiled[1], compiled[2]

    def first(self, session: Session, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """The first row (a tuple, or SQLAlchemy's ``Row`` off PostgreSQL), or None."""
        connection = _flushed_connection(session)
        if connection.dialect.name != "postgresql":
            return session.execute(self.statement, dict(params)).first()
        sql, defaults = self._sql(connection.dialect)
        with _driver_errors(connection, sql), _cursor(connection) as cursor:
            cursor.execute(sql, {**defaults, **params})
            return cursor.fetchone()  # type: ignore[no-any-return]

    def rowcount(self, session: Session, params: Mapping[str, Any]) -> int:
        """Run an UPDATE or DELETE; how many rows it changed."""
        connection = _flushed_connection(session)
        if connection.dialect.name != "postgresql":
            return int(session.execute(self.statement, dict(params)).rowcount or 0)  # type: ignore[attr-defined]
        sql, defaults = self._sql(connection.dialect)
        with _driver_errors(connection, sql), _cursor(connection) as cursor:
            cursor.execute(sql, {**defaults, **params})
            return int(cursor.rowcount)


def insert_many(
    session: Session, statement: DirectStatement, rows: list[dict[str, Any]], json_columns: Iterable[str]
) -> None:
    """Run an INSERT for each of ``rows`` (every column given), in one round trip (psycopg's pipeline)."""
    connection = _flushed_connection(session)
    if connection.dialect.name != "postgresql":
        session.execute(statement.statement, rows)
        return
    sql, _ = statement._sql(connection.dialect)
    wrapped = [
        {**row, **{name: Jsonb(row[name]) for name in json_columns if row.get(name) is not None}} for row in rows
    ]
    with _driver_errors(connection, sql), _cursor(connection) as cursor:
        cursor.executemany(sql, wrapped)


def _cursor(connection: Connection) -> psycopg.Cursor[Any]:
    """A cursor of the connection the session holds (its transaction, its prepared statements)."""
    return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr, no-any-return]


@contextmanager
def _driver_errors(connection: Connection, sql: str) -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        dbapi_connection = connection.connection.dbapi_connection
        lost = bool(dbapi_connection is None or dbapi_connection.closed)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, None, exc, psycopg.Error, connection_invalidated=lost) from exc


def _flushed_connection(session: Session) -> Connection:
    if session.autoflush:  # cheap when nothing is pending
        session.flush()
    return session.connection()
