"""Modification around event sub-processes: starting before the event sub-process, its start
event or an activity inside it, at process level and inside a sub-process, interrupting or not,
with and without the scope's other activities; timers kept across a cancel-and-start; cancelling
inside an event sub-process and restarting behind it.

Ported, behaviour by behaviour, from Camunda 7's ProcessInstanceModificationEventSubProcessTest;
each case carries the name of the Camunda test method as its id. The models are written here and
only follow the structure of Camunda's (a message start event). As in Camunda, starting before
an interrupting event sub-process or its start event interrupts the scope it starts in, while
starting an activity inside it interrupts nothing. Every step runs in its own transaction and
reads the instance back from the database.
"""

from __future__ import annotations

import pytest

from modbatch.engine.modification import Instruction
from modbatch.store.tables import Job
from tests.engine.test_behaviours import rows, shape, with_declarations
from tests.engine.test_event_subprocess import owners
from tests.engine.test_modification import after, before, modify
from tests.engine.test_modification_boundary import complete_in_order, links
from tests.engine.test_runtime import complete, history_state, start

pytestmark = pytest.mark.usefixtures("pinned_clock")

DECLARATIONS = ('<message id="m1" name="newMessage"/>'
                '<escalation id="x1" escalationCode="EventSubProcess"/>')


def event_sub_process(interrupting: bool,
                      definition: str = '<messageEventDefinition messageRef="m1"/>') -> str:
    """eventSubProcess: eventProcessStart -> eventSubProcessTask -> eventSubProcessEnd."""
    return (f'<subProcess id="eventSubProcess" triggeredByEvent="true">'
            f'<startEvent id="eventProcessStart" isInterrupting="{"true" if interrupting else "false"}">'
            f'{definition}</startEvent><userTask id="eventSubProcessTask"/>'
            '<endEvent id="eventSubProcessEnd"/>'
            + links(("eventProcessStart", "eventSubProcessTask"),
                    ("eventSubProcessTask", "eventSubProcessEnd")) + '</subProcess>')


def at_process_level(interrupting: bool) -> str:
    """theStart -> task1 -> task2 -> theEnd, the event sub-process beside them."""
    return ('<startEvent id="theStart"/><userTask id="task1"/><userTask id="task2"/><endEvent id="theEnd"/>'
            + links(("theStart", "task1"), ("task1", "task2"), ("task2", "theEnd"))
            + event_sub_process(interrupting))


def inside_sub_process(interrupting: bool) -> str:
    """theStart -> task1 -> subProcess[innerStart -> task2 -> innerEnd, eventSubProcess] -> theEnd."""
    inner = ('<startEvent id="innerStart"/><userTask id="task2"/><endEvent id="innerEnd"/>'
             + links(("innerStart", "task2"), ("task2", "innerEnd")) + event_sub_process(interrupting))
    return ('<startEvent id="theStart"/><userTask id="task1"/>'
            f'<subProcess id="subProcess">{inner}</subProcess><endEvent id="theEnd"/>'
            + links(("theStart", "task1"), ("task1", "subProcess"), ("subProcess", "theEnd")))


def deployed(engine, model, interrupting: bool):
    key = f"{model.__name__.replace('_', '-')}-{'i' if interrupting else 'n'}"
    return with_declarations(engine, key, model(interrupting), DECLARATIONS)


ESP = ("eventSubProcess", [("eventSubProcessTask", [])])


def instance_of(engine, pid, activity_id: str) -> str:
    """The id of the (first) activity instance of ``activity_id`` among the root's children."""
    from modbatch.engine import instances

    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return state.instances_of(activity_id)[0].id


# ---------------------------------------------------------------- at process level

@pytest.mark.parametrize(("interrupting", "target", "cancel_task1", "expected", "subscribed", "order"), [
    pytest.param(True, "eventSubProcessTask", False, [ESP, ("task1", [])], [("eventProcessStart", "process")],
                 ("task1", "task2", "eventSubProcessTask"), id="testStartBeforeTaskInsideEventSubProcess"),
    pytest.param(True, "eventSubProcessTask", True, [ESP], [("eventProcessStart", "process")],
                 ("eventSubProcessTask",),
                 id="testStartBeforeTaskInsideEventSubProcessAndCancelTaskOutsideEventSubProcess"),
    pytest.param(True, "eventProcessStart", False, [ESP], [], ("eventSubProcessTask",),
                 id="testStartBeforeStartEventInsideEventSubProcess"),
    pytest.param(True, "eventSubProcess", False, [ESP], [], ("eventSubProcessTask",),
                 id="testStartBeforeEventSubProcess"),
    pytest.param(False, "eventSubProcessTask", False, [ESP, ("task1", [])], [("eventProcessStart", "process")],
                 ("task1", "eventSubProcessTask", "task2"),
                 id="testStartBeforeTaskInsideNonInterruptingEventSubProcess"),
    pytest.param(False, "eventSubProcessTask", True, [ESP], [("eventProcessStart", "process")],
                 ("eventSubProcessTask",),
                 id="testStartBeforeTaskInsideNonInterruptingEventSubProcessAndCancelTaskOutsideEventSubProcess"),
    pytest.param(False, "eventProcessStart", False, [ESP, ("task1", [])], [("eventProcessStart", "process")],
                 ("task1", "task2", "eventSubProcessTask"),
                 id="testStartBeforeStartEventInsideNonInterruptingEventSubProcess"),
    pytest.param(False, "eventSubProcess", False, [ESP, ("task1", [])], [("eventProcessStart", "process")],
                 ("task1", "eventSubProcessTask", "task2"),
                 id="testStartBeforeNonInterruptingEventSubProcess"),
])
def test_start_inside_a_process_level_event_sub_process(engine, interrupting, target, cancel_task1, expected,
                                                        subscribed, order):
    """The event sub-process instance is a child of the process instance; only starting the
    interrupting event sub-process (or its start event) cancels task1 and the scope's
    subscription; the remaining paths complete the instance."""
    d = deployed(engine, at_process_level, interrupting)
    pid = start(engine, d)
    instructions = [before(target)]
    if cancel_task1:
        instructions.insert(0, Instruction("cancel", activity_instance_id=instance_of(engine, pid, "task1")))
    modify(engine, d, [pid], *instructions)
    assert shape(engine, pid) == expected
    assert [(a, o) for a, o, _ in owners(engine, pid)] == subscribed
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- inside a sub-process

SUB_WITH_ESP = ("subProcess", [ESP])


@pytest.mark.parametrize(("interrupting", "target", "order"), [
    pytest.param(True, "eventSubProcessTask", ("task1", "eventSubProcessTask", "task2"),
                 id="testStartBeforeTaskInsideEventSubProcessInsideSubProcess"),
    pytest.param(True, "eventProcessStart", ("eventSubProcessTask", "task1", "task2"),
                 id="testStartBeforeStartEventInsideEventSubProcessInsideSubProcess"),
    pytest.param(True, "eventSubProcess", ("task1", "eventSubProcessTask", "task2"),
                 id="testStartBeforeEventSubProcessInsideSubProcess"),
    pytest.param(False, "eventSubProcessTask", ("task1", "eventSubProcessTask", "task2"),
                 id="testStartBeforeTaskInsideNonInterruptingEventSubProcessInsideSubProcess"),
    pytest.param(False, "eventProcessStart", ("task1", "task2", "eventSubProcessTask"),
                 id="testStartBeforeStartEventInsideNonInterruptingEventSubProcessInsideSubProcess"),
    pytest.param(False, "eventSubProcess", ("task1", "task2", "eventSubProcessTask"),
                 id="testStartBeforeNonInterruptingEventSubProcessInsideSubProcess"),
])
def test_start_inside_an_event_sub_process_creates_its_sub_process(engine, interrupting, target, order):
    """Without a sub-process instance the modification creates one (with its own subscription,
    unless an interrupting start interrupted it) beside task1, which stays."""
    d = deployed(engine, inside_sub_process, interrupting)
    pid = start(engine, d)
    modify(engine, d, [pid], before(target))
    assert shape(engine, pid) == [SUB_WITH_ESP, ("task1", [])]
    interrupted = interrupting and target != "eventSubProcessTask"
    expected_owners = [] if interrupted else [("eventProcessStart", "subProcess")]
    assert [(a, o) for a, o, _ in owners(engine, pid)] == expected_owners
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"


@pytest.mark.parametrize(("interrupting", "target", "expected"), [
    pytest.param(True, "eventSubProcessTask", [("subProcess", [ESP, ("task2", [])])],
                 id="testStartBeforeTaskInsideEventSubProcessInsideSubProcessTask2ShouldStay"),
    pytest.param(True, "eventProcessStart", [SUB_WITH_ESP],
                 id="testStartBeforeStartEventInsideEventSubProcessInsideSubProcessTask2ShouldBeCancelled"),
    pytest.param(True, "eventSubProcess", [SUB_WITH_ESP],
                 id="testStartBeforeEventSubProcessInsideSubProcessTask2ShouldBeCancelled"),
    pytest.param(False, "eventSubProcessTask", [("subProcess", [ESP, ("task2", [])])],
                 id="testStartBeforeTaskInsideNonInterruptingEventSubProcessInsideSubProcessTask2ShouldStay"),
    pytest.param(False, "eventProcessStart", [("subProcess", [ESP, ("task2", [])])],
                 id="testStartBeforeStartEventInsideNonInterruptingEventSubProcessInsideSubProcessTask2ShouldStay"),
    pytest.param(False, "eventSubProcess", [("subProcess", [ESP, ("task2", [])])],
                 id="testStartBeforeNonInterruptingEventSubProcessInsideSubProcessTask2ShouldStay"),
])
def test_start_inside_an_event_sub_process_of_the_running_sub_process(engine, interrupting, target, expected):
    """With the sub-process running (task1 done) the modification joins its instance: task2
    stays unless the interrupting event sub-process or its start event is started."""
    d = deployed(engine, inside_sub_process, interrupting)
    pid = start(engine, d)
    complete(engine, pid, "task1")
    modify(engine, d, [pid], before(target))
    assert shape(engine, pid) == expected
    order = ("eventSubProcessTask",) if expected == [SUB_WITH_ESP] else ("task2", "eventSubProcessTask")
    complete_in_order(engine, pid, *order)
    assert history_state(engine, pid) == "COMPLETED"


def test_ancestor_selects_the_sub_process_instance(engine):
    """With two sub-process instances, ancestorActivityInstanceId picks the one to start in."""
    d = deployed(engine, inside_sub_process, False)
    pid = start(engine, d)
    complete(engine, pid, "task1")
    modify(engine, d, [pid], before("subProcess"))
    with pytest.raises(Exception) as ambiguous:
        modify(engine, d, [pid], before("eventSubProcessTask"))
    assert "Ancestor activity execution is ambiguous" in str(ambiguous.value)
    first = instance_of(engine, pid, "subProcess")
    modify(engine, d, [pid], before("eventSubProcess", ancestor_activity_instance_id=first))
    from modbatch.engine import instances

    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        (esp,) = state.instances_of("eventSubProcess")
        assert esp.parent_id == first


# ---------------------------------------------------------------- timers, cancel and restart

TIMER_MODEL = ('<startEvent id="theStart"/><userTask id="task"/><endEvent id="theEnd"/>'
               + links(("theStart", "task"), ("task", "theEnd"))
               + event_sub_process(True, '<timerEventDefinition><timeDuration>PT1H</timeDuration>'
                                         '</timerEventDefinition>'))


def test_timer_job_preservation_on_cancellation_and_start(engine):
    """testTimerJobPreservationOnCancellationAndStart: the process instance, bare for a moment,
    keeps its event sub-process timer job (same id, same due date)."""
    d = with_declarations(engine, "timerEventSubProcess", TIMER_MODEL, DECLARATIONS)
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    modify(engine, d, [pid], Instruction("cancel", activity_instance_id=instance_of(engine, pid, "task")),
           before("task"))
    (kept,) = rows(engine, Job, process_instance_id=pid)
    assert (kept.id, kept.due_date, kept.handler_type) == (job.id, job.due_date, "timer-start-event-subprocess")


def test_timers_of_a_scope_started_by_modification(engine):
    """A sub-process instance created by modification gets its event sub-process timer."""
    inner = ('<startEvent id="innerStart"/><userTask id="task2"/><endEvent id="innerEnd"/>'
             + links(("innerStart", "task2"), ("task2", "innerEnd"))
             + event_sub_process(False, '<timerEventDefinition><timeDuration>PT1H</timeDuration>'
                                        '</timerEventDefinition>'))
    body = ('<startEvent id="theStart"/><userTask id="task1"/>'
            f'<subProcess id="subProcess">{inner}</subProcess><endEvent id="theEnd"/>'
            + links(("theStart", "task1"), ("task1", "subProcess"), ("subProcess", "theEnd")))
    d = with_declarations(engine, "timerInSub", body, DECLARATIONS)
    pid = start(engine, d)
    assert rows(engine, Job, process_instance_id=pid) == []
    modify(engine, d, [pid], before("task2"))
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert (job.activity_id, job.activity_instance_id) == ("eventProcessStart", instance_of(engine, pid, "subProcess"))


CANCEL_AND_RESTART = ('<startEvent id="StartEvent"/><endEvent id="EscalationEndEvent">'
                      '<escalationEventDefinition escalationRef="x1"/></endEvent>'
                      + links(("StartEvent", "EscalationEndEvent"))
                      + '<subProcess id="EventSubProcess" triggeredByEvent="true">'
                      '<startEvent id="NonInterruptingEscalationStartEvent" isInterrupting="false">'
                      '<escalationEventDefinition escalationRef="x1"/></startEvent>'
                      '<userTask id="UserTaskEventSubProcess"/><endEvent id="EventSubProcessEndEvent"/>'
                      + links(("NonInterruptingEscalationStartEvent", "UserTaskEventSubProcess"),
                              ("UserTaskEventSubProcess", "EventSubProcessEndEvent")) + '</subProcess>')


def test_process_instance_modification_in_event_sub_process_cancellation_and_restart(engine):
    """testProcessInstanceModificationInEventSubProcessCancellationAndRestart: cancel the task
    inside the escalation event sub-process and start after it: the instance completes."""
    d = with_declarations(engine, "ProcessWithEventSubProcess", CANCEL_AND_RESTART, DECLARATIONS)
    pid = start(engine, d)
    assert shape(engine, pid) == [("EventSubProcess", [("UserTaskEventSubProcess", [])])]
    modify(engine, d, [pid], Instruction("cancel", activity_id="UserTaskEventSubProcess"),
           after("UserTaskEventSubProcess"))
    assert shape(engine, pid) is None
    assert history_state(engine, pid) == "COMPLETED"


def test_cancelling_the_event_sub_process_leaves_the_scope_running(engine):
    """Cancelling a non-interrupting event sub-process instance keeps task1 and the subscription."""
    d = deployed(engine, at_process_level, False)
    pid = start(engine, d)
    modify(engine, d, [pid], before("eventSubProcess"))
    modify(engine, d, [pid], Instruction("cancel", activity_id="eventSubProcess"))
    assert shape(engine, pid) == [("task1", [])]
    assert [(a, o) for a, o, _ in owners(engine, pid)] == [("eventProcessStart", "process")]
