"""Deploying a process definition: job definitions per async continuation and timer, timer start
jobs replacing those of the previous version, and cycle timers scheduling their successors.

The models here are the shared one-task process with activities added or changed in Python
(timer start events, async flags); tests/api/test_timer_start_event.py deploys real XML.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from modbatch.engine import clock, jobs, repository
from modbatch.engine.jobs import deployment as deployment_jobs
from modbatch.engine.bpmn import compile_expression
from modbatch.engine.bpmn.model import Activity, ProcessModel, TimerDefinition
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import Incident, Job, JobDefinition, ProcessDefinition

T0 = datetime(2026, 6, 1, 12, 0, 0)


def Timer(kind: str, text: str) -> TimerDefinition:  # noqa: N802  (reads like the class)
    """A timer definition as the parser builds it: kind, raw text, compiled expression."""
    return TimerDefinition(kind, text, compile_expression(text))


@pytest.fixture
def one_task(deploy) -> ProcessDefinition:
    clock.pin(T0)
    return deploy("oneTaskProcess.bpmn20.xml")["oneTaskProcess"]


def with_activities(engine, definition: ProcessDefinition, *activities: Activity,
                    **changes: dict[str, Any]) -> ProcessModel:
    """The definition's model with activities added and existing ones changed."""
    with engine.read() as session:
        model = repository.model_for(session, definition)
    updated = {key: replace(activity, **changes.get(key, {}))
               for key, activity in model.activities.items()}
    updated.update({activity.id: activity for activity in activities})
    return replace(model, activities=updated)


def start_timer(activity_id: str, model_id: str, timer: Timer) -> Activity:
    return Activity(id=activity_id, type="startTimerEvent", name=None, scope_id=model_id,
                    timer=timer)


def rows(engine, table, *conditions) -> list:
    with engine.transaction() as session:
        return list(session.execute(select(table).where(*conditions)).scalars())


# ------------------------------------------------------------------------ job definition ids
def test_job_definition_ids_are_reproducible_and_distinct():
    """The same four values give the same uuid; any other value another one."""
    first = jobs.job_definition_id("p:1:x", "task", "async-continuation", "async-before")
    assert first == jobs.job_definition_id("p:1:x", "task", "async-continuation", "async-before")
    others = {jobs.job_definition_id("p:1:x", "task", "async-continuation", "async-after"),
              jobs.job_definition_id("p:2:x", "task", "async-continuation", "async-before"),
              jobs.job_definition_id("p:1:x", "task2", "async-continuation", "async-before"),
              jobs.job_definition_id("p:1:x", "task", "timer-transition", "async-before")}
    assert first not in others and len(others) == 4
    assert len(first) == 36 and first[14] == "5"  # a uuid5


# ------------------------------------------------------------------------ job definitions
def test_definitions_for_model_declares_asyncs_and_timers(engine, one_task):
    """One job definition per async-before, async-after and timer, with Camunda's type and
    configuration; activities without either get none."""
    model = with_activities(
        engine, one_task,
        start_timer("nightly", "oneTaskProcess", Timer("timeCycle", "0 0 2 * * ?")),
        Activity(id="wait", type="intermediateTimer", name=None, scope_id="oneTaskProcess",
                 timer=Timer("timeDuration", "PT5M")),
        Activity(id="remind", type="boundaryTimer", name=None, scope_id="oneTaskProcess",
                 attached_to="theTask", timer=Timer("timeDate", "${due}")),
        theTask={"async_before": True, "async_after": True})
    found = deployment_jobs.definitions_for_model(one_task, model)
    assert sorted((row["activity_id"], row["job_type"], row["job_configuration"]) for row in found) \
        == [("nightly", "timer-start-event", "CYCLE: 0 0 2 * * ?"),
            ("remind", "timer-transition", "DATE: ${due}"),
            ("theTask", "async-continuation", "async-after"),
            ("theTask", "async-continuation", "async-before"),
            ("wait", "timer-intermediate-transition", "DURATION: PT5M")]
    for row in found:
        assert row == {
            "id": jobs.job_definition_id(one_task.id, row["activity_id"], row["job_type"],
                                         row["job_configuration"]),
            "job_type": row["job_type"], "job_configuration": row["job_configuration"],
            "activity_id": row["activity_id"], "process_definition_id": one_task.id,
            "process_definition_key": "oneTaskProcess", "overriding_job_priority": None,
            "suspended": False, "tenant_id": None, "deployment_id": one_task.deployment_id}


def test_a_model_without_asyncs_or_timers_has_no_job_definitions(engine, one_task):
    """The plain one-task process deploys without job definitions."""
    assert rows(engine, JobDefinition) == []


def test_deployed_inserts_the_job_definitions(engine, one_task):
    """The deployment hook stores the rows definitions_for_model gives."""
    model = with_activities(engine, one_task, theTask={"async_before": True})
    with engine.transaction() as session:
        deployment_jobs.deployed(session, [(one_task, model)], default_retries=3)
    [definition] = rows(engine, JobDefinition)
    assert (definition.id, definition.job_type, definition.job_configuration,
            definition.activity_id, definition.process_definition_id) == (
        jobs.job_definition_id(one_task.id, "theTask", "async-continuation", "async-before"),
        "async-continuation", "async-before", "theTask", one_task.id)


# ------------------------------------------------------------------------ timer start events
def deploy_start_timer(engine, definition: ProcessDefinition, timer: Timer,
                       activity_id: str = "timerStart") -> list[Job]:
    model = with_activities(engine, definition, start_timer(activity_id, definition.key, timer))
    with engine.transaction() as session:
        deployment_jobs.deployed(session, [(definition, model)], default_retries=3)
    return rows(engine, Job, Job.handler_type == "timer-start-event")


def test_a_timer_start_event_gets_a_timer_job(engine, one_task):
    """The job is a timer of the definition, due by its timer, configured with the start event."""
    [job] = deploy_start_timer(engine, one_task, Timer("timeDuration", "PT5M"))
    assert (job.type, job.handler_type, job.handler_configuration, job.due_date, job.create_time,
            job.retries, job.process_definition_id, job.process_definition_key, job.activity_id,
            job.process_instance_id, job.execution_id, job.deployment_id, job.repeat,
            job.suspended) == (
        "timer", "timer-start-event", "timerStart", T0 + timedelta(minutes=5), T0, 3, one_task.id,
        "oneTaskProcess", "timerStart", None, None, one_task.deployment_id, None, False)
    assert job.job_definition_id == jobs.job_definition_id(
        one_task.id, "timerStart", "timer-start-event", "DURATION: PT5M")


def test_a_cycle_start_timer_keeps_its_anchored_cycle(engine, one_task):
    """R3/PT1H is due in an hour and the job remembers R3/<deployment time>/PT1H."""
    [job] = deploy_start_timer(engine, one_task, Timer("timeCycle", "R3/PT1H"))
    assert (job.due_date, job.repeat) == (T0 + timedelta(hours=1), "R3/2026-06-01T12:00:00/PT1H")


def test_a_start_timer_expression_sees_no_variables(engine, one_task):
    """An expression is evaluated at deployment without variables."""
    timer = Timer("timeDate", "${'2026-07-01T00:00:00Z'}")
    [job] = deploy_start_timer(engine, one_task, timer)
    assert job.due_date == datetime(2026, 7, 1)


def test_an_invalid_start_timer_value_fails_the_deployment(engine, one_task):
    """A value the timer cannot read is Camunda's ENGINE-09026/09027 ProcessEngineException."""
    timer = Timer("timeCycle", "${'R/PT0S'}")
    with pytest.raises(ProcessEngineError) as caught:
        deploy_start_timer(engine, one_task, timer)
    assert caught.value.message == ("ENGINE-09026 Exception while parsing cycle expression "
                                    "'R/PT0S': a repeating interval needs a period longer than zero")


def test_a_new_version_replaces_the_start_timers_of_the_old_one(engine, deploy, one_task):
    """Redeploying the key deletes the old version's timer start jobs (and their incidents)."""
    [old] = deploy_start_timer(engine, one_task, Timer("timeDuration", "PT5M"))
    with engine.transaction() as session:
        session.add(Incident(id="incident", incident_timestamp=T0, configuration=old.id))
    newer = deploy("oneTaskProcess.bpmn20.xml")["oneTaskProcess"]
    assert rows(engine, Job) == [] and rows(engine, Incident) == []  # the new model has none
    [new] = deploy_start_timer(engine, newer, Timer("timeDuration", "PT10M"))
    assert (new.process_definition_id, new.due_date) == (newer.id, T0 + timedelta(minutes=10))


def test_other_keys_and_tenants_keep_their_start_timers(engine, one_task):
    """Only jobs of the same key and tenant are obsolete."""
    [job] = deploy_start_timer(engine, one_task, Timer("timeDuration", "PT5M"))
    with engine.transaction() as session:
        other = repository.deploy(
            session, name="t", source=None, tenant_id="tenant1", max_resource_bytes=10**7,
            resources=[("oneTaskProcess.bpmn20.xml",
                        repository.definition_xml(session, one_task).encode())]).definitions[0]
    assert [j.id for j in rows(engine, Job)] == [job.id]
    deploy_start_timer(engine, other, Timer("timeDuration", "PT1M"))
    assert len(rows(engine, Job)) == 2


def test_deleting_the_deployment_removes_its_jobs_and_job_definitions(engine, one_task):
    """Timer start jobs, their incidents and the job definitions go with the deployment."""
    [job] = deploy_start_timer(engine, one_task, Timer("timeDuration", "PT5M"))
    with engine.transaction() as session:
        session.add(Incident(id="incident", incident_timestamp=T0, configuration=job.id))
        session.execute(JobDefinition.__table__.insert(), deployment_jobs.definitions_for_model(
            one_task, with_activities(engine, one_task, theTask={"async_before": True})))
    with engine.transaction() as session:
        repository.delete_deployment(session, one_task.deployment_id, cascade=False)
    assert rows(engine, Job) == [] and rows(engine, Incident) == []
    assert rows(engine, JobDefinition) == []


def test_a_start_timer_of_a_suspended_definition_starts_nothing(engine, one_task):
    """The job completes without an instance, as Camunda skips suspended definitions."""
    [job] = deploy_start_timer(engine, one_task, Timer("timeDuration", "PT5M"))
    with engine.transaction() as session:
        session.get(ProcessDefinition, one_task.id).suspended = True
    with engine.transaction() as session:
        outcome = jobs.run(session, session.get(Job, job.id), engine.settings)
    assert outcome.ok
    assert rows(engine, Job) == []


def test_a_start_timer_without_its_definition_fails(engine, one_task):
    """A job whose definition is gone fails with a message naming both."""
    [job] = deploy_start_timer(engine, one_task, Timer("timeDuration", "PT5M"))
    with engine.transaction() as session:
        session.execute(Job.__table__.update().values(process_definition_id="gone"))
    with engine.transaction() as session:
        outcome = jobs.run(session, session.get(Job, job.id), engine.settings)
    assert outcome.failure == f"No process definition 'gone' for timer start job '{job.id}'"


# ------------------------------------------------------------------------ cycle successors
@pytest.fixture
def cycle_handler():
    """A job handler for a test timer that succeeds, or fails while ``fail`` holds a message."""
    calls: list[str] = []
    fail: list[str] = []

    def handle(session, job, settings):
        calls.append(job.id)
        if fail:
            raise ProcessEngineError(fail[0])
        return jobs.JobOutcome()

    jobs.HANDLERS["test-cycle"] = handle
    yield calls, fail
    del jobs.HANDLERS["test-cycle"]


def cycle_job(engine, repeat: str | None, due: datetime) -> str:
    with engine.transaction() as session:
        session.add(Job(id="cycle", type="timer", handler_type="test-cycle",
                        handler_configuration="boundary", due_date=due, create_time=T0,
                        retries=3, priority=5, process_instance_id="pi", execution_id="ex",
                        process_definition_id="p:1:x", process_definition_key="p",
                        activity_id="boundary", repeat=repeat, job_definition_id="jd",
                        tenant_id="t", deployment_id="d"))
    return "cycle"


def run_job(engine, job_id: str) -> jobs.JobOutcome:
    with engine.transaction() as session:
        return jobs.run(session, session.get(Job, job_id), engine.settings)


def test_a_firing_cycle_job_schedules_its_successor(engine, cycle_handler):
    """The successor copies the job's process fields and cycle, due at the next repetition."""
    clock.pin(T0 + timedelta(minutes=10))
    cycle_job(engine, "R3/2026-06-01T12:00:00/PT10M", T0 + timedelta(minutes=10))
    assert run_job(engine, "cycle").ok
    [follower] = rows(engine, Job)
    assert follower.id != "cycle"
    assert (follower.type, follower.handler_type, follower.handler_configuration,
            follower.due_date, follower.create_time, follower.retries, follower.priority,
            follower.process_instance_id, follower.execution_id, follower.process_definition_id,
            follower.process_definition_key, follower.activity_id, follower.repeat,
            follower.job_definition_id, follower.tenant_id, follower.deployment_id) == (
        "timer", "test-cycle", "boundary", T0 + timedelta(minutes=20), T0 + timedelta(minutes=10),
        3, 5, "pi", "ex", "p:1:x", "p", "boundary", "R3/2026-06-01T12:00:00/PT10M", "jd", "t", "d")


def test_the_last_repetition_has_no_successor(engine, cycle_handler):
    """After R3's third firing no job is left."""
    clock.pin(T0 + timedelta(minutes=30, milliseconds=5))
    cycle_job(engine, "R3/2026-06-01T12:00:00/PT10M", T0 + timedelta(minutes=30))
    assert run_job(engine, "cycle").ok
    assert rows(engine, Job) == []


def test_a_failing_cycle_job_still_schedules_one_successor(engine, cycle_handler):
    """The successor survives the failure; retrying the failed job does not add another."""
    calls, fail = cycle_handler
    fail.append("boom")
    clock.pin(T0 + timedelta(minutes=10))
    cycle_job(engine, "R/2026-06-01T12:00:00/PT10M", T0 + timedelta(minutes=10))
    assert run_job(engine, "cycle").failure == "boom"
    assert run_job(engine, "cycle").failure == "boom"
    failed, follower = sorted(rows(engine, Job), key=lambda job: job.id != "cycle")
    assert (failed.id, failed.retries, failed.repeat) == ("cycle", 1, None)
    assert (follower.due_date, follower.repeat) == (T0 + timedelta(minutes=20),
                                                    "R/2026-06-01T12:00:00/PT10M")
    assert calls == ["cycle", "cycle"]


def test_jobs_without_repeat_have_no_successor(engine, cycle_handler):
    """A one-off timer is just deleted when it succeeds."""
    clock.pin(T0)
    cycle_job(engine, None, T0)
    assert run_job(engine, "cycle").ok
    assert rows(engine, Job) == []
