"""Job locks expire by the database's clock on PostgreSQL, whatever each node's clock says."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, func, select

from modbatch.engine import clock
from modbatch.engine.jobs.executor import JobExecutor
from modbatch.engine.modification import Instruction
from modbatch.store.tables import Job
from tests.engine.test_batches import create_batch, deploy_one_task
from tests.engine.test_runtime import start


def lock_and_database_time(engine, job_id: str) -> tuple[datetime, datetime]:
    with engine.read() as session:
        return session.execute(select(
            Job.lock_expiration_time,
            func.timezone("UTC", func.now(), type_=DateTime())).where(Job.id == job_id)).one()


def test_locks_expire_by_the_database_clock_not_the_nodes(postgres_only, engine, monkeypatch):
    """A node whose clock runs an hour ahead does not take a job another node holds, and the
    jobs it acquires stay locked for the lock time by the database's clock, not an hour more."""
    definition = deploy_one_task(engine)
    lock_time = timedelta(milliseconds=engine.settings.job_lock_time_ms)
    create_batch(engine, definition, [start(engine, definition)])
    [held] = JobExecutor(engine, owner="on-time").acquire()
    expires, database_now = lock_and_database_time(engine, held)
    assert lock_time - timedelta(seconds=5) < expires - database_now <= lock_time

    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(hours=1))
    assert not clock.pinned()
    create_batch(engine, definition, [start(engine, definition)],
                 Instruction("startBeforeActivity", activity_id="theTask"))
    ahead = JobExecutor(engine, owner="an-hour-ahead")
    [taken] = ahead.acquire()
    assert taken != held
    expires, database_now = lock_and_database_time(engine, taken)
    assert lock_time - timedelta(seconds=5) < expires - database_now <= lock_time
    with engine.read() as session:
        assert session.get(Job, held).lock_owner == "on-time"
