"""Engine and sessions.

``Database`` is built once in the application lifespan (or by the CLI) from a URL: ``postgresql://`` is served by
psycopg 3, ``sqlite:///path`` by the standard library with foreign keys on, WAL and a busy timeout. The request owns
the transaction: ``Database.session()`` commits when the block succeeds and rolls back when it raises; services only
``add``/``flush``.

Tests hand ``create_app`` a ``Database`` whose sessions join a connection-level transaction that is rolled back
after each test (``bind`` + ``join_transaction_mode="create_savepoint"``).

``Database.read_session()`` serves requests that read and at most write a row of audit trail (``/userinfo``,
``/introspect``). On PostgreSQL ``session()`` costs such a request two round trips around its one SELECT: psycopg
sends ``BEGIN`` before it and the commit sends ``COMMIT``. A read session's connection is in autocommit instead
(``isolation_level="AUTOCOMMIT"`` on an option engine: the same pool, the level set at checkout and reset at
checkin), so a statement that only reads goes alone. Why this is safe:

- **Reads see what they would see in a transaction.** PostgreSQL runs our transactions at READ COMMITTED (its
  default; we set no other), where every statement takes its own snapshot anyway: a transaction around
  independent SELECTs adds no consistency. It would add locks held to the end, but nothing here locks (no
  ``FOR UPDATE``); a request that locks must use ``session()``.
- **Writes keep their transaction.** The first write opens one: a DML construct (``insert``, ``update``,
  ``delete``, an ORM flush; a ``text()`` statement is not recognised, and storage writes none) or a savepoint
  (``begin_nested``, which PostgreSQL refuses outside a transaction block: the ``private_key_jwt`` replay check
  records its ``jti`` in one) first sends a plain ``BEGIN`` on the connection. The session's commit (or rollback)
  then ends it as ``session()`` would: psycopg's ``commit()`` sends ``COMMIT`` when a transaction is open and
  nothing when none is. So the audit row a failed client authentication writes, the ``jti`` and the audit of an
  introspected refresh token are committed with the request, all or nothing, as before; a request that writes
  nothing sends neither ``BEGIN`` nor ``COMMIT``.

On SQLite ``read_session()`` is ``session()``: there a transaction costs no round trip, only a few microseconds in
process, while resetting the level of an autocommit connection at checkin would undo the ``isolation_level = None``
the connection's pragmas set (pysqlite sets ``""``), so pooled connections would go back to pysqlite's own
transaction handling. With ``bind`` (the tests' joined transaction) it is ``session()`` too: it joins the outer
transaction, whose rollback must undo everything a test did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from idp.errors import Unavailable


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def backend_name(url: str) -> str:
    return make_url(normalise_url(url)).get_backend_name()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling skips BEGIN before SAVEPOINT and DDL; hand it to SQLAlchemy instead
    # (the recipe of SQLAlchemy's SQLite dialect documentation, "Serializable isolation / Savepoints").
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # a property of the file; a no-op once set (in-memory: ignored)
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def build_engine(url: str, *, pool_size: int = 10, connect_timeout: float = 5.0) -> Engine:
    url = normalise_url(url)
    backend = backend_name(url)
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 5}
    elif backend == "postgresql":
        # No pre-ping: it costs every request a round trip. A connection the server dropped fails its request
        # (503), and SQLAlchemy then invalidates the whole pool, so one request per process pays for an outage
        # instead of every request paying all the time. Connections are renewed every 30 min anyway.
        kwargs.update(
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=1800,
            connect_args={"connect_timeout": int(connect_timeout)},
        )
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def _is_connection_error(exc: DBAPIError) -> bool:
    # psycopg raises OperationalError for refused/lost connections; SQLite for a file it cannot open.
    text_ = str(exc.orig).lower()
    return any(s in text_ for s in ("connection", "unable to open", "could not connect", "server closed", "timeout"))


def _autocommit_sessions(engine: Engine) -> sessionmaker[Session] | None:
    """Sessions whose statements commit on their own until the first write opens a transaction (PostgreSQL only:
    see the module docstring); None on other databases."""
    if engine.dialect.name != "postgresql":
        return None
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")  # its listeners are its own, not engine's
    event.listen(autocommit, "before_execute", _begin_before_writing)
    event.listen(autocommit, "savepoint", _begin_before_savepoint)
    return sessionmaker(autocommit, expire_on_commit=False)


def _begin_before_writing(conn: Connection, statement: Any, *_args: Any) -> None:
    if getattr(statement, "is_dml", False):  # INSERT, UPDATE, DELETE: Core or an ORM flush
        _begin(conn)


def _begin_before_savepoint(conn: Connection, _name: str) -> None:
    _begin(conn)


def _begin(conn: Connection) -> None:
    """Open a transaction on an autocommit connection unless one is open; the session's commit or rollback ends it."""
    if conn.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN")


@contextmanager
def _session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        if session.in_transaction():  # a session nothing used (client_credentials) has nothing to commit
            session.commit()
    except OperationalError as exc:
        session.rollback()
        if exc.connection_invalidated or _is_connection_error(exc):
            raise Unavailable("the database does not answer", detail=str(exc.orig)) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class Database:
    def __init__(self, engine: Engine, *, bind: Connection | None = None) -> None:
        self.engine = engine
        if bind is None:
            self._factory = sessionmaker(engine, expire_on_commit=False)
            self._read_factory = _autocommit_sessions(engine) or self._factory
        else:
            self._factory = sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")
            self._read_factory = self._factory

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(build_engine(url, **kwargs))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work: commits when the block succeeds, rolls back when it raises."""
        return _session_scope(self._factory)

    def read_session(self) -> AbstractContextManager[Session]:
        """``session()`` without ``BEGIN``/``COMMIT`` round trips until the first write (PostgreSQL; elsewhere
        ``session()``): for requests that read and at most write a row or two. See the module docstring."""
        return _session_scope(self._read_factory)

    def ping(self) -> str:
        """Run a query that needs the schema; return the migration revision. Raises when the database is down."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()
