"""Modification of tokens that wait in asynchronous continuations (transition instances).

Ported, behaviour by behaviour, from Camunda 7's ProcessInstanceModificationAsyncTest; the
models are written here and only follow the structure of Camunda's. Every step runs in its
own transaction and reads the instance back from the database. Camunda starts some instances
"at activities" (createProcessInstanceByKey().startBeforeActivity()); modbatch reaches the same
given state by starting the instance normally and modifying it.
"""

from __future__ import annotations


import pytest

from modbatch.engine import instances, jobs, modification
from modbatch.engine.modification import Instruction
from modbatch.engine.runtime import UnsupportedImplementation
from modbatch.engine.variables import TypedValue
from modbatch.errors import NotValidError
from modbatch.store.tables import Incident, Job, Task, Variable
from tests.engine.test_behaviours import rows, run_jobs, shape
from tests.engine.test_modification import before, cancel, modify
from tests.engine.test_runtime import complete, history_state, inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")


# ---------------------------------------------------------------- models (structure after Camunda's)

def chain(*links: tuple[str, str, str]) -> str:
    return "".join(f'<sequenceFlow id="{i}" sourceRef="{s}" targetRef="{t}"/>' for i, s, t in links)


# theStart -> fork(XOR) -[true]-> task1 -> join; fork -[false]-> task2 (asyncBefore) -> join -> theEnd
EXCLUSIVE_ASYNC_TASK = (
    '<startEvent id="theStart"/><exclusiveGateway id="fork"/><userTask id="task1"/>'
    '<userTask id="task2" camunda:asyncBefore="true"/><exclusiveGateway id="join"/><endEvent id="theEnd"/>'
    + chain(("flow1", "theStart", "fork"), ("flow3", "task1", "join"), ("flow5", "task2", "join"),
            ("flow6", "join", "theEnd"))
    + '<sequenceFlow id="flow2" sourceRef="fork" targetRef="task1"><conditionExpression>${true}'
      '</conditionExpression></sequenceFlow>'
      '<sequenceFlow id="flow4" sourceRef="fork" targetRef="task2"><conditionExpression>${false}'
      '</conditionExpression></sequenceFlow>')

# as above, but task1 -> end1 and task2 (asyncAfter) -> end2 (asyncBefore)
EXCLUSIVE_ASYNC_AFTER_TASK = (
    '<startEvent id="theStart"/><exclusiveGateway id="fork"/><userTask id="task1"/><endEvent id="end1"/>'
    '<userTask id="task2" camunda:asyncAfter="true"/><endEvent id="end2" camunda:asyncBefore="true"/>'
    + chain(("flow1", "theStart", "fork"), ("flow3", "task1", "end1"), ("flow5", "task2", "end2"))
    + '<sequenceFlow id="flow2" sourceRef="fork" targetRef="task1"><conditionExpression>${true}'
      '</conditionExpression></sequenceFlow>'
      '<sequenceFlow id="flow4" sourceRef="fork" targetRef="task2"><conditionExpression>${false}'
      '</conditionExpression></sequenceFlow>')

TIMER = '<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>'


def one_task(task_attrs: str, scope: bool = False) -> str:
    """theStart -> theTask -> theEnd; with ``scope`` a timer boundary event makes theTask a scope."""
    body = ('<startEvent id="theStart"/>'
            f'<userTask id="theTask" {task_attrs}/><endEvent id="theEnd"/>'
            + chain(("flow1", "theStart", "theTask"), ("flow2", "theTask", "theEnd")))
    if scope:
        body += (f'<boundaryEvent id="boundaryTimer" attachedToRef="theTask">{TIMER}</boundaryEvent>'
                 '<userTask id="afterBoundaryTask"/><endEvent id="boundaryEnd"/>'
                 + chain(("flow3", "boundaryTimer", "afterBoundaryTask"),
                         ("flow4", "afterBoundaryTask", "boundaryEnd")))
    return body


def nested(inside: str, links: tuple[tuple[str, str, str], ...], sub_extensions: str = "") -> str:
    """theStart -> fork(AND) -> outerTask -> outerEnd and fork -> subProcess[...] -> outerEnd."""
    return ('<startEvent id="theStart"/><parallelGateway id="fork"/><userTask id="outerTask"/>'
            f'<subProcess id="subProcess">{sub_extensions}<startEvent id="subProcessStart"/>{inside}'
            f'{chain(*links)}</subProcess><endEvent id="outerEnd"/>'
            + chain(("flow1", "theStart", "fork"), ("flow2", "fork", "outerTask"),
                    ("flow3", "outerTask", "outerEnd"), ("flow4", "fork", "subProcess"),
                    ("flow9", "subProcess", "outerEnd")))


NESTED_ASYNC_BEFORE = nested(
    '<userTask id="innerTask" camunda:asyncBefore="true"/><endEvent id="subProcessEnd"/>',
    (("flow5", "subProcessStart", "innerTask"), ("flow6", "innerTask", "subProcessEnd")))

NESTED_ASYNC_BEFORE_SCOPE = nested(
    '<userTask id="innerTask" camunda:asyncBefore="true"/><endEvent id="subProcessEnd"/>'
    f'<boundaryEvent id="boundaryTimer" attachedToRef="innerTask">{TIMER}</boundaryEvent>'
    '<userTask id="afterBoundaryTask"/><endEvent id="boundaryEnd"/>',
    (("flow5", "subProcessStart", "innerTask"), ("flow6", "innerTask", "subProcessEnd"),
     ("flow11", "boundaryTimer", "afterBoundaryTask"), ("flow12", "afterBoundaryTask", "boundaryEnd")))

# the sub-process forks into two asyncBefore scope tasks (each with a timer boundary event)
NESTED_CONCURRENT_ASYNC_SCOPES = nested(
    '<parallelGateway id="innerFork"/>'
    '<userTask id="innerTask1" camunda:asyncBefore="true"/><endEvent id="subProcessEnd1"/>'
    f'<boundaryEvent id="boundaryTimer1" attachedToRef="innerTask1">{TIMER}</boundaryEvent>'
    '<userTask id="afterBoundaryTask1"/><endEvent id="boundaryEnd1"/>'
    '<userTask id="innerTask2" camunda:asyncBefore="true"/><endEvent id="subProcessEnd2"/>'
    f'<boundaryEvent id="boundaryTimer2" attachedToRef="innerTask2">{TIMER}</boundaryEvent>'
    '<userTask id="afterBoundaryTask2"/><endEvent id="boundaryEnd2"/>',
    (("flow5", "subProcessStart", "innerFork"), ("flow6", "innerFork", "innerTask1"),
     ("flow7", "innerTask1", "subProcessEnd1"), ("flow8", "boundaryTimer1", "afterBoundaryTask1"),
     ("flow10", "afterBoundaryTask1", "boundaryEnd1"), ("flow11", "innerFork", "innerTask2"),
     ("flow12", "innerTask2", "subProcessEnd2"), ("flow13", "boundaryTimer2", "afterBoundaryTask2"),
     ("flow14", "afterBoundaryTask2", "boundaryEnd2")))

# innerTask's io mapping and its Java end listener must not run when its transition instance goes
NESTED_ASYNC_BEFORE_IO_LISTENER = nested(
    '<userTask id="innerTask" camunda:asyncBefore="true"><extensionElements>'
    '<camunda:inputOutput><camunda:inputParameter name="inputMappingExecuted">${true}'
    '</camunda:inputParameter><camunda:outputParameter name="outputMappingExecuted">${true}'
    '</camunda:outputParameter></camunda:inputOutput>'
    '<camunda:executionListener event="end" class="com.acme.Recorder"/></extensionElements></userTask>'
    '<endEvent id="subProcessEnd" camunda:asyncAfter="true"/>',
    (("flow5", "subProcessStart", "innerTask"), ("flow6", "innerTask", "subProcessEnd")))

NESTED_ASYNC_AFTER = nested(
    '<userTask id="innerTask" camunda:asyncAfter="true"/><endEvent id="subProcessEnd"/>',
    (("flow5", "subProcessStart", "innerTask"), ("flow6", "innerTask", "subProcessEnd")))

NESTED_ASYNC_AFTER_END_EVENT = nested(
    '<endEvent id="subProcessEnd" camunda:asyncAfter="true"/>',
    (("flow5", "subProcessStart", "subProcessEnd"),))

# the sub-process has a (Java) end listener; a manual task leads to an asyncAfter end event
NESTED_ASYNC_AFTER_END_EVENT_PARENT_LISTENER = nested(
    '<manualTask id="innerTask"/><endEvent id="subProcessEnd" camunda:asyncAfter="true"/>',
    (("flow5", "subProcessStart", "innerTask"), ("flow6", "innerTask", "subProcessEnd")),
    sub_extensions='<extensionElements><camunda:executionListener event="end" '
                   'class="com.acme.Recorder"/></extensionElements>')


def failing(async_attr: str) -> str:
    """theStart -> task1 (expression) -> task2 (Java class, fails) -> theEnd, both tasks async."""
    return ('<startEvent id="theStart"/>'
            f'<serviceTask id="task1" name="my task" {async_attr}="true" camunda:expression="${{true}}"/>'
            f'<serviceTask id="task2" name="my task" {async_attr}="true" camunda:class="com.acme.Failing"/>'
            '<endEvent id="theEnd"/>'
            + chain(("flow1", "theStart", "task1"), ("flow2", "task1", "task2"), ("flow3", "task2", "theEnd")))


# ---------------------------------------------------------------- helpers

def single(engine, pid, *instructions, skip_custom_listeners=False):
    """The single-instance API (cancel by activity or transition instance id)."""
    with engine.transaction() as session:
        modification.modify_single(session, pid, list(instructions), skip_io_mappings=False,
                                   skip_custom_listeners=skip_custom_listeners)


def cancel_ai(ai_id: str) -> Instruction:
    return Instruction("cancel", activity_instance_id=ai_id)


def cancel_ti(ti_id: str) -> Instruction:
    return Instruction("cancel", transition_instance_id=ti_id)


def instance_ids(engine, pid, activity_id, *, transitions=False) -> list[str]:
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return [ai.id for ai in state.instances_of(activity_id, transitions=transitions)]


def execution_of(engine, pid, ai_id) -> str:
    with engine.transaction() as session:
        return instances.load_one(session, pid).activity_instances[ai_id].execution_id


def job_activities(engine, pid) -> list[tuple[str, str]]:
    return sorted((j.activity_id, j.handler_type) for j in rows(engine, Job, process_instance_id=pid))


def task_keys(engine, pid) -> list[str]:
    return sorted(t.task_definition_key for t in rows(engine, Task, process_instance_id=pid))


def complete_in_order(engine, pid, *keys: str) -> None:
    for key in keys:
        complete(engine, pid, key)


def started(engine, body: str, key: str, *instructions: Instruction) -> tuple[object, str]:
    """Deploy, start, and (like Camunda's instantiation at activities) modify into a given state."""
    definition = inline(engine, key, body)
    pid = start(engine, definition)
    if instructions:
        modify(engine, definition, [pid], *instructions)
    return definition, pid


# ---------------------------------------------------------------- start before / after

def test_start_before_async_task_waits_in_a_job_until_executed(engine):
    """startBefore an asyncBefore task gives a transition instance and a job, no task; the job
    creates the task (testStartBeforeAsync)."""
    d, pid = started(engine, EXCLUSIVE_ASYNC_TASK, "exclusiveGateway")
    modify(engine, d, [pid], before("task2"))
    assert shape(engine, pid) == [("task1", []), ("transition:task2", [])]
    assert task_keys(engine, pid) == ["task1"]
    assert job_activities(engine, pid) == [("task2", "async-continuation")]
    assert run_jobs(engine) == 1
    assert shape(engine, pid) == [("task1", []), ("task2", [])]
    assert task_keys(engine, pid) == ["task1", "task2"]
    assert rows(engine, Job, process_instance_id=pid) == []
    complete_in_order(engine, pid, "task1", "task2")
    assert history_state(engine, pid) == "COMPLETED"


def variable_scopes(engine, pid) -> list[tuple[str, str | None]]:
    """(name, activity its scope instance stands for, None for the process instance)."""
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return sorted((v.name, state.scope_activity(v.scope) if v.scope else None)
                      for v in state.variables.values())


def test_start_before_async_task_keeps_its_start_variables(engine):
    """A start instruction's local variable waits with the transition instance and then belongs
    to the task; the global one goes to the process instance (the runtime side of
    ProcessInstanceModificationHistoryTest.testStartBeforeAsyncWithVariablesInHistory)."""
    _, pid = started(engine, EXCLUSIVE_ASYNC_TASK, "exclusiveGateway")
    single(engine, pid, before("task2", variables={"procInstVar": (TypedValue("String", "procInstValue"), False),
                                                   "localVar": (TypedValue("String", "localValue"), True)}))
    assert variable_scopes(engine, pid) == [("localVar", "task2"), ("procInstVar", None)]
    (ti,) = instance_ids(engine, pid, "task2", transitions=True)
    assert [v.activity_instance_id for v in rows(engine, Variable, name="localVar")] == [ti]
    complete(engine, pid, "task1")
    (job,) = rows(engine, Job, process_instance_id=pid)
    jobs.execute(engine, job.id)
    (task2,) = instance_ids(engine, pid, "task2")
    assert [v.activity_instance_id for v in rows(engine, Variable, name="localVar")] == [task2]
    assert variable_scopes(engine, pid) == [("localVar", "task2"), ("procInstVar", None)]
    complete(engine, pid, "task2")
    assert history_state(engine, pid) == "COMPLETED"


def test_start_after_ignores_the_async_after_of_the_activity(engine):
    """startAfter an asyncAfter task takes its flow at once; the asyncBefore end event behind it
    waits in a job owned by the end event's execution (testStartAfterAsync)."""
    d, pid = started(engine, EXCLUSIVE_ASYNC_AFTER_TASK, "exclusiveGatewayAfter")
    modify(engine, d, [pid], Instruction("startAfterActivity", activity_id="task2"))
    assert shape(engine, pid) == [("task1", []), ("transition:end2", [])]
    (job,) = rows(engine, Job, process_instance_id=pid)
    (end2,) = instance_ids(engine, pid, "end2", transitions=True)
    assert (job.activity_id, job.execution_id) == ("end2", execution_of(engine, pid, end2))
    complete(engine, pid, "task1")
    assert shape(engine, pid) == [("transition:end2", [])]
    jobs.execute(engine, job.id)
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- cancelling the parent scope

@pytest.mark.parametrize(("body", "key"), [
    (NESTED_ASYNC_BEFORE, "nestedOneTaskProcess"),
    (NESTED_ASYNC_BEFORE_SCOPE, "nestedOneScopeTaskProcess"),
    (NESTED_CONCURRENT_ASYNC_SCOPES, "nestedConcurrentTasksProcess"),
])
def test_cancelling_the_sub_process_removes_its_transition_instances(engine, body, key):
    """Cancelling the sub-process instance removes the transition instances (and jobs) inside it
    (testCancelParentScopeOfAsyncBeforeActivity, ...OfAsyncBeforeScopeActivity,
    ...OfParallelAsyncBeforeScopeActivity)."""
    _, pid = started(engine, body, key)
    assert rows(engine, Job, process_instance_id=pid) != []
    (sub,) = instance_ids(engine, pid, "subProcess")
    single(engine, pid, cancel_ai(sub))
    assert shape(engine, pid) == [("outerTask", [])]
    assert rows(engine, Job, process_instance_id=pid) == []
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- cancelling transition instances

def test_a_transition_instance_is_no_activity_instance(engine):
    """cancelActivityInstance with a transition instance id fails: activityInstance is null
    (testCancelAsyncActivityInstanceFails)."""
    _, pid = started(engine, NESTED_ASYNC_BEFORE, "nestedOneTaskProcess")
    (ti,) = instance_ids(engine, pid, "innerTask", transitions=True)
    with pytest.raises(NotValidError) as raised:
        single(engine, pid, cancel_ai(ti))
    assert raised.value.message == (f"Cannot perform instruction: Cancel activity instance '{ti}'; "
                                    f"Activity instance '{ti}' does not exist: activityInstance is null")
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:innerTask", [])])]


def test_cancel_async_before_transition_instance_removes_job_and_emptied_scope(engine):
    """Cancelling the only transition instance of the sub-process removes its job and the
    sub-process (testCancelAsyncBeforeTransitionInstance)."""
    _, pid = started(engine, NESTED_ASYNC_BEFORE, "nestedOneTaskProcess")
    assert job_activities(engine, pid) == [("innerTask", "async-continuation")]
    (ti,) = instance_ids(engine, pid, "innerTask", transitions=True)
    single(engine, pid, cancel_ti(ti))
    assert rows(engine, Job, process_instance_id=pid) == []
    assert shape(engine, pid) == [("outerTask", [])]
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


@pytest.mark.parametrize("scope", [False, True])
def test_cancelling_the_only_transition_instance_ends_the_instance(engine, scope):
    """Cancelling the last token (a transition instance, of a plain or a scope task) ends the
    process instance (testCancelAsyncBeforeTransitionInstanceEndsProcessInstance,
    testCancelAsyncBeforeScopeTransitionInstanceEndsProcessInstance)."""
    _, pid = started(engine, one_task('camunda:asyncBefore="true"', scope=scope), "oneTaskProcess")
    (ti,) = instance_ids(engine, pid, "theTask", transitions=True)
    single(engine, pid, cancel_ti(ti))
    assert shape(engine, pid) is None
    assert rows(engine, Job, process_instance_id=pid) == []
    assert history_state(engine, pid) == "EXTERNALLY_TERMINATED"


def test_cancel_and_start_the_same_async_task_makes_a_new_job(engine):
    """Cancel the transition instance and startBefore its task again: same tree, a new job
    (testCancelAndStartAsyncBeforeTransitionInstance)."""
    _, pid = started(engine, one_task('camunda:asyncBefore="true"'), "oneTaskProcess")
    (ti,) = instance_ids(engine, pid, "theTask", transitions=True)
    (old_job,) = rows(engine, Job, process_instance_id=pid)
    single(engine, pid, cancel_ti(ti), before("theTask"))
    assert shape(engine, pid) == [("transition:theTask", [])]
    (new_job,) = rows(engine, Job, process_instance_id=pid)
    assert new_job.id != old_job.id
    assert instance_ids(engine, pid, "theTask", transitions=True) != [ti]
    run_jobs(engine)
    complete(engine, pid, "theTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_one_of_two_concurrent_transition_instances(engine):
    """Cancelling innerTask1's transition instance keeps innerTask2's job, owned by innerTask2's
    execution (testCancelNestedConcurrentTransitionInstance)."""
    _, pid = started(engine, NESTED_CONCURRENT_ASYNC_SCOPES, "nestedConcurrentTasksProcess")
    (ti1,) = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, cancel_ti(ti1))
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:innerTask2", [])])]
    (job,) = rows(engine, Job, process_instance_id=pid)
    (ti2,) = instance_ids(engine, pid, "innerTask2", transitions=True)
    assert (job.activity_id, job.execution_id) == ("innerTask2", execution_of(engine, pid, ti2))
    complete(engine, pid, "outerTask")
    jobs.execute(engine, job.id)
    assert job_activities(engine, pid) == [("boundaryTimer2", "timer-transition")]
    complete(engine, pid, "innerTask2")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_a_transition_instance_beside_an_active_scope_task(engine):
    """With innerTask2's job executed, cancelling innerTask1's transition instance leaves
    innerTask2 (and its timer) alone (testCancelNestedConcurrentTransitionInstanceWithConcurrentScopeTask)."""
    _, pid = started(engine, NESTED_CONCURRENT_ASYNC_SCOPES, "nestedConcurrentTasksProcess")
    (job2,) = [j for j in rows(engine, Job, process_instance_id=pid) if j.activity_id == "innerTask2"]
    jobs.execute(engine, job2.id)
    (ti1,) = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, cancel_ti(ti1))
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("innerTask2", [])])]
    assert job_activities(engine, pid) == [("boundaryTimer2", "timer-transition")]
    complete_in_order(engine, pid, "innerTask2", "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_transition_instance_runs_no_io_mapping_or_listener_of_its_activity(engine):
    """The target activity was never entered: cancelling its transition instance runs neither its
    output mapping nor its end listener (the Java listener would fail the command)
    (testCancelTransitionInstanceShouldNotInvokeIoMappingAndListenersOfTargetActivity)."""
    _, pid = started(engine, NESTED_ASYNC_BEFORE_IO_LISTENER, "nestedIoListenerProcess")
    assert len(rows(engine, Job, process_instance_id=pid)) == 1
    (ti,) = instance_ids(engine, pid, "innerTask", transitions=True)
    single(engine, pid, cancel_ti(ti))
    assert rows(engine, Variable, process_instance_id=pid) == []
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_async_after_transition_instance(engine):
    """A completed asyncAfter task waits in a transition instance; cancelling it removes the job
    and the emptied sub-process (testCancelAsyncAfterTransitionInstance)."""
    _, pid = started(engine, NESTED_ASYNC_AFTER, "nestedAsyncAfterProcess")
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:innerTask", [])])]
    assert job_activities(engine, pid) == [("innerTask", "async-continuation")]
    (ti,) = instance_ids(engine, pid, "innerTask", transitions=True)
    single(engine, pid, cancel_ti(ti))
    assert rows(engine, Job, process_instance_id=pid) == []
    assert shape(engine, pid) == [("outerTask", [])]
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_async_after_end_event_transition_instance(engine):
    """An asyncAfter end event waits in a transition instance before its scope completes;
    cancelling it removes the job and the sub-process (testCancelAsyncAfterEndEventTransitionInstance)."""
    _, pid = started(engine, NESTED_ASYNC_AFTER_END_EVENT, "nestedAsyncEndEventProcess")
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:subProcessEnd", [])])]
    assert job_activities(engine, pid) == [("subProcessEnd", "async-continuation")]
    (ti,) = instance_ids(engine, pid, "subProcessEnd", transitions=True)
    single(engine, pid, cancel_ti(ti))
    assert rows(engine, Job, process_instance_id=pid) == []
    assert shape(engine, pid) == [("outerTask", [])]
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_async_after_end_event_job_completes_its_scope(engine):
    """Running the asyncAfter end event's job completes the sub-process (the model of
    testCancelAsyncAfterEndEventTransitionInstance, left to run)."""
    _, pid = started(engine, NESTED_ASYNC_AFTER_END_EVENT, "nestedAsyncEndEventProcess")
    run_jobs(engine)
    assert shape(engine, pid) == [("outerTask", [])]
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_async_after_transition_instance_ends_the_instance(engine):
    """Cancelling the asyncAfter transition instance of the only task ends the instance
    (testCancelAsyncAfterTransitionInstanceEndsProcessInstance)."""
    _, pid = started(engine, one_task('camunda:asyncAfter="true"'), "oneTaskProcess")
    complete(engine, pid, "theTask")
    (ti,) = instance_ids(engine, pid, "theTask", transitions=True)
    single(engine, pid, cancel_ti(ti))
    assert shape(engine, pid) is None
    assert rows(engine, Job, process_instance_id=pid) == []
    assert history_state(engine, pid) == "EXTERNALLY_TERMINATED"


def test_cancel_async_after_transition_instance_ends_the_parent_scope_with_its_listeners(engine):
    """Cancelling the end event's transition instance cancels the emptied sub-process, whose end
    listener runs: here a Java listener, so the command names it; skipping custom listeners
    lets it through (testCancelAsyncAfterTransitionInstanceInvokesParentListeners)."""
    _, pid = started(engine, NESTED_ASYNC_AFTER_END_EVENT_PARENT_LISTENER, "nestedListenerProcess")
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:subProcessEnd", [])])]
    (ti,) = instance_ids(engine, pid, "subProcessEnd", transitions=True)
    with pytest.raises(UnsupportedImplementation,
                       match="the end listener camunda:class 'com.acme.Recorder' of subProcess 'subProcess'"):
        single(engine, pid, cancel_ti(ti))
    single(engine, pid, cancel_ti(ti), skip_custom_listeners=True)
    assert shape(engine, pid) == [("outerTask", [])]


def test_cancel_all_cancels_transition_instances(engine):
    """cancel by activity id removes the activity's transition instances and their jobs
    (testCancelAllCancelsTransitionInstances)."""
    d, pid = started(engine, NESTED_ASYNC_BEFORE, "nestedOneTaskProcess")
    modify(engine, d, [pid], cancel("innerTask"))
    assert rows(engine, Job, process_instance_id=pid) == []
    assert shape(engine, pid) == [("outerTask", [])]
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- failing jobs

def test_start_before_an_async_after_task_adds_a_second_transition_instance(engine):
    """startBefore an asyncAfter task runs it and parks a second transition instance; both jobs
    fail in the Java task behind and the tree stays (testStartBeforeAsyncAfterTask)."""
    d, pid = started(engine, failing("camunda:asyncAfter"), "failingAfterAsyncTask")
    assert len(rows(engine, Job, process_instance_id=pid)) == 1
    modify(engine, d, [pid], before("task1"))
    assert shape(engine, pid) == [("transition:task1", []), ("transition:task1", [])]
    assert job_activities(engine, pid) == [("task1", "async-continuation")] * 2
    run_jobs(engine)
    assert shape(engine, pid) == [("transition:task1", []), ("transition:task1", [])]
    assert [j.retries for j in rows(engine, Job, process_instance_id=pid)] == [0, 0]
    assert len(rows(engine, Incident, process_instance_id=pid)) == 2


def test_restart_a_failed_async_task(engine):
    """startBefore the failed task and cancel its old transition instance: the old job and its
    incident go; the new job fails again with a new incident (testRestartAFailedServiceTask)."""
    d, pid = started(engine, failing("camunda:asyncBefore"), "failingAfterBeforeTask",
                     cancel("task1"), before("task2"))
    assert shape(engine, pid) == [("transition:task2", [])]
    run_jobs(engine)
    (incident,) = rows(engine, Incident, process_instance_id=pid)
    (ti,) = instance_ids(engine, pid, "task2", transitions=True)
    single(engine, pid, before("task2"), cancel_ti(ti))
    assert rows(engine, Incident, process_instance_id=pid) == []
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.retries == 3
    run_jobs(engine)
    (new_incident,) = rows(engine, Incident, process_instance_id=pid)
    assert new_incident.id != incident.id
    assert shape(engine, pid) == [("transition:task2", [])]


# ---------------------------------------------------------------- CAM-4090: start and cancel in one scope

def two_inner_transitions(engine, *, keep_outer: bool):
    """nestedOneTaskProcess with two innerTask transition instances in one sub-process."""
    given = [before("innerTask")] if keep_outer else [cancel("outerTask"), before("innerTask")]
    return started(engine, NESTED_ASYNC_BEFORE, "nestedOneTaskProcess", *given)


def test_cancel_all_transition_instances_in_a_scope(engine):
    """Cancelling both transition instances of the sub-process leaves only outerTask
    (testCancelAllTransitionInstanceInScope)."""
    _, pid = two_inner_transitions(engine, keep_outer=True)
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:innerTask", []),
                                                                    ("transition:innerTask", [])])]
    t0, t1 = instance_ids(engine, pid, "innerTask", transitions=True)
    single(engine, pid, cancel_ti(t0), cancel_ti(t1))
    assert shape(engine, pid) == [("outerTask", [])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_cancel_a_transition_instance_twice_fails(engine):
    """The second cancellation of the same transition instance names it; nothing is changed
    (testCancelTransitionInstanceTwiceFails)."""
    _, pid = two_inner_transitions(engine, keep_outer=False)
    t0, _ = instance_ids(engine, pid, "innerTask", transitions=True)
    with pytest.raises(NotValidError) as raised:
        single(engine, pid, cancel_ti(t0), cancel_ti(t0))
    assert raised.value.message == (f"Cannot perform instruction: Cancel transition instance '{t0}'; "
                                    f"Transition instance '{t0}' does not exist: transitionInstance is null")
    assert len(instance_ids(engine, pid, "innerTask", transitions=True)) == 2


def test_cancel_a_transition_instance_twice_after_restarting_fails(engine):
    """Cancel, start twice, cancel the other one twice: the repeated cancel fails
    (testCancelTransitionInstanceTwiceFailsCase2)."""
    _, pid = two_inner_transitions(engine, keep_outer=False)
    t0, t1 = instance_ids(engine, pid, "innerTask", transitions=True)
    with pytest.raises(NotValidError) as raised:
        single(engine, pid, cancel_ti(t0), before("innerTask"), before("innerTask"), cancel_ti(t1),
               cancel_ti(t1))
    assert raised.value.message == (f"Cannot perform instruction: Cancel transition instance '{t1}'; "
                                    f"Transition instance '{t1}' does not exist: transitionInstance is null")
    assert instance_ids(engine, pid, "innerTask", transitions=True) == [t0, t1]


def concurrent_given(engine, *given: Instruction):
    """nestedConcurrentTasksProcess in a given state reached from its start."""
    return started(engine, NESTED_CONCURRENT_ASYNC_SCOPES, "nestedConcurrentTasksProcess", *given)


def test_cancel_start_cancel_in_one_scope(engine):
    """cancel one innerTask1, start innerTask2, cancel the other innerTask1: the sub-process
    holds only innerTask2's transition instance (testCancelStartCancelInScope)."""
    _, pid = concurrent_given(engine, cancel("innerTask2"), before("innerTask1"))
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:innerTask1", []),
                                                                    ("transition:innerTask1", [])])]
    t0, t1 = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, cancel_ti(t0), before("innerTask2"), cancel_ti(t1))
    assert shape(engine, pid) == [("outerTask", []), ("subProcess", [("transition:innerTask2", [])])]
    assert job_activities(engine, pid) == [("innerTask2", "async-continuation")]


def test_start_and_cancel_all_for_transition_instances(engine):
    """startBefore innerTask2 then cancel all innerTask1 (three transition instances) keeps the
    sub-process for innerTask2 (testStartAndCancelAllForTransitionInstance)."""
    d, pid = concurrent_given(engine, cancel("outerTask"), cancel("innerTask2"), before("innerTask1"),
                              before("innerTask1"))
    assert len(instance_ids(engine, pid, "innerTask1", transitions=True)) == 3
    modify(engine, d, [pid], before("innerTask2"), cancel("innerTask1"))
    assert shape(engine, pid) == [("subProcess", [("transition:innerTask2", [])])]
    assert job_activities(engine, pid) == [("innerTask2", "async-continuation")]


def test_repeated_start_and_cancellation_then_cancel_the_last_token(engine):
    """Starting and cancelling innerTask2 three times, then cancelling the original transition
    instance, ends the process instance (testRepeatedStartAndCancellationForTransitionInstance)."""
    _, pid = concurrent_given(engine, cancel("outerTask"), cancel("innerTask2"))
    (t,) = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, *([before("innerTask2"), cancel("innerTask2")] * 3), cancel_ti(t))
    assert shape(engine, pid) is None
    assert rows(engine, Job, process_instance_id=pid) == []
    assert history_state(engine, pid) == "EXTERNALLY_TERMINATED"


def test_repeated_cancellation_and_start_keeps_the_last_started(engine):
    """cancel one, start/cancel innerTask2 twice, start it again, cancel the other: only the last
    innerTask2 remains (testRepeatedCancellationAndStartForTransitionInstance)."""
    _, pid = concurrent_given(engine, cancel("outerTask"), cancel("innerTask2"), before("innerTask1"))
    t0, t1 = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, cancel_ti(t0), *([before("innerTask2"), cancel("innerTask2")] * 2),
           before("innerTask2"), cancel_ti(t1))
    assert shape(engine, pid) == [("subProcess", [("transition:innerTask2", [])])]
    assert job_activities(engine, pid) == [("innerTask2", "async-continuation")]


def test_start_before_and_cancel_the_single_transition_instance(engine):
    """startBefore innerTask2 and cancel the only innerTask1: the sub-process survives with
    innerTask2 (testStartBeforeAndCancelSingleTransitionInstance)."""
    _, pid = concurrent_given(engine, cancel("outerTask"), cancel("innerTask2"))
    (t,) = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, before("innerTask2"), cancel_ti(t))
    assert shape(engine, pid) == [("subProcess", [("transition:innerTask2", [])])]


def test_start_a_sync_end_then_cancel_the_single_transition_instance(engine):
    """startBefore an end event of the sub-process (its token ends at once), then cancel the only
    transition instance: the sub-process goes, outerTask stays
    (testStartBeforeSyncEndAndCancelSingleTransitionInstance)."""
    _, pid = concurrent_given(engine, cancel("innerTask2"))
    (t,) = instance_ids(engine, pid, "innerTask1", transitions=True)
    single(engine, pid, before("subProcessEnd2"), cancel_ti(t))
    assert shape(engine, pid) == [("outerTask", [])]
    assert rows(engine, Job, process_instance_id=pid) == []
