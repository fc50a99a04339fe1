"""Event sub-processes through the database: every step reloads the instance.

Message, signal, timer, error, escalation and conditional starts, interrupting and not, at
process level and inside an embedded sub-process; what the scope instance owns while it waits
(subscriptions, timer jobs) and that it goes with the scope.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from modbatch.engine import instances
from modbatch.engine.bpmn.parser import parse_bpmn
from modbatch.engine.events import correlation
from modbatch.engine.runtime.job_definitions import job_definition_id
from modbatch.engine.variables import TypedValue
from modbatch.errors import ParseError
from modbatch.store.tables import EventSubscription, ExternalTask, Incident, Job, JobDefinition
from tests.engine.conftest import NOW
from tests.engine.test_behaviours import (
    END,
    START,
    flow,
    message,
    rows,
    run_jobs,
    shape,
    variables,
    with_declarations,
)
from tests.engine.test_runtime import BPMN_NS, complete, history_state, start

pytestmark = pytest.mark.usefixtures("pinned_clock")

DECLARATIONS = ('<message id="m1" name="cancelOrder"/><signal id="s1" name="alarm"/>'
                '<error id="e1" errorCode="FAIL"/><error id="e2" errorCode="OTHER"/>'
                '<escalation id="x1" escalationCode="LATE"/>')
MESSAGE = '<messageEventDefinition messageRef="m1"/>'
SIGNAL = '<signalEventDefinition signalRef="s1"/>'


def deploy(engine, key, body):
    return with_declarations(engine, key, body, DECLARATIONS)


def event_sub_process(definition: str, interrupting: bool = True, esp_id: str = "esp",
                      start_id: str = "espStart", task_id: str = "espTask", extra: str = "") -> str:
    """An event sub-process: its start event (with ``definition``) -> a user task -> end."""
    flag = "true" if interrupting else "false"
    return (f'<subProcess id="{esp_id}" triggeredByEvent="true">'
            f'<startEvent id="{start_id}" isInterrupting="{flag}" {extra}>{definition}</startEvent>'
            f'<sequenceFlow id="{esp_id}-f1" sourceRef="{start_id}" targetRef="{task_id}"/>'
            f'<userTask id="{task_id}"/>'
            f'<sequenceFlow id="{esp_id}-f2" sourceRef="{task_id}" targetRef="{esp_id}End"/>'
            f'<endEvent id="{esp_id}End"/></subProcess>')


def main_line(esp: str) -> str:
    """start -> task1 -> task2 -> end, with the event sub-process beside it."""
    return flow(START, '<userTask id="task1"/>', '<userTask id="task2"/>', END) + esp


def in_sub_process(esp: str) -> str:
    """start -> sub[innerStart -> inner -> innerEnd, esp] -> after -> end."""
    inner = ('<startEvent id="innerStart"/><sequenceFlow id="i1" sourceRef="innerStart" targetRef="inner"/>'
             '<userTask id="inner"/><sequenceFlow id="i2" sourceRef="inner" targetRef="innerEnd"/>'
             '<endEvent id="innerEnd"/>' + esp)
    return flow(START, f'<subProcess id="sub">{inner}</subProcess>', '<userTask id="after"/>', END)


def owners(engine, pid) -> list[tuple[str, str, str | None]]:
    """(start event, activity of the owning scope or 'process', event type) per subscription."""
    subs = rows(engine, EventSubscription, process_instance_id=pid)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return sorted((s.activity_id, "process" if s.activity_instance_id == pid else
                       state.activity_instances[s.activity_instance_id].activity_id, s.event_type)
                      for s in subs)


# ---------------------------------------------------------------- parsing

def model_of(body: str):
    xml = (f'<definitions {BPMN_NS} targetNamespace="t">{DECLARATIONS}<process id="p" '
           f'isExecutable="true">{body}</process></definitions>')
    return parse_bpmn(xml.encode(), "p.bpmn")[0]


def test_the_model_lists_the_event_sub_processes_of_each_scope():
    """Per scope (process or sub-process) its event sub-processes; Camunda's activity types."""
    inner = event_sub_process('<errorEventDefinition errorRef="e1"/>', esp_id="inEsp", start_id="inStart",
                              task_id="inTask")
    model = model_of(in_sub_process(inner) + event_sub_process(MESSAGE))
    assert model.event_subprocesses == {"p": ("esp",), "sub": ("inEsp",)}
    esp = model.activities["esp"]
    assert (esp.type, esp.triggered_by_event, esp.is_scope, esp.start_event_id) == \
        ("subProcess", True, True, "espStart")
    assert model.activities["sub"].triggered_by_event is False
    assert model.activities["espStart"].type == "messageStartEvent"
    assert model.activities["inStart"].type == "errorStartEvent"
    assert model.activities["inStart"].event_name == "FAIL"


@pytest.mark.parametrize(("definition", "kind"), [
    (MESSAGE, "messageStartEvent"), (SIGNAL, "signalStartEvent"),
    ('<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>', "startTimerEvent"),
    ('<errorEventDefinition/>', "errorStartEvent"),
    ('<escalationEventDefinition escalationRef="x1"/>', "escalationStartEvent"),
    ('<conditionalEventDefinition camunda:variableName="x"><condition>${x &gt; 1}</condition>'
     '</conditionalEventDefinition>', "conditionalStartEvent"),
])
def test_start_event_types_and_is_interrupting(definition, kind):
    """Each start event kind gets its Camunda type; isInterrupting lands in cancel_activity."""
    interrupting = kind != "errorStartEvent"
    model = model_of(main_line(event_sub_process(definition, interrupting=False) if interrupting
                               else event_sub_process(definition)))
    start_event = model.activities["espStart"]
    assert start_event.type == kind
    assert start_event.cancel_activity is not interrupting
    if kind == "conditionalStartEvent":
        assert start_event.condition_variable == "x"
        assert start_event.condition.evaluate({"x": 2}) is True


@pytest.mark.parametrize(("body", "text"), [
    (main_line(event_sub_process("")), "of an event sub-process needs an event definition"),
    (main_line(event_sub_process('<errorEventDefinition/>', interrupting=False)),
     "an error start event is always interrupting"),
    (flow('<startEvent id="start"><errorEventDefinition/></startEvent>', END),
     "a start event of type errorStartEvent is allowed only in an event sub-process"),
    (main_line(event_sub_process(MESSAGE)) + '<sequenceFlow id="in" sourceRef="task2" targetRef="esp"/>',
     "an event sub-process cannot have incoming or outgoing sequence flows"),
    (main_line('<subProcess id="esp" triggeredByEvent="true"><startEvent id="c1">'
               '<compensateEventDefinition/></startEvent></subProcess>'),
     "event subprocess with compensation start event is only supported for embedded subprocess"),
    (main_line(event_sub_process(MESSAGE) + event_sub_process(MESSAGE, esp_id="esp2", start_id="s2",
                                                              task_id="t2")),
     "Cannot have more than one message event subscription with name 'cancelOrder' for scope 'p'"),
    (main_line(event_sub_process(MESSAGE)) + f'<boundaryEvent id="b" attachedToRef="esp">{MESSAGE}</boundaryEvent>',
     "cannot be attached to 'subProcess' with id 'esp'"),
])
def test_what_the_parser_refuses(body, text):
    """None starts in event sub-processes, non-interrupting error starts, event-only starts
    outside them, flows into them, boundary events on them, two message starts of one name in
    a scope and compensation event sub-processes are refused."""
    with pytest.raises(ParseError) as caught:
        model_of(body)
    assert text in caught.value.message


# ---------------------------------------------------------------- messages and signals

def test_interrupting_message_start_at_process_level(engine):
    """The process instance owns the subscription; the message cancels task1, runs the event
    sub-process as a child of the process instance and removes the subscription."""
    d = deploy(engine, "espMsg", main_line(event_sub_process(MESSAGE)))
    pid = start(engine, d)
    (sub,) = rows(engine, EventSubscription, process_instance_id=pid)
    assert (sub.event_type, sub.event_name, sub.activity_id, sub.execution_id,
            sub.activity_instance_id) == ("message", "cancelOrder", "espStart", pid, pid)
    assert message(engine, "cancelOrder", reason="late") == [pid]
    assert shape(engine, pid) == [("esp", [("espTask", [])])]
    assert rows(engine, EventSubscription, process_instance_id=pid) == []
    assert variables(engine, pid) == {"reason": "late"}
    complete(engine, pid, "espTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_non_interrupting_message_start_runs_alongside_and_keeps_waiting(engine):
    """Each message adds an event sub-process instance; the subscription stays; the instance
    completes only when every path did."""
    d = deploy(engine, "espMsgN", main_line(event_sub_process(MESSAGE, interrupting=False)))
    pid = start(engine, d)
    message(engine, "cancelOrder")
    message(engine, "cancelOrder")
    assert shape(engine, pid) == [("esp", [("espTask", [])]), ("esp", [("espTask", [])]), ("task1", [])]
    assert owners(engine, pid) == [("espStart", "process", "message")]
    complete(engine, pid, "task1")
    complete(engine, pid, "task2")
    complete(engine, pid, "espTask")
    assert history_state(engine, pid) == "ACTIVE"
    complete(engine, pid, "espTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_message_start_inside_a_sub_process_belongs_to_its_instance(engine):
    """The sub-process instance owns the subscription: the message interrupts only the
    sub-process; when the event sub-process ends the sub-process completes and continues."""
    d = deploy(engine, "espSub", in_sub_process(event_sub_process(MESSAGE)))
    pid = start(engine, d)
    assert owners(engine, pid) == [("espStart", "sub", "message")]
    message(engine, "cancelOrder")
    assert shape(engine, pid) == [("sub", [("esp", [("espTask", [])])])]
    assert owners(engine, pid) == []
    complete(engine, pid, "espTask")
    assert shape(engine, pid) == [("after", [])]


def test_the_subscription_goes_with_its_scope(engine):
    """Completing the sub-process removes the event sub-process's subscription."""
    d = deploy(engine, "espGone", in_sub_process(event_sub_process(MESSAGE, interrupting=False)))
    pid = start(engine, d)
    complete(engine, pid, "inner")
    assert shape(engine, pid) == [("after", [])]
    assert rows(engine, EventSubscription, process_instance_id=pid) == []


def test_signal_start_non_interrupting(engine):
    """A thrown signal starts the event sub-process beside the running path, once per throw."""
    d = deploy(engine, "espSig", main_line(event_sub_process(SIGNAL, interrupting=False)))
    pid = start(engine, d)
    with engine.transaction() as session:
        assert correlation.throw_signal(session, "alarm") == [pid]
    assert shape(engine, pid) == [("esp", [("espTask", [])]), ("task1", [])]
    assert owners(engine, pid) == [("espStart", "process", "signal")]


# ---------------------------------------------------------------- timers

TIMER = '<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>'
CYCLE = '<timerEventDefinition><timeCycle>R2/PT1H</timeCycle></timerEventDefinition>'


def test_interrupting_timer_start_fires_through_the_job_executor(engine):
    """A timer job of its own definition, owned by the process instance, due in an hour."""
    d = deploy(engine, "espTimer", main_line(event_sub_process(TIMER)))
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert (job.handler_type, job.activity_id, job.execution_id, job.due_date) == \
        ("timer-start-event-subprocess", "espStart", pid, NOW + timedelta(hours=1))
    expected_definition = job_definition_id(d.id, "espStart", "timer-start-event-subprocess",
                                            "DURATION: PT1H")
    assert job.job_definition_id == expected_definition
    (definition,) = rows(engine, JobDefinition, id=expected_definition)
    assert definition.job_type == "timer-start-event-subprocess"
    run_jobs(engine, NOW + timedelta(minutes=30))
    assert shape(engine, pid) == [("task1", [])]
    run_jobs(engine, NOW + timedelta(hours=2))
    assert shape(engine, pid) == [("esp", [("espTask", [])])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_non_interrupting_timer_cycle_repeats(engine):
    """R2/PT1H fires twice, each time adding an event sub-process instance beside task1."""
    d = deploy(engine, "espCycle", main_line(event_sub_process(CYCLE, interrupting=False)))
    pid = start(engine, d)
    run_jobs(engine, NOW + timedelta(hours=1, minutes=1))
    assert shape(engine, pid) == [("esp", [("espTask", [])]), ("task1", [])]
    assert len(rows(engine, Job, process_instance_id=pid)) == 1
    run_jobs(engine, NOW + timedelta(hours=2, minutes=2))
    assert shape(engine, pid) == [("esp", [("espTask", [])]), ("esp", [("espTask", [])]), ("task1", [])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_timer_inside_a_sub_process_is_removed_with_it(engine):
    """The sub-process instance owns its event sub-process's timer job."""
    d = deploy(engine, "espSubTimer", in_sub_process(event_sub_process(TIMER)))
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        assert state.activity_instances[job.activity_instance_id].activity_id == "sub"
    complete(engine, pid, "inner")
    assert rows(engine, Job, process_instance_id=pid) == []


# ---------------------------------------------------------------- errors and escalations

ERROR_END = '<endEvent id="fail"><errorEventDefinition errorRef="e1"/></endEvent>'


def test_error_start_at_process_level_catches_an_error_from_a_sub_process(engine):
    """The error ends the sub-process; the error event sub-process runs with the code variable."""
    inner = ('<startEvent id="innerStart"/><sequenceFlow id="i1" sourceRef="innerStart" targetRef="inner"/>'
             '<userTask id="inner"/><sequenceFlow id="i2" sourceRef="inner" targetRef="fail"/>' + ERROR_END)
    esp = event_sub_process('<errorEventDefinition errorRef="e1" camunda:errorCodeVariable="code"/>')
    d = deploy(engine, "espErr", flow(START, f'<subProcess id="sub">{inner}</subProcess>', END) + esp)
    pid = start(engine, d)
    complete(engine, pid, "inner")
    assert shape(engine, pid) == [("esp", [("espTask", [])])]
    assert variables(engine, pid) == {"code": "FAIL"}


def error_model(boundary: str, esp_definition: str) -> str:
    """sub[inner -> fail(FAIL), esp inside] with an error boundary on sub -> handled."""
    inner = ('<startEvent id="innerStart"/><sequenceFlow id="i1" sourceRef="innerStart" targetRef="inner"/>'
             '<userTask id="inner"/><sequenceFlow id="i2" sourceRef="inner" targetRef="fail"/>' + ERROR_END
             + event_sub_process(esp_definition))
    return (flow(START, f'<subProcess id="sub">{inner}</subProcess>', END)
            + f'<boundaryEvent id="caught" attachedToRef="sub">{boundary}</boundaryEvent>'
            '<sequenceFlow id="h" sourceRef="caught" targetRef="handled"/><userTask id="handled"/>')


@pytest.mark.parametrize(("boundary", "esp", "expected"), [
    pytest.param('<errorEventDefinition errorRef="e1"/>', '<errorEventDefinition errorRef="e1"/>',
                 [("sub", [("esp", [("espTask", [])])])], id="inner-event-sub-process-first"),
    pytest.param('<errorEventDefinition errorRef="e1"/>', '<errorEventDefinition/>',
                 [("sub", [("esp", [("espTask", [])])])], id="catch-all-event-sub-process-before-exact-boundary"),
    pytest.param('<errorEventDefinition/>', '<errorEventDefinition/>',
                 [("sub", [("esp", [("espTask", [])])])], id="catch-alls-event-sub-process-first"),
    pytest.param('<errorEventDefinition/>', '<errorEventDefinition errorRef="e2"/>',
                 [("handled", [])], id="other-code-not-caught"),
])
def test_error_handler_precedence_in_one_scope(engine, boundary, esp, expected):
    """At one scope Camunda ranks event sub-processes (precedence 10) above boundary events (0),
    and within each an exact code above a catch-all."""
    key = f"espPrec{len(boundary)}x{len(esp)}"
    pid = start(engine, deploy(engine, key, error_model(boundary, esp)))
    complete(engine, pid, "inner")
    assert shape(engine, pid) == expected


def test_error_thrown_inside_the_event_sub_process_is_not_caught_by_it(engine):
    """An error end event inside the error event sub-process goes up to the next scope."""
    esp = ('<subProcess id="esp" triggeredByEvent="true"><startEvent id="espStart">'
           '<errorEventDefinition/></startEvent><sequenceFlow id="e1f" sourceRef="espStart" targetRef="again"/>'
           '<endEvent id="again"><errorEventDefinition errorRef="e1"/></endEvent></subProcess>')
    inner = ('<startEvent id="innerStart"/><sequenceFlow id="i1" sourceRef="innerStart" targetRef="inner"/>'
             '<userTask id="inner"/><sequenceFlow id="i2" sourceRef="inner" targetRef="fail"/>' + ERROR_END + esp)
    outer = event_sub_process('<errorEventDefinition/>', esp_id="outer", start_id="outerStart",
                              task_id="outerTask")
    d = deploy(engine, "espRethrow", flow(START, f'<subProcess id="sub">{inner}</subProcess>', END) + outer)
    pid = start(engine, d)
    complete(engine, pid, "inner")
    assert shape(engine, pid) == [("outer", [("outerTask", [])])]


def test_bpmn_error_of_an_external_task_reaches_the_event_sub_process(engine):
    """A worker's BPMN error without a boundary event is caught by the process's event sub-process."""
    body = (flow(START, '<serviceTask id="ext" camunda:type="external" camunda:topic="t"/>', END)
            + event_sub_process('<errorEventDefinition errorRef="e1" camunda:errorMessageVariable="why"/>'))
    pid = start(engine, deploy(engine, "espExt", body))
    (task,) = rows(engine, ExternalTask, process_instance_id=pid)
    with engine.transaction() as session:
        instances.external_task_bpmn_error(session, session.get(ExternalTask, task.id), error_code="FAIL",
                                           error_message="bad image", variables={})
    assert shape(engine, pid) == [("esp", [("espTask", [])])]
    assert rows(engine, ExternalTask, process_instance_id=pid) == []
    assert variables(engine, pid) == {"why": "bad image"}


ESCALATION = '<escalationEventDefinition escalationRef="x1"/>'


def test_non_interrupting_escalation_start_beside_an_escalation_end_event(engine):
    """Camunda's testCancelAndRestart model: the escalation end event ends the main path and the
    non-interrupting event sub-process keeps the instance running."""
    body = (flow(START, f'<endEvent id="escalate">{ESCALATION}</endEvent>')
            + event_sub_process('<escalationEventDefinition escalationRef="x1" '
                                'camunda:escalationCodeVariable="why"/>', interrupting=False))
    pid = start(engine, deploy(engine, "espEsc", body))
    assert shape(engine, pid) == [("esp", [("espTask", [])])]
    assert variables(engine, pid) == {"why": "LATE"}
    complete(engine, pid, "espTask")
    assert history_state(engine, pid) == "COMPLETED"


@pytest.mark.parametrize(("interrupting", "expected"), [
    (True, [("sub", [("esp", [("espTask", [])])])]),
    (False, [("sub", [("esp", [("espTask", [])]), ("inner", [])])]),
])
def test_escalation_throw_inside_a_sub_process(engine, interrupting, expected):
    """An interrupting escalation start stops the throwing path; a non-interrupting one lets
    it go on to the next task."""
    inner = ('<startEvent id="innerStart"/><sequenceFlow id="i1" sourceRef="innerStart" targetRef="esc"/>'
             f'<intermediateThrowEvent id="esc">{ESCALATION}</intermediateThrowEvent>'
             '<sequenceFlow id="i2" sourceRef="esc" targetRef="inner"/><userTask id="inner"/>'
             + event_sub_process(ESCALATION, interrupting=interrupting))
    body = flow(START, f'<subProcess id="sub">{inner}</subProcess>', END)
    pid = start(engine, deploy(engine, f"espEscSub{int(interrupting)}", body))
    assert shape(engine, pid) == expected


# ---------------------------------------------------------------- conditions

def conditional(condition: str, variable: str | None = None) -> str:
    name = f' camunda:variableName="{variable}"' if variable else ""
    return f'<conditionalEventDefinition{name}><condition>{condition}</condition></conditionalEventDefinition>'


def test_conditional_start_fires_when_a_task_completion_sets_the_variable(engine):
    """The condition is false at the start; completing task1 with x=2 interrupts the process."""
    d = deploy(engine, "espCond", main_line(event_sub_process(conditional("${x &gt; 1}"))))
    pid = start(engine, d, x=0)
    assert owners(engine, pid) == [("espStart", "process", "conditional")]
    complete(engine, pid, "task1", x=1)
    assert shape(engine, pid) == [("task2", [])]
    complete(engine, pid, "task2", x=2)
    assert shape(engine, pid) == [("esp", [("espTask", [])])]
    assert rows(engine, EventSubscription, process_instance_id=pid) == []


def test_conditional_start_is_evaluated_when_its_scope_is_created(engine):
    """A sub-process entered while the condition holds runs its event sub-process at once."""
    d = deploy(engine, "espCondScope", in_sub_process(event_sub_process(conditional("${x == 1}"))))
    pid = start(engine, d, x=1)
    assert shape(engine, pid) == [("sub", [("esp", [("espTask", [])])])]


def test_non_interrupting_conditional_start_honours_variable_name(engine):
    """With camunda:variableName only changes of that variable trigger; each change does."""
    d = deploy(engine, "espCondName", main_line(event_sub_process(
        conditional("${y == 1}", variable="x"), interrupting=False)))
    pid = start(engine, d, x=0, y=0)
    complete(engine, pid, "task1", y=1)
    assert shape(engine, pid) == [("task2", [])]
    complete(engine, pid, "task2", x=5)
    assert history_state(engine, pid) == "ACTIVE"
    assert shape(engine, pid) == [("esp", [("espTask", [])])]


def test_escalation_takes_the_first_matching_event_sub_process_in_document_order(engine):
    """Camunda's finder takes the first escalation definition that matches, a catch-all one
    included: no precedence for the exact code among event sub-processes."""
    catch_all = event_sub_process('<escalationEventDefinition/>', interrupting=False, esp_id="any",
                                  start_id="anyStart", task_id="anyTask")
    exact = event_sub_process(ESCALATION, interrupting=False)
    body = flow(START, f'<intermediateThrowEvent id="esc">{ESCALATION}</intermediateThrowEvent>',
                '<userTask id="task1"/>', END) + catch_all + exact
    pid = start(engine, deploy(engine, "espEscOrder", body))
    assert shape(engine, pid) == [("any", [("anyTask", [])]), ("task1", [])]


def test_interrupting_start_removes_the_scopes_boundary_subscriptions(engine):
    """As Camunda's interrupt of the scope execution: the sub-process's own message boundary
    event stops waiting once an interrupting event sub-process inside it fired."""
    inner = ('<startEvent id="innerStart"/><sequenceFlow id="i1" sourceRef="innerStart" targetRef="inner"/>'
             '<userTask id="inner"/>' + event_sub_process(SIGNAL))
    body = (flow(START, f'<subProcess id="sub">{inner}</subProcess>', END)
            + f'<boundaryEvent id="stop" attachedToRef="sub">{MESSAGE}</boundaryEvent>'
            '<sequenceFlow id="h" sourceRef="stop" targetRef="stopped"/><userTask id="stopped"/>')
    pid = start(engine, deploy(engine, "espScopeSubs", body))
    assert owners(engine, pid) == [("espStart", "sub", "signal"), ("stop", "sub", "message")]
    with engine.transaction() as session:
        correlation.throw_signal(session, "alarm")
    assert shape(engine, pid) == [("sub", [("esp", [("espTask", [])])])]
    assert owners(engine, pid) == []


def test_local_correlation_keys_of_a_process_level_event_sub_process(engine):
    """The process instance's execution owns the subscription: its local variables, which local
    correlation keys match, are the process variables."""
    d = deploy(engine, "espLocal", main_line(event_sub_process(MESSAGE, interrupting=False)))
    pid = start(engine, d, order="A")
    other = start(engine, d, order="B")

    def correlate(value: str) -> list[str]:
        with engine.transaction() as session:
            results = correlation.correlate_message(session, correlation.MessageCorrelation(
                message_name="cancelOrder", local_correlation_keys={"order": TypedValue("String", value)}))
            return [r.process_instance_id for r in results]

    assert correlate("A") == [pid]
    assert shape(engine, pid) == [("esp", [("espTask", [])]), ("task1", [])]
    assert shape(engine, other) == [("task1", [])]


def test_a_missing_variable_makes_the_condition_false(engine):
    """As Camunda's tryEvaluate: the condition names a variable nobody set; nothing fails."""
    d = deploy(engine, "espCondMissing", main_line(event_sub_process(conditional("${late == 1}"))))
    pid = start(engine, d)
    complete(engine, pid, "task1", other=1)
    assert shape(engine, pid) == [("task2", [])]
    complete(engine, pid, "task2", late=1)
    assert shape(engine, pid) == [("esp", [("espTask", [])])]


def test_variable_events_restrict_which_changes_count(engine):
    """camunda:variableEvents="create": creating x triggers, updating it does not."""
    definition = ('<conditionalEventDefinition camunda:variableName="x" camunda:variableEvents="create">'
                  '<condition>${x &gt; 0}</condition></conditionalEventDefinition>')
    d = deploy(engine, "espCondEvents", main_line(event_sub_process(definition, interrupting=False)))
    updated = start(engine, d, x=0)
    complete(engine, updated, "task1", x=5)
    assert shape(engine, updated) == [("task2", [])]
    created = start(engine, d)
    complete(engine, created, "task1", x=5)
    assert shape(engine, created) == [("esp", [("espTask", [])]), ("task2", [])]


def test_a_local_variable_of_a_task_does_not_reach_the_process_scope(engine):
    """Scoped evaluation: a variable created in a task's own scope (by its input mapping) is not
    visible to the process-level condition, which does not fire."""
    task = ('<userTask id="task1"><extensionElements><camunda:inputOutput>'
            '<camunda:inputParameter name="x">${1}</camunda:inputParameter>'
            '</camunda:inputOutput></extensionElements></userTask>')
    d = deploy(engine, "espCondLocal", flow(START, task, '<userTask id="task2"/>', END)
               + event_sub_process(conditional("${x == 1}")))
    pid = start(engine, d)
    assert shape(engine, pid) == [("task1", [])]


def test_async_before_on_the_event_sub_process_start_event(engine):
    """The triggered event sub-process waits in a transition instance of its start event until
    the async job runs; an interrupting start has already cancelled the rest."""
    d = deploy(engine, "espAsync", main_line(event_sub_process(MESSAGE, extra='camunda:asyncBefore="true"')))
    pid = start(engine, d)
    message(engine, "cancelOrder")
    assert shape(engine, pid) == [("esp", [("transition:espStart", [])])]
    run_jobs(engine)
    assert shape(engine, pid) == [("esp", [("espTask", [])])]


def test_a_message_catch_inside_the_event_sub_process_is_an_ordinary_catch(engine):
    """Only the start event triggers the event sub-process: a message catch event inside it
    waits and moves on like anywhere else."""
    esp = ('<subProcess id="esp" triggeredByEvent="true"><startEvent id="espStart" isInterrupting="false">'
           f'{SIGNAL}</startEvent><sequenceFlow id="e1" sourceRef="espStart" targetRef="wait"/>'
           f'<intermediateCatchEvent id="wait">{MESSAGE}</intermediateCatchEvent>'
           '<sequenceFlow id="e2" sourceRef="wait" targetRef="espTask"/><userTask id="espTask"/></subProcess>')
    pid = start(engine, deploy(engine, "espInnerCatch", main_line(esp)))
    with engine.transaction() as session:
        correlation.throw_signal(session, "alarm")
    assert shape(engine, pid) == [("esp", [("wait", [])]), ("task1", [])]
    message(engine, "cancelOrder")
    assert shape(engine, pid) == [("esp", [("espTask", [])]), ("task1", [])]


def test_a_failing_timer_of_the_process_instance_shows_its_incident_on_the_root(engine):
    """The timer job belongs to the process instance's execution: when what it starts fails and
    its retries are spent, the failedJob incident hangs on the root of the activity tree."""
    retry = ('<extensionElements><camunda:failedJobRetryTimeCycle>R1/PT5M</camunda:failedJobRetryTimeCycle>'
             '</extensionElements>')
    esp = ('<subProcess id="esp" triggeredByEvent="true"><startEvent id="espStart">'
           f'{retry}{TIMER}</startEvent><sequenceFlow id="e1" sourceRef="espStart" targetRef="java"/>'
           '<serviceTask id="java" camunda:class="com.acme.Archive"/></subProcess>')
    pid = start(engine, deploy(engine, "espFailing", main_line(esp)))
    run_jobs(engine, NOW + timedelta(hours=2))
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert (job.retries, job.execution_id) == (0, pid)
    (incident,) = rows(engine, Incident, process_instance_id=pid)
    assert (incident.incident_type, incident.execution_id, incident.activity_id) == ("failedJob", pid, "espStart")
    with engine.transaction() as session:
        tree = instances.activity_tree(instances.load_one(session, pid),
                                       instances.incidents_by_execution(session, pid))
    assert tree.incidents == [(incident.id, "espStart")]
    assert [c.activity_id for c in tree.children] == ["task1"]


def test_a_running_event_sub_process_keeps_its_scope_open(engine):
    """The sub-process completes only when its non-interrupting event sub-process did too; its
    subscription goes once the last path in it ended."""
    d = deploy(engine, "espKeepsScope", in_sub_process(event_sub_process(MESSAGE, interrupting=False)))
    pid = start(engine, d)
    message(engine, "cancelOrder")
    complete(engine, pid, "inner")
    assert shape(engine, pid) == [("sub", [("esp", [("espTask", [])])])]
    assert owners(engine, pid) == [("espStart", "sub", "message")]
    complete(engine, pid, "espTask")
    assert shape(engine, pid) == [("after", [])]
    assert owners(engine, pid) == []
