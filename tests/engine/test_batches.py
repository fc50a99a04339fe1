"""The batch engine (reference D): seed, execution and monitor jobs, failures, statistics."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from modbatch.engine import batches, clock, instances, jobs, modification
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.store.tables import Batch, BatchItem, HistoricBatch, Incident, Job, JobDefinition
from tests.conftest import model_path
from tests.engine.test_runtime import start, tree


@pytest.fixture
def batch_engine(settings):
    """An engine with small, Camunda-like batch sizes: 10 jobs per seed, 1 instance per job."""
    engine = ProcessEngine(replace(settings, batch_jobs_per_seed=10, invocations_per_batch_job=1))
    install(engine)
    yield engine
    engine.close()
    clock.pin(None)


def deploy_one_task(engine):
    from modbatch.engine import repository

    path = model_path("syncAfterOneTaskProcess")
    with engine.transaction() as session:
        result = repository.deploy(session, name="t", source=None, tenant_id=None,
                                   resources=[(path.name, path.read_bytes())],
                                   max_resource_bytes=1 << 20)
        return result.definitions[0]


def create_batch(engine, definition, instance_ids, *instructions):
    instructions = instructions or (Instruction("cancel", activity_id="theTask"),
                                    Instruction("startBeforeActivity", activity_id="theTask"))
    with engine.transaction() as session:
        batch = batches.create_modification_batch(session, ModificationRequest(
            process_definition_id=definition.id, instructions=list(instructions),
            instance_ids=list(instance_ids), skip_custom_listeners=False, skip_io_mappings=False,
            annotation=None), engine.settings, tenant_id=None, deployment_id=definition.deployment_id)
        return batch.id


def job_ids(engine, batch_id, handler_type):
    with engine.transaction() as session:
        return list(session.execute(select(Job.id).where(
            Job.batch_id == batch_id, Job.handler_type == handler_type)
            .order_by(Job.item_from, Job.id)).scalars())


def run_job(engine, job_id):
    """Run a job in its own transaction and what follows its commit, as the executor does."""
    with engine.transaction() as session:
        outcome = jobs.run(session, session.get(Job, job_id), engine.settings)
    outcome.committed(engine)
    return outcome


def stats(engine, batch_id):
    with engine.transaction() as session:
        [(_, remaining, completed, failed)] = batches.statistics(session, {"batchId": batch_id})
        batch = session.get(Batch, batch_id)
        return {"created": batch.jobs_created, "remaining": remaining, "completed": completed,
                "failed": failed}


def task_instance_ids(engine, pid):
    with engine.transaction() as session:
        return [ai.id for ai in instances.load_one(session, pid).instances_of("theTask")]


def test_creation_stores_the_batch_definitions_items_and_a_seed_job(batch_engine):
    """A new batch has Camunda's counters, three job definitions, its items and one seed job."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(3)]
    batch_id = create_batch(batch_engine, definition, pids + pids[:1])
    with batch_engine.transaction() as session:
        batch = session.get(Batch, batch_id)
        types = sorted(session.execute(select(JobDefinition.job_type).where(
            JobDefinition.job_configuration == batch_id)).scalars())
        items = session.execute(select(BatchItem.process_instance_id, BatchItem.status).where(
            BatchItem.batch_id == batch_id).order_by(BatchItem.seq)).all()
        assert session.get(HistoricBatch, batch_id).end_time is None
    assert (batch.type, batch.total_jobs, batch.jobs_created) == ("instance-modification", 3, 0)
    assert types == ["batch-monitor-job", "batch-seed-job", "instance-modification"]
    assert items == [(pid, "pending") for pid in pids]
    assert len(job_ids(batch_engine, batch_id, "batch-seed-job")) == 1


def test_seed_job_hands_out_chunks_and_reseeds(batch_engine):
    """25 instances, 2 per job, 5 jobs per seed: 13 jobs over three seed runs, then the monitor."""
    engine = ProcessEngine(replace(batch_engine.settings, batch_jobs_per_seed=5,
                                   invocations_per_batch_job=2))
    install(engine)
    definition = deploy_one_task(engine)
    pids = [start(engine, definition) for _ in range(25)]
    batch_id = create_batch(engine, definition, pids)
    created = []
    for _ in range(3):
        [seed] = job_ids(engine, batch_id, "batch-seed-job")
        assert run_job(engine, seed).ok
        created.append(len(job_ids(engine, batch_id, "instance-modification")))
    assert created == [5, 10, 13]
    assert job_ids(engine, batch_id, "batch-seed-job") == []
    assert len(job_ids(engine, batch_id, "batch-monitor-job")) == 1
    with engine.transaction() as session:
        ranges = session.execute(select(Job.item_from, Job.item_to).where(
            Job.batch_id == batch_id, Job.handler_type == "instance-modification")
            .order_by(Job.item_from)).all()
    assert ranges[0] == (0, 1) and ranges[-1] == (24, 24)
    engine.close()


def test_a_whole_batch_runs_and_completes(batch_engine):
    """The job executor runs seed, execution and monitor jobs; the batch ends in history."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(12)]
    before = {pid: task_instance_ids(batch_engine, pid) for pid in pids}
    batch_id = create_batch(batch_engine, definition, pids)
    batch_engine.job_executor.run_until_idle()
    with batch_engine.transaction() as session:
        assert session.get(Batch, batch_id) is None
        historic = session.get(HistoricBatch, batch_id)
        assert session.execute(select(Job)).all() == []
        statuses = set(session.execute(select(BatchItem.status).where(
            BatchItem.batch_id == batch_id)).scalars())
    assert historic.end_time is not None and historic.execution_start_time is not None
    assert statuses == {"modified"}
    for pid in pids:
        assert tree(batch_engine, pid) == [("theTask", [])]
        assert task_instance_ids(batch_engine, pid) != before[pid]


def test_statistics_follow_camunda_formulas(batch_engine):
    """13 instances, one seed run, 2 jobs done and 2 failed: created 10, remaining 11, completed 2."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(13)]
    batch_id = create_batch(batch_engine, definition, pids)
    assert stats(batch_engine, batch_id) == {"created": 0, "remaining": 13, "completed": 0,
                                             "failed": 0}
    [seed] = job_ids(batch_engine, batch_id, "batch-seed-job")
    run_job(batch_engine, seed)
    execution = job_ids(batch_engine, batch_id, "instance-modification")
    for job_id in execution[:2]:
        assert run_job(batch_engine, job_id).ok
    with batch_engine.transaction() as session:
        for pid in pids[2:4]:
            instances.delete(session, pid)
        for job_id in execution[2:4]:
            jobs.set_retries(session, job_id, 1)
    for job_id in execution[2:4]:
        assert not run_job(batch_engine, job_id).ok
    assert stats(batch_engine, batch_id) == {"created": 10, "remaining": 11, "completed": 2,
                                             "failed": 2}


def test_deleted_jobs_count_as_completed(batch_engine):
    """13 instances, one seed run, all 10 jobs deleted: remaining 3, completed 10."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(13)]
    batch_id = create_batch(batch_engine, definition, pids)
    run_job(batch_engine, job_ids(batch_engine, batch_id, "batch-seed-job")[0])
    with batch_engine.transaction() as session:
        for job_id in job_ids(batch_engine, batch_id, "instance-modification"):
            jobs.delete_job(session, job_id)
    assert stats(batch_engine, batch_id)["remaining"] == 3
    assert stats(batch_engine, batch_id)["completed"] == 10


def test_partial_failure_keeps_the_good_instances_and_retries_the_bad(batch_engine):
    """One missing instance fails its job; the job's other instances are modified and stay so."""
    engine = ProcessEngine(replace(batch_engine.settings, invocations_per_batch_job=3))
    install(engine)
    definition = deploy_one_task(engine)
    pids = [start(engine, definition) for _ in range(3)]
    batch_id = create_batch(engine, definition, pids, Instruction("startBeforeActivity",
                                                                  activity_id="theTask"))
    with engine.transaction() as session:
        instances.delete(session, pids[1])
    run_job(engine, job_ids(engine, batch_id, "batch-seed-job")[0])
    [job_id] = job_ids(engine, batch_id, "instance-modification")
    message = (f"ENGINE-13036 Process instance '{pids[1]}' cannot be modified. The process "
               "instance does not exist")
    for expected_retries in (2, 1, 0):
        outcome = run_job(engine, job_id)
        assert outcome.failure == message
        with engine.transaction() as session:
            job = session.get(Job, job_id)
            assert (job.retries, job.exception_message) == (expected_retries, message)
    # the good instances were modified exactly once, not once per retry
    assert [len(tree(engine, pid)) for pid in (pids[0], pids[2])] == [2, 2]
    with engine.transaction() as session:
        items = dict(session.execute(select(BatchItem.process_instance_id, BatchItem.status)
                                     .where(BatchItem.batch_id == batch_id)).all())
        [incident] = session.execute(select(Incident)).scalars().all()
    assert items == {pids[0]: "modified", pids[1]: "failed", pids[2]: "modified"}
    assert (incident.incident_type, incident.configuration, incident.incident_message) == (
        "failedJob", job_id, message)
    # a failed job blocks completion; deleting it lets the monitor complete the batch
    engine.job_executor.run_until_idle()
    with engine.transaction() as session:
        assert session.get(Batch, batch_id) is not None
        jobs.delete_job(session, job_id)
    clock.pin(clock.now() + timedelta(seconds=engine.settings.batch_poll_time + 1))
    engine.job_executor.run_until_idle()
    with engine.transaction() as session:
        assert session.get(Batch, batch_id) is None
        assert session.get(HistoricBatch, batch_id).end_time is not None
    engine.close()


def test_last_execution_job_wakes_the_monitor(batch_engine):
    """A monitor that re-polled early is brought forward by the last execution job."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(2)]
    batch_id = create_batch(batch_engine, definition, pids)
    clock.pin(clock.now())
    run_job(batch_engine, job_ids(batch_engine, batch_id, "batch-seed-job")[0])
    run_job(batch_engine, job_ids(batch_engine, batch_id, "batch-monitor-job")[0])
    [monitor] = job_ids(batch_engine, batch_id, "batch-monitor-job")
    with batch_engine.transaction() as session:
        assert session.get(Job, monitor).due_date == clock.now() + timedelta(seconds=30)
    for job_id in job_ids(batch_engine, batch_id, "instance-modification"):
        run_job(batch_engine, job_id)
    with batch_engine.transaction() as session:
        assert session.get(Job, monitor).due_date is None  # due at once, whatever the clock
    assert batch_engine.job_executor.run_once() == 1
    with batch_engine.transaction() as session:
        assert session.get(Batch, batch_id) is None


def test_suspension_stops_acquisition_and_reaches_new_jobs(batch_engine):
    """A suspended batch's jobs are not acquired; jobs created meanwhile are suspended too."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(3)]
    batch_id = create_batch(batch_engine, definition, pids)
    with batch_engine.transaction() as session:
        batches.set_suspended(session, batch_id, True)
    assert batch_engine.job_executor.run_until_idle() == 0
    run_job(batch_engine, job_ids(batch_engine, batch_id, "batch-seed-job")[0])
    with batch_engine.transaction() as session:
        suspended = set(session.execute(select(Job.suspended).where(
            Job.batch_id == batch_id)).scalars())
    assert suspended == {True}
    with batch_engine.transaction() as session:
        batches.set_suspended(session, batch_id, False)
    batch_engine.job_executor.run_until_idle()
    with batch_engine.transaction() as session:
        assert session.get(Batch, batch_id) is None


@pytest.mark.parametrize("cascade", [False, True])
def test_delete_removes_runtime_and_optionally_history(batch_engine, cascade):
    """Deleting a batch removes its jobs and definitions; cascade removes its history too."""
    definition = deploy_one_task(batch_engine)
    batch_id = create_batch(batch_engine, definition, [start(batch_engine, definition)])
    with batch_engine.transaction() as session:
        batches.delete_batch(session, batch_id, cascade=cascade)
    with batch_engine.transaction() as session:
        assert session.execute(select(Job)).all() == []
        assert session.execute(select(JobDefinition)).all() == []
        historic = session.get(HistoricBatch, batch_id)
    if cascade:
        assert historic is None
    else:
        assert historic.end_time is not None


def test_instances_in_other_states_are_still_modified(batch_engine):
    """Start instructions add tokens whatever the instance's state (reference C.6)."""
    definition = deploy_one_task(batch_engine)
    pid = start(batch_engine, definition)
    batch_id = create_batch(batch_engine, definition, [pid],
                            Instruction("startBeforeActivity", activity_id="theTask"))
    with batch_engine.transaction() as session:
        modification.execute_sync(session, ModificationRequest(
            definition.id, [Instruction("startBeforeActivity", activity_id="theTask")], [pid],
            False, False, None))
    batch_engine.job_executor.run_until_idle()
    assert tree(batch_engine, pid) == [("theTask", [])] * 3
    assert batch_id
