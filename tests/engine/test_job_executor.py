"""The job executor: locks with owner and expiry, crash recovery, real worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from modbatch.demo import run as run_demo
from modbatch.engine import clock, instances
from modbatch.engine.jobs.executor import JobExecutor
from modbatch.engine.modification import Instruction
from modbatch.store.tables import Batch, HistoricBatch, Job
from tests.engine.test_batches import create_batch, deploy_one_task
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
