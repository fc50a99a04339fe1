"""The job executor: acquires jobs with a lock owner and expiry, then runs each in its own transaction.

A crashed executor's locks simply expire and another executor acquires the jobs again.
``run_once`` and ``run_until_idle`` let tests step it without threads.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from datetime import timedelta

from modbatch.engine import batches as _batches  # noqa: F401  (registers the batch job handlers)
from modbatch.engine.jobs import process as _process_jobs  # noqa: F401  (and the process ones)
from modbatch.engine import clock, jobs
from modbatch.engine.jobs import rounds
from modbatch.store.acquisition import acquire
from modbatch.store.database import serialises_writers
from modbatch.store.tables import Job

log = logging.getLogger("modbatch.jobexecutor")


class JobExecutor:
    def __init__(self, engine, *, owner: str | None = None) -> None:
        self.engine = engine
        self.settings = engine.settings
        self.owner = owner or f"{socket.gethostname()}:{uuid.uuid4()}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> list[str]:
        now = clock.now()
        with self.engine.transaction() as session:
            return acquire(session, owner=self.owner, now=now,
                           lock_until=now + timedelta(milliseconds=self.settings.job_lock_time_ms),
                           limit=self.settings.job_acquisition_size)

    def execute(self, job_id: str) -> bool:
        """Run one acquired job; False when another executor took it over meanwhile."""
        with self.engine.transaction() as session:
            job = session.get(Job, job_id)
            if job is None or job.lock_owner != self.owner:
                return False
            outcome = jobs.run(session, job, self.settings)
        if not outcome.ok:
            log.info("job %s failed: %s", job_id, outcome.failure)
        return True

    def run_once(self) -> int:
        """Acquire one round of jobs and run them; returns how many ran."""
        if serialises_writers(self.engine.database.engine):
            return rounds.run_round(self)  # SQLite: the round in one transaction
        return sum(self.execute(job_id) for job_id in self.acquire())

    def run_until_idle(self, max_rounds: int = 100_000) -> int:
        total = 0
        for _ in range(max_rounds):
            ran = self.run_once()
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
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        idle = self.settings.job_idle_wait_ms / 1000
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database may be briefly unavailable; keep the executor alive
                log.exception("job acquisition failed")
                ran = 0
            if not ran:
                self._wake.wait(idle)
                self._wake.clear()
