"""Database engine and sessions (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine tuned for the backend: WAL + busy timeout on SQLite, a pool on both.

    SQLite keeps up to 5 idle connections: opening one (and its PRAGMAs) costs about a
    millisecond, more than most reads (an audit proof is two). There is no limit on
    connections in use (``max_overflow=-1``): threads never queue for one; the ones past 5
    are closed when returned. An in-memory database cannot be pooled (each connection would
    be a new, empty database).
    """
    if url.startswith("sqlite"):
        memory = make_url(url).database in (None, "", ":memory:")
        pooling: dict[str, Any] = (
            {"poolclass": NullPool} if memory else {"pool_size": 5, "max_overflow": -1}
        )
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            **pooling,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
