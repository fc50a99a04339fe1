"""Modification across the element families: transition instances, timers, messages, external
tasks, and the Camunda semantics of outputs, locals and ancestors. Written from Camunda's
ProcessInstanceModificationAsyncTest and ProcessInstanceModificationBoundaryEventTest."""

from __future__ import annotations


import pytest

from modbatch.engine import batches, instances, modification
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.variables import TypedValue
from modbatch.errors import NotValidError
from modbatch.store.tables import EventSubscription, ExternalTask, Job
from tests.engine.test_behaviours import (
    END,
    START,
    boundary_model,
    flow,
    rows,
    run_jobs,
    shape,
    variables,
    with_messages,
)
from tests.engine.test_modification import after, before, cancel, modify, transition
from tests.engine.test_runtime import complete, inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")


ASYNC = flow(START, '<userTask id="task1"/>', '<userTask id="task2" camunda:asyncBefore="true"/>', END)


def single(engine, pid, *instructions, skip_io_mappings=False):
    with engine.transaction() as session:
        modification.modify_single(session, pid, list(instructions), skip_io_mappings=skip_io_mappings)


def transition_ids(engine, pid, activity_id):
    with engine.transaction() as session:
        return [ai.id for ai in instances.load_one(session, pid).instances_of(activity_id, transitions=True)]


def test_start_before_an_async_activity_creates_a_transition_instance(engine):
    """startBeforeActivity on an asyncBefore task makes a job, not a task."""
    d = inline(engine, "mab", ASYNC)
    pid = start(engine, d)
    modify(engine, d, [pid], before("task2"))
    assert shape(engine, pid) == [("task1", []), ("transition:task2", [])]
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.activity_id == "task2"
    run_jobs(engine)
    assert shape(engine, pid) == [("task1", []), ("task2", [])]


def test_start_transition_into_an_async_target_waits_in_a_job(engine):
    """startTransition on the flow into task2 ends up in task2's async continuation."""
    d = inline(engine, "mst", ASYNC)
    pid = start(engine, d)
    modify(engine, d, [pid], cancel("task1"), transition("f2"))
    assert shape(engine, pid) == [("transition:task2", [])]


def test_cancel_a_transition_instance_by_id_removes_its_job(engine):
    """cancel with transitionInstanceId removes the transition instance and its job."""
    d = inline(engine, "mct", ASYNC)
    pid = start(engine, d)
    complete(engine, pid, "task1")
    (tid,) = transition_ids(engine, pid, "task2")
    single(engine, pid, Instruction("startBeforeActivity", activity_id="task1"),
           Instruction("cancel", transition_instance_id=tid))
    assert shape(engine, pid) == [("task1", [])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_cancel_of_an_unknown_transition_instance_names_it(engine):
    """An activity instance id given as transitionInstanceId is not a transition instance."""
    d = inline(engine, "mcu", ASYNC)
    pid = start(engine, d)
    with engine.transaction() as session:
        (task1,) = [ai.id for ai in instances.load_one(session, pid).instances_of("task1")]
    with pytest.raises(NotValidError, match=f"Transition instance '{task1}' does not exist"):
        single(engine, pid, Instruction("cancel", transition_instance_id=task1))


def test_cancel_by_activity_id_takes_transition_instances_along(engine):
    """cancel activityId cancels the activity's transition instances too; the instance ends."""
    d = inline(engine, "mca", ASYNC)
    pid = start(engine, d)
    complete(engine, pid, "task1")
    modify(engine, d, [pid], cancel("task2"))
    assert shape(engine, pid) is None
    assert rows(engine, Job, process_instance_id=pid) == []


def test_cancel_current_active_instances_includes_transition_instances(engine):
    """The flag snapshots transition instances too, so a new one started after it survives."""
    d = inline(engine, "mcc", ASYNC)
    pid = start(engine, d)
    complete(engine, pid, "task1")
    modify(engine, d, [pid], before("task2"), cancel("task2", flag=True))
    assert shape(engine, pid) == [("transition:task2", [])]
    assert len(rows(engine, Job, process_instance_id=pid)) == 1


def test_start_before_a_task_with_a_boundary_timer_schedules_it(engine):
    """Entering the host by modification creates its timer; cancelling removes it."""
    d = inline(engine, "mbt", boundary_model("true", "<timerEventDefinition><timeDuration>PT1H"
                                                     "</timeDuration></timerEventDefinition>"))
    pid = start(engine, d)
    modify(engine, d, [pid], before("task"))
    assert len(rows(engine, Job, process_instance_id=pid)) == 2
    modify(engine, d, [pid], cancel("task"), before("escalated"))
    assert rows(engine, Job, process_instance_id=pid) == []
    assert shape(engine, pid) == [("escalated", [])]


def test_start_before_an_interrupting_boundary_event_cancels_its_host(engine):
    """Starting before the boundary event interrupts the task it is attached to."""
    d = inline(engine, "mbe", boundary_model("true", "<timerEventDefinition><timeDuration>PT1H"
                                                     "</timeDuration></timerEventDefinition>"))
    pid = start(engine, d)
    modify(engine, d, [pid], before("b"))
    assert shape(engine, pid) == [("escalated", [])]


def test_start_before_a_receive_task_subscribes_to_its_message(engine):
    """A receive task started by modification waits for its message like any other."""
    d = with_messages(engine, "mrt", flow(START, '<userTask id="u"/>', '<receiveTask id="rt" messageRef="m1"/>',
                                          END))
    pid = start(engine, d)
    modify(engine, d, [pid], cancel("u"), before("rt"))
    (sub,) = rows(engine, EventSubscription, process_instance_id=pid)
    assert (sub.event_name, sub.activity_id) == ("paid", "rt")
    modify(engine, d, [pid], before("u"), cancel("rt"))
    assert rows(engine, EventSubscription, process_instance_id=pid) == []


def test_move_a_token_out_of_an_external_task(engine):
    """Cancelling an external task's activity removes the external task."""
    d = inline(engine, "mext", flow(START, '<serviceTask id="ext" camunda:type="external" camunda:topic="t"/>',
                                    '<userTask id="u"/>', END))
    pid = start(engine, d)
    assert len(rows(engine, ExternalTask, process_instance_id=pid)) == 1
    modify(engine, d, [pid], cancel("ext"), before("u"))
    assert rows(engine, ExternalTask, process_instance_id=pid) == []
    modify(engine, d, [pid], after("u"))
    assert shape(engine, pid) == [("u", [])]


IO = ('<userTask id="t"><extensionElements><camunda:inputOutput>'
      '<camunda:inputParameter name="local">${7}</camunda:inputParameter>'
      '<camunda:outputParameter name="copied">${local}</camunda:outputParameter>'
      '</camunda:inputOutput></extensionElements></userTask>')


def test_cancelling_an_activity_runs_its_output_mappings(engine):
    """As Camunda's ExecutionEntity#destroy: cancel writes the outputs, unless skipIoMappings."""
    d = inline(engine, "mout", flow(START, IO, '<userTask id="next"/>', END))
    pid = start(engine, d)
    modify(engine, d, [pid], cancel("t"), before("next"))
    assert variables(engine, pid) == {"copied": 7}
    pid2 = start(engine, d)
    modify(engine, d, [pid2], cancel("t"), before("next"), skip_io_mappings=True)
    assert variables(engine, pid2) == {}


def test_local_variables_land_on_the_innermost_instantiated_scope(engine, deploy):
    """Starting innerTask creates subProcess; local variables go to the sub-process instance."""
    definition = deploy("subprocess")["subprocess"]
    pid = start(engine, definition)
    instruction = before("innerTask", variables={"v": (TypedValue("String", "x"), True)})
    single(engine, pid, instruction)
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        (sub,) = state.instances_of("subProcess")
        assert [(v.name, v.scope) for v in state.variables.values()] == [("v", sub.id)]


def test_start_after_with_a_foreign_ancestor_names_the_outgoing_flow(engine, deploy):
    """startAfterActivity's ancestor error names the flow it would take, as Camunda does."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    pid = start(engine, definition)
    with engine.transaction() as session:
        outer = instances.load_one(session, pid).instances_of("outerTask")[0].id
    with pytest.raises(NotValidError, match=f"Scope execution for '{outer}' cannot be found in parent "
                                            r"hierarchy of flow element 'flow6'"):
        single(engine, pid, Instruction("startAfterActivity", activity_id="innerTask",
                                        ancestor_activity_instance_id=outer))


def test_batch_moves_instances_out_of_async_jobs_timers_messages_and_external_tasks(engine, settings):
    """One executeAsync batch cancels every kind of wait state and starts a user task instead."""
    body = (START + '<sequenceFlow id="a" sourceRef="start" targetRef="fork"/><parallelGateway id="fork"/>'
            '<sequenceFlow id="b" sourceRef="fork" targetRef="asyncTask"/>'
            '<userTask id="asyncTask" camunda:asyncBefore="true"/>'
            '<sequenceFlow id="c" sourceRef="fork" targetRef="timer"/><intermediateCatchEvent id="timer">'
            '<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>'
            '</intermediateCatchEvent>'
            '<sequenceFlow id="d" sourceRef="fork" targetRef="msg"/><intermediateCatchEvent id="msg">'
            '<messageEventDefinition messageRef="m1"/></intermediateCatchEvent>'
            '<sequenceFlow id="e" sourceRef="fork" targetRef="ext"/>'
            '<serviceTask id="ext" camunda:type="external" camunda:topic="work"/>'
            '<userTask id="review"/>')
    d = with_messages(engine, "mbatch", body)
    pids = [start(engine, d) for _ in range(5)]
    assert shape(engine, pids[0]) == [("ext", []), ("msg", []), ("timer", []), ("transition:asyncTask", [])]
    instructions = [Instruction("cancel", activity_id=a) for a in ("asyncTask", "timer", "msg", "ext")]
    instructions.append(Instruction("startBeforeActivity", activity_id="review"))
    with engine.transaction() as session:
        request = ModificationRequest(process_definition_id=d.id, instructions=instructions,
                                      instance_ids=pids, skip_custom_listeners=False, skip_io_mappings=False,
                                      annotation=None)
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=d.deployment_id)
    run_jobs(engine)
    for pid in pids:
        assert shape(engine, pid) == [("review", [])]
        for table in (Job, EventSubscription, ExternalTask):
            assert rows(engine, table, process_instance_id=pid) == []
