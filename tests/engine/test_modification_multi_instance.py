"""Modification of multi-instance bodies and their inner instances.

Ported, case by case, from Camunda 7's ProcessInstanceModificationMultiInstanceTest: each test
names the Camunda method it follows (parametrized cases carry it as their id). The models are
written here and only follow the structure of Camunda's. Every step runs in its own transaction
and reads the instance back from the database.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from modbatch.engine import batches, instances, modification, tasks
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import Task
from tests.engine.test_behaviours import shape
from tests.engine.test_modification import after, before, cancel, modify
from tests.engine.test_multi_instance import mi_task
from tests.engine.test_runtime import inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")

BODY = "#multiInstanceBody"
SUB = ('<startEvent id="subProcessStart"/><userTask id="subProcessTask"/><endEvent id="subProcessEnd"/>'
       '<sequenceFlow id="s1" sourceRef="subProcessStart" targetRef="subProcessTask"/>'
       '<sequenceFlow id="s2" sourceRef="subProcessTask" targetRef="subProcessEnd"/>')


def around(element: str, *, before_task: bool = True) -> str:
    """theStart -> [beforeTask ->] element -> afterTask -> theEnd."""
    target = element.split('id="')[1].split('"')[0]
    head = ('<startEvent id="theStart"/>'
            + ('<userTask id="beforeTask"/><sequenceFlow id="f1" sourceRef="theStart" targetRef="beforeTask"/>'
               f'<sequenceFlow id="f2" sourceRef="beforeTask" targetRef="{target}"/>' if before_task else
               f'<sequenceFlow id="f1" sourceRef="theStart" targetRef="{target}"/>'))
    return (head + element + '<userTask id="afterTask"/><endEvent id="theEnd"/>'
            f'<sequenceFlow id="f3" sourceRef="{target}" targetRef="afterTask"/>'
            '<sequenceFlow id="f4" sourceRef="afterTask" targetRef="theEnd"/>')


def tasks_model(sequential: bool) -> str:
    return around(mi_task("miTasks", sequential=sequential))


def subprocess_model(sequential: bool) -> str:
    return around(mi_task("miSubProcess", sequential=sequential, tag="subProcess", inner=SUB))


PARALLEL_TASKS, SEQUENTIAL_TASKS = tasks_model(False), tasks_model(True)
PARALLEL_SUBPROCESS, SEQUENTIAL_SUBPROCESS = subprocess_model(False), subprocess_model(True)
PARALLEL_TASKS_COMPLETION_CONDITION = around(
    mi_task("miTasks", condition="${nrOfCompletedInstances == 4}"), before_task=False)
PARALLEL_SUBPROCESS_COMPLETION_CONDITION = around(
    mi_task("miSubProcess", tag="subProcess", inner=SUB, condition="${nrOfCompletedInstances == 4}"),
    before_task=False)
NESTED_PARALLEL_TASKS = around(mi_task(
    "miSubProcess", tag="subProcess",
    inner='<startEvent id="subProcessStart"/>' + mi_task("miTasks") + '<endEvent id="subProcessEnd"/>'
          '<sequenceFlow id="s1" sourceRef="subProcessStart" targetRef="miTasks"/>'
          '<sequenceFlow id="s2" sourceRef="miTasks" targetRef="subProcessEnd"/>'))


# ---------------------------------------------------------------- helpers

def complete_in_order(engine, pid, *keys: str) -> None:
    """Complete any open task of each key in turn, as Camunda's completeTasksInOrder."""
    for key in keys:
        with engine.transaction() as session:
            task_id = session.execute(select(Task.id).where(
                Task.process_instance_id == pid, Task.task_definition_key == key)
                .order_by(Task.created, Task.id)).scalars().first()
            assert task_id is not None, f"task for activity {key} does not exist"
            tasks.complete(session, task_id, {})


def ended(engine, pid) -> bool:
    with engine.transaction() as session:
        return instances.load_one(session, pid) is None


def ids_of(engine, pid, activity_id) -> list[str]:
    with engine.transaction() as session:
        return [ai.id for ai in instances.load_one(session, pid).instances_of(activity_id)]


def seen_from(engine, pid, activity_id) -> list[dict]:
    """The variables each instance of ``activity_id`` sees (Camunda's getVariable on its execution)."""
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return [state.visible_variables(ai.id) for ai in state.instances_of(activity_id)]


def mi_variables(seen: dict) -> tuple:
    return (seen["loopCounter"], seen["nrOfInstances"], seen["nrOfCompletedInstances"],
            seen["nrOfActiveInstances"])


def single(engine, pid, *instructions) -> None:
    with engine.transaction() as session:
        modification.modify_single(session, pid, list(instructions), skip_io_mappings=False)


def started(engine, key, model, *complete):
    definition = inline(engine, key, model)
    pid = start(engine, definition)
    complete_in_order(engine, pid, *complete)
    return definition, pid


def leaf_counts(engine, pid) -> Counter:
    """Activity instances per activity without the bodies: what Camunda's activity statistics count."""
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return Counter(ai.activity_id for ai in state.activity_instances.values()
                       if ai.activity_type != "multiInstanceBody" and ai.activity_type != "subProcess")


TASK3 = [("miTasks", []), ("miTasks", []), ("miTasks", [])]
SUB3 = [("miSubProcess", [("subProcessTask", [])])] * 3


# ---------------------------------------------------------------- start before the body

def test_start_before_multi_instance_body_parallel_tasks(engine):
    """testStartBeforeMultiInstanceBodyParallelTasks: a second body with all its inner instances."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS, "beforeTask")
    modify(engine, d, [pid], before("miTasks" + BODY))
    assert shape(engine, pid) == [("miTasks" + BODY, TASK3), ("miTasks" + BODY, TASK3)]
    complete_in_order(engine, pid, *["miTasks"] * 6, "afterTask", "afterTask")
    assert ended(engine, pid)


def test_start_before_multi_instance_body_parallel_subprocess(engine):
    """testStartBeforeMultiInstanceBodyParallelSubprocess."""
    d, pid = started(engine, "miParallelSubprocess", PARALLEL_SUBPROCESS, "beforeTask")
    modify(engine, d, [pid], before("miSubProcess" + BODY))
    assert shape(engine, pid) == [("miSubProcess" + BODY, SUB3), ("miSubProcess" + BODY, SUB3)]
    complete_in_order(engine, pid, *["subProcessTask"] * 5, "afterTask", "subProcessTask", "afterTask")
    assert ended(engine, pid)


def test_start_inner_activity_parallel_tasks_with_completion_condition(engine):
    """testStartInnerActivityParallelTasksWithCompletionCondition: two extra inner instances; the
    condition (four completed) ends the body with the fifth still open."""
    d, pid = started(engine, "miParallelUserTasksCompletionCondition", PARALLEL_TASKS_COMPLETION_CONDITION)
    modify(engine, d, [pid], before("miTasks"), before("miTasks"))
    assert shape(engine, pid) == [("miTasks" + BODY, TASK3 + [("miTasks", []), ("miTasks", [])])]
    complete_in_order(engine, pid, "miTasks", "miTasks", "miTasks", "miTasks")
    assert shape(engine, pid) == [("afterTask", [])]
    complete_in_order(engine, pid, "afterTask")
    assert ended(engine, pid)


def test_start_inner_activity_parallel_subprocess_with_completion_condition(engine):
    """testStartInnerActivityParallelSubprocessWithCompletionCondition."""
    d, pid = started(engine, "miParallelSubprocessCompletionCondition", PARALLEL_SUBPROCESS_COMPLETION_CONDITION)
    modify(engine, d, [pid], before("miSubProcess"), before("miSubProcess"))
    complete_in_order(engine, pid, *["subProcessTask"] * 4)
    assert shape(engine, pid) == [("afterTask", [])]


def test_start_before_multi_instance_body_sequential_tasks(engine):
    """testStartBeforeMultiInstanceBodySequentialTasks."""
    d, pid = started(engine, "miSequentialUserTasks", SEQUENTIAL_TASKS, "beforeTask")
    modify(engine, d, [pid], before("miTasks" + BODY))
    assert shape(engine, pid) == [("miTasks" + BODY, [("miTasks", [])])] * 2
    complete_in_order(engine, pid, *["miTasks"] * 6, "afterTask", "afterTask")
    assert ended(engine, pid)


def test_start_before_multi_instance_body_sequential_subprocess(engine):
    """testStartBeforeMultiInstanceBodySequentialSubprocess."""
    d, pid = started(engine, "miSequentialSubprocess", SEQUENTIAL_SUBPROCESS, "beforeTask")
    modify(engine, d, [pid], before("miSubProcess" + BODY))
    assert shape(engine, pid) == [("miSubProcess" + BODY, [("miSubProcess", [("subProcessTask", [])])])] * 2
    complete_in_order(engine, pid, *["subProcessTask"] * 6, "afterTask", "afterTask")
    assert ended(engine, pid)


# ---------------------------------------------------------------- start before the inner activity

def test_start_before_inner_activity_parallel_tasks(engine):
    """testStartBeforeInnerActivityParallelTasks: a fourth inner instance, loopCounter 3, the
    body's counters grow to four."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS, "beforeTask")
    [body] = ids_of(engine, pid, "miTasks" + BODY)
    single(engine, pid, before("miTasks", ancestor_activity_instance_id=body))
    seen = seen_from(engine, pid, "miTasks")
    assert sorted(s["loopCounter"] for s in seen) == [0, 1, 2, 3]
    assert {mi_variables(s)[1:] for s in seen} == {(4, 0, 4)}
    assert shape(engine, pid) == [("miTasks" + BODY, TASK3 + [("miTasks", [])])]
    complete_in_order(engine, pid, *["miTasks"] * 4, "afterTask")
    assert ended(engine, pid)


def test_start_before_inner_activity_parallel_subprocess(engine):
    """testStartBeforeInnerActivityParallelSubprocess."""
    d, pid = started(engine, "miParallelSubprocess", PARALLEL_SUBPROCESS, "beforeTask")
    [body] = ids_of(engine, pid, "miSubProcess" + BODY)
    single(engine, pid, before("miSubProcess", ancestor_activity_instance_id=body))
    seen = seen_from(engine, pid, "subProcessTask")
    assert sorted(s["loopCounter"] for s in seen) == [0, 1, 2, 3]
    assert {mi_variables(s)[1:] for s in seen} == {(4, 0, 4)}
    assert shape(engine, pid) == [("miSubProcess" + BODY, SUB3 + SUB3[:1])]
    complete_in_order(engine, pid, *["subProcessTask"] * 4, "afterTask")
    assert ended(engine, pid)


def test_start_before_inner_activity_with_mi_body_parallel_tasks(engine):
    """testStartBeforeInnerActivityWithMiBodyParallelTasks: the body is created around one inner
    instance, counting one."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS)
    modify(engine, d, [pid], before("miTasks"))
    [seen] = seen_from(engine, pid, "miTasks")
    assert mi_variables(seen) == (0, 1, 0, 1)
    assert shape(engine, pid) == [("beforeTask", []), ("miTasks" + BODY, [("miTasks", [])])]
    complete_in_order(engine, pid, "miTasks", "afterTask", "beforeTask", "miTasks", "miTasks", "miTasks",
                      "afterTask")
    assert ended(engine, pid)


@pytest.mark.parametrize(("model", "inner"), [
    pytest.param(PARALLEL_TASKS, "miTasks", id="testStartBeforeInnerActivityWithMiBodyParallelTasksActivityStatistics"),
    pytest.param(PARALLEL_SUBPROCESS, "subProcessTask", id="testStartBeforeInnerActivityWithMiBodyParallelSubprocessActivityStatistics"),
    pytest.param(SEQUENTIAL_TASKS, "miTasks", id="testStartBeforeInnerActivityWithMiBodySequentialTasksActivityStatistics"),
    pytest.param(SEQUENTIAL_SUBPROCESS, "subProcessTask", id="testStartBeforeInnerActivityWithMiBodySequentialSubprocessActivityStatistics"),
])
def test_start_before_inner_activity_with_mi_body_activity_statistics(engine, model, inner):
    """The ...ActivityStatistics cases: one instance of the inner activity beside beforeTask (the
    statistics endpoint itself is another part of issue 8; these are the instances it counts)."""
    d, pid = started(engine, "miStats", model)
    modify(engine, d, [pid], before(inner))
    assert leaf_counts(engine, pid) == Counter({"beforeTask": 1, inner: 1})


def test_start_before_inner_activity_with_mi_body_parallel_subprocess(engine):
    """testStartBeforeInnerActivityWithMiBodyParallelSubprocess."""
    d, pid = started(engine, "miParallelSubprocess", PARALLEL_SUBPROCESS)
    modify(engine, d, [pid], before("subProcessTask"))
    [seen] = seen_from(engine, pid, "subProcessTask")
    assert mi_variables(seen) == (0, 1, 0, 1)
    assert shape(engine, pid) == [("beforeTask", []), ("miSubProcess" + BODY, SUB3[:1])]
    complete_in_order(engine, pid, "subProcessTask", "afterTask", "beforeTask", "subProcessTask",
                      "subProcessTask", "subProcessTask", "afterTask")
    assert ended(engine, pid)


def test_start_before_inner_activity_with_mi_body_set_nr_of_instances_parallel_subprocess(engine):
    """testStartBeforeInnerActivityWithMiBodySetNrOfInstancesParallelSubprocess: nrOfInstances set
    to 3 by the instruction, yet the body joins on its one inner instance."""
    d, pid = started(engine, "miParallelSubprocess", PARALLEL_SUBPROCESS)
    single(engine, pid, before("subProcessTask", variables={"nrOfInstances": (TypedValue("Integer", 3), False)}))
    [seen] = seen_from(engine, pid, "subProcessTask")
    assert mi_variables(seen) == (0, 3, 0, 1)
    assert shape(engine, pid) == [("beforeTask", []), ("miSubProcess" + BODY, SUB3[:1])]
    complete_in_order(engine, pid, "subProcessTask")
    assert shape(engine, pid) == [("afterTask", []), ("beforeTask", [])]
    complete_in_order(engine, pid, "beforeTask", "subProcessTask", "afterTask", "subProcessTask",
                      "subProcessTask", "afterTask")
    assert ended(engine, pid)


@pytest.mark.parametrize(("model", "inner"), [
    pytest.param(SEQUENTIAL_TASKS, "miTasks", id="testStartBeforeInnerActivitySequentialTasks"),
    pytest.param(SEQUENTIAL_SUBPROCESS, "miSubProcess", id="testStartBeforeInnerActivitySequentialSubprocess"),
])
def test_start_before_inner_activity_sequential_fails(engine, model, inner):
    """A running sequential body takes no second inner instance."""
    d, pid = started(engine, "miSequential", model, "beforeTask")
    [body] = ids_of(engine, pid, inner + BODY)
    with pytest.raises(ProcessEngineError) as caught:
        single(engine, pid, before(inner, ancestor_activity_instance_id=body))
    assert f"Concurrent instantiation not possible for activities in scope {inner}{BODY}" in caught.value.message
    assert shape(engine, pid)[0][0] == inner + BODY and len(shape(engine, pid)[0][1]) == 1


def test_start_before_inner_activity_with_mi_body_sequential_tasks(engine):
    """testStartBeforeInnerActivityWithMiBodySequentialTasks."""
    d, pid = started(engine, "miSequentialUserTasks", SEQUENTIAL_TASKS)
    modify(engine, d, [pid], before("miTasks"))
    [seen] = seen_from(engine, pid, "miTasks")
    assert mi_variables(seen) == (0, 1, 0, 1)
    assert shape(engine, pid) == [("beforeTask", []), ("miTasks" + BODY, [("miTasks", [])])]
    complete_in_order(engine, pid, "miTasks", "afterTask", "beforeTask", "miTasks", "miTasks", "miTasks",
                      "afterTask")
    assert ended(engine, pid)


def test_start_before_inner_activity_with_mi_body_sequential_subprocess(engine):
    """testStartBeforeInnerActivityWithMiBodySequentialSubprocess."""
    d, pid = started(engine, "miSequentialSubprocess", SEQUENTIAL_SUBPROCESS)
    modify(engine, d, [pid], before("subProcessTask"))
    [seen] = seen_from(engine, pid, "subProcessTask")
    assert mi_variables(seen) == (0, 1, 0, 1)
    assert shape(engine, pid) == [("beforeTask", []), ("miSubProcess" + BODY, SUB3[:1])]
    complete_in_order(engine, pid, "subProcessTask", "afterTask", "beforeTask", "subProcessTask",
                      "subProcessTask", "subProcessTask", "afterTask")
    assert ended(engine, pid)


def test_start_before_inner_activity_with_mi_body_set_nr_of_instances_sequential_subprocess(engine):
    """testStartBeforeInnerActivityWithMiBodySetNrOfInstancesSequentialSubprocess: the sequential
    body runs on to three instances."""
    d, pid = started(engine, "miSequentialSubprocess", SEQUENTIAL_SUBPROCESS)
    single(engine, pid, before("subProcessTask", variables={"nrOfInstances": (TypedValue("Integer", 3), False)}))
    [seen] = seen_from(engine, pid, "subProcessTask")
    assert mi_variables(seen) == (0, 3, 0, 1)
    complete_in_order(engine, pid, "subProcessTask")
    assert shape(engine, pid) == [("beforeTask", []), ("miSubProcess" + BODY, SUB3[:1])]
    [seen] = seen_from(engine, pid, "subProcessTask")
    assert mi_variables(seen) == (1, 3, 1, 1)
    complete_in_order(engine, pid, "subProcessTask")
    complete_in_order(engine, pid, "subProcessTask", "beforeTask", "subProcessTask", "subProcessTask",
                      "subProcessTask", "afterTask", "afterTask")
    assert ended(engine, pid)


# ---------------------------------------------------------------- cancellation

@pytest.mark.parametrize(("model", "body"), [
    pytest.param(PARALLEL_TASKS, "miTasks", id="testCancelMultiInstanceBodyParallelTasks"),
    pytest.param(PARALLEL_SUBPROCESS, "miSubProcess", id="testCancelMultiInstanceBodyParallelSubprocess"),
    pytest.param(SEQUENTIAL_TASKS, "miTasks", id="testCancelMultiInstanceBodySequentialTasks"),
    pytest.param(SEQUENTIAL_SUBPROCESS, "miSubProcess", id="testCancelMultiInstanceBodySequentialSubprocess"),
])
def test_cancel_multi_instance_body(engine, model, body):
    """Cancelling the body takes every inner instance along and ends the process."""
    d, pid = started(engine, "miCancel", model, "beforeTask")
    modify(engine, d, [pid], cancel(body + BODY))
    assert ended(engine, pid)


def test_cancel_inner_activity_parallel_tasks(engine):
    """testCancelInnerActivityParallelTasks: the other two stay and finish the body."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS, "beforeTask")
    first = ids_of(engine, pid, "miTasks")[0]
    single(engine, pid, Instruction("cancel", activity_instance_id=first))
    assert shape(engine, pid) == [("miTasks" + BODY, TASK3[:2])]
    [seen, _] = seen_from(engine, pid, "miTasks")
    assert mi_variables(seen)[1:] == (3, 0, 2)
    complete_in_order(engine, pid, "miTasks", "miTasks", "afterTask")
    assert ended(engine, pid)


@pytest.mark.parametrize(("model", "key"), [
    pytest.param(PARALLEL_TASKS, "miParallelUserTasks", id="testCancelAllInnerActivityParallelTasks"),
    pytest.param(NESTED_PARALLEL_TASKS, "nestedMiParallelUserTasks", id="testCancelAllInnerActivityNestedParallelTasks"),
    pytest.param(SEQUENTIAL_TASKS, "miSequentialUserTasks", id="testCancelAllInnerActivitySequentialTasks"),
])
def test_cancel_all_inner_activity(engine, model, key):
    """Cancelling every inner instance cancels the bodies they leave empty, and the process ends."""
    d, pid = started(engine, key, model, "beforeTask")
    modify(engine, d, [pid], cancel("miTasks"))
    assert ended(engine, pid)


def test_cancel_inner_activity_parallel_tasks_all_but_one(engine):
    """testCancelInnerActivityParallelTasksAllButOne: the last inner instance keeps its body."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS, "beforeTask")
    first, second, _ = ids_of(engine, pid, "miTasks")
    single(engine, pid, Instruction("cancel", activity_instance_id=first),
           Instruction("cancel", activity_instance_id=second))
    assert shape(engine, pid) == [("miTasks" + BODY, TASK3[:1])]
    complete_in_order(engine, pid, "miTasks", "afterTask")
    assert ended(engine, pid)


def test_cancel_inner_activity_parallel_subprocess(engine):
    """testCancelInnerActivityParallelSubprocess."""
    d, pid = started(engine, "miParallelSubprocess", PARALLEL_SUBPROCESS, "beforeTask")
    first = ids_of(engine, pid, "miSubProcess")[0]
    single(engine, pid, Instruction("cancel", activity_instance_id=first))
    assert shape(engine, pid) == [("miSubProcess" + BODY, SUB3[:2])]
    complete_in_order(engine, pid, "subProcessTask", "subProcessTask", "afterTask")
    assert ended(engine, pid)


@pytest.mark.parametrize(("model", "inner"), [
    pytest.param(SEQUENTIAL_TASKS, "miTasks", id="testCancelInnerActivitySequentialTasks"),
    pytest.param(SEQUENTIAL_SUBPROCESS, "miSubProcess", id="testCancelInnerActivitySequentialSubprocess"),
])
def test_cancel_inner_activity_sequential(engine, model, inner):
    """The only inner instance of a sequential body goes, its body with it: the process ends."""
    d, pid = started(engine, "miSequential", model, "beforeTask")
    [only] = ids_of(engine, pid, inner)
    single(engine, pid, Instruction("cancel", activity_instance_id=only))
    assert ended(engine, pid)


# ---------------------------------------------------------------- beyond Camunda's suite

def test_inner_start_is_ambiguous_with_two_bodies(engine):
    """With two bodies, starting the inner activity needs an ancestor, as for any scope."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS, "beforeTask")
    modify(engine, d, [pid], before("miTasks" + BODY))
    with pytest.raises(ProcessEngineError, match=r"Ancestor activity execution is ambiguous"):
        modify(engine, d, [pid], before("miTasks"))
    second = ids_of(engine, pid, "miTasks" + BODY)[1]
    single(engine, pid, before("miTasks", ancestor_activity_instance_id=second))
    assert sorted(len(children) for _, children in shape(engine, pid)) == [3, 4]


def test_ancestor_selection_in_nested_bodies(engine):
    """Nested bodies: with an inner sub-process instance as ancestor, starting the inner task
    creates a new task body in just that sub-process (every scope between is instantiated)."""
    d, pid = started(engine, "nestedMiParallelUserTasks", NESTED_PARALLEL_TASKS, "beforeTask")
    subs = ids_of(engine, pid, "miSubProcess")
    assert len(subs) == 3 and len(ids_of(engine, pid, "miTasks" + BODY)) == 3
    with pytest.raises(ProcessEngineError, match="Ancestor activity execution is ambiguous"):
        modify(engine, d, [pid], before("miTasks"))
    single(engine, pid, before("miTasks", ancestor_activity_instance_id=subs[1]))
    [tree] = shape(engine, pid)
    assert sorted(len(children) for _, children in tree[1]) == [1, 1, 2]
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        new_body = [ai for ai in state.children(subs[1]) if ai.activity_id == "miTasks" + BODY][-1]
        assert {v.name: v.value.value for v in state.variables.values() if v.scope == new_body.id} == {
            "nrOfInstances": 1, "nrOfActiveInstances": 1, "nrOfCompletedInstances": 0}
    complete_in_order(engine, pid, *["miTasks"] * 10, "afterTask")
    assert ended(engine, pid)


def test_start_after_the_body_takes_its_outgoing_flow(engine):
    """startAfterActivity on the body leaves it (the inner activity has no flows of its own)."""
    d, pid = started(engine, "miParallelUserTasks", PARALLEL_TASKS)
    modify(engine, d, [pid], after("miTasks" + BODY))
    assert shape(engine, pid) == [("afterTask", []), ("beforeTask", [])]
    with pytest.raises(ProcessEngineError, match="activity has no outgoing sequence flow"):
        modify(engine, d, [pid], after("miTasks"))


def test_a_batch_moves_tokens_into_and_out_of_bodies(engine, settings):
    """An executeAsync batch: cancel beforeTask and start the body in three instances."""
    definition = inline(engine, "miBatch", PARALLEL_TASKS)
    pids = [start(engine, definition) for _ in range(3)]
    request = ModificationRequest(
        process_definition_id=definition.id, instructions=[cancel("beforeTask"), before("miTasks" + BODY)],
        instance_ids=pids, skip_custom_listeners=True, skip_io_mappings=False, annotation=None)
    with engine.transaction() as session:
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=definition.deployment_id)
    engine.job_executor.run_until_idle()
    for pid in pids:
        assert shape(engine, pid) == [("miTasks" + BODY, TASK3)]
