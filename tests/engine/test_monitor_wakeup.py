"""Execution jobs and the batch row: only the last jobs of a batch lock it.

Where writers run concurrently (PostgreSQL) the "am I the last execution job" check runs after
the job's commit and locks the batch row only when no other execution job is left, so workers
running a batch side by side never wait for each other there. The races between two last jobs,
and between the last job and a polling monitor, are in test_job_executor.py.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from modbatch.store.database import serialises_writers
from modbatch.store.tables import Batch
from tests.engine.test_batches import job_ids, run_job
from tests.engine.test_job_executor import job_row, seeded_batch, small_jobs  # noqa: F401


def test_an_execution_job_before_the_last_runs_while_the_batch_row_is_locked(small_jobs):
    """With the batch row locked by another transaction (a polling monitor, a last job), an
    execution job that is not the last one runs to its end without waiting for it."""
    if serialises_writers(small_jobs.database.engine):
        pytest.skip("SQLite runs one writer at a time: a locked batch row is a locked database")
    batch_id = seeded_batch(small_jobs, 2)
    first, second = job_ids(small_jobs, batch_id, "instance-modification")
    locked, release = threading.Event(), threading.Event()

    def hold_the_batch_row():
        with small_jobs.database.engine.begin() as other:
            other.execute(text("SELECT id FROM batch WHERE id = :id FOR UPDATE"), {"id": batch_id})
            locked.set()
            release.wait(60)

    holder = threading.Thread(target=hold_the_batch_row)
    holder.start()
    try:
        assert locked.wait(60)
        done = threading.Event()
        worker = threading.Thread(target=lambda: (run_job(small_jobs, first), done.set()))
        worker.start()
        assert done.wait(10), "the execution job waited for the batch row"
        assert job_row(small_jobs, first) is None and job_row(small_jobs, second) is not None
    finally:
        release.set()
        holder.join(60)
        worker.join(60)
    with small_jobs.read() as session:
        assert session.get(Batch, batch_id) is not None
