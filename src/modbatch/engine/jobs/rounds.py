"""One transaction per acquisition round where the database runs one writer at a time (SQLite).

On SQLite nothing runs beside a writing transaction anyway, so the executor runs the jobs of a
round inside the transaction that acquired them, each in a savepoint of its own: a round pays
one commit instead of one per job plus the acquisition's, and writes each page it changed once
instead of once per job. A job's failure stays its own: its savepoint rolls back and the
failure (one retry less) is recorded in the same transaction. A process that dies mid-round
loses the whole round, which leaves no job locked, since the locks were never committed.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from modbatch.engine import clock, jobs
from modbatch.errors import ModbatchError
from modbatch.store.acquisition import acquire
from modbatch.store.tables import Job

log = logging.getLogger("modbatch.jobexecutor")


def run_round(executor) -> int:
    """Acquire and run one round of jobs in one transaction; returns how many ran."""
    settings = executor.settings
    now = clock.now()
    with executor.engine.transaction() as session:
        job_ids = acquire(session, owner=executor.owner, now=now,
                          lock_until=now + timedelta(milliseconds=settings.job_lock_time_ms),
                          limit=settings.job_acquisition_size)
        for job_id in job_ids:
            job = session.get(Job, job_id)
            try:
                with session.begin_nested():
                    outcome = jobs.run(session, job, settings)
            except Exception as error:  # rolled back to the savepoint: record it as its failure
                log.exception("execution of job %s failed", job_id)
                message = error.message if isinstance(error, ModbatchError) else \
                    str(error) or type(error).__name__
                jobs.record_failure(session, job, message,
                                    "".join(traceback.format_exception(error)))
                continue
            if not outcome.ok:
                log.info("job %s failed: %s", job_id, outcome.failure)
    return len(job_ids)
