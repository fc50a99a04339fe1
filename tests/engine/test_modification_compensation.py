"""Modification around compensation and transactions.

Ported, behaviour by behaviour, from the compensation and transaction cases of Camunda 7's
ProcessInstanceModificationTest and ProcessInstanceModificationEventTest; each test carries the
Camunda method's name. The models are written here and only follow the structure of Camunda's.
Every step runs in its own transaction and reads the instance back from the database.
"""

from __future__ import annotations

import pytest

from modbatch.engine import instances, modification, tasks
from modbatch.engine.modification import Instruction
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import EventSubscription, Task
from tests.engine.test_behaviours import rows, shape
from tests.engine.test_compensation import COMPENSATE, compensated, links
from tests.engine.test_modification import after, before
from tests.engine.test_runtime import complete, history_state, inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")


def single(engine, pid, *instructions: Instruction) -> None:
    """The single-instance modification (cancel by activity instance id, local variables)."""
    with engine.transaction() as session:
        modification.modify_single(session, pid, list(instructions), skip_io_mappings=False)


def instance_of(engine, pid, activity_id: str) -> str:
    with engine.transaction() as session:
        return instances.load_one(session, pid).instances_of(activity_id)[0].id


def cancel_instance(engine, pid, activity_id: str) -> Instruction:
    return Instruction("cancel", activity_instance_id=instance_of(engine, pid, activity_id))


def subscription_count(engine, pid) -> int:
    return len(rows(engine, EventSubscription, process_instance_id=pid))


def task_keys(engine, pid) -> list[str]:
    return sorted(t.task_definition_key for t in rows(engine, Task, process_instance_id=pid))


def complete_in_order(engine, pid, *keys: str) -> None:
    for key in keys:
        complete(engine, pid, key)


# ---------------------------------------------------------------- compensation in a sub-process

def sub_process_model(parallel: bool, inner_task2: bool = False, after_sub_process: bool = True) -> str:
    """outerTask -> throwCompensate beside subProcess[innerTask (compensable) (-> innerTask2)]
    with its own compensation boundary event; the fork is parallel, or exclusive towards outerTask."""
    fork = ('<parallelGateway id="fork"/>' if parallel else '<exclusiveGateway id="fork"/>')
    inner_path = (links(("subStart", "innerTask"), ("innerTask", "innerTask2"), ("innerTask2", "subEnd"))
                  if inner_task2 else links(("subStart", "innerTask"), ("innerTask", "subEnd")))
    inner = ('<startEvent id="subStart"/>' + compensated("innerTask", "innerAfterBoundaryTask")
             + ('<userTask id="innerTask2"/>' if inner_task2 else "") + '<endEvent id="subEnd"/>' + inner_path)
    to_sub = ('<sequenceFlow id="toSub" sourceRef="fork" targetRef="subProcess">'
              + ('' if parallel else '<conditionExpression>${false}</conditionExpression>') + '</sequenceFlow>')
    to_outer = ('<sequenceFlow id="toOuter" sourceRef="fork" targetRef="outerTask">'
                + ('' if parallel else '<conditionExpression>${true}</conditionExpression>') + '</sequenceFlow>')
    return ('<startEvent id="theStart"/>' + fork + '<userTask id="outerTask"/>'
            f'<intermediateThrowEvent id="throwCompensate">{COMPENSATE}</intermediateThrowEvent>'
            '<endEvent id="outerEnd"/>' f'<subProcess id="subProcess">{inner}</subProcess>'
            f'<boundaryEvent id="outerCompensation" attachedToRef="subProcess">{COMPENSATE}</boundaryEvent>'
            '<userTask id="outerAfterBoundaryTask" isForCompensation="true"/>'
            '<association sourceRef="outerCompensation" targetRef="outerAfterBoundaryTask"/>'
            '<userTask id="taskAfterSubprocess"/><endEvent id="theEnd"/>'
            + to_sub + to_outer
            + links(("theStart", "fork"), ("outerTask", "throwCompensate"), ("throwCompensate", "outerEnd"),
                    ("taskAfterSubprocess", "theEnd"))
            + (links(("subProcess", "taskAfterSubprocess")) if after_sub_process else ""))


def test_testCompensationRemovalOnCancellation(engine):
    """Cancelling the sub-process's last activity cancels the sub-process: the subscription of
    its completed inner task goes with it, no event scope is kept."""
    d = inline(engine, "removal", sub_process_model(parallel=True, inner_task2=True, after_sub_process=False))
    pid = start(engine, d)
    complete(engine, pid, "innerTask")
    assert subscription_count(engine, pid) == 1
    single(engine, pid, cancel_instance(engine, pid, "innerTask2"))
    assert subscription_count(engine, pid) == 0
    assert shape(engine, pid) == [("outerTask", [])]


def test_testCompensationCreation(engine):
    """A sub-process started by modification creates compensation as it completes: the inner
    task's subscription in the event scope, the sub-process's handler and its event scope in the
    process; the throw then runs both handlers."""
    d = inline(engine, "creation", sub_process_model(parallel=False))
    pid = start(engine, d)
    assert shape(engine, pid) == [("outerTask", [])]
    single(engine, pid, before("innerTask"))
    complete(engine, pid, "innerTask")
    assert subscription_count(engine, pid) == 3
    complete(engine, pid, "outerTask")
    assert task_keys(engine, pid) == ["innerAfterBoundaryTask", "outerAfterBoundaryTask", "taskAfterSubprocess"]
    assert shape(engine, pid) == [("outerAfterBoundaryTask", []),
                                  ("subProcess", [("innerAfterBoundaryTask", [])]),
                                  ("taskAfterSubprocess", []), ("throwCompensate", [])]
    complete_in_order(engine, pid, "taskAfterSubprocess", "innerAfterBoundaryTask", "outerAfterBoundaryTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_testNoCompensationCreatedOnCancellation(engine):
    """A cancelled activity is not compensable: no subscription, and the throw runs no handler."""
    d = inline(engine, "noCreation", sub_process_model(parallel=True, after_sub_process=False))
    pid = start(engine, d)
    assert task_keys(engine, pid) == ["innerTask", "outerTask"]
    single(engine, pid, cancel_instance(engine, pid, "innerTask"))
    assert subscription_count(engine, pid) == 0
    assert task_keys(engine, pid) == ["outerTask"]
    complete(engine, pid, "outerTask")
    assert history_state(engine, pid) == "COMPLETED"


def test_start_before_a_compensation_throw_compensates_completed_activities(engine):
    """Starting before a compensation throw event runs the handlers of what completed so far."""
    body = ('<startEvent id="start"/>' + compensated("book", "undoBook") + '<userTask id="wait"/>'
            f'<intermediateThrowEvent id="throwCompensate">{COMPENSATE}</intermediateThrowEvent>'
            '<endEvent id="end"/>'
            + links(("start", "book"), ("book", "wait"), ("wait", "end"), ("throwCompensate", "end")))
    d = inline(engine, "startThrow", body)
    pid = start(engine, d)
    complete(engine, pid, "book")
    single(engine, pid, before("throwCompensate"))
    assert shape(engine, pid) == [("throwCompensate", []), ("undoBook", []), ("wait", [])]
    complete(engine, pid, "undoBook")
    assert shape(engine, pid) == [("wait", [])]
    complete(engine, pid, "wait")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- transactions

TRANSACTION = ('<startEvent id="start"/>'
               '<transaction id="tx"><startEvent id="txStart"/>' + compensated("userTask", "undoTask").replace(
                   'id="userTaskCompensation"', 'id="compensateBoundaryEvent"').replace(
                   'sourceRef="userTaskCompensation"', 'sourceRef="compensateBoundaryEvent"')
               + '<endEvent id="txEnd"><cancelEventDefinition/></endEvent>'
               + links(("txStart", "userTask"), ("userTask", "txEnd")) + '</transaction>'
               '<endEvent id="end"/><boundaryEvent id="catchCancelTx" attachedToRef="tx">'
               '<cancelEventDefinition/></boundaryEvent><userTask id="afterCancel"/><endEvent id="afterCancelEnd"/>'
               + links(("start", "tx"), ("tx", "end"), ("catchCancelTx", "afterCancel"),
                       ("afterCancel", "afterCancelEnd")))
COMPENSATING = [("tx", [("txEnd", []), ("undoTask", [])])]


@pytest.fixture
def compensating(engine):
    """The transaction's cancel end event waits for undoTask (userTask completed)."""
    d = inline(engine, "testProcess", TRANSACTION)
    pid = start(engine, d)
    complete(engine, pid, "userTask")
    assert task_keys(engine, pid) == ["undoTask"]
    assert shape(engine, pid) == COMPENSATING
    return d, pid


def test_testStartActivityInTransactionWithCompensation(engine, compensating):
    """A task started in the compensating transaction runs beside the handler; completing it
    reaches the cancel end event again, which interrupts the running compensation and starts
    a new handler for the new subscription."""
    _, pid = compensating
    [old_task] = rows(engine, Task, process_instance_id=pid)
    single(engine, pid, before("userTask"))
    assert shape(engine, pid) == [("tx", [("txEnd", []), ("undoTask", []), ("userTask", [])])]
    complete(engine, pid, "userTask")
    assert shape(engine, pid) == COMPENSATING
    [new_task] = rows(engine, Task, process_instance_id=pid)
    assert new_task.id != old_task.id
    complete_in_order(engine, pid, "undoTask", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartActivityWithAncestorInTransactionWithCompensation(engine, compensating):
    """With the process instance as ancestor, a second transaction runs and compensates on its own."""
    _, pid = compensating
    single(engine, pid, before("userTask", ancestor_activity_instance_id=pid))
    complete(engine, pid, "userTask")
    assert shape(engine, pid) == COMPENSATING + COMPENSATING
    complete_in_order(engine, pid, "undoTask", "undoTask", "afterCancel", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartAfterActivityDuringCompensation(engine, compensating):
    """A second cancel end event finds nothing left to compensate and cancels the transaction,
    taking the waiting handler along."""
    _, pid = compensating
    single(engine, pid, after("userTask"))
    assert task_keys(engine, pid) == ["afterCancel"]
    complete(engine, pid, "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testCancelCompensatingTask(engine, compensating):
    """Cancelling the only handler cancels the cancel end event waiting for it, and so the
    transaction and the instance."""
    _, pid = compensating
    single(engine, pid, cancel_instance(engine, pid, "undoTask"))
    assert history_state(engine, pid) == "EXTERNALLY_TERMINATED"


@pytest.mark.parametrize("ancestor", [False, True], ids=["testCancelCompensatingTaskAndStartActivity",
                                                         "testCancelCompensatingTaskAndStartActivityWithAncestor"])
def test_cancel_compensating_task_and_start_activity(engine, compensating, ancestor):
    """The emptied instance survives the modification; the started task runs in a transaction
    that compensates it afresh."""
    _, pid = compensating
    start_before = before("userTask", ancestor_activity_instance_id=pid) if ancestor else before("userTask")
    single(engine, pid, cancel_instance(engine, pid, "undoTask"), start_before)
    assert shape(engine, pid) == [("tx", [("userTask", [])])]
    complete_in_order(engine, pid, "userTask", "undoTask", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartActivityAndCancelCompensatingTask(engine, compensating):
    """Cancelling the handler takes the waiting cancel end event along but not the transaction,
    which still holds the started task."""
    _, pid = compensating
    single(engine, pid, before("userTask"), cancel_instance(engine, pid, "undoTask"))
    assert shape(engine, pid) == [("tx", [("userTask", [])])]
    complete_in_order(engine, pid, "userTask", "undoTask", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartCompensatingTask(engine):
    """A handler started by modification is a plain activity: it ends without effect."""
    d = inline(engine, "testProcess", TRANSACTION)
    pid = start(engine, d)
    single(engine, pid, before("undoTask"))
    complete(engine, pid, "undoTask")
    assert task_keys(engine, pid) == ["userTask"]
    complete_in_order(engine, pid, "userTask", "undoTask", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartAdditionalCompensatingTaskAndCompleteOldCompensationTask(engine, compensating):
    """Completing the original handler ends the compensation: the cancellation takes the
    additional handler along."""
    _, pid = compensating
    first = instance_of(engine, pid, "undoTask")
    single(engine, pid, before("undoTask"))
    assert shape(engine, pid) == [("tx", [("txEnd", []), ("undoTask", []), ("undoTask", [])])]
    with engine.transaction() as session:
        task_id = next(t.id for t in rows(engine, Task, process_instance_id=pid)
                       if t.activity_instance_id == first)
        tasks.complete(session, task_id, {})
    assert task_keys(engine, pid) == ["afterCancel"]
    complete(engine, pid, "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartAdditionalCompensatingTaskAndCompleteNewCompensatingTask(engine, compensating):
    """Completing the additional handler (started with a local variable) changes nothing for the
    waiting cancel end event."""
    _, pid = compensating
    first = instance_of(engine, pid, "undoTask")
    single(engine, pid, Instruction("startBeforeActivity", activity_id="undoTask",
                                    variables={"new": (TypedValue("Boolean", True), True)}))
    assert shape(engine, pid) == [("tx", [("txEnd", []), ("undoTask", []), ("undoTask", [])])]
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        [second] = [ai.id for ai in state.instances_of("undoTask") if ai.id != first]
        assert state.local_variables(second) == {"new": TypedValue("Boolean", True)}
        task_id = next(t.id for t in state.tasks.values() if t.activity_instance_id == second)
        tasks.complete(session, task_id, {})
    assert shape(engine, pid) == COMPENSATING
    complete_in_order(engine, pid, "undoTask", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartCompensationBoundary(engine):
    """A compensation boundary event can be started neither before (Camunda's own message) nor
    after (it has no outgoing flow)."""
    d = inline(engine, "testProcess", TRANSACTION)
    pid = start(engine, d)
    with pytest.raises(ProcessEngineError, match="compensation boundary event"):
        single(engine, pid, before("compensateBoundaryEvent"))
    with pytest.raises(ProcessEngineError, match="no outgoing sequence flow"):
        single(engine, pid, after("compensateBoundaryEvent"))
    assert shape(engine, pid) == [("tx", [("userTask", [])])]


def test_testStartCancelEndEvent(engine, compensating):
    """A started cancel end event has nothing left to compensate: the transaction is cancelled."""
    _, pid = compensating
    single(engine, pid, before("txEnd"))
    assert task_keys(engine, pid) == ["afterCancel"]
    complete(engine, pid, "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartCancelBoundaryEvent(engine, compensating):
    """Starting the cancel boundary event interrupts the transaction, compensation and all."""
    _, pid = compensating
    single(engine, pid, before("catchCancelTx"))
    assert task_keys(engine, pid) == ["afterCancel"]
    complete(engine, pid, "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


def test_testStartTaskAfterCancelBoundaryEvent(engine, compensating):
    """The task behind the cancel boundary event starts beside the compensating transaction."""
    _, pid = compensating
    single(engine, pid, before("afterCancel"))
    assert shape(engine, pid) == [("afterCancel", [])] + COMPENSATING
    complete_in_order(engine, pid, "afterCancel", "undoTask", "afterCancel")
    assert history_state(engine, pid) == "COMPLETED"


# ---------------------------------------------------------------- ProcessInstanceModificationEventTest

CANCEL_END = ('<startEvent id="start"/>'
              '<transaction id="tx"><startEvent id="txStart"/>' + compensated("txTask", "undoTxTask")
              + '<exclusiveGateway id="xor"/><endEvent id="cancelEnd"><cancelEventDefinition/></endEvent>'
                '<endEvent id="success"/>'
              + links(("txStart", "txTask"), ("txTask", "xor"))
              + '<sequenceFlow id="ok" sourceRef="xor" targetRef="success"><conditionExpression>${success}'
                '</conditionExpression></sequenceFlow><sequenceFlow id="ko" sourceRef="xor" targetRef="cancelEnd">'
                '<conditionExpression>${!success}</conditionExpression></sequenceFlow></transaction>'
              '<boundaryEvent id="catchCancelTx" attachedToRef="tx"><cancelEventDefinition/></boundaryEvent>'
              '<userTask id="afterCancellation"/><userTask id="afterSuccess"/><endEvent id="end"/>'
              + links(("start", "tx"), ("catchCancelTx", "afterCancellation"), ("afterCancellation", "end"),
                      ("tx", "afterSuccess"), ("afterSuccess", "end")))


def test_testStartBeforeCancelEndEventConcurrent(engine):
    """Started beside the running task, the cancel end event cancels the transaction at once."""
    d = inline(engine, "cancelEndProcess", CANCEL_END)
    pid = start(engine, d)
    single(engine, pid, before("cancelEnd"))
    assert shape(engine, pid) == [("afterCancellation", [])]
    assert task_keys(engine, pid) == ["afterCancellation"]


def test_testStartBeforeCancelEndEvent(engine):
    """After the transaction completed, starting its cancel end event creates and cancels a new
    transaction; the completed one's compensation is kept, not triggered."""
    d = inline(engine, "cancelEndProcess", CANCEL_END)
    pid = start(engine, d)
    complete(engine, pid, "txTask", success=1)
    assert task_keys(engine, pid) == ["afterSuccess"]
    single(engine, pid, before("cancelEnd"))
    assert shape(engine, pid) == [("afterCancellation", []), ("afterSuccess", [])]
    assert sorted(s.activity_id for s in rows(engine, EventSubscription, process_instance_id=pid)) == [
        "tx", "undoTxTask"]
    complete_in_order(engine, pid, "afterCancellation", "afterSuccess")
    assert history_state(engine, pid) == "COMPLETED"


def test_cancelling_a_waiting_throw_cancels_its_handlers_and_emptied_scope(engine):
    """Cancelling a compensation throw event that waits inside a sub-process takes its handlers
    along, and the sub-process left empty goes too."""
    inner = ('<startEvent id="innerStart"/>' + compensated("book", "undoBook")
             + f'<intermediateThrowEvent id="throwCompensate">{COMPENSATE}</intermediateThrowEvent>'
             '<endEvent id="innerEnd"/>'
             + links(("innerStart", "book"), ("book", "throwCompensate"), ("throwCompensate", "innerEnd")))
    body = ('<startEvent id="start"/><parallelGateway id="fork"/>'
            f'<subProcess id="sub">{inner}</subProcess><userTask id="other"/><endEvent id="end"/>'
            + links(("start", "fork"), ("fork", "sub"), ("fork", "other"), ("sub", "end"), ("other", "end")))
    d = inline(engine, "cancelThrow", body)
    pid = start(engine, d)
    complete(engine, pid, "book")
    assert shape(engine, pid) == [("other", []), ("sub", [("throwCompensate", []), ("undoBook", [])])]
    single(engine, pid, cancel_instance(engine, pid, "throwCompensate"))
    assert shape(engine, pid) == [("other", [])]
    assert task_keys(engine, pid) == ["other"]
