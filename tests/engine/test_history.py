"""History written as the engine runs: every step reloads the instance from the database, and
each assertion reads the historic rows back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from modbatch.engine import clock, external_tasks, history, instances, jobs
from modbatch.engine.runtime import Runtime
from modbatch.engine.variables import TypedValue
from modbatch.store.tables import (
    ExternalTask,
    HistoricActivityInstance,
    HistoricIncident,
    HistoricProcessInstance,
    HistoricVariableInstance,
    Incident,
    Job,
)
from tests.engine.conftest import NOW
from tests.engine.test_behaviours import message
from tests.engine.test_event_subprocess import MESSAGE, deploy, event_sub_process, main_line
from tests.engine.test_modification import cancel, modify
from tests.engine.test_runtime import complete, inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")

ROUTED = """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="choose"/>
  <exclusiveGateway id="choose" name="Choose"/>
  <sequenceFlow id="f2" sourceRef="choose" targetRef="review"/>
  <userTask id="review" name="Review"/><sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
  <endEvent id="end"/>"""

GUARDED = """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
  <userTask id="work"/><sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
  <boundaryEvent id="late" attachedToRef="work">
    <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
  </boundaryEvent>
  <sequenceFlow id="f3" sourceRef="late" targetRef="escalated"/>
  <userTask id="escalated"/><sequenceFlow id="f4" sourceRef="escalated" targetRef="end"/>
  <endEvent id="end"/>"""

EXTERNAL = """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="charge"/>
  <serviceTask id="charge" camunda:type="external" camunda:topic="payments"/>
  <sequenceFlow id="f2" sourceRef="charge" targetRef="end"/><endEvent id="end"/>"""


@pytest.fixture
def level():
    """Set the history level for one test; Camunda Run's default afterwards."""
    yield history.configure
    history.configure("full")


def process(engine, pid) -> HistoricProcessInstance:
    with engine.transaction() as session:
        return session.get(HistoricProcessInstance, pid)


def activities(engine, pid) -> list[HistoricActivityInstance]:
    with engine.transaction() as session:
        return list(session.execute(select(HistoricActivityInstance).where(
            HistoricActivityInstance.process_instance_id == pid)
            .order_by(HistoricActivityInstance.sequence_counter)).scalars())


def variables(engine, pid) -> dict[str, HistoricVariableInstance]:
    with engine.transaction() as session:
        return {v.name: v for v in session.execute(select(HistoricVariableInstance).where(
            HistoricVariableInstance.process_instance_id == pid)).scalars()}


def summary(rows):
    return [(a.activity_id, a.activity_type, a.end_time is not None, a.canceled, a.complete_scope)
            for a in rows]


def test_a_run_records_instance_activities_and_variables(engine):
    """Start, gateway, user task and end event each leave a historic activity instance; the
    process instance ends COMPLETED with its duration; the variable keeps its last value."""
    definition = inline(engine, "routed", ROUTED)
    pid = start(engine, definition, amount=5)
    hpi = process(engine, pid)
    assert (hpi.state, hpi.start_activity_id, hpi.end_time, hpi.process_definition_version,
            hpi.process_definition_key) == ("ACTIVE", "start", None, 1, "routed")
    assert summary(activities(engine, pid)) == [
        ("start", "startEvent", True, False, False),
        ("choose", "exclusiveGateway", True, False, False),
        ("review", "userTask", False, False, False)]
    review = activities(engine, pid)[2]
    assert review.task_id is not None and review.activity_name == "Review"
    assert review.parent_activity_instance_id == pid
    assert variables(engine, pid)["amount"].long_value == 5

    clock.pin(NOW + timedelta(seconds=90))
    complete(engine, pid, "review", amount=7)
    hpi = process(engine, pid)
    assert (hpi.state, hpi.end_time, hpi.duration_in_millis, hpi.delete_reason) == (
        "COMPLETED", NOW + timedelta(seconds=90), 90_000, None)
    assert summary(activities(engine, pid)) == [
        ("start", "startEvent", True, False, False),
        ("choose", "exclusiveGateway", True, False, False),
        ("review", "userTask", True, False, False),
        ("end", "noneEndEvent", True, False, True)]
    assert activities(engine, pid)[2].duration_in_millis == 90_000
    amount = variables(engine, pid)["amount"]
    assert (amount.type, amount.long_value, amount.state, amount.activity_instance_id) == (
        "Integer", 7, "CREATED", pid)


def test_deleting_an_instance_cancels_its_activities(engine):
    """DELETE ends the historic instance EXTERNALLY_TERMINATED (Camunda's REST passes no
    deleteReason) and marks its open activity instances canceled."""
    definition = inline(engine, "routed", ROUTED)
    pid = start(engine, definition)
    with engine.transaction() as session:
        instances.delete(session, pid)
    hpi = process(engine, pid)
    assert (hpi.state, hpi.end_time, hpi.delete_reason) == ("EXTERNALLY_TERMINATED", NOW, None)
    assert summary(activities(engine, pid))[-1] == ("review", "userTask", True, True, False)


def test_modification_cancellation_marks_canceled_and_names_the_reason(engine):
    """Cancelling the last activity by modification: canceled activity instance, instance
    INTERNALLY_TERMINATED (as the modification engine decides) with Camunda's cancellation reason."""
    definition = inline(engine, "routed", ROUTED)
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("review"))
    hpi = process(engine, pid)
    assert (hpi.state, hpi.delete_reason) == (
        "INTERNALLY_TERMINATED", "Cancellation due to process instance modifcation")
    assert summary(activities(engine, pid))[-1] == ("review", "userTask", True, True, False)


def test_an_interrupting_boundary_timer_cancels_its_host(engine):
    """The timer fires: its host is canceled, the boundary event itself is recorded."""
    definition = inline(engine, "guarded", GUARDED)
    pid = start(engine, definition)
    clock.pin(NOW + timedelta(hours=2))
    engine.job_executor.run_until_idle()
    assert summary(activities(engine, pid)) == [
        ("start", "startEvent", True, False, False),
        ("work", "userTask", True, True, False),
        ("late", "boundaryTimer", True, False, False),
        ("escalated", "userTask", False, False, False)]


def test_level_none_writes_nothing(engine, level):
    """none: no historic process instance, activity or variable."""
    level("none")
    definition = inline(engine, "routed", ROUTED)
    pid = start(engine, definition, amount=1)
    complete(engine, pid, "review")
    assert process(engine, pid) is None
    assert activities(engine, pid) == [] and variables(engine, pid) == {}


def test_level_activity_writes_instances_but_no_variables(engine, level):
    """activity: process and activity instances, no variable instances."""
    level("activity")
    definition = inline(engine, "routed", ROUTED)
    pid = start(engine, definition, amount=1)
    assert process(engine, pid).state == "ACTIVE"
    assert len(activities(engine, pid)) == 3
    assert variables(engine, pid) == {}


def test_external_task_incident_opens_and_resolves_in_history(engine):
    """A failure without retries opens a historic incident; new retries resolve it."""
    definition = inline(engine, "external", EXTERNAL)
    pid = start(engine, definition)
    with engine.transaction() as session:
        task = session.execute(select(ExternalTask)).scalars().one()
        external_tasks.fetch_and_lock(session, external_tasks.FetchRequest(
            worker_id="w", max_tasks=1,
            topics=[external_tasks.TopicFetch(topic_name="payments", lock_duration=60_000)]))
        external_tasks.handle_failure(session, task.id, worker_id="w", error_message="down",
                                      error_details=None, retries=0, retry_timeout=0,
                                      variables={}, local_variables={})
    with engine.transaction() as session:
        [incident] = session.execute(select(HistoricIncident)).scalars().all()
        assert (incident.state, incident.incident_type, incident.incident_message,
                incident.process_instance_id, incident.process_definition_key,
                incident.end_time) == ("open", "failedExternalTask", "down", pid, "external", None)
    clock.pin(NOW + timedelta(minutes=1))
    with engine.transaction() as session:
        external_tasks.set_retries(session, task.id, 2)
    with engine.transaction() as session:
        incident = session.get(HistoricIncident, incident.id)
        assert (incident.state, incident.end_time) == ("resolved", NOW + timedelta(minutes=1))


def test_local_variable_history_names_its_activity_instance(engine):
    """A local variable's historic row carries its scope's activity instance and execution."""
    definition = inline(engine, "routed", ROUTED)
    pid = start(engine, definition)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        [ai] = state.activity_instances.values()
        Runtime(state).set_variable("note", TypedValue("String", "hi"), ai.id, local=True)
        instances.save(session, [state])
    note = variables(engine, pid)["note"]
    assert (note.activity_instance_id, note.execution_id, note.text_value) == (
        ai.id, ai.execution_id, "hi")


FORK_JOIN = """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
  <parallelGateway id="fork"/>
  <sequenceFlow id="f2" sourceRef="fork" targetRef="left"/>
  <sequenceFlow id="f3" sourceRef="fork" targetRef="right"/>
  <userTask id="left"/><userTask id="right"/>
  <sequenceFlow id="f4" sourceRef="left" targetRef="join"/>
  <sequenceFlow id="f5" sourceRef="right" targetRef="join"/>
  <parallelGateway id="join"/><sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
  <endEvent id="end"/>"""

FAILING_ASYNC = """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
  <serviceTask id="compute" camunda:asyncBefore="true" camunda:expression="${missing + 1}"/>
  <sequenceFlow id="f2" sourceRef="compute" targetRef="end"/><endEvent id="end"/>"""


def test_a_join_records_one_gateway_instance_per_arriving_token(engine):
    """The fork passes through once; each token arriving at the join is an activity instance
    of the join, all completed once the last one arrived."""
    definition = inline(engine, "forkjoin", FORK_JOIN)
    pid = start(engine, definition)
    complete(engine, pid, "left")
    assert [(a.activity_id, a.end_time is None) for a in activities(engine, pid)
            if a.activity_id == "join"] == [("join", True)]
    complete(engine, pid, "right")
    assert sorted(a.activity_id for a in activities(engine, pid)) == [
        "end", "fork", "join", "join", "left", "right", "start"]
    assert all(a.end_time is not None and not a.canceled for a in activities(engine, pid))
    assert process(engine, pid).state == "COMPLETED"


def test_a_failed_job_incident_resolves_when_retries_return(engine):
    """An async continuation failing without retries opens a failedJob incident in history;
    giving retries back resolves it; the job's activity has no instance until it runs."""
    definition = inline(engine, "failing", FAILING_ASYNC)
    pid = start(engine, definition)
    assert [a.activity_id for a in activities(engine, pid)] == ["start"]
    with engine.transaction() as session:
        job = session.execute(select(Job).where(Job.process_instance_id == pid)).scalars().one()
        job_id = job.id
    with engine.transaction() as session:
        jobs.set_retries(session, job_id, 1)
    engine.job_executor.run_until_idle()
    with engine.transaction() as session:
        [incident] = session.execute(select(HistoricIncident)).scalars().all()
        assert (incident.state, incident.incident_type, incident.configuration,
                incident.activity_id, incident.process_definition_key) == (
            "open", "failedJob", job_id, "compute", "failing")
    with engine.transaction() as session:
        jobs.set_retries(session, job_id, 2)
    with engine.transaction() as session:
        assert session.get(HistoricIncident, incident.id).state == "resolved"


def test_level_audit_writes_variables_but_no_incidents(engine, level):
    """audit: variable instances yes, historic incidents no (Camunda's full level only)."""
    level("audit")
    definition = inline(engine, "failing", FAILING_ASYNC)
    pid = start(engine, definition, amount=3)
    with engine.transaction() as session:
        job_id = session.execute(select(Job.id).where(Job.process_instance_id == pid)).scalar_one()
        jobs.set_retries(session, job_id, 1)
    engine.job_executor.run_until_idle()
    assert variables(engine, pid)["amount"].long_value == 3
    with engine.transaction() as session:
        assert session.execute(select(HistoricIncident)).scalars().all() == []
        assert session.execute(select(Incident)).scalars().all() != []


def test_an_interrupting_event_sub_process_cancels_the_main_line(engine):
    """A message starts an interrupting event sub-process: task1 is canceled; the event
    sub-process and its start event are recorded in the order they ran."""
    definition = deploy(engine, "espHistory", main_line(event_sub_process(MESSAGE)))
    pid = start(engine, definition)
    message(engine, "cancelOrder")
    assert summary(activities(engine, pid)) == [
        ("start", "startEvent", True, False, False),
        ("task1", "userTask", True, True, False),
        ("esp", "subProcess", False, False, False),
        ("espStart", "messageStartEvent", True, False, False),
        ("espTask", "userTask", False, False, False)]
    esp, esp_start = activities(engine, pid)[2:4]
    assert esp_start.parent_activity_instance_id == esp.id
