"""The job executor: acquires jobs with a lock owner and expiry, then runs each in its own transaction.

What an executor cannot finish it unlocks at once instead of leaving it to the lock time: a job
whose execution failed outside its handler, jobs acquired but not started when the executor
stops or loses its database. Only a crashed process's locks have to expire before another
executor acquires the jobs again. ``run_once`` and ``run_until_idle`` let tests step it
without threads.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
import uuid
from datetime import timedelta
from typing import Any, Iterable

from modbatch.engine import batches as _batches  # noqa: F401  (registers the batch job handlers)
from modbatch.engine.jobs import process as _process_jobs  # noqa: F401  (and the process ones)
from modbatch.engine import clock, jobs
from modbatch.engine.jobs import metrics, rounds
from modbatch.errors import ModbatchError
from modbatch.store.acquisition import acquire, release
from modbatch.store.database import is_unavailable
from modbatch.store.database import serialises_writers
from modbatch.store.tables import Job

log = logging.getLogger("modbatch.jobexecutor")

# how often a job meeting a concurrent change runs again in place before it is unlocked
CONFLICT_ATTEMPTS = 3


class JobExecutor:
    def __init__(self, engine, *, owner: str | None = None) -> None:
        self.engine = engine
        self.settings = engine.settings
        self.owner = owner or f"{socket.gethostname()}:{uuid.uuid4()}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._unreleased: set[str] = set()  # locks a release could not clear yet
        # SQLite: a round's jobs run in the transaction that acquired them (jobs.rounds)
        self.one_transaction_per_round = serialises_writers(engine.database.engine)

    def acquire(self) -> list[str]:
        """Lock the next round of jobs; the locks expire by the database's clock (see
        ``store.acquisition.lock_clock``), or by the engine's clock while a test pins it."""
        now = clock.now()
        started = time.perf_counter()
        with self.engine.transaction() as session:
            job_ids = acquire(session, owner=self.owner, now=now,
                              lock_time=timedelta(milliseconds=self.settings.job_lock_time_ms),
                              limit=self.settings.job_acquisition_size,
                              database_clock=not clock.pinned())
        metrics.acquisition(time.perf_counter() - started, len(job_ids))
        return job_ids

    def release(self, job_ids: Iterable[str] = ()) -> None:
        """Unlock jobs this executor holds, in a fresh transaction. Best effort: locks that
        cannot be cleared now (the database is away) are tried again before the next round."""
        pending = self._unreleased | set(job_ids)
        if not pending:
            return
        try:
            with self.engine.transaction() as session:
                release(session, owner=self.owner, job_ids=pending)
        except Exception as error:
            if pending - self._unreleased:
                log.warning("could not release the locks of jobs %s; trying again before the "
                            "next acquisition: %s", ", ".join(sorted(pending)), error)
            self._unreleased = pending
        else:
            self._unreleased = set()

    def execute(self, job_id: str) -> bool:
        """Run one acquired job; False when another executor took it over meanwhile.

        Nothing escapes. A concurrent change (``jobs.is_conflict``: optimistic locking, a
        deadlock, a lock timeout) runs the job again in place, up to ``CONFLICT_ATTEMPTS``
        times, then unlocks it for any executor: no retry is spent. A lost database connection
        unlocks the job as soon as the database answers, again without spending a retry. Any
        other error escaping the job's transaction is recorded as the job's failure in a fresh
        transaction (one retry less, run again at its retry time), as a handler's failure is.
        """
        seen: dict[str, Any] = {}  # the job, once loaded
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._run(job_id, seen)
            except Exception as error:
                job = seen.get("job")
                where = _describe(job_id, job.batch_id if job is not None else None)
                fields = metrics.job_fields(job, job_id=job_id)
                if jobs.is_conflict(error):
                    log.info("execution of %s met a concurrent change (attempt %d of %d): %s",
                             where, attempt, CONFLICT_ATTEMPTS, _first_line(error), extra=fields)
                    time.sleep(0.01 * attempt)
                    continue
                if is_unavailable(error):
                    log.warning("execution of %s failed, database unavailable: %s", where,
                                _first_line(error), extra=fields)
                    self.release([job_id])
                    return True
                metrics.failed(job, job_id, error)
                self._record_failure(job_id, error)
                return True
        log.warning("execution of %s: still conflicting after %d attempts; unlocked for the "
                    "next acquisition", _describe(job_id, None), CONFLICT_ATTEMPTS)
        self.release([job_id])
        return True

    def _run(self, job_id: str, seen: dict[str, Any]) -> bool:
        with self.engine.transaction() as session:
            job = rounds.load_jobs(session, [job_id]).get(job_id)  # plain values: see rounds
            if job is None or job.lock_owner != self.owner:
                return False
            if "job" not in seen:  # once, whatever the conflicts
                metrics.acquired([job])
            seen["job"] = job
            outcome = jobs.run(session, job, self.settings)
        outcome.committed(self.engine)  # counts it and logs a failure with the job's ids
        return True

    def _record_failure(self, job_id: str, error: Exception) -> None:
        """An error escaped the job's transaction: record it on the job, which also unlocks
        it; when even that fails, unlock it."""
        message = error.message if isinstance(error, ModbatchError) else \
            str(error) or type(error).__name__
        try:
            with self.engine.transaction() as session:
                job = session.get(Job, job_id)
                if job is not None and job.lock_owner == self.owner:
                    jobs.record_failure(session, job, message,
                                        "".join(traceback.format_exception(error)))
        except Exception:
            log.exception("could not record the failure of job %s", job_id)
            self.release([job_id])

    def run_once(self, *, more: bool = False) -> int:
        """Acquire one round of jobs and run them; returns how many ran. Jobs of the round not
        started when the executor is stopping or its database is away are unlocked at once.
        On SQLite the round runs in one transaction (``jobs.rounds``); with ``more`` (the
        executor's own loops) it goes on acquiring in it while jobs keep coming."""
        if self.one_transaction_per_round:
            return rounds.run_round(self, more=more)
        if self._unreleased:
            self.release()
        job_ids = self.acquire()
        ran = 0
        for index, job_id in enumerate(job_ids):
            if self._stop.is_set() or self._unreleased:
                self.release(job_ids[index:])
                break
            metrics.QUEUE_DEPTH.set(len(job_ids) - index - 1)
            ran += self.execute(job_id)
        metrics.QUEUE_DEPTH.set(0)
        return ran

    def run_until_idle(self, max_rounds: int = 100_000) -> int:
        total = 0
        for _ in range(max_rounds):
            ran = self.run_once(more=True)
            if not ran:
                break
            total += ran
        return total

    # ------------------------------------------------------------------ background thread
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="modbatch-job-executor",
                                            daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """New work was created (a batch, a retry): skip the idle wait."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the running job, unlock the acquired ones not started, end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._unreleased:
            self.release()

    def _loop(self) -> None:
        idle = self.settings.job_idle_wait_ms / 1000
        away = False  # the database was unavailable: said once, not at every idle wait
        while not self._stop.is_set():
            try:
                ran = self.run_once(more=True)
            except Exception as error:  # the database may be briefly unavailable; keep going
                if not is_unavailable(error):
                    log.exception("job acquisition failed")
                elif not away:
                    log.warning("job acquisition failed, database unavailable (trying again "
                                "every %g s): %s", idle, _first_line(error))
                away, ran = away or is_unavailable(error), 0
            else:
                if away:
                    log.warning("job acquisition works again: the database answers")
                    away = False
            if not ran:
                self._wake.wait(idle)
                self._wake.clear()


_describe = metrics.describe
_first_line = metrics.first_line
