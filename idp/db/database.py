"""Engine and sessions.

``Database`` is built once in the application lifespan (or by the CLI) from a URL: ``postgresql://`` is served by
psycopg 3, ``sqlite:///path`` by the standard library with foreign keys on, WAL and a busy timeout. The request owns
the transaction: ``Database.session()`` commits when the block succeeds and rolls back when it raises; services only
``add``/``flush``.

Tests hand ``create_app`` a ``Database`` whose sessions join a connection-level transaction that is rolled back
after each test (``bind`` + ``join_transaction_mode="create_savepoint"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


class Database:
    def __init__(self, engine: Engine, *, bind: Connection | None = None) -> None:
        self.engine = engine
        if bind is None:
            self._factory = sessionmaker(engine, expire_on_commit=False)
        else:
            self._factory = sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(build_engine(url, **kwargs))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
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

    def ping(self) -> str:
        """Run a query that needs the schema; return the migration revision. Raises when the database is down."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()
