"""Every shared model without call activities or decision tables deploys, runs to its wait states
and can be modified in a batch, as ../shared/bpmn/README.md describes each one."""

from __future__ import annotations

import pytest

from modbatch.engine import batches, instances
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.bpmn import parse_bpmn
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import ExternalTask, Job
from tests.conftest import BPMN, model_path
from tests.engine.test_behaviours import rows, shape
from tests.engine.test_runtime import start

# file -> (process key, tree after start, instructions of a batch, tree after the batch)
CASES = {
    "ProcessInstanceModificationTest.doubleNestedSubprocess.bpmn20.xml": (
        "doubleNestedSubprocess", [("subProcess", [("subProcessTask", [])])],
        [("cancel", "subProcessTask"), ("startBeforeActivity", "innerSubProcessTask")],
        [("subProcess", [("innerSubProcess", [("innerSubProcessTask", [])])])]),
    "ProcessInstanceModificationTest.exclusiveGateway.bpmn20.xml": (
        "exclusiveGateway", [("task1", [])],
        [("cancel", "task1"), ("startBeforeActivity", "task2")], [("task2", [])]),
    "ProcessInstanceModificationTest.ioMapping.bpmn20.xml": (
        "ioMappingProcess", [("task1", [])],
        [("cancel", "task1"), ("startBeforeActivity", "task2")], [("task2", [])]),
    "ProcessInstanceModificationTest.listenerProcess.bpmn20.xml": (
        "listenerProcess", [("outerTask", []), ("subProcess", [("innerTask1", []), ("innerTask2", [])])],
        [("cancel", "innerTask1"), ("startBeforeActivity", "afterBoundaryTask1")],
        [("outerTask", []), ("subProcess", [("afterBoundaryTask1", []), ("innerTask2", [])])]),
    "ProcessInstanceModificationTest.nestedParallelOneTaskProcess.bpmn20.xml": (
        "nestedOneTaskProcess", [("outerTask", []), ("subProcess", [("innerTask", [])])],
        [("cancel", "outerTask")], [("subProcess", [("innerTask", [])])]),
    "ProcessInstanceModificationTest.oneScopeTaskProcess.bpmn20.xml": (
        "oneTaskProcess", [("theTask", [])],
        [("startBeforeActivity", "boundaryTimer")], [("afterBoundaryTask", [])]),
    "ProcessInstanceModificationTest.parallelGateway.bpmn20.xml": (
        "parallelGateway", [("task1", []), ("task2", [])],
        [("cancel", "task2"), ("startBeforeActivity", "task1")], [("task1", []), ("task1", [])]),
    "ProcessInstanceModificationTest.subprocess.bpmn20.xml": (
        "subprocess", [("outerTask", [])],
        [("cancel", "outerTask"), ("startBeforeActivity", "innerTask")], [("subProcess", [("innerTask", [])])]),
    "ProcessInstanceModificationTest.syncAfterOneTaskProcess.bpmn20.xml": (
        "oneTaskProcess", [("theTask", [])],
        [("cancel", "theTask"), ("startBeforeActivity", "theTask")], [("theTask", [])]),
    "oneTaskProcess.bpmn20.xml": (
        "oneTaskProcess", [("theTask", [])],
        [("cancel", "theTask"), ("startBeforeActivity", "theTask")], [("theTask", [])]),
    "camunda-bpm-platform__reviewInvoice.bpmn": (
        "ReviewInvoice", [("assignReviewer", [])],
        [("cancel", "assignReviewer"), ("startBeforeActivity", "reviewInvoice")], [("reviewInvoice", [])]),
    "camunda-external-task-client-python3__bpmn_error_example.bpmn": (
        "BPMN_ERROR_EXAMPLE", [("VALIDATE_IMAGE", [])],
        [("cancel", "VALIDATE_IMAGE"), ("startBeforeActivity", "ENHANCE_IMAGE_QUALITY")],
        [("ENHANCE_IMAGE_QUALITY", [])]),
    "camunda-external-task-client-python3__parallel_steps_example.bpmn": (
        "PARALLEL_STEPS_EXAMPLE", [("PARALLEL_STEP_1", []), ("PARALLEL_STEP_2", [])],
        [("cancel", "PARALLEL_STEP_1"), ("cancel", "PARALLEL_STEP_2"), ("startBeforeActivity", "COMBINE_STEP")],
        [("COMBINE_STEP", [])]),
}
NEEDS_STEP_5 = {"camunda-bpm-examples__camunda-testing-job-announcement.bpmn",  # callActivity
                "camunda-bpm-platform__invoice.v2.bpmn"}  # callActivity, decision table
# models with a test of their own below
OWN_TESTS = {"camunda-bpm-examples__loan-granting.bpmn"}


def test_the_cases_cover_every_shared_model():
    """No shared model is left out except those that need call activities or DMN, or have a test of their own."""
    on_disk = {p.name for p in BPMN.glob("*/*") if p.suffix in (".bpmn", ".xml")}
    assert on_disk == set(CASES) | NEEDS_STEP_5 | OWN_TESTS
    for name in NEEDS_STEP_5:
        text = model_path(name).read_text()
        assert "callActivity" in text or "multiInstanceLoopCharacteristics" in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_shared_model_runs_and_is_modified_in_a_batch(engine, deploy, settings, name):
    """Start three instances, check their wait states, move them all with one executeAsync batch."""
    key, waiting, instructions, moved = CASES[name]
    assert [m.id for m in parse_bpmn(model_path(name).read_bytes(), name)] == [key]
    definition = deploy(name)[key]
    pids = [start(engine, definition) for _ in range(3)]
    for pid in pids:
        assert shape(engine, pid) == waiting
    request = ModificationRequest(
        process_definition_id=definition.id,
        instructions=[Instruction(kind, activity_id=activity) for kind, activity in instructions],
        instance_ids=pids, skip_custom_listeners=True, skip_io_mappings=False, annotation=None)
    with engine.transaction() as session:
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=definition.deployment_id)
    engine.job_executor.run_until_idle()
    for pid in pids:
        assert shape(engine, pid) == moved
    externals = sorted({t.activity_id for pid in pids for t in rows(engine, ExternalTask, process_instance_id=pid)})
    assert externals == sorted({a for a, _ in moved if a.isupper()})


def test_loan_granting_runs_its_multi_instance_sub_process_and_is_moved_in_a_batch(engine, deploy, settings,
                                                                                  pinned_clock):
    """loan-granting: a timer start job, a JavaScript input mapping only skipIoMappings gets past,
    a parallel multi-instance sub-process over ${creditScores} with external tasks per score; an
    executeAsync batch moves waiting instances into a new body."""
    name = "camunda-bpm-examples__loan-granting.bpmn"
    definition = deploy(name)["loan_process"]
    [timer] = rows(engine, Job, process_definition_id=definition.id)
    assert (timer.handler_type, timer.handler_configuration) == ("timer-start-event", "StartEvent_1")
    assert timer.due_date > pinned_clock  # not due while the pinned clock stands: the batch runs alone
    scores = {"creditScores": TypedValue("Json", "[3, 7, 9]")}
    with pytest.raises(ProcessEngineError, match="cannot run the javascript script of "
                                                 "camunda:inputParameter 'Input_2rvtuu9'"):
        with engine.transaction() as session:
            instances.start(session, definition, business_key=None, variables=scores)
    with engine.transaction() as session:
        pids = [instances.start(session, definition, business_key=None, variables=scores,
                                skip_io_mappings=True).state.id for _ in range(3)]
    for pid in pids:
        assert shape(engine, pid) == [("Task_1lvjtd4", [])]
    # one instance runs on: its worker completes the credit check
    with engine.transaction() as session:
        [check] = [t for t in rows(engine, ExternalTask, process_instance_id=pids[0])]
        instances.complete_external_task(session, session.get(ExternalTask, check.id),
                                         variables={}, local_variables={})
    body = "SubProcess_16kr5xn#multiInstanceBody"
    by_score = [("SubProcess_16kr5xn", [("Task_0j0sjlk", [])]), ("SubProcess_16kr5xn", [("Task_0v4gadf", [])]),
                ("SubProcess_16kr5xn", [("Task_0v4gadf", [])])]
    assert shape(engine, pids[0]) == [(body, by_score)]
    # the batch moves the other two from the credit check into the multi-instance body
    request = ModificationRequest(
        process_definition_id=definition.id,
        instructions=[Instruction("cancel", activity_id="Task_1lvjtd4"),
                      Instruction("startBeforeActivity", activity_id=body)],
        instance_ids=pids[1:], skip_custom_listeners=True, skip_io_mappings=False, annotation=None)
    with engine.transaction() as session:
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=definition.deployment_id)
    engine.job_executor.run_until_idle()
    for pid in pids:
        assert shape(engine, pid) == [(body, by_score)]
    # the workers finish every inner instance: the body completes and so does the process
    for task in rows(engine, ExternalTask, process_instance_id=pids[1]):
        with engine.transaction() as session:
            instances.complete_external_task(session, session.get(ExternalTask, task.id),
                                             variables={}, local_variables={})
    assert shape(engine, pids[1]) is None
