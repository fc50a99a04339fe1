"""The job executor: locks with owner and expiry, crash recovery, real worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

import logging
import threading

import pytest
from sqlalchemy.exc import OperationalError

from modbatch.demo import run as run_demo
from modbatch.engine import clock, instances, jobs
from modbatch.engine.jobs import rounds
from modbatch.engine.jobs.executor import CONFLICT_ATTEMPTS, JobExecutor
from modbatch.engine.modification import Instruction
from modbatch.engine.persistence import OptimisticLockingError
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.store.tables import Batch, HistoricBatch, Job
from tests.engine.test_batches import create_batch, deploy_one_task, job_ids, run_job
from tests.engine.test_runtime import start, tree


def test_acquired_jobs_are_locked_to_their_owner(engine):
    """An acquired job carries its executor's lock; another executor cannot take it meanwhile."""
    definition = deploy_one_task(engine)
    create_batch(engine, definition, [start(engine, definition)])
    first, second = JobExecutor(engine, owner="first"), JobExecutor(engine, owner="second")
    [job_id] = first.acquire()
    with engine.transaction() as session:
        job = session.get(Job, job_id)
    assert job.lock_owner == "first" and job.lock_expiration_time > clock.now()
    assert second.acquire() == []
    assert second.execute(job_id) is False


def test_a_crashed_executors_jobs_are_picked_up_after_the_lock_expires(engine):
    """Jobs locked by an executor that never finished run again once their lock expired."""
    definition = deploy_one_task(engine)
    pid = start(engine, definition)
    batch_id = create_batch(engine, definition, [pid])
    crashed = JobExecutor(engine, owner="crashed")
    assert len(crashed.acquire()) == 1  # ... and then the process dies
    survivor = JobExecutor(engine, owner="survivor")
    assert survivor.run_until_idle() == 0
    clock.pin(clock.now() + timedelta(milliseconds=engine.settings.job_lock_time_ms + 1))
    assert survivor.run_until_idle() >= 3  # seed, execution and monitor jobs
    with engine.transaction() as session:
        assert session.get(Batch, batch_id) is None
    assert crashed.execute(crashed.owner) is False


def test_the_background_thread_completes_a_batch(engine):
    """start() runs the executor in a thread until stop(); the batch completes meanwhile."""
    definition = deploy_one_task(engine)
    pids = [start(engine, definition) for _ in range(5)]
    batch_id = create_batch(engine, definition, pids, Instruction(
        "startBeforeActivity", activity_id="theTask"))
    engine.job_executor.start()
    engine.job_executor.wake()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.read() as session:
            if session.get(HistoricBatch, batch_id).end_time is not None:
                break
        time.sleep(0.05)
    engine.job_executor.stop()
    assert [len(tree(engine, pid)) for pid in pids] == [2] * 5


def test_worker_processes_share_a_batch(engine, settings):
    """Two `modbatch worker` processes on one database finish a batch between them."""
    engine_settings = replace(engine.settings, invocations_per_batch_job=5)
    definition = deploy_one_task(engine)
    with engine.transaction() as session:
        pids = instances.start_many(session, definition, 60)
    with engine.read() as session:
        before = {ai.id for pid in pids
                  for ai in instances.load_one(session, pid).instances_of("theTask")}
    env = {**os.environ, "MODBATCH_DATABASE_URL": settings.database_url,
           "MODBATCH_JOB_IDLE_WAIT_MS": "50"}
    workers = [subprocess.Popen([sys.executable, "-m", "modbatch.cli", "worker"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    try:
        # both workers are up (and handle SIGTERM) before there is work to share
        assert all(w.stdout.readline().startswith(b"modbatch worker") for w in workers)
        engine.settings = engine_settings
        batch_id = create_batch(engine, definition, pids)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.read() as session:
                if session.get(HistoricBatch, batch_id).end_time is not None:
                    break
            assert all(w.poll() is None for w in workers), workers[0].stderr.read().decode()
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    with engine.read() as session:
        assert session.get(HistoricBatch, batch_id).end_time is not None
        assert session.execute(select(Job)).all() == []
    codes = [w.returncode for w in workers]
    assert codes == [0, 0], [w.stderr.read().decode()[-2000:] for w in workers]
    with engine.read() as session:
        after = [
            [ai.id for ai in instances.load_one(session, pid).instances_of("theTask")]
            for pid in pids]
    assert all(len(ids) == 1 for ids in after)
    assert not {ids[0] for ids in after} & before


def test_demo_modifies_every_instance(database_url, capsys):
    """`modbatch demo` moves every started instance from review to approve, without failures."""
    from modbatch.settings import Settings

    figures = run_demo(Settings(database_url=database_url), 250)
    assert (figures["modified"], figures["failed"], figures["at_approve"]) == (250, 0, 250)
    assert "modified  250 instances" in capsys.readouterr().out


# ------------------------------------------------------------------ failures release locks
@pytest.fixture
def small_jobs(settings):
    """An engine with one instance per execution job, so a few instances make a few jobs."""
    engine = ProcessEngine(replace(settings, invocations_per_batch_job=1))
    install(engine)
    yield engine
    engine.close()
    clock.pin(None)


def seeded_batch(engine, count):
    """A batch whose seed job and first monitor poll ran: ``count`` execution jobs wait, none
    locked, and the monitor polls again in 30 seconds."""
    definition = deploy_one_task(engine)
    batch_id = create_batch(engine, definition, [start(engine, definition) for _ in range(count)])
    [seed] = job_ids(engine, batch_id, "batch-seed-job")
    assert run_job(engine, seed).ok
    [monitor] = job_ids(engine, batch_id, "batch-monitor-job")
    assert run_job(engine, monitor).ok
    return batch_id


def job_row(engine, job_id):
    """The job's columns as they are now, or None once it is gone."""
    with engine.read() as session:
        return session.execute(select(Job.__table__).where(Job.id == job_id)).first()


def failing_run(error, *, times=None):
    """A stand-in for ``jobs.run`` raising ``error`` (the first ``times`` calls, or always)."""
    real, calls = jobs.run, []

    def run(session, job, settings):
        calls.append(job.id)
        if times is None or len(calls) <= times:
            raise error
        return real(session, job, settings)

    run.calls = calls
    return run


def lost_connection():
    return OperationalError("UPDATE process_instance ...", {}, Exception(
        "server closed the connection unexpectedly"), connection_invalidated=True)


def test_a_job_whose_database_connection_is_lost_is_unlocked_at_once(small_jobs, monkeypatch):
    """A lost connection while executing unlocks the job at once, no retry spent; another
    executor acquires it without waiting for the lock time."""
    seeded_batch(small_jobs, 1)
    executor = JobExecutor(small_jobs, owner="failing")
    [job_id] = executor.acquire()
    monkeypatch.setattr(jobs, "run", failing_run(lost_connection()))
    assert executor.execute(job_id) is True
    job = job_row(small_jobs, job_id)
    assert (job.lock_owner, job.lock_expiration_time, job.retries, job.exception_message) == (
        None, None, 3, None)
    assert job_id in JobExecutor(small_jobs, owner="other").acquire()


def test_an_error_escaping_the_job_transaction_is_recorded_and_unlocks(small_jobs, monkeypatch,
                                                                        caplog):
    """A database error escaping ``jobs.run`` is logged as an execution error of that job and
    batch, recorded as the job's failure (one retry less) and unlocks it at once."""
    batch_id = seeded_batch(small_jobs, 1)
    executor = JobExecutor(small_jobs, owner="failing")
    [job_id] = executor.acquire()
    monkeypatch.setattr(jobs, "run", failing_run(OperationalError(
        "COMMIT", {}, Exception("could not extend file: No space left on device"))))
    with caplog.at_level(logging.ERROR, logger="modbatch.jobexecutor"):
        assert executor.execute(job_id) is True
    [record] = caplog.records
    assert record.getMessage() == (f"execution of job {job_id} of batch {batch_id} failed "
                                   "(batch-execution): (builtins.Exception) could not extend "
                                   "file: No space left on device")
    assert (record.levelname, record.job_id, record.job_type, record.batch_id, record.error) == (
        "ERROR", job_id, "batch-execution", batch_id,
        "(builtins.Exception) could not extend file: No space left on device")
    job = job_row(small_jobs, job_id)
    assert (job.lock_owner, job.lock_expiration_time, job.retries) == (None, None, 2)
    assert "No space left on device" in job.exception_message
    assert job_id in JobExecutor(small_jobs, owner="other").acquire()


def test_an_optimistic_locking_conflict_runs_the_job_again_in_place(small_jobs, monkeypatch):
    """A job meeting a concurrent change runs again at once and completes; no retry is spent
    and its instance is modified once."""
    batch_id = seeded_batch(small_jobs, 1)
    [job_id] = job_ids(small_jobs, batch_id, "instance-modification")
    conflict = OptimisticLockingError("ENGINE-03005 Entity was updated by another transaction")
    run = failing_run(conflict, times=1)
    monkeypatch.setattr(jobs, "run", run)
    executor = JobExecutor(small_jobs, owner="executor")
    assert executor.acquire() == [job_id]
    assert executor.execute(job_id) is True
    assert run.calls == [job_id, job_id]
    assert job_row(small_jobs, job_id) is None
    with small_jobs.read() as session:
        assert session.get(Batch, batch_id).execution_start_time is not None


def test_a_lasting_conflict_unlocks_the_job_without_spending_retries(small_jobs, monkeypatch):
    """After CONFLICT_ATTEMPTS conflicts in a row the job is unlocked, its retries intact."""
    seeded_batch(small_jobs, 1)
    executor = JobExecutor(small_jobs, owner="executor")
    [job_id] = executor.acquire()
    run = failing_run(OperationalError("SELECT ...", {}, Exception("deadlock detected")))
    monkeypatch.setattr(jobs, "is_conflict", lambda error: True)
    monkeypatch.setattr(jobs, "run", run)
    assert executor.execute(job_id) is True
    assert len(run.calls) == CONFLICT_ATTEMPTS
    job = job_row(small_jobs, job_id)
    assert (job.lock_owner, job.lock_expiration_time, job.retries, job.exception_message) == (
        None, None, 3, None)


def test_stopping_unlocks_the_jobs_acquired_but_not_started(small_jobs, monkeypatch):
    """An executor stopped while running a round finishes that job and unlocks the others."""
    batch_id = seeded_batch(small_jobs, 4)
    executor = JobExecutor(small_jobs, owner="stopping")
    real = jobs.run

    def run_then_stop(session, job, settings):
        executor.stop()  # as SIGTERM of `modbatch worker` or engine.close() would, mid-round
        return real(session, job, settings)

    monkeypatch.setattr(jobs, "run", run_then_stop)
    assert executor.run_once() == 1
    remaining = job_ids(small_jobs, batch_id, "instance-modification")
    assert len(remaining) == 3
    assert [(job.lock_owner, job.lock_expiration_time)
            for job in map(lambda i: job_row(small_jobs, i), remaining)] == [(None, None)] * 3


def test_an_unreachable_database_unlocks_the_round_once_it_answers(small_jobs, monkeypatch):
    """When even unlocking fails, the executor stops the round and unlocks every job of it
    before its next acquisition."""
    batch_id = seeded_batch(small_jobs, 3)
    executor = JobExecutor(small_jobs, owner="cut-off")
    executor.one_transaction_per_round = False  # a round in one transaction commits no lock
    real_release = executor.release.__func__
    monkeypatch.setattr(jobs, "run", failing_run(lost_connection()))
    down = True

    def release(self, job_ids=()):
        if down:
            self._unreleased |= set(job_ids)  # what a failed release leaves behind
            return
        real_release(self, job_ids)

    monkeypatch.setattr(JobExecutor, "release", release)
    assert executor.run_once() == 1
    down = False
    monkeypatch.setattr(jobs, "run", lambda *args: pytest.fail("the round was not stopped"))
    monkeypatch.setattr(executor, "acquire", lambda: [])
    assert executor.run_once() == 0
    assert [job_row(small_jobs, i).lock_owner
            for i in job_ids(small_jobs, batch_id, "instance-modification")] == [None] * 3


def test_acquisition_errors_are_logged_as_such(small_jobs, monkeypatch, caplog):
    """A failing acquisition is logged as one, and the executor thread keeps going."""
    executor = JobExecutor(small_jobs, owner="executor")
    failures = []

    def acquire(*args, **kwargs):
        failures.append(1)
        raise OperationalError("SELECT job ...", {}, Exception("connection refused"))

    monkeypatch.setattr(executor, "acquire", acquire)
    monkeypatch.setattr(rounds, "acquire", acquire)  # SQLite: acquired in the round's transaction
    with caplog.at_level(logging.ERROR, logger="modbatch.jobexecutor"):
        executor.start()
        deadline = time.monotonic() + 30
        while len(failures) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        executor.stop()
    assert len(failures) >= 2
    assert {r.getMessage() for r in caplog.records} == {"job acquisition failed"}


# ------------------------------------------------------------------ the monitor wake-up
def run_uncommitted(engine, job_id, ran: threading.Event, commit: threading.Event):
    """Run a job in a transaction that commits only when ``commit`` is set (then what
    follows its commit, as the executor does)."""
    with engine.transaction() as session:
        outcome = jobs.run(session, session.get(Job, job_id), engine.settings)
        assert outcome.ok
        ran.set()
        assert commit.wait(60)
    outcome.committed(engine)


def race(engine, first_job: str, second_job: str) -> None:
    """Run ``first_job`` up to its commit, let ``second_job`` run meanwhile as far as the
    database lets it, then commit both: two jobs finishing together."""
    ran, commit = threading.Event(), threading.Event()
    first = threading.Thread(target=run_uncommitted, args=(engine, first_job, ran, commit))
    first.start()
    assert ran.wait(60)
    second = threading.Thread(target=run_job, args=(engine, second_job))
    second.start()
    second.join(0.5)  # done already, or waiting for the first job's transaction
    commit.set()
    first.join(60)
    second.join(60)


def test_two_last_execution_jobs_finishing_together_wake_the_monitor(small_jobs):
    """Two last execution jobs committing together: one of them wakes the re-polled monitor,
    and the next round completes the batch."""
    clock.pin(clock.now())
    batch_id = seeded_batch(small_jobs, 2)
    [monitor] = job_ids(small_jobs, batch_id, "batch-monitor-job")
    assert job_row(small_jobs, monitor).due_date == clock.now() + timedelta(seconds=30)
    race(small_jobs, *job_ids(small_jobs, batch_id, "instance-modification"))
    assert job_row(small_jobs, monitor).due_date is None
    assert small_jobs.job_executor.run_once() == 1
    with small_jobs.read() as session:
        assert session.get(Batch, batch_id) is None
        assert session.get(HistoricBatch, batch_id).end_time == clock.now()


def test_the_last_execution_job_finishing_while_the_monitor_polls_wakes_its_next_poll(
        small_jobs):
    """The monitor re-polling while the last execution job commits: its next poll is due at
    once, not 30 seconds later."""
    clock.pin(clock.now())
    batch_id = seeded_batch(small_jobs, 1)
    [monitor] = job_ids(small_jobs, batch_id, "batch-monitor-job")
    [last] = job_ids(small_jobs, batch_id, "instance-modification")
    race(small_jobs, monitor, last)
    [next_poll] = job_ids(small_jobs, batch_id, "batch-monitor-job")
    assert job_row(small_jobs, next_poll).due_date is None
    assert small_jobs.job_executor.run_once() == 1
    with small_jobs.read() as session:
        assert session.get(HistoricBatch, batch_id).end_time == clock.now()
