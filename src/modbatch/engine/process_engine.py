"""The process engine object: settings, database and background services, held together.

The REST layer asks ``current()`` for it, like Camunda's REST resources ask for the default engine.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from sqlalchemy.orm import Session

from modbatch.engine import history
from modbatch.engine.jobs import metrics
from modbatch.engine.jobs.executor import JobExecutor
from modbatch.settings import Settings
from modbatch.errors import ProcessEngineError
from modbatch.store.database import (Database, PoolOptions, is_conflict, is_statement_timeout,
                                     is_unavailable, is_unique_conflict)

T = TypeVar("T")


class ProcessEngine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        history.configure(settings.history_level)
        self.database = Database(settings.database_url, PoolOptions(
            pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            lock_timeout_ms=settings.db_lock_timeout_ms,
            idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms))
        self._job_executor = None
        metrics.watch(self)  # the database gauges of /metrics read through the latest engine

    @property
    def job_executor(self) -> JobExecutor:
        """The engine's own executor (created on first use; started only by ``start``)."""
        if self._job_executor is None:
            self._job_executor = JobExecutor(self)
        return self._job_executor

    def start(self) -> None:
        if self.settings.job_executor:
            self.job_executor.start()

    def wake_job_executor(self) -> None:
        if self._job_executor is not None:
            self._job_executor.wake()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction per unit of work; engine functions flush, only this commits."""
        with self.database.transaction() as session:
            yield session

    def transaction_retrying_conflicts(self, work: Callable[[Session], T], *,
                                       attempts: int = 5) -> T:
        """Run ``work`` in a transaction, again from the start when a unique index says that
        another node won a race (two deployments of one key taking the same version number)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as session:
                    return work(session)
            except Exception as exc:
                if attempt == attempts or not is_unique_conflict(exc):
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it never waits for, nor holds up, the writer."""
        with self.database.transaction(readonly=True) as session:
            yield session

    def close(self) -> None:
        if self._job_executor is not None:
            self._job_executor.stop()
        self.database.dispose()


def database_failure(exc: BaseException) -> ProcessEngineError | None:
    """What a client is told when the database, not the request, made a call fail (the REST layer
    shows no SQL): a lost race, a timeout, or a database that is not there."""
    if is_conflict(exc):
        return ProcessEngineError(
            "The request conflicted with a concurrent change (a row lock or optimistic lock); "
            "nothing was written: try again", type="OptimisticLockingException")
    if is_statement_timeout(exc):
        return ProcessEngineError(
            "The database cancelled a statement that ran longer than "
            "MODBATCH_DB_STATEMENT_TIMEOUT_MS; nothing was written")
    if is_unavailable(exc):
        return ProcessEngineError("The database is not available; nothing was written: try "
                                  "again", status=503)
    return None


_current: ProcessEngine | None = None


def install(engine: ProcessEngine) -> None:
    global _current
    _current = engine


def current() -> ProcessEngine:
    if _current is None:
        raise RuntimeError("no process engine installed; create the app first")
    return _current
