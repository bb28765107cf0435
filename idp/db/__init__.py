"""Database plumbing: the declarative base, column types, engine and sessions.

Only ``idp.db``, ``idp.models`` and ``idp.storage`` import SQLAlchemy (an import-linter contract says so);
services name the session type through ``idp.db.Session``.
"""

from sqlalchemy.orm import Session

from idp.db.base import Base, JSONType, UTCDateTime, UUIDPrimaryKey
from idp.db.database import Database, backend_name, build_engine, normalise_url

__all__ = [
    "Base",
    "Database",
    "JSONType",
    "Session",
    "UTCDateTime",
    "UUIDPrimaryKey",
    "backend_name",
    "build_engine",
    "normalise_url",
]
