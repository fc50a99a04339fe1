"""Modification in and around call activities, ported from Camunda's
ProcessInstanceModificationSubProcessTest, ProcessInstanceModificationTest and
SingleProcessInstanceModificationAsyncTest (test ids are Camunda's method names; the BPMN is ours).

Every step goes through the database: modified in one transaction, read back in the next.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from modbatch.engine import instances, modification
from modbatch.engine.modification import Instruction
from modbatch.engine.variables import TypedValue
from modbatch.store.tables import ProcessInstance, Task
from tests.engine.test_behaviours import END, START, flow, shape, variables
from tests.engine.test_call_activity import begin, call, called_by, deploy, history, instance, process
from tests.engine.test_modification import after, before, cancel, modify
from tests.engine.test_runtime import complete

pytestmark = pytest.mark.usefixtures("pinned_clock")

SUB = process("subprocess", flow(START, '<userTask id="userTask"/>', '<endEvent id="subEnd"/>'))


def single(engine, pid, *instructions):
    """The single-instance endpoint's path (externally terminated when emptied)."""
    with engine.transaction() as session:
        modification.modify_single(session, pid, list(instructions), skip_io_mappings=False)


def count_instances(engine):
    with engine.transaction() as session:
        return session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def parallel_parent(tail: str = "") -> str:
    """start -> fork -> (service task | call activity) -> join [-> tail] -> end."""
    body = ('<startEvent id="start"/><parallelGateway id="fork"/><serviceTask id="doNothing" '
            'camunda:expression="${true}"/>' + call("subprocess", ident="callActivity")
            + '<parallelGateway id="join"/><endEvent id="end"/>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
            '<sequenceFlow id="f2" sourceRef="fork" targetRef="doNothing"/>'
            '<sequenceFlow id="f3" sourceRef="fork" targetRef="callActivity"/>'
            '<sequenceFlow id="f4" sourceRef="doNothing" targetRef="join"/>'
            '<sequenceFlow id="f5" sourceRef="callActivity" targetRef="join"/>')
    if tail:
        return body + ('<sequenceFlow id="f6" sourceRef="join" targetRef="tail"/>'
                       f'{tail}<sequenceFlow id="f7" sourceRef="tail" targetRef="end"/>')
    return body + '<sequenceFlow id="f6" sourceRef="join" targetRef="end"/>'


# ---------------------------------------------------------------- ProcessInstanceModificationSubProcessTest

def test_shouldCompleteParentProcess(engine):
    """Moving the sub-instance past its last task completes it, and with it the parent."""
    defs = deploy(engine, process("parentProcess", flow(START, call("subprocess", ident="callActivity"), END)), SUB)
    pid = begin(engine, defs["parentProcess"])
    (sid,) = called_by(engine, pid)
    single(engine, sid, cancel("userTask"), after("userTask"))
    assert count_instances(engine) == 0
    assert history(engine, sid)[0] == "COMPLETED"
    assert history(engine, pid)[0] == "COMPLETED"


def test_shouldContinueParentProcess(engine):
    """The parent goes on to its next task when the modified sub-instance completes."""
    defs = deploy(engine, process("parentProcess", flow(START, call("subprocess", ident="callActivity"),
                                                        '<userTask id="parentTask"/>', END)), SUB)
    pid = begin(engine, defs["parentProcess"])
    (sid,) = called_by(engine, pid)
    single(engine, sid, cancel("userTask"), after("userTask"))
    assert count_instances(engine) == 1
    with engine.transaction() as session:
        (task,) = session.execute(select(Task)).scalars().all()
    assert (task.process_instance_id, task.task_definition_key) == (pid, "parentTask")


def test_shouldCompleteParentProcessWithParallelGateway(engine):
    """The call activity's branch reaches the join last; the parent completes."""
    defs = deploy(engine, process("parentProcess", parallel_parent()), SUB)
    pid = begin(engine, defs["parentProcess"])
    (sid,) = called_by(engine, pid)
    assert shape(engine, pid) == [("callActivity", []), ("join", [])]
    modify(engine, defs["subprocess"], [sid], cancel("userTask"), after("userTask"))
    assert count_instances(engine) == 0


def test_shouldContinueParentProcessWithParallelGateway(engine):
    """After the join the parent waits in its next task."""
    defs = deploy(engine, process("parentProcess", parallel_parent('<userTask id="tail"/>')), SUB)
    pid = begin(engine, defs["parentProcess"])
    (sid,) = called_by(engine, pid)
    modify(engine, defs["subprocess"], [sid], cancel("userTask"), after("userTask"))
    assert count_instances(engine) == 1
    assert shape(engine, pid) == [("tail", [])]


def test_shouldCancelConcurrentExecutionInCallingProcess(engine):
    """Cancelling the sub-instance's only activity removes it and cancels the call activity's
    branch in the caller; the other branch stays."""
    body = ('<startEvent id="start"/><parallelGateway id="split"/>' + call("subprocess", ident="callActivity")
            + '<endEvent id="end1"/><userTask id="parentUserTask"/><endEvent id="end2"/>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="split"/>'
            '<sequenceFlow id="f2" sourceRef="split" targetRef="callActivity"/>'
            '<sequenceFlow id="f3" sourceRef="callActivity" targetRef="end1"/>'
            '<sequenceFlow id="f4" sourceRef="split" targetRef="parentUserTask"/>'
            '<sequenceFlow id="f5" sourceRef="parentUserTask" targetRef="end2"/>')
    sub = process("subprocess", flow(START, '<userTask id="childUserTask"/>', '<endEvent id="subEnd"/>'))
    defs = deploy(engine, process("parentProcess", body), sub)
    pid = begin(engine, defs["parentProcess"])
    (sid,) = called_by(engine, pid)
    single(engine, sid, cancel("childUserTask"))
    assert instance(engine, sid) is None
    assert history(engine, sid)[0] == "EXTERNALLY_TERMINATED"
    assert shape(engine, pid) == [("parentUserTask", [])]


# ---------------------------------------------------------------- ProcessInstanceModificationTest / ...AsyncTest

def test_testCancelCallActivityInstance(engine):
    """Starting the sub-instance's end event and cancelling its task ends the parent too."""
    parent = process("parentprocess", flow(START, call("subprocess", ident="callActivity"), END))
    sub = process("subprocess", flow(START, '<userTask id="innerTask"/>', '<endEvent id="childEnd"/>'))
    defs = deploy(engine, parent, sub)
    pid = begin(engine, defs["parentprocess"])
    (sid,) = called_by(engine, pid)
    with engine.transaction() as session:
        (inner,) = instances.load_one(session, sid).instances_of("innerTask")
    single(engine, sid, Instruction("startBeforeActivity", activity_id="childEnd",
                                    ancestor_activity_instance_id=sid),
           Instruction("cancel", activity_instance_id=inner.id))
    assert instance(engine, pid) is None
    assert instance(engine, sid) is None


# ---------------------------------------------------------------- around the call activity

def test_start_before_a_call_activity_starts_a_new_sub_instance(engine):
    """startBeforeActivity on the call activity calls again: a second linked sub-instance."""
    defs = deploy(engine, process("parent", flow(START, '<userTask id="first"/>', call("subprocess"),
                                                 '<userTask id="last"/>', END)), SUB)
    pid = begin(engine, defs["parent"])
    assert called_by(engine, pid) == []
    modify(engine, defs["parent"], [pid], before("call"))
    assert shape(engine, pid) == [("call", []), ("first", [])]
    (sid,) = called_by(engine, pid)
    assert shape(engine, sid) == [("userTask", [])]
    modify(engine, defs["parent"], [pid], before("call"))
    assert len(called_by(engine, pid)) == 2
    complete(engine, sid, "userTask")
    assert shape(engine, pid) == [("call", []), ("first", []), ("last", [])]


def test_cancelling_the_call_activity_instance_cancels_its_sub_instance(engine):
    """cancel on the call activity removes its sub-instance (and what that one called)."""
    middle = process("middle", flow(START, call("subprocess", ident="inner"), END))
    defs = deploy(engine, process("parent", flow(START, call("middle"), '<userTask id="last"/>', END)),
                  middle, SUB)
    pid = begin(engine, defs["parent"])
    (mid,) = called_by(engine, pid)
    (sid,) = called_by(engine, mid)
    modify(engine, defs["parent"], [pid], cancel("call"), before("last"))
    assert shape(engine, pid) == [("last", [])]
    assert instance(engine, mid) is None and instance(engine, sid) is None
    assert history(engine, mid)[0] == history(engine, sid)[0] == "INTERNALLY_TERMINATED"


def test_cancelling_the_only_call_activity_ends_caller_and_callees(engine):
    """The single-instance endpoint cancels the last activity: everything ends externally terminated."""
    defs = deploy(engine, process("parent", flow(START, call("subprocess"), END)), SUB)
    pid = begin(engine, defs["parent"])
    (sid,) = called_by(engine, pid)
    single(engine, pid, cancel("call"))
    assert history(engine, pid)[0] == "EXTERNALLY_TERMINATED"
    assert history(engine, sid)[0] == "EXTERNALLY_TERMINATED"


def test_start_before_the_call_activity_with_instruction_variables(engine):
    """Local instruction variables land on the call activity instance, where camunda:in reads them."""
    defs = deploy(engine, process("parent", flow(START, '<userTask id="first"/>', call(
        "subprocess", '<camunda:in variables="all" local="true"/>'), END)), SUB)
    pid = begin(engine, defs["parent"], outer=1)
    single(engine, pid, Instruction("startBeforeActivity", activity_id="call", variables={
        "local": (TypedValue("String", "mine"), True), "global": (TypedValue("Integer", 2), False)}))
    (sid,) = called_by(engine, pid)
    assert variables(engine, sid) == {"local": "mine"}
    assert variables(engine, pid) == {"outer": 1, "global": 2}


def test_modification_inside_a_sub_instance_keeps_the_link(engine):
    """Moving the token inside the sub-instance works as for any instance; the parent still waits."""
    sub = process("subprocess", flow(START, '<userTask id="a"/>', '<userTask id="b"/>', END))
    defs = deploy(engine, process("parent", flow(START, call("subprocess"), '<userTask id="last"/>', END)), sub)
    pid = begin(engine, defs["parent"])
    (sid,) = called_by(engine, pid)
    modify(engine, defs["subprocess"], [sid], cancel("a"), before("b"))
    assert shape(engine, sid) == [("b", [])]
    assert instance(engine, sid).super_process_instance_id == pid
    complete(engine, sid, "b")
    assert shape(engine, pid) == [("last", [])]


def statements_of_a_batch_job(engine, definition, count: int) -> int:
    """SQL statements an execution job's work (execute_partial) runs to move ``count`` instances
    onto the call activity, starting a called instance each."""
    pids = [begin(engine, definition) for _ in range(count)]
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa_engine = engine.database.engine
    with engine.transaction() as session:
        session.connection()  # begin outside the count
        event.listen(sa_engine, "before_cursor_execute", record)
        try:
            result = modification.execute_partial(
                session, pids, [cancel("first"), before("call")],
                process_definition_id=definition.id, skip_io_mappings=False)
        finally:
            event.remove(sa_engine, "before_cursor_execute", record)
    assert (sorted(result.modified), result.failed) == (sorted(pids), {})
    for pid in pids:
        assert shape(engine, pid) == [("call", [])]
        assert len(called_by(engine, pid)) == 1
    return len(seen)


def test_a_batch_onto_a_call_activity_works_on_sets(engine):
    """Moving 5 or 40 instances onto a call activity costs the same number of statements."""
    defs = deploy(engine, process("parent", flow(START, '<userTask id="first"/>', call("subprocess"), END)), SUB)
    small = statements_of_a_batch_job(engine, defs["parent"], 5)
    large = statements_of_a_batch_job(engine, defs["parent"], 40)
    assert large == small


def test_a_failing_call_leaves_the_other_instances_of_a_batch_job_modified(engine):
    """One instance calls a process that does not exist: it fails alone, the other one is moved."""
    defs = deploy(engine, process("parent", flow(START, '<userTask id="first"/>', call("${target}"), END)), SUB)
    good = begin(engine, defs["parent"], target="subprocess")
    bad = begin(engine, defs["parent"], target="nowhere")
    with engine.transaction() as session:
        result = modification.execute_partial(
            session, [bad, good], [cancel("first"), before("call")],
            process_definition_id=defs["parent"].id, skip_io_mappings=False)
    assert result.modified == [good]
    assert result.failed == {bad: "no processes deployed with key 'nowhere' and tenant-id 'null': "
                                  "processDefinition is null"}
    assert shape(engine, good) == [("call", [])]
    assert len(called_by(engine, good)) == 1
    assert shape(engine, bad) == [("first", [])]


def test_start_before_a_call_activity_inside_a_sub_process_keeps_locals_on_the_call(engine):
    """The instruction creates the enclosing sub-process; local variables still go to the call
    activity instance (a scope in Camunda), where camunda:in variables="all" local="true" reads them."""
    inner = ('<subProcess id="outer"><startEvent id="s2"/><sequenceFlow id="g1" sourceRef="s2" targetRef="call"/>'
             + call("subprocess", '<camunda:in variables="all" local="true"/>')
             + '<sequenceFlow id="g2" sourceRef="call" targetRef="e2"/><endEvent id="e2"/></subProcess>')
    defs = deploy(engine, process("parent", flow(START, '<userTask id="first"/>', inner, END)), SUB)
    pid = begin(engine, defs["parent"])
    single(engine, pid, Instruction("startBeforeActivity", activity_id="call", variables={
        "local": (TypedValue("String", "mine"), True)}))
    assert shape(engine, pid) == [("first", []), ("outer", [("call", [])])]
    (sid,) = called_by(engine, pid)
    assert variables(engine, sid) == {"local": "mine"}


MI_CALL = ('<callActivity id="callActivity" calledElement="subprocess"><multiInstanceLoopCharacteristics>'
           '<loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></callActivity>')


def test_shouldCompleteParentProcessWithMultiInstance(engine):
    """Three called instances of a multi-instance call activity, moved past their task in one
    modification: the body completes and the parent with it."""
    defs = deploy(engine, process("parentProcess", flow(START, MI_CALL, END)), SUB)
    pid = begin(engine, defs["parentProcess"])
    subs = called_by(engine, pid)
    assert len(subs) == 3
    modify(engine, defs["subprocess"], subs, cancel("userTask"), after("userTask"))
    assert count_instances(engine) == 0


def test_shouldContinueParentProcessWithMultiInstance(engine):
    """The same with a task after the call activity: the parent waits there."""
    defs = deploy(engine, process("parentProcess", flow(START, MI_CALL, '<userTask id="next"/>', END)), SUB)
    pid = begin(engine, defs["parentProcess"])
    subs = called_by(engine, pid)
    modify(engine, defs["subprocess"], subs, cancel("userTask"), after("userTask"))
    assert count_instances(engine) == 1
    assert shape(engine, pid) == [("next", [])]
