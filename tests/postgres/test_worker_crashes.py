"""A batch over 20,000 instances run by real worker processes that crash, pause, or lose their
database: it completes, modifies every instance exactly once and leaves no job locked.

Instances are started in-process (the set-based engine call, as the demo does); the batch is
created, watched and checked through the REST API of a `modbatch serve --no-job-executor`
process. Only the choice of the moment to crash looks into the job table.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from modbatch.engine import instances, repository
from modbatch.engine.clock import parse_date
from modbatch.engine.process_engine import ProcessEngine
from modbatch.settings import Settings
from modbatch.store.database import serialises_writers
from modbatch.store.tables import Job
from tests.conftest import ROOT, free_port
from tests.postgres.processes import environment

INSTANCES = 20_000
RESTART_INSTANCES = 10_000
LOCK_TIME_MS = 3000
PROCESS_SETTINGS = {"MODBATCH_JOB_LOCK_TIME_MS": str(LOCK_TIME_MS),
                    "MODBATCH_JOB_IDLE_WAIT_MS": "100",
                    "MODBATCH_INVOCATIONS_PER_BATCH_JOB": "100"}
MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="crashTestModel"
             targetNamespace="https://modbatch.invalid/tests">
  <process id="crashTest" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="toReview" sourceRef="start" targetRef="review"/>
    <userTask id="review"/>
    <sequenceFlow id="toApprove" sourceRef="review" targetRef="approve"/>
    <userTask id="approve"/>
    <sequenceFlow id="toEnd" sourceRef="approve" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def seed(engine: ProcessEngine, count: int) -> str:
    """Deploy the model and start ``count`` instances waiting in ``review``; the definition id."""
    with engine.transaction() as session:
        [definition] = repository.deploy(
            session, name="crash-test", source=None, tenant_id=None,
            resources=[("crashTest.bpmn", MODEL)], max_resource_bytes=1 << 20).definitions
    for offset in range(0, count, 5000):
        with engine.transaction() as session:
            instances.start_many(session, definition, min(5000, count - offset))
    return definition.id


def get(base: str, path: str, **params):
    """GET a REST resource; None while the server cannot answer (its database restarts)."""
    try:
        response = httpx.get(f"{base}{path}", params=params, timeout=30)
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def count(base: str, path: str, **params) -> int:
    response = httpx.get(f"{base}{path}", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["count"]


@dataclass
class Batch:
    """A modification batch created and watched through REST."""

    base: str
    id: str
    total_jobs: int
    completed: list[int] = field(default_factory=list)

    @classmethod
    def create(cls, base: str, definition_id: str) -> "Batch":
        response = httpx.post(f"{base}/modification/executeAsync", timeout=120, json={
            "processDefinitionId": definition_id,
            "processInstanceQuery": {"processDefinitionKey": "crashTest"},
            "instructions": [{"type": "cancel", "activityId": "review"},
                             {"type": "startBeforeActivity", "activityId": "approve"}]})
        assert response.status_code == 200, response.text
        body = response.json()
        return cls(base, body["id"], body["totalJobs"])

    def poll(self) -> bool | None:
        """One look at ``GET /batch/statistics``: True once the batch is gone (completed),
        None when the server cannot answer. The figures must add up at every look."""
        statistics = get(self.base, "/batch/statistics", batchId=self.id)
        if statistics is None:
            return None
        if not statistics:
            return True
        [figures] = statistics
        assert figures["remainingJobs"] + figures["completedJobs"] == self.total_jobs, figures
        assert figures["totalJobs"] == self.total_jobs and figures["failedJobs"] == 0, figures
        assert figures["completedJobs"] >= max(self.completed, default=0), figures
        self.completed.append(figures["completedJobs"])
        return False

    def wait(self, *, completed: float = 1.0, timeout: float = 180) -> None:
        """Until the share ``completed`` of the execution jobs is done (1.0: the batch is)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.poll()
            if done or (completed < 1 and self.completed
                        and self.completed[-1] >= completed * self.total_jobs):
                return
            time.sleep(0.1)
        raise AssertionError(f"batch {self.id}: {self.completed[-1:]} of {self.total_jobs} "
                             f"jobs done after {timeout} s")

    def assert_modified_each_instance_once(self, instance_count: int) -> None:
        """Every instance moved from review to approve exactly once, the batch completed within
        a second of its last job, and no job is left (locked or not)."""
        historic = get(self.base, f"/history/batch/{self.id}")
        assert historic["endTime"] is not None
        items = f"/history/batch/{self.id}/items/count"
        assert count(self.base, items, status="modified") == instance_count
        assert count(self.base, items, status="failed") == 0
        assert count(self.base, "/process-instance/count") == instance_count
        assert count(self.base, "/process-instance/count", activityIdIn="approve") == instance_count
        assert count(self.base, "/process-instance/count", activityIdIn="review") == 0
        # one approve activity instance per instance in all of history: none started twice
        assert count(self.base, "/history/activity-instance/count",
                     activityId="approve") == instance_count
        assert count(self.base, "/history/activity-instance/count", activityId="review",
                     canceled="true") == instance_count
        assert count(self.base, "/job/count") == 0
        assert count(self.base, "/incident/count") == 0
        [last] = get(self.base, "/history/activity-instance", activityId="approve",
                     sortBy="startTime", sortOrder="desc", maxResults=1)
        # the last job's modification and the batch's end, both as the database recorded them
        completion = parse_date(historic["endTime"]) - parse_date(last["startTime"])
        assert timedelta(0) <= completion <= timedelta(seconds=1), completion


def locks_of(engine: ProcessEngine, owner: str) -> list[str]:
    """The jobs ``owner`` holds locked right now."""
    with engine.read() as session:
        return list(session.execute(select(Job.id).where(Job.lock_owner == owner)).scalars())


def when_holding_locks(engine: ProcessEngine, worker, batch: Batch) -> None:
    """Wait until ``worker`` holds at least two locked jobs (mid-round), watching the batch.
    On SQLite a worker's round is one transaction whose locks nobody else sees (jobs.rounds):
    any moment finds it mid-round or waiting for the writer lock."""
    if serialises_writers(engine.database.engine):
        batch.poll()
        return
    deadline = time.monotonic() + 60
    while len(locks_of(engine, worker.owner)) < 2:
        assert time.monotonic() < deadline, f"{worker.name} never held two jobs"
        batch.poll()
        time.sleep(0.01)


def test_killed_and_paused_workers_lose_nothing_and_modify_each_instance_once(
        engine, database_url, cluster):
    """Three workers and a server without executor on one database (SQLite file or
    PostgreSQL): one worker is killed with SIGKILL a quarter into the batch, another is paused
    with SIGSTOP past its lock time and resumed. The batch completes, every instance is
    modified exactly once, statistics add up all along, no job stays locked, and the batch
    completes within a second of its last job; the two survivors stop cleanly on SIGTERM."""
    cluster.launch(database_url, workers=3, **PROCESS_SETTINGS)
    definition_id = seed(engine, INSTANCES)
    base, (killed, paused, steady) = cluster.ready()
    batch = Batch.create(base, definition_id)
    assert batch.total_jobs == INSTANCES // 100

    batch.wait(completed=0.25)
    when_holding_locks(engine, killed, batch)
    killed.send(signal.SIGKILL)
    killed.popen.wait(timeout=30)
    # left locked behind, for the others to take over; a round on SQLite committed nothing
    assert bool(locks_of(engine, killed.owner)) is not serialises_writers(engine.database.engine)

    batch.wait(completed=0.4)
    when_holding_locks(engine, paused, batch)
    paused.send(signal.SIGSTOP)
    stopped = time.monotonic()
    while time.monotonic() - stopped < LOCK_TIME_MS / 1000 + 1.5:  # past its locks' expiry
        batch.poll()
        time.sleep(0.1)
    paused.send(signal.SIGCONT)

    batch.wait()
    batch.assert_modified_each_instance_once(INSTANCES)
    assert locks_of(engine, killed.owner) == [] and locks_of(engine, paused.owner) == []
    assert [cluster.stop(paused), cluster.stop(steady)] == [0, 0]


def test_a_database_restart_mid_batch_is_survived(postgres_only, cluster):
    """PostgreSQL restarted (every session ended) a third into a batch of 10,000 instances run
    by three workers: the workers reconnect and carry on, and the batch completes with every
    instance modified exactly once and no job left locked; the workers stop cleanly on SIGTERM."""
    folder = Path("/tmp") / f"modbatch-pg-{uuid.uuid4().hex[:8]}"  # the postgres user's reach
    script = ROOT / "scripts" / "throwaway-postgres"
    url = subprocess.run([script, "start", folder, str(free_port())], check=True,
                         capture_output=True, text=True).stdout.strip()
    try:
        subprocess.run([sys.executable, "-m", "modbatch.cli", "db", "upgrade", "--database-url",
                        url], check=True, capture_output=True, env=environment(url))
        engine = ProcessEngine(Settings(database_url=url, job_executor=False))
        cluster.launch(url, workers=3, **PROCESS_SETTINGS)
        try:
            definition_id = seed(engine, RESTART_INSTANCES)
        finally:
            engine.close()
        base, workers = cluster.ready()
        batch = Batch.create(base, definition_id)
        batch.wait(completed=0.33)
        subprocess.run([script, "restart", folder, "fast"], check=True)
        batch.wait()
        batch.assert_modified_each_instance_once(RESTART_INSTANCES)
        assert [cluster.stop(worker) for worker in workers] == [0, 0, 0]
    finally:
        cluster.close()
        subprocess.run([script, "stop", folder], check=False)
        shutil.rmtree(folder, ignore_errors=True)
