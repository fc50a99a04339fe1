"""Modification around boundary events: starting before the event or the activity behind it,
with the host activity active or not, interrupting or not, on tasks and on sub-processes.

Ported, behaviour by behaviour, from Camunda 7's ProcessInstanceModificationBoundaryEventTest;
each parametrized case carries the name of the Camunda test method as its id. The models are
written here and only follow the structure of Camunda's (a message boundary event). Every step
runs in its own transaction and reads the instance back from the database.
"""

from __future__ import annotations

import pytest

from modbatch.engine import instances
from modbatch.store.tables import EventSubscription, Job
from tests.engine.test_behaviours import rows, shape, with_messages
from tests.engine.test_modification import before, modify
from tests.engine.test_runtime import complete, history_state, start

MESSAGE = '<messageEventDefinition messageRef="m1"/>'


def links(*pairs: tuple[str, str]) -> str:
    return "".join(f'<sequenceFlow id="{s}-{t}" sourceRef="{s}" targetRef="{t}"/>' for s, t in pairs)


def boundary(event_id: str, host: str, interrupting: bool) -> str:
    return (f'<boundaryEvent id="{event_id}" attachedToRef="{host}" '
            f'cancelActivity="{"true" if interrupting else "false"}">{MESSAGE}</boundaryEvent>')


def on_task(interrupting: bool) -> str:
    """theStart -> task1 -> task2 -> theEnd1; boundaryEvent on task1 -> taskAfterBoundaryEvent -> theEnd2."""
    return ('<startEvent id="theStart"/><userTask id="task1"/><userTask id="task2"/><endEvent id="theEnd1"/>'
            + boundary("boundaryEvent", "task1", interrupting)
            + '<userTask id="taskAfterBoundaryEvent"/><endEvent id="theEnd2"/>'
            + links(("theStart", "task1"), ("task1", "task2"), ("task2", "theEnd1"),
                    ("boundaryEvent", "taskAfterBoundaryEvent"), ("taskAfterBoundaryEvent", "theEnd2")))


def inside_sub_process(interrupting: bool) -> str:
    """The same inside subProcess (inner ids), the sub-process being the only activity."""
    inner = ('<startEvent id="innerStart"/><userTask id="innerTask1"/><userTask id="innerTask2"/>'
             '<endEvent id="innerEnd1"/>' + boundary("innerBoundaryEvent", "innerTask1", interrupting)
             + '<userTask id="innerTaskAfterBoundaryEvent"/><endEvent id="innerEnd2"/>'
             + links(("innerStart", "innerTask1"), ("innerTask1", "innerTask2"), ("innerTask2", "innerEnd1"),
                     ("innerBoundaryEvent", "innerTaskAfterBoundaryEvent"),
                     ("innerTaskAfterBoundaryEvent", "innerEnd2")))
    return (f'<startEvent id="theStart"/><subProcess id="subProcess">{inner}</subProcess>'
            + links(("theStart", "subProcess")))


def on_sub_process(interrupting: bool) -> str:
    """theStart -> subProcess[innerTask] -> theEnd1; boundaryEvent on subProcess -> taskAfterBoundaryEvent."""
    inner = ('<startEvent id="innerStart"/><userTask id="innerTask"/><endEvent id="innerEnd"/>'
             + links(("innerStart", "innerTask"), ("innerTask", "innerEnd")))
    return (f'<startEvent id="theStart"/><subProcess id="subProcess">{inner}</subProcess>'
            '<endEvent id="theEnd1"/>' + boundary("boundaryEvent", "subProcess", interrupting)
            + '<userTask id="taskAfterBoundaryEvent"/><endEvent id="theEnd2"/>'
            + links(("theStart", "subProcess"), ("subProcess", "theEnd1"),
                    ("boundaryEvent", "taskAfterBoundaryEvent"), ("taskAfterBoundaryEvent", "theEnd2")))


def parallel_body(interrupting: bool, start_id: str) -> str:
    """start -> fork(AND) -> task1 -> theEnd1, fork -> task2 -> theEnd2; boundaryEvent on task2."""
    return (f'<startEvent id="{start_id}"/><parallelGateway id="fork"/><userTask id="task1"/>'
            '<endEvent id="theEnd1"/><userTask id="task2"/><endEvent id="theEnd2"/>'
            + boundary("boundaryEvent", "task2", interrupting)
            + '<userTask id="taskAfterBoundaryEvent"/><endEvent id="theEnd3"/>'
            + links((start_id, "fork"), ("fork", "task1"), ("task1", "theEnd1"), ("fork", "task2"),
                    ("task2", "theEnd2"), ("boundaryEvent", "taskAfterBoundaryEvent"),
                    ("taskAfterBoundaryEvent", "theEnd3")))


def with_parallel_gateway(interrupting: bool) -> str:
    return parallel_body(interrupting, "theStart")


def with_parallel_gateway_inside_sub_process(interrupting: bool) -> str:
    return (f'<startEvent id="theStart"/><subProcess id="subProcess">{parallel_body(interrupting, "theStart1")}'
            '</subProcess><endEvent id="theEnd4"/>' + links(("theStart", "subProcess"), ("subProcess", "theEnd4")))


def deployed(engine, model, interrupting: bool):
    key = f"{model.__name__.replace('_', '-')}-{'i' if interrupting else 'n'}"
    return with_messages(engine, key, model(interrupting))


def subscriptions(engine, pid) -> list[tuple[str, str]]:
    """(boundary event, activity its owning activity instance stands for) of each subscription."""
    subs = rows(engine, EventSubscription, process_instance_id=pid)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return sorted((s.activity_id, state.activity_instances[s.activity_instance_id].activity_id)
                      for s in subs)


def complete_in_order(engine, pid, *keys: str) -> None:
    for key in keys:
        complete(engine, pid, key)


# ---------------------------------------------------------------- the host activity is active

@pytest.mark.parametrize(("model", "interrupting", "target", "expected", "subscribed", "order"), [
    pytest.param(on_task, True, "taskAfterBoundaryEvent",
                 [("task1", []), ("taskAfterBoundaryEvent", [])], [("boundaryEvent", "task1")],
                 ("task1", "task2", "taskAfterBoundaryEvent"),
                 id="testTask1AndStartBeforeTaskAfterBoundaryEvent"),
    pytest.param(on_task, False, "taskAfterBoundaryEvent",
                 [("task1", []), ("taskAfterBoundaryEvent", [])], [("boundaryEvent", "task1")],
                 ("task1", "taskAfterBoundaryEvent", "task2"),
                 id="testTask1AndStartBeforeTaskAfterNonInterruptingBoundaryEvent"),
    pytest.param(inside_sub_process, True, "innerTaskAfterBoundaryEvent",
                 [("subProcess", [("innerTask1", []), ("innerTaskAfterBoundaryEvent", [])])],
                 [("innerBoundaryEvent", "innerTask1")],
                 ("innerTask1", "innerTaskAfterBoundaryEvent", "innerTask2"),
                 id="testTask1AndStartBeforeTaskAfterBoundaryEventInsideSubProcess"),
    pytest.param(inside_sub_process, False, "innerTaskAfterBoundaryEvent",
                 [("subProcess", [("innerTask1", []), ("innerTaskAfterBoundaryEvent", [])])],
                 [("innerBoundaryEvent", "innerTask1")],
                 ("innerTask1", "innerTaskAfterBoundaryEvent", "innerTask2"),
                 id="testTask1AndStartBeforeTaskAfterNonInterruptingBoundaryEventInsideSubProcess"),
    pytest.param(on_sub_process, True, "taskAfterBoundaryEvent",
                 [("subProcess", [("innerTask", [])]), ("taskAfterBoundaryEvent", [])],
                 [("boundaryEvent", "subProcess")], ("innerTask", "taskAfterBoundaryEvent"),
                 id="testStartBeforeTaskAfterBoundaryEventOnSubProcess"),
    pytest.param(on_sub_process, False, "taskAfterBoundaryEvent",
                 [("subProcess", [("innerTask", [])]), ("taskAfterBoundaryEvent", [])],
                 [("boundaryEvent", "subProcess")], ("innerTask", "taskAfterBoundaryEvent"),
                 id="testStartBeforeTaskAfterNonInterruptingBoundaryEventOnSubProcess"),
    # Camunda's test of this name also starts before taskAfterBoundaryEvent, not the event
    pytest.param(on_sub_process, False, "taskAfterBoundaryEvent",
                 [("subProcess", [("innerTask", [])]), ("taskAfterBoundaryEvent", [])],
                 [("boundaryEvent", "subProcess")], ("innerTask", "taskAfterBoundaryEvent"),
                 id="testStartBeforeNonInterruptingBoundaryEventOnSubProcess"),
])
def test_start_before_the_activity_after_a_boundary_event_leaves_the_host_alone(
        engine, model, interrupting, target, expected, subscribed, order):
    """Starting the activity behind a boundary event is a plain start: the host and its
    subscription stay, and both paths complete the instance."""
    d = deployed(engine, model, interrupting)
    pid = start(engine, d)
    modify(engine, d, [pid], before(target))
    assert shape(engine, pid) == expected
    assert subscriptions(engine, pid) == subscribed
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"


@pytest.mark.parametrize(("model", "event", "expected", "after"), [
    pytest.param(on_task, "boundaryEvent", [("taskAfterBoundaryEvent", [])], "taskAfterBoundaryEvent",
                 id="testTask1AndStartBeforeBoundaryEvent"),
    pytest.param(inside_sub_process, "innerBoundaryEvent", [("subProcess", [("innerTaskAfterBoundaryEvent", [])])],
                 "innerTaskAfterBoundaryEvent", id="testTask1AndStartBeforeBoundaryEventInsideSubProcess"),
    pytest.param(on_sub_process, "boundaryEvent", [("taskAfterBoundaryEvent", [])], "taskAfterBoundaryEvent",
                 id="testStartBeforeBoundaryEventOnSubProcess"),
])
def test_start_before_an_interrupting_boundary_event_cancels_its_active_host(engine, model, event, expected,
                                                                              after):
    """Starting before an interrupting boundary event cancels the host instance (and its
    subscription, and a sub-process's content) and continues behind the event."""
    d = deployed(engine, model, True)
    pid = start(engine, d)
    modify(engine, d, [pid], before(event))
    assert shape(engine, pid) == expected
    assert subscriptions(engine, pid) == []
    complete(engine, pid, after)
    assert history_state(engine, pid) == "COMPLETED"


@pytest.mark.parametrize(("model", "event", "expected", "subscribed", "order"), [
    pytest.param(on_task, "boundaryEvent", [("task1", []), ("taskAfterBoundaryEvent", [])],
                 [("boundaryEvent", "task1")], ("task1", "taskAfterBoundaryEvent", "task2"),
                 id="testTask1AndStartBeforeNonInterruptingBoundaryEvent"),
    pytest.param(inside_sub_process, "innerBoundaryEvent",
                 [("subProcess", [("innerTask1", []), ("innerTaskAfterBoundaryEvent", [])])],
                 [("innerBoundaryEvent", "innerTask1")], ("innerTask1", "innerTask2", "innerTaskAfterBoundaryEvent"),
                 id="testTask1AndStartBeforeNonInterruptingBoundaryEventInsideSubProcess"),
])
def test_start_before_a_non_interrupting_boundary_event_keeps_its_host(engine, model, event, expected,
                                                                       subscribed, order):
    """Starting before a non-interrupting boundary event adds the path behind it; the host and
    its subscription stay."""
    d = deployed(engine, model, False)
    pid = start(engine, d)
    modify(engine, d, [pid], before(event))
    assert shape(engine, pid) == expected
    assert subscriptions(engine, pid) == subscribed
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- the host activity is no longer active

@pytest.mark.parametrize(("model", "interrupting", "target", "done", "expected", "order"), [
    pytest.param(on_task, True, "taskAfterBoundaryEvent", "task1",
                 [("task2", []), ("taskAfterBoundaryEvent", [])], ("task2", "taskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeTaskAfterBoundaryEvent"),
    pytest.param(on_task, True, "boundaryEvent", "task1",
                 [("task2", []), ("taskAfterBoundaryEvent", [])], ("task2", "taskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeBoundaryEvent"),
    pytest.param(on_task, False, "taskAfterBoundaryEvent", "task1",
                 [("task2", []), ("taskAfterBoundaryEvent", [])], ("task2", "taskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeTaskAfterNonInterruptingBoundaryEvent"),
    pytest.param(on_task, False, "boundaryEvent", "task1",
                 [("task2", []), ("taskAfterBoundaryEvent", [])], ("task2", "taskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeNonInterruptingBoundaryEvent"),
    pytest.param(inside_sub_process, True, "innerTaskAfterBoundaryEvent", "innerTask1",
                 [("subProcess", [("innerTask2", []), ("innerTaskAfterBoundaryEvent", [])])],
                 ("innerTask2", "innerTaskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeTaskAfterBoundaryEventInsideSubProcess"),
    pytest.param(inside_sub_process, True, "innerBoundaryEvent", "innerTask1",
                 [("subProcess", [("innerTask2", []), ("innerTaskAfterBoundaryEvent", [])])],
                 ("innerTask2", "innerTaskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeBoundaryEventInsideSubProcess"),
    pytest.param(inside_sub_process, False, "innerTaskAfterBoundaryEvent", "innerTask1",
                 [("subProcess", [("innerTask2", []), ("innerTaskAfterBoundaryEvent", [])])],
                 ("innerTask2", "innerTaskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeTaskAfterNonInterruptingBoundaryEventInsideSubProcess"),
    pytest.param(inside_sub_process, False, "innerBoundaryEvent", "innerTask1",
                 [("subProcess", [("innerTask2", []), ("innerTaskAfterBoundaryEvent", [])])],
                 ("innerTask2", "innerTaskAfterBoundaryEvent"),
                 id="testTask2AndStartBeforeNonInterruptingBoundaryEventInsideSubProcess"),
])
def test_start_before_a_boundary_event_whose_host_is_gone(engine, model, interrupting, target, done,
                                                          expected, order):
    """With the host already completed, starting before the boundary event (or the activity
    behind it) cancels nothing: the new path runs beside the current one."""
    d = deployed(engine, model, interrupting)
    pid = start(engine, d)
    complete(engine, pid, done)
    assert subscriptions(engine, pid) == []
    modify(engine, d, [pid], before(target))
    assert shape(engine, pid) == expected
    assert subscriptions(engine, pid) == []
    assert rows(engine, Job, process_instance_id=pid) == []
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- beside a parallel branch

@pytest.mark.parametrize(("model", "interrupting", "expected", "subscribed", "order"), [
    pytest.param(with_parallel_gateway, True, [("task1", []), ("taskAfterBoundaryEvent", [])], [],
                 ("task1", "taskAfterBoundaryEvent"), id="testStartBeforeInterruptingBoundaryEvent"),
    pytest.param(with_parallel_gateway, False,
                 [("task1", []), ("task2", []), ("taskAfterBoundaryEvent", [])], [("boundaryEvent", "task2")],
                 ("task1", "task2", "taskAfterBoundaryEvent"), id="testStartBeforeNonInterruptingBoundaryEvent"),
    pytest.param(with_parallel_gateway_inside_sub_process, True,
                 [("subProcess", [("task1", []), ("taskAfterBoundaryEvent", [])])], [],
                 ("task1", "taskAfterBoundaryEvent"), id="testStartBeforeInterruptingBoundaryEventInsideSubProcess"),
    pytest.param(with_parallel_gateway_inside_sub_process, False,
                 [("subProcess", [("task1", []), ("task2", []), ("taskAfterBoundaryEvent", [])])],
                 [("boundaryEvent", "task2")], ("task1", "task2", "taskAfterBoundaryEvent"),
                 id="testStartBeforeNonInterruptingBoundaryEventInsideSubProcess"),
])
def test_start_before_a_boundary_event_touches_only_its_host(engine, model, interrupting, expected,
                                                             subscribed, order):
    """Starting before the boundary event of task2 interrupts task2 (if interrupting) and never
    the concurrent task1."""
    d = deployed(engine, model, interrupting)
    pid = start(engine, d)
    modify(engine, d, [pid], before("boundaryEvent"))
    assert shape(engine, pid) == expected
    assert subscriptions(engine, pid) == subscribed
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"
