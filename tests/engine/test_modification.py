"""Modification semantics (reference C): instruction order, cancellation, start targets, errors.

Every step goes through the database: instances are modified in one transaction and the tree is
read back in the next.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from modbatch.engine import instances, modification
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.variables import TypedValue
from modbatch.errors import NotValidError, ProcessEngineError
from modbatch.store.tables import HistoricProcessInstance
from tests.engine.test_runtime import complete, inline, start, tree

SER_USER = """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="ser"/>
<serviceTask id="ser" camunda:expression="${true}"/><sequenceFlow id="f2" sourceRef="ser" targetRef="user"/>
<userTask id="user"/><sequenceFlow id="f3" sourceRef="user" targetRef="end"/><endEvent id="end"/>"""


def cancel(activity_id: str, flag: bool = False) -> Instruction:
    return Instruction("cancel", activity_id=activity_id,
                       cancel_current_active_activity_instances=flag)


def before(activity_id: str, **kwargs) -> Instruction:
    return Instruction("startBeforeActivity", activity_id=activity_id, **kwargs)


def after(activity_id: str) -> Instruction:
    return Instruction("startAfterActivity", activity_id=activity_id)


def transition(flow_id: str) -> Instruction:
    return Instruction("startTransition", transition_id=flow_id)


def modify(engine, definition, instance_ids, *instructions, skip_io_mappings=False):
    """Run a synchronous multi-instance modification in its own transaction."""
    with engine.transaction() as session:
        modification.execute_sync(session, ModificationRequest(
            process_definition_id=definition.id, instructions=list(instructions),
            instance_ids=list(instance_ids), skip_custom_listeners=False,
            skip_io_mappings=skip_io_mappings, annotation=None))


def end_state(engine, instance_id):
    with engine.transaction() as session:
        return session.execute(select(HistoricProcessInstance.state).where(
            HistoricProcessInstance.id == instance_id)).scalar_one()


def test_cancel_then_start_before_keeps_the_instance(engine, deploy):
    """cancel task1 + startBefore task2: the instance survives the empty moment, holding task2."""
    definition = deploy("exclusiveGateway")["exclusiveGateway"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("task1"), before("task2"))
    assert tree(engine, pid) == [("task2", [])]


def test_end_reached_intermediately_does_not_end_the_instance(engine, deploy):
    """CAM-3718: cancel, startAfter (runs to the end event), startBefore: the instance lives on."""
    definition = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("theTask"), after("theTask"), before("theTask"))
    assert tree(engine, pid) == [("theTask", [])]


def test_cancelling_the_only_activity_ends_the_instance(engine, deploy):
    """Cancelling everything deletes the instance, internally terminated on the multi path."""
    definition = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("theTask"))
    assert tree(engine, pid) is None
    assert end_state(engine, pid) == "INTERNALLY_TERMINATED"


def test_start_after_to_the_end_completes_an_emptied_instance(engine, deploy):
    """cancel theTask, startAfter theTask: the new token reaches the end event; the instance completes."""
    definition = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("theTask"), after("theTask"))
    assert tree(engine, pid) is None
    assert end_state(engine, pid) == "COMPLETED"


def test_start_before_then_cancel_without_flag_cancels_both(engine):
    """startBefore user + cancel user (flag false) also cancels the new token: instance deleted."""
    definition = inline(engine, "process1", SER_USER)
    pid = start(engine, definition)
    modify(engine, definition, [pid], before("ser"), cancel("user", flag=False))
    assert tree(engine, pid) is None


def test_cancel_with_flag_keeps_tokens_created_by_earlier_instructions(engine):
    """cancelCurrentActiveActivityInstances=true cancels only what existed before instruction one."""
    definition = inline(engine, "process1", SER_USER)
    pids = [start(engine, definition) for _ in range(3)]
    modify(engine, definition, pids, before("ser"), cancel("user", flag=True))
    assert [tree(engine, pid) for pid in pids] == [[("user", [])]] * 3


def test_cancel_with_flag_fails_when_a_snapshotted_instance_is_gone(engine):
    """A snapshotted activity instance cancelled meanwhile makes the flagged cancel fail (NotValid)."""
    definition = inline(engine, "process1", SER_USER)
    pid = start(engine, definition)
    with pytest.raises(NotValidError, match=r"Cannot perform instruction: Cancel activity instance "
                                            r"'user:[^']+'; Activity instance 'user:[^']+' does "
                                            r"not exist: activityInstance is null"):
        modify(engine, definition, [pid], cancel("user"), cancel("user", flag=True))
    assert tree(engine, pid) == [("user", [])]


def test_cancel_propagates_through_emptied_scopes(engine, deploy):
    """Cancelling the only task of a sub-process removes the sub-process instance too."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("innerTask"))
    assert tree(engine, pid) == [("outerTask", [])]


def test_cancel_of_an_inactive_activity_is_a_silent_no_op(engine, deploy):
    """Cancelling an activity with no instances, or an unknown id, changes nothing."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], cancel("outerEnd"), cancel("noSuchActivity"))
    assert tree(engine, pid) == [("outerTask", []), ("subProcess", [("innerTask", [])])]


def test_start_before_inner_activity_creates_the_missing_scope(engine, deploy):
    """startBefore innerTask while the sub-process is not active instantiates the sub-process."""
    definition = deploy("subprocess")["subprocess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], before("innerTask"))
    assert tree(engine, pid) == [("outerTask", []), ("subProcess", [("innerTask", [])])]
    complete(engine, pid, "innerTask")
    assert tree(engine, pid) == [("outerTask", [])]


def test_start_before_joins_the_existing_scope_instance(engine, deploy):
    """startBefore innerTask with one sub-process instance active starts it inside that instance."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], before("innerTask"))
    assert tree(engine, pid) == [
        ("outerTask", []), ("subProcess", [("innerTask", []), ("innerTask", [])])]


def test_ambiguous_ancestor_is_an_engine_error(engine, deploy):
    """Two sub-process instances leave the parent of a new innerTask ambiguous."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], before("subProcess"))
    with pytest.raises(ProcessEngineError, match=r"^Ancestor activity execution is ambiguous for "
                                                 r"activity Activity\(subProcess\)$"):
        modify(engine, definition, [pid], before("innerTask"))


def test_ancestor_selects_the_scope_instance(engine, deploy):
    """With ancestorActivityInstanceId the new token goes into that sub-process instance."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], before("subProcess"))
    with engine.transaction() as session:
        first = instances.load_one(session, pid).instances_of("subProcess")[0].id
        modification.modify_single(session, pid, [before("innerTask", ancestor_activity_instance_id=first)],
                                   skip_io_mappings=False)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        counts = sorted(len(state.children(ai.id)) for ai in state.instances_of("subProcess"))
    assert counts == [1, 2]


def test_ancestor_outside_the_parent_hierarchy_is_rejected(engine, deploy):
    """An ancestor whose scope does not contain the target is Camunda's NotValidException."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    with engine.transaction() as session:
        outer = instances.load_one(session, pid).instances_of("outerTask")[0].id
    with engine.transaction() as session, pytest.raises(NotValidError) as raised:
        modification.modify_single(session, pid, [before("innerTask", ancestor_activity_instance_id=outer)],
                                   skip_io_mappings=False)
    assert raised.value.message == (
        f"Cannot perform instruction: Start before activity 'innerTask' with ancestor activity "
        f"instance '{outer}'; Scope execution for '{outer}' cannot be found in parent hierarchy "
        f"of flow element 'innerTask'")


def test_start_after_and_start_transition_add_tokens(engine, deploy):
    """startAfter theStart and startTransition flow1 each create another theTask."""
    definition = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    pid = start(engine, definition)
    modify(engine, definition, [pid], after("theStart"), transition("flow1"))
    assert tree(engine, pid) == [("theTask", [])] * 3


def test_started_service_task_runs_on(engine):
    """A started service task executes and the token moves on to the next wait state."""
    definition = inline(engine, "process1", SER_USER)
    pid = start(engine, definition)
    modify(engine, definition, [pid], before("ser"))
    assert tree(engine, pid) == [("user", []), ("user", [])]


def test_start_after_errors(engine, deploy):
    """startAfter needs exactly one outgoing flow and a known activity (reference messages)."""
    definition = deploy("parallelGateway")["parallelGateway"]
    pid = start(engine, definition)
    cases = [
        (after("fork"), ProcessEngineError,
         "Cannot start after activity fork; activity has more than one outgoing sequence flow"),
        (after("theEnd1"), ProcessEngineError,
         "Cannot start after activity theEnd1; activity has no outgoing sequence flow to take"),
        (after("nope"), NotValidError,
         "Cannot perform instruction: Start after activity 'nope'; Activity 'nope' does not "
         "exist: activity is null"),
        (before("nope"), NotValidError,
         f"Cannot perform instruction: Start before activity 'nope'; Element 'nope' does not "
         f"exist in process '{definition.id}': element is null"),
        (transition("nope"), NotValidError,
         f"Cannot perform instruction: Start transition 'nope'; Element 'nope' does not exist in "
         f"process '{definition.id}': element is null"),
    ]
    for instruction, kind, message in cases:
        with pytest.raises(kind) as raised:
            modify(engine, definition, [pid], instruction)
        assert raised.value.message == message
    assert tree(engine, pid) == [("task1", []), ("task2", [])]


def test_sync_modification_is_all_or_nothing(engine, deploy):
    """One missing instance fails the whole synchronous call; the others stay unmodified."""
    definition = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    pid = start(engine, definition)
    with pytest.raises(ProcessEngineError) as raised:
        modify(engine, definition, [pid, "missing"], cancel("theTask"))
    assert raised.value.message == ("ENGINE-13036 Process instance 'missing' cannot be modified. "
                                    "The process instance does not exist")
    assert tree(engine, pid) == [("theTask", [])]


def test_instance_of_another_definition_is_refused(engine, deploy):
    """ENGINE-13037 names the instance's definition and the requested one."""
    one = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    other = deploy("parallelGateway")["parallelGateway"]
    pid = start(engine, other)
    with pytest.raises(ProcessEngineError) as raised:
        modify(engine, one, [pid], cancel("task1"))
    assert raised.value.message == (
        f"ENGINE-13037 Process instance '{pid}' cannot be modified. Its process definition "
        f"'{other.id}' does not match given process definition '{one.id}'")


def test_io_mappings_run_unless_skipped(engine, deploy):
    """startBefore task2 runs its input mapping; skipIoMappings leaves the variable out."""
    definition = deploy("ioMapping")["ioMappingProcess"]
    first, second = start(engine, definition), start(engine, definition)
    modify(engine, definition, [first], before("task2"))
    modify(engine, definition, [second], before("task2"), skip_io_mappings=True)
    with engine.transaction() as session:
        names = [sorted(v.name for v in instances.load_one(session, pid).variables.values())
                 for pid in (first, second)]
    assert names == [["inputMappingExecuted"], []]


def test_single_instance_variables_local_and_global(engine, deploy):
    """Local start variables land on the new activity instance, others on the process instance."""
    definition = deploy("exclusiveGateway")["exclusiveGateway"]
    pid = start(engine, definition)
    instruction = before("task2", variables={
        "global": (TypedValue("String", "g"), False), "mine": (TypedValue("Integer", 7), True)})
    with engine.transaction() as session:
        modification.modify_single(session, pid, [instruction], skip_io_mappings=False)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        task2 = state.instances_of("task2")[0].id
        placed = sorted((v.name, v.scope == task2, v.scope is None) for v in state.variables.values())
    assert placed == [("global", False, True), ("mine", True, False)]


def test_single_instance_cancel_by_activity_instance_id(engine, deploy):
    """The single-instance path cancels one activity instance and ends the instance externally."""
    definition = deploy("syncAfterOneTaskProcess")["oneTaskProcess"]
    pid = start(engine, definition)
    with engine.transaction() as session:
        ai = instances.load_one(session, pid).instances_of("theTask")[0].id
        modification.modify_single(session, pid, [Instruction("cancel", activity_instance_id=ai)],
                                   skip_io_mappings=False)
    assert tree(engine, pid) is None
    assert end_state(engine, pid) == "EXTERNALLY_TERMINATED"
