"""Compensation and transactions through the database: every step reloads the instance.

Behaviour follows Camunda 7's CompensateEventTest and TransactionSubProcessTest; where a case is
ported, the test id names the Camunda method. The models are written here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from modbatch.engine import instances, repository
from modbatch.engine.runtime import UnsupportedImplementation
from modbatch.errors import ParseError, ProcessEngineError
from modbatch.store.tables import (
    EventSubscription,
    HistoricActivityInstance,
    HistoricVariableInstance,
    Task,
    Variable,
)
from tests.engine.conftest import NOW
from tests.engine.test_behaviours import message, rows, run_jobs, shape, variables
from tests.engine.test_runtime import BPMN_NS, complete, history_state, inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")

COMPENSATE = "<compensateEventDefinition/>"


def links(*pairs: tuple[str, str]) -> str:
    return "".join(f'<sequenceFlow id="{s}-{t}" sourceRef="{s}" targetRef="{t}"/>' for s, t in pairs)


def compensated(task: str, handler: str, *, handler_xml: str | None = None, kind: str = "userTask") -> str:
    """``task`` (a user task) with a compensation boundary event associated with ``handler``."""
    return (f'<{kind} id="{task}"/>'
            f'<boundaryEvent id="{task}Compensation" attachedToRef="{task}">{COMPENSATE}</boundaryEvent>'
            + (handler_xml or f'<userTask id="{handler}" isForCompensation="true"/>')
            + f'<association sourceRef="{task}Compensation" targetRef="{handler}"/>')


def throw(event_id: str = "throwCompensate", ref: str | None = None, end: bool = False) -> str:
    tag = "endEvent" if end else "intermediateThrowEvent"
    attribute = f' activityRef="{ref}"' if ref else ""
    return f'<{tag} id="{event_id}"><compensateEventDefinition{attribute}/></{tag}>'


def task_keys(engine, pid) -> list[str]:
    return sorted(t.task_definition_key for t in rows(engine, Task, process_instance_id=pid))


def compensate_subscriptions(engine, pid) -> list[str]:
    return sorted(s.activity_id for s in rows(engine, EventSubscription, process_instance_id=pid)
                  if s.event_type == "compensate")


TWO_BOOKINGS = ('<startEvent id="start"/>' + compensated("bookHotel", "undoBookHotel")
                + compensated("bookFlight", "undoBookFlight") + '<userTask id="beforeEnd"/><endEvent id="end"/>')


def two_bookings(ref: str | None = None, end: bool = False) -> str:
    if end:
        return (TWO_BOOKINGS.replace('<userTask id="beforeEnd"/><endEvent id="end"/>', "") + throw(ref=ref, end=True)
                + links(("start", "bookHotel"), ("bookHotel", "bookFlight"), ("bookFlight", "throwCompensate")))
    return (TWO_BOOKINGS + throw(ref=ref)
            + links(("start", "bookHotel"), ("bookHotel", "bookFlight"), ("bookFlight", "throwCompensate"),
                    ("throwCompensate", "beforeEnd"), ("beforeEnd", "end")))


# ---------------------------------------------------------------- subscriptions

def test_completing_a_compensable_activity_subscribes_its_scope(engine):
    """A compensate subscription (Camunda's event type) appears when the activity completes,
    owned by the process instance's execution and naming the handler."""
    d = inline(engine, "subscribes", two_bookings())
    pid = start(engine, d)
    assert compensate_subscriptions(engine, pid) == []
    complete(engine, pid, "bookHotel")
    [sub] = rows(engine, EventSubscription, process_instance_id=pid)
    assert (sub.event_type, sub.event_name, sub.activity_id) == ("compensate", None, "undoBookHotel")
    assert sub.execution_id == pid and sub.activity_instance_id == pid
    assert sub.process_definition_id == d.id


def test_an_interrupted_activity_gets_no_compensation(engine):
    """Only a completed activity can be compensated: a host interrupted by a boundary event
    leaves no subscription."""
    body = ('<startEvent id="start"/>' + compensated("work", "undoWork")
            + '<boundaryEvent id="timeout" attachedToRef="work"><timerEventDefinition>'
              '<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>'
            + '<userTask id="afterTimeout"/>' + throw() + '<endEvent id="end"/>'
            + links(("start", "work"), ("work", "end"), ("timeout", "afterTimeout"),
                    ("afterTimeout", "throwCompensate"), ("throwCompensate", "end")))
    d = inline(engine, "interrupted", body)
    pid = start(engine, d)
    run_jobs(engine, NOW + timedelta(hours=2))
    assert compensate_subscriptions(engine, pid) == []
    complete(engine, pid, "afterTimeout")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- throwing

def test_throw_runs_every_handler_and_waits_for_them(engine):
    """A throw without activityRef starts the handlers of all completed activities of its scope;
    user-task handlers are wait states beside the waiting throw event, which leaves after the last."""
    d = inline(engine, "throwAll", two_bookings())
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    assert shape(engine, pid) == [("throwCompensate", []), ("undoBookFlight", []), ("undoBookHotel", [])]
    assert compensate_subscriptions(engine, pid) == []
    complete(engine, pid, "undoBookFlight")
    assert shape(engine, pid) == [("throwCompensate", []), ("undoBookHotel", [])]
    complete(engine, pid, "undoBookHotel")
    assert shape(engine, pid) == [("beforeEnd", [])]
    complete(engine, pid, "beforeEnd")
    assert history_state(engine, pid) == "COMPLETED"


@pytest.mark.parametrize("end", [False, True], ids=["testCompensateActivityRef",
                                                     "testCompensationEndEventWithActivityRef"])
def test_activity_ref_compensates_only_that_activity(engine, end):
    """activityRef limits the throw to the named activity's handler; the other subscription stays."""
    d = inline(engine, f"ref{end}", two_bookings("bookHotel", end=end))
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    assert shape(engine, pid) == [("throwCompensate", []), ("undoBookHotel", [])]
    assert compensate_subscriptions(engine, pid) == ["undoBookFlight"]
    complete(engine, pid, "undoBookHotel")
    if end:
        assert history_state(engine, pid) == "COMPLETED"
    else:
        assert shape(engine, pid) == [("beforeEnd", [])]


def test_testActivityInstanceTreeForCompensationEndEvent(engine):
    """A compensation end event waits in the tree beside its handler, then ends the instance."""
    d = inline(engine, "endEvent", two_bookings(end=True))
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    assert shape(engine, pid) == [("throwCompensate", []), ("undoBookFlight", []), ("undoBookHotel", [])]
    complete(engine, pid, "undoBookHotel")
    complete(engine, pid, "undoBookFlight")
    assert history_state(engine, pid) == "COMPLETED"


def test_testTwoCompensateEventsInReverseOrder(engine):
    """Handlers run in reverse order of completion of the activities they compensate
    (Camunda's CompensateEventOrderTest)."""
    hotel = '<serviceTask id="undoHotel" isForCompensation="true" camunda:expression="${log * 10 + 1}" ' \
            'camunda:resultVariable="log"/>'
    flight = '<serviceTask id="undoFlight" isForCompensation="true" camunda:expression="${log * 10 + 2}" ' \
             'camunda:resultVariable="log"/>'
    body = ('<startEvent id="start"/>' + compensated("hotel", "undoHotel", handler_xml=hotel)
            + compensated("flight", "undoFlight", handler_xml=flight)
            + throw() + '<userTask id="beforeEnd"/><endEvent id="end"/>'
            + links(("start", "hotel"), ("hotel", "flight"), ("flight", "throwCompensate"),
                    ("throwCompensate", "beforeEnd"), ("beforeEnd", "end")))
    d = inline(engine, "order", body)
    pid = start(engine, d, log=0)
    complete(engine, pid, "hotel")
    complete(engine, pid, "flight")
    # synchronous handlers: the throw leaves at once, flight's handler ran first
    assert shape(engine, pid) == [("beforeEnd", [])]
    assert variables(engine, pid)["log"] == 21


def test_throw_with_nothing_to_compensate_passes(engine):
    """No completed compensable activity: the throw event leaves at once."""
    body = ('<startEvent id="start"/>' + throw() + '<userTask id="next"/><endEvent id="end"/>'
            + links(("start", "throwCompensate"), ("throwCompensate", "next"), ("next", "end")))
    d = inline(engine, "nothing", body)
    pid = start(engine, d)
    assert shape(engine, pid) == [("next", [])]


def test_a_handler_compensates_once(engine):
    """A second throw finds the consumed subscription gone and runs nothing."""
    body = ('<startEvent id="start"/>' + compensated("work", "undoWork") + throw("first") + throw("second")
            + '<userTask id="next"/><endEvent id="end"/>'
            + links(("start", "work"), ("work", "first"), ("first", "second"), ("second", "next"), ("next", "end")))
    d = inline(engine, "once", body)
    pid = start(engine, d)
    complete(engine, pid, "work")
    complete(engine, pid, "undoWork")
    assert shape(engine, pid) == [("next", [])]


# ---------------------------------------------------------------- sub-processes

def sub_process_model(boundary_on_sub_process: bool = False, ref: str | None = None) -> str:
    inner = ('<startEvent id="innerStart"/>' + compensated("innerTask", "undoInner")
             + '<endEvent id="innerEnd"/>' + links(("innerStart", "innerTask"), ("innerTask", "innerEnd")))
    outer = ""
    if boundary_on_sub_process:
        outer = (f'<boundaryEvent id="subCompensation" attachedToRef="sub">{COMPENSATE}</boundaryEvent>'
                 '<userTask id="undoSub" isForCompensation="true"/>'
                 '<association sourceRef="subCompensation" targetRef="undoSub"/>')
    return ('<startEvent id="start"/>' f'<subProcess id="sub">{inner}</subProcess>' + outer
            + throw(ref=ref) + '<userTask id="beforeEnd"/><endEvent id="end"/>'
            + links(("start", "sub"), ("sub", "throwCompensate"), ("throwCompensate", "beforeEnd"),
                    ("beforeEnd", "end")))


def test_testCompensateSubprocess(engine):
    """A completed sub-process keeps its activities' subscriptions in an event scope; the throw
    brings the sub-process back as a scope holding the handler, which ends after it."""
    d = inline(engine, "subCompensation", sub_process_model())
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("sub", [("undoInner", [])]), ("throwCompensate", [])]
    complete(engine, pid, "undoInner")
    assert shape(engine, pid) == [("beforeEnd", [])]
    complete(engine, pid, "beforeEnd")
    assert history_state(engine, pid) == "COMPLETED"


def test_event_scope_subscriptions_survive_the_sub_process(engine):
    """Before the throw: the handler's subscription belongs to the event scope, and the process
    holds one for the sub-process whose configuration names that event scope."""
    body = sub_process_model().replace('targetRef="throwCompensate"', 'targetRef="wait"').replace(
        '<intermediateThrowEvent', '<userTask id="wait"/><sequenceFlow id="w" sourceRef="wait" '
        'targetRef="throwCompensate"/><intermediateThrowEvent')
    d = inline(engine, "eventScope", body)
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    subs = {s.activity_id: s for s in rows(engine, EventSubscription, process_instance_id=pid)}
    assert sorted(subs) == ["sub", "undoInner"]
    assert subs["sub"].execution_id == pid
    assert subs["sub"].configuration == subs["undoInner"].execution_id
    assert subs["undoInner"].activity_instance_id == subs["undoInner"].execution_id
    complete(engine, pid, "wait")
    assert shape(engine, pid) == [("sub", [("undoInner", [])]), ("throwCompensate", [])]
    assert compensate_subscriptions(engine, pid) == []


def test_testCompensateSubprocessWithBoundaryEvent(engine):
    """activityRef naming a sub-process with its own handler runs only that handler."""
    d = inline(engine, "subBoundary", sub_process_model(boundary_on_sub_process=True, ref="sub"))
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("throwCompensate", []), ("undoSub", [])]
    complete(engine, pid, "undoSub")
    assert shape(engine, pid) == [("beforeEnd", [])]


def test_throw_without_ref_compensates_the_sub_process_and_its_content(engine):
    """Without activityRef both the sub-process's own handler and its inner handlers run."""
    d = inline(engine, "subBoth", sub_process_model(boundary_on_sub_process=True))
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("sub", [("undoInner", [])]), ("throwCompensate", []), ("undoSub", [])]
    complete(engine, pid, "undoInner")
    complete(engine, pid, "undoSub")
    assert shape(engine, pid) == [("beforeEnd", [])]


def test_testCompensateActivityInSubprocess(engine):
    """A throw inside a sub-process compensates that sub-process's activities only."""
    inner = ('<startEvent id="innerStart"/>' + compensated("scopeTask", "undoScopeTask") + throw()
             + '<endEvent id="innerEnd"/>'
             + links(("innerStart", "scopeTask"), ("scopeTask", "throwCompensate"), ("throwCompensate", "innerEnd")))
    body = ('<startEvent id="start"/>' + compensated("outerTask", "undoOuter")
            + f'<subProcess id="sub">{inner}</subProcess><userTask id="beforeEnd"/><endEvent id="end"/>'
            + links(("start", "outerTask"), ("outerTask", "sub"), ("sub", "beforeEnd"), ("beforeEnd", "end")))
    d = inline(engine, "inSub", body)
    pid = start(engine, d)
    complete(engine, pid, "outerTask")
    complete(engine, pid, "scopeTask")
    assert shape(engine, pid) == [("sub", [("throwCompensate", []), ("undoScopeTask", [])])]
    complete(engine, pid, "undoScopeTask")
    assert shape(engine, pid) == [("beforeEnd", [])]
    assert compensate_subscriptions(engine, pid) == ["undoOuter"]


def test_testCompensateSubprocessInsideSubprocess(engine):
    """Nested event scopes: the outer sub-process comes back, the inner one inside it."""
    innermost = ('<startEvent id="s2"/>' + compensated("bookHotel", "cancelHotel") + '<endEvent id="e2"/>'
                 + links(("s2", "bookHotel"), ("bookHotel", "e2")))
    middle = ('<startEvent id="s1"/>' f'<subProcess id="inner">{innermost}</subProcess>' '<endEvent id="e1"/>'
              + links(("s1", "inner"), ("inner", "e1")))
    body = ('<startEvent id="start"/>' f'<subProcess id="outer">{middle}</subProcess>' + throw()
            + '<endEvent id="end"/>' + links(("start", "outer"), ("outer", "throwCompensate"),
                                             ("throwCompensate", "end")))
    d = inline(engine, "nested", body)
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    assert shape(engine, pid) == [("outer", [("inner", [("cancelHotel", [])])]), ("throwCompensate", [])]
    complete(engine, pid, "cancelHotel")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancelling_a_sub_process_drops_its_compensation(engine):
    """An error leaving a sub-process cancels it: its activities' subscriptions go with it."""
    inner = ('<startEvent id="innerStart"/>' + compensated("innerTask", "undoInner")
             + '<endEvent id="fail"><errorEventDefinition errorRef="e"/></endEvent>'
             + links(("innerStart", "innerTask"), ("innerTask", "fail")))
    body = (f'<startEvent id="start"/><subProcess id="sub">{inner}</subProcess>'
            '<boundaryEvent id="caught" attachedToRef="sub"><errorEventDefinition errorRef="e"/></boundaryEvent>'
            + throw() + '<userTask id="next"/><endEvent id="end"/>'
            + links(("start", "sub"), ("sub", "end"), ("caught", "throwCompensate"), ("throwCompensate", "next"),
                    ("next", "end")))
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><error id="e" errorCode="E1"/><process id="dropped" isExecutable="true">'
           f'{body}</process></definitions>')
    with engine.transaction() as session:
        d = repository.deploy(session, name="dropped", source=None, tenant_id=None,
                              resources=[("dropped.bpmn", xml.encode())], max_resource_bytes=1 << 20).definitions[0]
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("next", [])]
    assert compensate_subscriptions(engine, pid) == []


# ---------------------------------------------------------------- transactions

TRANSACTION = ('<startEvent id="start"/>'
               '<transaction id="tx"><startEvent id="txStart"/>' + compensated("userTask", "undoTask")
               + '<endEvent id="txEnd"><cancelEventDefinition/></endEvent>'
               + links(("txStart", "userTask"), ("userTask", "txEnd")) + '</transaction>'
               '<endEvent id="end"/><boundaryEvent id="catchCancelTx" attachedToRef="tx">'
               '<cancelEventDefinition/></boundaryEvent><userTask id="afterCancel"/><endEvent id="afterCancelEnd"/>'
               + links(("start", "tx"), ("tx", "end"), ("catchCancelTx", "afterCancel"),
                       ("afterCancel", "afterCancelEnd")))


def test_cancel_end_event_compensates_then_the_cancel_boundary_event_fires(engine):
    """The cancel end event waits for the transaction's handlers, then the transaction is
    interrupted and the token leaves through the cancel boundary event."""
    d = inline(engine, "txCancel", TRANSACTION)
    pid = start(engine, d)
    assert shape(engine, pid) == [("tx", [("userTask", [])])]
    complete(engine, pid, "userTask")
    assert shape(engine, pid) == [("tx", [("txEnd", []), ("undoTask", [])])]
    complete(engine, pid, "undoTask")
    assert shape(engine, pid) == [("afterCancel", [])]
    complete(engine, pid, "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancel_end_event_interrupts_the_rest_of_the_transaction(engine):
    """Reaching the cancel end event on one branch cancels the other branches of the
    transaction before compensating (Camunda's INTERRUPT_FLOW_SCOPE)."""
    inner = ('<startEvent id="txStart"/><parallelGateway id="fork"/>' + compensated("book", "undoBook")
             + '<userTask id="other"/><endEvent id="otherEnd"/><endEvent id="txEnd"><cancelEventDefinition/></endEvent>'
             + links(("txStart", "fork"), ("fork", "book"), ("fork", "other"), ("book", "txEnd"),
                     ("other", "otherEnd")))
    body = (f'<startEvent id="start"/><transaction id="tx">{inner}</transaction>'
            '<boundaryEvent id="cancelled" attachedToRef="tx"><cancelEventDefinition/></boundaryEvent>'
            '<userTask id="afterCancel"/><endEvent id="end"/>'
            + links(("start", "tx"), ("tx", "end"), ("cancelled", "afterCancel"), ("afterCancel", "end")))
    d = inline(engine, "txParallel", body)
    pid = start(engine, d)
    complete(engine, pid, "book")
    assert shape(engine, pid) == [("tx", [("txEnd", []), ("undoBook", [])])]
    complete(engine, pid, "undoBook")
    assert shape(engine, pid) == [("afterCancel", [])]


def test_cancel_end_event_without_compensation_cancels_at_once(engine):
    """Nothing to compensate: the cancel boundary event fires straight away."""
    body = TRANSACTION.replace('targetRef="userTask"/>', 'targetRef="txEnd"/>', 1)
    body = body.replace('<sequenceFlow id="userTask-txEnd" sourceRef="userTask" targetRef="txEnd"/>', "")
    d = inline(engine, "txQuick", body)
    pid = start(engine, d)
    assert shape(engine, pid) == [("afterCancel", [])]


def test_transaction_completes_like_a_sub_process(engine):
    """A transaction without a cancel end event on the taken path completes normally."""
    body = TRANSACTION.replace('<endEvent id="txEnd"><cancelEventDefinition/></endEvent>',
                               '<endEvent id="txEnd"/>')
    d = inline(engine, "txNormal", body)
    pid = start(engine, d)
    complete(engine, pid, "userTask")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- deployment

def deploy_error(engine, body: str) -> str:
    with pytest.raises(ParseError) as raised:
        inline(engine, "invalid", body)
    return raised.value.message


def test_cancel_events_need_a_transaction(engine):
    """Cancel end and boundary events are refused outside a transaction, as Camunda does."""
    assert "end event with cancelEventDefinition only supported inside transaction subprocess" in deploy_error(
        engine, '<startEvent id="s"/><endEvent id="e"><cancelEventDefinition/></endEvent>' + links(("s", "e")))
    assert "boundary event with cancelEventDefinition only supported on transaction subprocesses" in deploy_error(
        engine, '<startEvent id="s"/><userTask id="t"/><boundaryEvent id="b" attachedToRef="t">'
                '<cancelEventDefinition/></boundaryEvent><endEvent id="e"/>' + links(("s", "t"), ("t", "e")))


def test_association_must_reach_a_compensation_handler(engine):
    """A compensation boundary event associated with a normal activity is refused."""
    message = deploy_error(engine, '<startEvent id="s"/><userTask id="t"/><boundaryEvent id="b" attachedToRef="t">'
                                   f'{COMPENSATE}</boundaryEvent><userTask id="h"/>'
                                   '<association sourceRef="b" targetRef="h"/>' + links(("s", "t")))
    assert "compensation boundary catch must be connected to element with isForCompensation=true" in message


def test_activity_ref_must_name_an_activity_of_the_scope(engine):
    """activityRef must name an activity in the throw event's own scope."""
    message = deploy_error(engine, '<startEvent id="s"/>' + throw(ref="missing") + links(("s", "throwCompensate")))
    assert "Invalid attribute value for 'activityRef': no activity with id 'missing' in scope 'invalid'" in message


def test_cancel_end_event_without_boundary_event_fails_when_reached(engine):
    """Camunda deploys a transaction without a cancel boundary event and fails on reaching the
    cancel end event."""
    body = TRANSACTION.replace('<boundaryEvent id="catchCancelTx" attachedToRef="tx"><cancelEventDefinition/>'
                               '</boundaryEvent>', '').replace(
        '<sequenceFlow id="catchCancelTx-afterCancel" sourceRef="catchCancelTx" targetRef="afterCancel"/>', '')
    d = inline(engine, "noBoundary", body)
    pid = start(engine, d)
    with pytest.raises(ProcessEngineError, match="Could not find cancel boundary event for cancel end event"):
        complete(engine, pid, "userTask")


def test_testCancelProcessInstanceWithActiveCompensation(engine):
    """Deleting an instance while a handler waits removes the handler, its task and the throw."""
    d = inline(engine, "deleteActive", two_bookings(end=True))
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    with engine.transaction() as session:
        instances.delete(session, pid)
    assert shape(engine, pid) is None
    assert history_state(engine, pid) == "EXTERNALLY_TERMINATED"
    assert rows(engine, Task, process_instance_id=pid) == []
    assert rows(engine, EventSubscription, process_instance_id=pid) == []


def test_handler_with_a_sequence_flow_is_refused(engine):
    """A compensation activity has neither incoming nor outgoing sequence flows."""
    message = deploy_error(engine, '<startEvent id="s"/><userTask id="h" isForCompensation="true"/>'
                                   + links(("s", "h")))
    assert ("Invalid incoming sequence flow of compensation activity 'h'. A compensation activity should "
            "not have an incoming or outgoing sequence flow.") in message


# ---------------------------------------------------------------- handler kinds

def handler_model(handler_xml: str, handler_id: str = "compensationHandler") -> str:
    return ('<startEvent id="start"/>' + compensated("activity", handler_id, handler_xml=handler_xml)
            + throw(ref="activity") + '<userTask id="beforeEnd"/><endEvent id="end"/>'
            + links(("start", "activity"), ("activity", "throwCompensate"), ("throwCompensate", "beforeEnd"),
                    ("beforeEnd", "end")))


def test_testSubprocessCompensationHandler(engine):
    """A sub-process handler runs as a scope beside the throw event; its end lets the throw leave."""
    handler = ('<subProcess id="compensationHandler" isForCompensation="true"><startEvent id="subStart"/>'
               '<userTask id="subProcessTask"/><endEvent id="subEnd"/>'
               + links(("subStart", "subProcessTask"), ("subProcessTask", "subEnd")) + '</subProcess>')
    d = inline(engine, "subHandler", handler_model(handler))
    pid = start(engine, d)
    complete(engine, pid, "activity")
    assert shape(engine, pid) == [("compensationHandler", [("subProcessTask", [])]), ("throwCompensate", [])]
    complete(engine, pid, "subProcessTask")
    assert shape(engine, pid) == [("beforeEnd", [])]
    complete(engine, pid, "beforeEnd")
    assert history_state(engine, pid) == "COMPLETED"


def test_testReceiveTaskCompensationHandler(engine):
    """A receive task handler waits for its message; the message completes the compensation."""
    handler = '<receiveTask id="compensationHandler" messageRef="m" isForCompensation="true"/>'
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><message id="m" name="Message"/>'
           f'<process id="receiveHandler" isExecutable="true">{handler_model(handler)}</process></definitions>')
    with engine.transaction() as session:
        d = repository.deploy(session, name="receiveHandler", source=None, tenant_id=None,
                              resources=[("r.bpmn", xml.encode())], max_resource_bytes=1 << 20).definitions[0]
    pid = start(engine, d)
    complete(engine, pid, "activity")
    [sub] = rows(engine, EventSubscription, process_instance_id=pid)
    assert (sub.event_type, sub.event_name, sub.activity_id) == ("message", "Message", "compensationHandler")
    message(engine, "Message")
    assert shape(engine, pid) == [("beforeEnd", [])]


def test_testConcurrentScopeCompensation(engine):
    """Two completed sub-processes are both compensated by one throw; synchronous handlers let
    the throw leave at once."""
    def scope(n: int) -> str:
        handler = (f'<serviceTask id="undo{n}" isForCompensation="true" camunda:expression="${{1}}" '
                   f'camunda:resultVariable="compensateScope{n}Task"/>')
        inner = (f'<startEvent id="s{n}"/>' + compensated(f"task{n}", f"undo{n}", handler_xml=handler)
                 + f'<endEvent id="e{n}"/>' + links((f"s{n}", f"task{n}"), (f"task{n}", f"e{n}")))
        return f'<subProcess id="scope{n}">{inner}</subProcess>'
    body = ('<startEvent id="start"/><parallelGateway id="fork"/>' + scope(1) + scope(2)
            + '<parallelGateway id="join"/><parallelGateway id="compensationFork"/>'
              '<userTask id="beforeCompensationTask"/><userTask id="concurrentTask"/>' + throw()
            + '<endEvent id="end1"/><endEvent id="end2"/>'
            + links(("start", "fork"), ("fork", "scope1"), ("fork", "scope2"), ("scope1", "join"),
                    ("scope2", "join"), ("join", "compensationFork"), ("compensationFork", "beforeCompensationTask"),
                    ("compensationFork", "concurrentTask"), ("beforeCompensationTask", "throwCompensate"),
                    ("throwCompensate", "end1"), ("concurrentTask", "end2")))
    d = inline(engine, "concurrentScopes", body)
    pid = start(engine, d)
    complete(engine, pid, "task1")
    complete(engine, pid, "task2")
    assert compensate_subscriptions(engine, pid) == ["scope1", "scope2", "undo1", "undo2"]
    complete(engine, pid, "beforeCompensationTask")
    assert shape(engine, pid) == [("concurrentTask", [])]
    assert compensate_subscriptions(engine, pid) == []
    values = variables(engine, pid)
    assert (values["compensateScope1Task"], values["compensateScope2Task"]) == (1, 1)
    complete(engine, pid, "concurrentTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_handler_sees_the_sub_process_variables_as_they_were(engine):
    """The event scope keeps a snapshot of the sub-process's local variables for its handlers
    (CompensationUtil copies them by value)."""
    handler = ('<serviceTask id="undoInner" isForCompensation="true" camunda:expression="${amount * 2}" '
               'camunda:resultVariable="refund"/>')
    inner = ('<startEvent id="innerStart"/>' + compensated("innerTask", "undoInner", handler_xml=handler)
             + '<endEvent id="innerEnd"/>' + links(("innerStart", "innerTask"), ("innerTask", "innerEnd")))
    body = ('<startEvent id="start"/><subProcess id="sub"><extensionElements><camunda:inputOutput>'
            '<camunda:inputParameter name="amount">${21}</camunda:inputParameter></camunda:inputOutput>'
            f'</extensionElements>{inner}</subProcess>' + throw() + '<userTask id="beforeEnd"/><endEvent id="end"/>'
            + links(("start", "sub"), ("sub", "throwCompensate"), ("throwCompensate", "beforeEnd"),
                    ("beforeEnd", "end")))
    d = inline(engine, "snapshot", body)
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("beforeEnd", [])]
    assert variables(engine, pid) == {"refund": 42}


def test_handler_listeners_run(engine):
    """A handler's execution listeners run like any activity's: a Java-only start listener
    fails the command that starts compensation, and nothing of it is written."""
    handler = ('<userTask id="undoWork" isForCompensation="true"><extensionElements>'
               '<camunda:executionListener event="start" class="com.acme.Audit"/>'
               '</extensionElements></userTask>')
    body = ('<startEvent id="start"/>' + compensated("work", "undoWork", handler_xml=handler) + throw()
            + '<userTask id="beforeEnd"/><endEvent id="end"/>'
            + links(("start", "work"), ("work", "throwCompensate"), ("throwCompensate", "beforeEnd"),
                    ("beforeEnd", "end")))
    d = inline(engine, "listeners", body)
    pid = start(engine, d)
    with pytest.raises(UnsupportedImplementation, match="com.acme.Audit"):
        complete(engine, pid, "work")
    assert shape(engine, pid) == [("work", [])]


def test_a_cancelled_scope_takes_the_event_scopes_it_keeps(engine):
    """A sub-process completed inside an outer sub-process keeps an event scope; cancelling the
    outer one removes the event scope's subscriptions and variable snapshot too."""
    innermost = ('<startEvent id="s2"/>' + compensated("innerTask", "undoInner") + '<endEvent id="e2"/>'
                 + links(("s2", "innerTask"), ("innerTask", "e2")))
    middle = ('<startEvent id="s1"/><subProcess id="inner"><extensionElements><camunda:inputOutput>'
              '<camunda:inputParameter name="local">${1}</camunda:inputParameter></camunda:inputOutput>'
              f'</extensionElements>{innermost}</subProcess><userTask id="wait"/><endEvent id="e1"/>'
              + links(("s1", "inner"), ("inner", "wait"), ("wait", "e1")))
    body = (f'<startEvent id="start"/><subProcess id="outer">{middle}</subProcess>'
            '<boundaryEvent id="stop" attachedToRef="outer"><messageEventDefinition messageRef="m"/></boundaryEvent>'
            '<endEvent id="end"/><userTask id="afterStop"/>'
            + links(("start", "outer"), ("outer", "end"), ("stop", "afterStop"), ("afterStop", "end")))
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><message id="m" name="stop"/>'
           f'<process id="cancelScopes" isExecutable="true">{body}</process></definitions>')
    with engine.transaction() as session:
        d = repository.deploy(session, name="cancelScopes", source=None, tenant_id=None,
                              resources=[("c.bpmn", xml.encode())], max_resource_bytes=1 << 20).definitions[0]
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert compensate_subscriptions(engine, pid) == ["inner", "undoInner"]
    assert len(rows(engine, Variable, process_instance_id=pid)) == 1
    message(engine, "stop")
    assert shape(engine, pid) == [("afterStop", [])]
    assert rows(engine, EventSubscription, process_instance_id=pid) == []
    assert rows(engine, Variable, process_instance_id=pid) == []


def test_testCompensateActivityInConcurrentSubprocess(engine):
    """activityRef naming a sub-process without a handler of its own compensates its content,
    after the parallel branches joined."""
    inner = ('<startEvent id="startInScope"/>' + compensated("scopeTask", "undoScopeTask")
             + '<endEvent id="endInScope"/>' + links(("startInScope", "scopeTask"), ("scopeTask", "endInScope")))
    body = ('<startEvent id="start"/><parallelGateway id="fork"/><userTask id="outerTask"/>'
            f'<subProcess id="subprocess">{inner}</subProcess><parallelGateway id="join"/>'
            '<userTask id="beforeCompensate"/>' + throw(ref="subprocess") + '<userTask id="beforeEnd"/>'
            '<endEvent id="end"/>'
            + links(("start", "fork"), ("fork", "outerTask"), ("fork", "subprocess"), ("outerTask", "join"),
                    ("subprocess", "join"), ("join", "beforeCompensate"), ("beforeCompensate", "throwCompensate"),
                    ("throwCompensate", "beforeEnd"), ("beforeEnd", "end")))
    d = inline(engine, "concurrentSub", body)
    pid = start(engine, d)
    complete(engine, pid, "scopeTask")
    complete(engine, pid, "outerTask")
    complete(engine, pid, "beforeCompensate")
    assert shape(engine, pid) == [("subprocess", [("undoScopeTask", [])]), ("throwCompensate", [])]
    complete(engine, pid, "undoScopeTask")
    complete(engine, pid, "beforeEnd")
    assert history_state(engine, pid) == "COMPLETED"


def test_testQueryByActivityIdBeforeCompensation(engine):
    """A completed sub-process kept for compensation is no active activity: activityIdIn does not
    find its instance (ProcessInstanceQueryTest)."""
    body = sub_process_model().replace('targetRef="throwCompensate"', 'targetRef="userTask2"').replace(
        '<intermediateThrowEvent', '<userTask id="userTask2"/><sequenceFlow id="u2" sourceRef="userTask2" '
        'targetRef="throwCompensate"/><intermediateThrowEvent')
    d = inline(engine, "queryBefore", body)
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    with engine.transaction() as session:
        assert [p.id for p in instances.find(session, {"activityIdIn": ["sub"]})] == []
        assert [p.id for p in instances.find(session, {"activityIdIn": ["userTask2"]})] == [pid]


def test_testActivityInstanceTreeWithoutEventScope(engine):
    """A completed transaction kept for compensation does not show in the tree."""
    inner = ('<startEvent id="innerStart"/>' + compensated("innerTask", "undoInnerTask")
             + '<endEvent id="innerEnd"/>' + links(("innerStart", "innerTask"), ("innerTask", "innerEnd")))
    body = (f'<startEvent id="start"/><transaction id="transaction">{inner}</transaction>'
            '<userTask id="task"/><endEvent id="end"/>'
            + links(("start", "transaction"), ("transaction", "task"), ("task", "end")))
    d = inline(engine, "withoutEventScope", body)
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("task", [])]
    assert compensate_subscriptions(engine, pid) == ["transaction", "undoInnerTask"]


def test_testConcurrentExecutionsAndPendingCompensation(engine):
    """Pending compensation of a completed sub-process neither shows in the tree nor keeps the
    instance from completing."""
    inner = ('<startEvent id="innerStart"/>' + compensated("innerTask", "undoInnerTask")
             + '<endEvent id="innerEnd"/>' + links(("innerStart", "innerTask"), ("innerTask", "innerEnd")))
    body = ('<startEvent id="start"/><parallelGateway id="gtw"/><userTask id="task1"/><endEvent id="end1"/>'
            '<userTask id="task2"/><endEvent id="end2"/>'
            f'<subProcess id="subProcess">{inner}</subProcess><endEvent id="end3"/>'
            + links(("start", "gtw"), ("gtw", "task1"), ("task1", "end1"), ("gtw", "task2"), ("task2", "end2"),
                    ("gtw", "subProcess"), ("subProcess", "end3")))
    d = inline(engine, "pending", body)
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert shape(engine, pid) == [("task1", []), ("task2", [])]
    complete(engine, pid, "task1")
    assert shape(engine, pid) == [("task2", [])]
    complete(engine, pid, "task2")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- event sub-processes and history

def error_event_sub_process(ref: str | None) -> str:
    """bookHotel and bookFlight complete, then an error; the error event sub-process books a
    second hotel and throws compensation (activityRef ``ref``)."""
    def handler(name: str) -> str:
        return (f'<serviceTask id="{name}" isForCompensation="true" camunda:expression="${{1}}" '
                f'camunda:resultVariable="{name}"/>')
    inner = ('<startEvent id="startSubProcess"><errorEventDefinition errorRef="e1"/></startEvent>'
             + compensated("bookSecondHotel", "undoBookSecondHotel", handler_xml=handler("undoBookSecondHotel"),
                           kind="task")
             + throw(ref=ref) + '<endEvent id="endSubProcess"/>'
             + links(("startSubProcess", "bookSecondHotel"), ("bookSecondHotel", "throwCompensate"),
                     ("throwCompensate", "endSubProcess")))
    body = ('<startEvent id="start"/>'
            + compensated("bookHotel", "undoBookHotel", handler_xml=handler("undoBookHotel"), kind="task")
            + compensated("bookFlight", "undoBookFlight", handler_xml=handler("undoBookFlight"), kind="task")
            + '<endEvent id="end"><errorEventDefinition errorRef="e1"/></endEvent>'
            f'<subProcess id="eventSubProcess" triggeredByEvent="true">{inner}</subProcess>'
            + links(("start", "bookHotel"), ("bookHotel", "bookFlight"), ("bookFlight", "end")))
    return (f'<definitions {BPMN_NS} targetNamespace="t"><error id="e1" errorCode="error1"/>'
            f'<process id="evsub{ref or ""}" isExecutable="true">{body}</process></definitions>')


def deploy_xml(engine, key: str, xml: str):
    with engine.transaction() as session:
        return repository.deploy(session, name=key, source=None, tenant_id=None,
                                 resources=[(f"{key}.bpmn", xml.encode())], max_resource_bytes=1 << 20).definitions[0]


def test_testCompensateInEventSubprocess(engine):
    """A throw inside an event sub-process compensates its own activities and those of the scope
    it interrupted: the interruption keeps the scope's compensate subscriptions, as Camunda's
    removeEventSubscriptionsExceptCompensation does."""
    d = deploy_xml(engine, "evsub", error_event_sub_process(None))
    pid = start(engine, d)
    assert history_state(engine, pid) == "COMPLETED"
    names = {v.name for v in rows(engine, HistoricVariableInstance, process_instance_id=pid)}
    assert {"undoBookHotel", "undoBookFlight", "undoBookSecondHotel"} <= names


def test_testCompensateActivityRefTriggeredByEventSubprocess(engine):
    """activityRef inside an event sub-process may name an activity of the enclosing scope."""
    d = deploy_xml(engine, "evsubRef", error_event_sub_process("bookHotel"))
    pid = start(engine, d)
    assert history_state(engine, pid) == "COMPLETED"
    names = {v.name for v in rows(engine, HistoricVariableInstance, process_instance_id=pid)}
    assert "undoBookHotel" in names
    assert not names & {"undoBookFlight", "undoBookSecondHotel"}


def test_testBoundaryCompensationHandlerHistoryActivityInstance(engine):
    """The handler's historic activity instance has the runtime instance's id and the process
    instance as parent."""
    d = inline(engine, "handlerHistory", two_bookings(ref="bookHotel"))
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    with engine.transaction() as session:
        handler = instances.load_one(session, pid).instances_of("undoBookHotel")[0].id
    complete(engine, pid, "undoBookHotel")
    [record] = rows(engine, HistoricActivityInstance, activity_id="undoBookHotel")
    assert (record.id, record.parent_activity_instance_id) == (handler, pid)
    assert record.end_time is not None and not record.canceled


def test_testDefaultCompensationHandlerHistoryActivityInstance(engine):
    """Inside a compensated sub-process the handler's historic parent is the sub-process
    instance that came back for compensation."""
    d = inline(engine, "defaultHistory", sub_process_model())
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        handler, scope = state.instances_of("undoInner")[0].id, state.instances_of("sub")[0].id
    complete(engine, pid, "undoInner")
    [record] = rows(engine, HistoricActivityInstance, activity_id="undoInner")
    assert (record.id, record.parent_activity_instance_id) == (handler, scope)


# ---------------------------------------------------------------- compensation event sub-processes

def booking_with_event_sub_process(ref: str | None = None) -> str:
    """booking-subprocess [bookFlight || bookHotel, each compensable; a compensation event
    sub-process compensates the flight, then the hotel, then waits in updateCustomerRecord]
    -> validateBooking -> throwCompensation (activityRef ``ref``) -> end."""
    handler = ('<subProcess id="compensationSubProcess" triggeredByEvent="true" isForCompensation="true">'
               f'<startEvent id="compensationStartEvent">{COMPENSATE}</startEvent>'
               + throw("compensateFlight", ref="bookFlight") + throw("compensateHotel", ref="bookHotel")
               + '<userTask id="updateCustomerRecord"/><endEvent id="endCompensation"/>'
               + links(("compensationStartEvent", "compensateFlight"), ("compensateFlight", "compensateHotel"),
                       ("compensateHotel", "updateCustomerRecord"), ("updateCustomerRecord", "endCompensation"))
               + '</subProcess>')
    inner = ('<startEvent id="startSubprocess"/><parallelGateway id="parallel"/>'
             + compensated("bookFlight", "cancelFlight") + compensated("bookHotel", "cancelHotel")
             + handler + '<parallelGateway id="join"/><endEvent id="endSubprocess"/>'
             + links(("startSubprocess", "parallel"), ("parallel", "bookFlight"), ("parallel", "bookHotel"),
                     ("bookFlight", "join"), ("bookHotel", "join"), ("join", "endSubprocess")))
    return (f'<startEvent id="start"/><subProcess id="booking-subprocess">{inner}</subProcess>'
            '<userTask id="validateBooking"/>' + throw("throwCompensation", ref=ref) + '<endEvent id="end"/>'
            + links(("start", "booking-subprocess"), ("booking-subprocess", "validateBooking"),
                    ("validateBooking", "throwCompensation"), ("throwCompensation", "end")))


def test_testActivityInstanceTreeForCompensationEventSubProcess(engine):
    """The compensated sub-process comes back and runs its compensation event sub-process, whose
    throws start the handlers of the sub-process's completed activities beside it."""
    d = inline(engine, "bookingProcess", booking_with_event_sub_process())
    pid = start(engine, d)
    complete(engine, pid, "bookFlight")
    complete(engine, pid, "bookHotel")
    assert compensate_subscriptions(engine, pid) == ["cancelFlight", "cancelHotel", "compensationSubProcess"]
    complete(engine, pid, "validateBooking")
    assert shape(engine, pid) == [
        ("booking-subprocess", [("cancelFlight", []), ("compensationSubProcess", [("compensateFlight", [])])]),
        ("throwCompensation", [])]


@pytest.mark.parametrize("ref", [None, "booking-subprocess"], ids=[
    "testCompensationEventSubProcessWithScope", "testCompensationEventSubProcessActivityRefOnSubProcess"])
def test_compensation_event_sub_process_runs_to_the_end(engine, ref):
    """Flight, then hotel, then the event sub-process's own task; then the throw leaves."""
    d = inline(engine, f"booking{bool(ref)}", booking_with_event_sub_process(ref))
    pid = start(engine, d)
    complete(engine, pid, "bookFlight")
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "validateBooking")
    complete(engine, pid, "cancelFlight")
    assert task_keys(engine, pid) == ["cancelHotel"]
    complete(engine, pid, "cancelHotel")
    assert task_keys(engine, pid) == ["updateCustomerRecord"]
    complete(engine, pid, "updateCustomerRecord")
    assert history_state(engine, pid) == "COMPLETED"
    assert rows(engine, EventSubscription, process_instance_id=pid) == []


def test_compensation_event_sub_process_is_refused_at_process_level(engine):
    """As in Camunda, only an embedded sub-process may hold a compensation event sub-process."""
    message = deploy_error(engine, '<startEvent id="s"/><subProcess id="esp" triggeredByEvent="true">'
                                   f'<startEvent id="cs">{COMPENSATE}</startEvent><endEvent id="ce"/>'
                                   + links(("cs", "ce")) + '</subProcess>')
    assert "event subprocess with compensation start event is only supported for embedded subprocess" in message


def test_compensation_event_sub_process_and_boundary_event_exclude_each_other(engine):
    """A sub-process has either a compensation boundary event or a compensation event sub-process."""
    inner = ('<startEvent id="is"/><endEvent id="ie"/><subProcess id="esp" triggeredByEvent="true">'
             f'<startEvent id="cs">{COMPENSATE}</startEvent><endEvent id="ce"/>' + links(("cs", "ce"))
             + '</subProcess>' + links(("is", "ie")))
    message = deploy_error(engine, f'<startEvent id="s"/><subProcess id="sp">{inner}</subProcess>'
                                   f'<boundaryEvent id="b" attachedToRef="sp">{COMPENSATE}</boundaryEvent>'
                                   '<userTask id="h" isForCompensation="true"/>'
                                   '<association sourceRef="b" targetRef="h"/>' + links(("s", "sp")))
    assert ("compensation boundary event and event subprocess with compensation start event are not "
            "supported on the same scope") in message


def nested_event_sub_processes(rethrow: bool) -> str:
    """scopeHotel [bookHotel -> scopeFlight [bookFlight; its compensation event sub-process:
    undoBookFlight]; its compensation event sub-process: undoBookHotel (-> throw)] -> throwCompensation."""
    flight_handler = ('<subProcess id="compensationScopeFlight" triggeredByEvent="true">'
                      f'<startEvent id="startFlightCompensation">{COMPENSATE}</startEvent>'
                      '<userTask id="undoBookFlight"/><endEvent id="endFlightCompensation"/>'
                      + links(("startFlightCompensation", "undoBookFlight"), ("undoBookFlight", "endFlightCompensation"))
                      + '</subProcess>')
    flight = ('<startEvent id="startFlight"/><userTask id="bookFlight"/><endEvent id="endFlight"/>' + flight_handler
              + links(("startFlight", "bookFlight"), ("bookFlight", "endFlight")))
    after_undo = ("throwingCompensateFlight" if rethrow else "endHotelCompensation")
    hotel_handler = ('<subProcess id="compensationScopeHotel" triggeredByEvent="true">'
                     f'<startEvent id="startHotelCompensation">{COMPENSATE}</startEvent><userTask id="undoBookHotel"/>'
                     + (throw("throwingCompensateFlight") if rethrow else "") + '<endEvent id="endHotelCompensation"/>'
                     + links(("startHotelCompensation", "undoBookHotel"), ("undoBookHotel", after_undo))
                     + (links(("throwingCompensateFlight", "endHotelCompensation")) if rethrow else "")
                     + '</subProcess>')
    hotel = ('<startEvent id="startHotel"/><userTask id="bookHotel"/>'
             f'<subProcess id="scopeFlight">{flight}</subProcess><endEvent id="endHotel"/>' + hotel_handler
             + links(("startHotel", "bookHotel"), ("bookHotel", "scopeFlight"), ("scopeFlight", "endHotel")))
    return (f'<startEvent id="start"/><subProcess id="scopeHotel">{hotel}</subProcess>'
            '<userTask id="throwCompensation"/>' + throw("throwing") + '<endEvent id="end"/>'
            + links(("start", "scopeHotel"), ("scopeHotel", "throwCompensation"),
                    ("throwCompensation", "throwing"), ("throwing", "end")))


def test_testCompensationEventSubprocessReThrowCompensationEvent(engine):
    """A throw inside a compensation event sub-process compensates the sub-process's own
    completed content, here the inner sub-process through its compensation event sub-process."""
    d = inline(engine, "rethrow", nested_event_sub_processes(rethrow=True))
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    complete(engine, pid, "throwCompensation")
    complete(engine, pid, "undoBookHotel")
    assert shape(engine, pid) == [
        ("scopeHotel", [("compensationScopeHotel", [("throwingCompensateFlight", [])]),
                        ("scopeFlight", [("compensationScopeFlight", [("undoBookFlight", [])])])]),
        ("throwing", [])]
    complete(engine, pid, "undoBookFlight")
    assert history_state(engine, pid) == "COMPLETED"


def test_testCompensationEventSubprocessConsumeCompensationEvent(engine):
    """Without a throw inside it, the compensation event sub-process consumes the compensation:
    the inner sub-process is not compensated."""
    d = inline(engine, "consume", nested_event_sub_processes(rethrow=False))
    pid = start(engine, d)
    complete(engine, pid, "bookHotel")
    complete(engine, pid, "bookFlight")
    complete(engine, pid, "throwCompensation")
    complete(engine, pid, "undoBookHotel")
    assert history_state(engine, pid) == "COMPLETED"
    assert [r.activity_id for r in rows(engine, HistoricActivityInstance, activity_id="undoBookFlight")] == []
