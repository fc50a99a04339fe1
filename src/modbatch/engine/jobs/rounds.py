"""One transaction per acquisition round where the database runs one writer at a time (SQLite).

On SQLite nothing runs beside a writing transaction anyway, so the executor runs the jobs of a
round inside the transaction that acquired them (and acquires again in it while acquisitions
come back full and the jobs are cheap, see ``ROUND_SECONDS``): a round pays one commit instead of one per job plus the
acquisition's, and writes each page it changed once instead of once per job. A job's
failure stays its own, as ``jobs.run`` records a failing handler inside its savepoint. An error
escaping ``jobs.run`` itself (a database error) rolls the whole round back, which leaves every
job of the round as it was and unlocked (the locks were never committed); the failure is then
recorded on that job in a transaction of its own, so a job that keeps failing spends its retries
instead of holding up the jobs acquired with it. A process that dies mid-round loses the round
the same way and leaves no job locked.
"""

from __future__ import annotations

import logging
import time
import traceback
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, select

from modbatch.engine import clock, jobs
from modbatch.engine.jobs import metrics
from modbatch.errors import ModbatchError
from modbatch.store.acquisition import acquire, release
from modbatch.store.database import is_unavailable
from modbatch.store.tables import Job

log = logging.getLogger("modbatch.jobexecutor")

# jobs as plain values: handlers only read a job, and an ORM object costs more to build than
# the job it describes when the job modifies one instance
LOAD_JOBS = select(Job.__table__).where(Job.__table__.c.id.in_(bindparam("ids", expanding=True)))


def load_jobs(session, job_ids: list[str]) -> dict[str, SimpleNamespace]:
    """The jobs that exist among ``job_ids``, by id, as plain values."""
    return {row.id: SimpleNamespace(**row) for row in
            session.connection().execute(LOAD_JOBS, {"ids": job_ids}).mappings()}


# Cheap jobs (one instance each) share a transaction with the next acquisitions for this long:
# their commit costs more than they do. A writer waiting for SQLite's lock waits about this
# long plus one job.
ROUND_SECONDS = 0.02


def run_round(executor, *, more: bool = False) -> int:
    """Acquire and run a round of jobs in one transaction; with ``more``, acquisition after
    acquisition while each comes back full, for up to ``ROUND_SECONDS``. Returns how many ran
    (those of a round rolled back included)."""
    settings = executor.settings
    lock_time = timedelta(milliseconds=settings.job_lock_time_ms)
    current, ran, outcomes, loaded = None, 0, [], {}
    try:
        with executor.engine.transaction() as session:
            started = time.perf_counter()
            while True:
                acquiring = time.perf_counter()
                job_ids = acquire(session, owner=executor.owner, now=clock.now(),
                                  lock_time=lock_time, limit=settings.job_acquisition_size,
                                  database_clock=not clock.pinned())
                metrics.acquisition(time.perf_counter() - acquiring, len(job_ids))
                if not job_ids:
                    break
                loaded = load_jobs(session, job_ids)
                metrics.acquired(loaded.values())
                failed = False
                for index, job_id in enumerate(job_ids):
                    if executor._stop.is_set():  # stopping: the rest are unlocked at once
                        release(session, owner=executor.owner, job_ids=job_ids[index:])
                        break
                    current = job_id
                    metrics.QUEUE_DEPTH.set(len(job_ids) - index - 1)
                    outcome = jobs.run(session, loaded[job_id], settings)
                    outcomes.append(outcome)
                    ran += 1
                    if not outcome.ok:  # logged with its ids once committed (JobOutcome)
                        failed = True
                # go on while acquisitions come back full (more jobs wait) and time is left;
                # a failed job is due again at once: not again in this round
                if not more or failed or executor._stop.is_set() \
                        or len(job_ids) < settings.job_acquisition_size \
                        or time.perf_counter() - started >= ROUND_SECONDS:
                    break
    except Exception as error:
        metrics.QUEUE_DEPTH.set(0)
        if current is None:
            raise  # the acquisition itself failed: the executor's loop reports it
        job = loaded.get(current)
        if jobs.is_conflict(error) or is_unavailable(error):
            # not the job's fault (jobs.run): nothing was committed, the jobs run again
            log.warning("execution of job %s met a concurrent change or lost the database; "
                        "its round was rolled back: %s", current, error,
                        extra=metrics.job_fields(job, job_id=current))
        else:
            metrics.failed(job, current, error)  # logs it with the job's ids
            log.error("the round of job %s was rolled back; its other jobs run again", current)
            _record_failure(executor, current, error)
        return ran + 1  # the other jobs of the round run again in the next one
    metrics.QUEUE_DEPTH.set(0)
    for outcome in outcomes:
        outcome.committed(executor.engine)
    return ran


def _record_failure(executor, job_id: str, error: Exception) -> None:
    message = error.message if isinstance(error, ModbatchError) else \
        str(error) or type(error).__name__
    with executor.engine.transaction() as session:
        job = session.get(Job, job_id)
        if job is not None:
            jobs.record_failure(session, job, message, "".join(traceback.format_exception(error)))
