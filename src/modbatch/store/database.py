"""Database engine and sessions; every dialect difference lives here.

SQLite has one writer: every transaction starts with ``BEGIN IMMEDIATE`` so that two writers
queue on the busy timeout instead of failing when a read lock must be upgraded.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import SQLModel

from modbatch.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_database(url: str, *, immediate: bool = True) -> Engine:
    """Create the engine and the schema (idempotent), with WAL and foreign keys on SQLite.

    ``immediate=False`` gives SQLite readers a deferred BEGIN: in WAL mode they never block the
    writer, so status polling cannot slow a running batch down.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA wal_autocheckpoint=8192")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):  # pragma: no cover - driver hook
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if immediate:
        SQLModel.metadata.create_all(engine)
    return engine


class Database:
    """Owns the engine and hands out one transaction per unit of work (request or job run)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_database(url)
        self.read_engine = create_database(url, immediate=False) if is_sqlite(self.engine) \
            else self.engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False,
                                           autoflush=False)

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """Commit when the block succeeds, roll back when it raises; read-only never commits."""
        session = (self._read_sessions if readonly else self._sessions)()
        try:
            yield session
            if readonly:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
