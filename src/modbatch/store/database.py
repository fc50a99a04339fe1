"""Database engine and sessions; every dialect difference lives here.

SQLite has one writer: every transaction starts with ``BEGIN IMMEDIATE`` so that two writers
queue on the busy timeout instead of failing when a read lock must be upgraded. Inside one
process the writers also queue first come, first served (``WriterQueue``): SQLite's busy handler
polls with sleeps, so a request thread waiting for the lock almost never wins it from a job
executor that begins its next transaction the moment it commits the last one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import ContextManager, Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from modbatch.store import schema


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def serialises_writers(engine: Engine) -> bool:
    """Whether the database runs one writing transaction at a time (SQLite, ``BEGIN
    IMMEDIATE``): then no other writer can change a row between a transaction's read and its
    write, and the executor runs a whole acquisition round in one transaction."""
    return is_sqlite(engine)


# PostgreSQL error classes: another transaction got in the way (serialization failure,
# deadlock, lock_timeout), or the session is gone (connection exceptions, shutdown, start-up,
# idle_in_transaction_session_timeout)
_CONFLICT_STATES = {"40001", "40P01", "55P03"}
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "25P03"}


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def is_conflict(error: BaseException) -> bool:
    """A concurrent transaction made this one fail; running it again is expected to succeed."""
    if not isinstance(error, DBAPIError):
        return False
    if _sqlstate(error) in _CONFLICT_STATES:
        return True
    # SQLite: the busy timeout ran out waiting for the writer lock
    return getattr(error.orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED")


def is_statement_timeout(error: BaseException) -> bool:
    """PostgreSQL cancelled a statement that ran longer than ``statement_timeout``."""
    return isinstance(error, DBAPIError) and _sqlstate(error) == "57014"


def is_unavailable(error: BaseException) -> bool:
    """The database connection was lost or refused (a restart, a network failure)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state is not None:
        return state.startswith("08") or state in _UNAVAILABLE_STATES
    # psycopg reports refused and broken connections as OperationalError without a state
    return isinstance(error, OperationalError) and hasattr(error.orig, "sqlstate")


def is_unique_conflict(exc: BaseException) -> bool:
    """A unique index refused a row another transaction committed first (a lost race)."""
    return isinstance(exc, IntegrityError) and "uq_" in str(exc.orig)


_DEPLOYMENT_LOCK = 0x6D6F6464  # "modd"


def lock_deployments(session: Session) -> None:
    """Hold the deployment lock until the transaction ends (SQLite's single writer already is
    one; PostgreSQL takes a transaction-scoped advisory lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DEPLOYMENT_LOCK})


@dataclass(frozen=True)
class PoolOptions:
    """PostgreSQL connection pool and server-side timeouts (milliseconds; 0 turns one off)."""

    pool_size: int = 10
    max_overflow: int = 20
    statement_timeout_ms: int = 120_000
    lock_timeout_ms: int = 30_000
    idle_in_transaction_timeout_ms: int = 60_000

    def server_options(self) -> str:
        return (f"-c statement_timeout={self.statement_timeout_ms} "
                f"-c lock_timeout={self.lock_timeout_ms} "
                f"-c idle_in_transaction_session_timeout={self.idle_in_transaction_timeout_ms}")


def create_database(url: str, *, immediate: bool = True,
                    options: PoolOptions = PoolOptions()) -> Engine:
    """The engine, with a schema ready for this code.

    On SQLite the schema is created or upgraded here, as one process owns the file; on PostgreSQL
    it must already be at this code's revision (``modbatch db upgrade``, run once per release).
    """
    engine = database_engine(url, immediate=immediate, options=options)
    if not is_sqlite(engine):
        schema.check(engine)
    elif immediate:
        schema.upgrade(engine)
    return engine


def database_engine(url: str, *, immediate: bool = True,
                    options: PoolOptions = PoolOptions()) -> Engine:
    """The engine alone, with WAL and foreign keys on SQLite.

    ``immediate=False`` gives SQLite readers a deferred BEGIN: in WAL mode they never block the
    writer, so status polling cannot slow a running batch down.
    """
    if url.startswith("sqlite"):
        in_memory = ":memory:" in url or url in ("sqlite://", "sqlite:///")
        # a connection per request thread (Starlette runs up to 40): a pool smaller than the
        # concurrent requests opens and closes a connection, PRAGMAs and all, per request
        pool = {} if in_memory else {"pool_size": 20, "max_overflow": 20}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60},
                               **pool)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA wal_autocheckpoint=8192")
            cursor.close()

        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "begin")
        def _on_begin(connection):  # pragma: no cover - driver hook
            # straight to the driver: this runs once per transaction, i.e. once per request
            connection.connection.driver_connection.execute(begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=options.pool_size,
                               max_overflow=options.max_overflow,
                               connect_args={"options": options.server_options(),
                                             "application_name": "modbatch"})
    return engine


def _busy(timeout: float) -> OperationalError:
    """What SQLite raises when its busy timeout runs out, so callers treat both alike."""
    error = sqlite3.OperationalError(f"database is locked (no write turn within {timeout:g} s)")
    error.sqlite_errorcode, error.sqlite_errorname = 5, "SQLITE_BUSY"
    return OperationalError("BEGIN IMMEDIATE", None, error)


class WriterQueue:
    """A lock handed to waiting threads in arrival order (SQLite's writers of one process).

    ``threading.Lock`` lets the releasing thread take it straight back, and SQLite's own busy
    handler sleeps between attempts: either way a job executor running transaction after
    transaction starves a request that waits for the write lock. Here the releasing thread
    hands the lock to the longest waiter, so a writer waits for at most the transactions
    queued before it. Re-entrant: a thread that holds it may open a nested write transaction.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append(gate)
        if not gate.acquire(timeout=self.timeout):
            with self._mutex:
                if gate in self._waiters:  # not handed over meanwhile: give up like SQLite
                    self._waiters.remove(gate)
                    raise _busy(self.timeout)
        with self._mutex:  # handed over by release()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if self._waiters:
                self._owner = -1  # reserved for the waiter being woken, until it records itself
                self._waiters.popleft().release()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


class Database:
    """Owns the engine and hands out one transaction per unit of work (request or job run)."""

    def __init__(self, url: str, options: PoolOptions = PoolOptions()) -> None:
        self.url = url
        self.engine = create_database(url, options=options)
        self.read_engine = create_database(url, immediate=False) if is_sqlite(self.engine) \
            else self.engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False,
                                           autoflush=False)
        self.writers = WriterQueue(timeout=60) if is_sqlite(self.engine) else None

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """Commit when the block succeeds, roll back when it raises; read-only never commits.

        A SQLite write transaction first takes its turn in the process's writer queue."""
        turn: ContextManager[None] = (self.writers.held() if self.writers is not None
                                      and not readonly else nullcontext())
        with turn:
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

    def ping(self) -> None:
        """Raise unless the database answers a query now (the health check)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()


@contextmanager
def refusing_writes(session: Session) -> Iterator[None]:
    """The database itself refuses any write in the session's transaction while the block runs:
    PostgreSQL's ``SET TRANSACTION READ ONLY`` (for the whole transaction, so call this before
    its first query), SQLite's ``query_only`` pragma (a setting of the pooled connection, so it
    is switched off again on the way out)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        yield
        return
    connection.exec_driver_sql("PRAGMA query_only = ON")
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA query_only = OFF")
