"""Every shared model deploys, runs to its wait states and can be modified in a batch, as
../shared/bpmn/README.md describes each one; those with call activities call processes of their
own deployment or a stand-in of ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlalchemy import select

from modbatch.engine import batches, decisions, instances, modification, repository, tasks
from modbatch.engine.bpmn import parse_bpmn
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.runtime import Runtime, UnsupportedImplementation, new_instance
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import ExternalTask, Job, Task
from tests.conftest import BPMN, model_path
from tests.engine.test_behaviours import rows, shape
from tests.engine.test_runtime import complete, history_state, start

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
JOB_ANNOUNCEMENT = "camunda-bpm-examples__camunda-testing-job-announcement.bpmn"
INVOICE, REVIEW = "camunda-bpm-platform__invoice.v2.bpmn", "camunda-bpm-platform__reviewInvoice.bpmn"
# models with a test of their own below (the called processes of job-announcement are ours)
OWN_TESTS = {"camunda-bpm-examples__loan-granting.bpmn", JOB_ANNOUNCEMENT, INVOICE}


# variables a model's expressions need on the way (reviewInvoice's camunda:assignee="${reviewer}")
START_VARIABLES = {"camunda-bpm-platform__reviewInvoice.bpmn": {"reviewer": "demo"}}


def test_the_cases_cover_every_shared_model():
    """No shared model is left out: each is a case or has a test of its own."""
    on_disk = {p.name for p in BPMN.glob("*/*") if p.suffix in (".bpmn", ".xml")}
    assert on_disk == set(CASES) | OWN_TESTS


@pytest.mark.parametrize("name", sorted(CASES))
def test_shared_model_runs_and_is_modified_in_a_batch(engine, deploy, settings, name):
    """Start three instances, check their wait states, move them all with one executeAsync batch."""
    key, waiting, instructions, moved = CASES[name]
    assert [m.id for m in parse_bpmn(model_path(name).read_bytes(), name)] == [key]
    definition = deploy(name)[key]
    pids = [start(engine, definition, **START_VARIABLES.get(name, {})) for _ in range(3)]
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
    """loan-granting: a timer start job, a JavaScript input mapping that sets defaultScore,
    a parallel multi-instance sub-process over ${creditScores} with external tasks per score; an
    executeAsync batch moves waiting instances into a new body."""
    name = "camunda-bpm-examples__loan-granting.bpmn"
    definition = deploy(name)["loan_process"]
    [timer] = rows(engine, Job, process_definition_id=definition.id)
    assert (timer.handler_type, timer.handler_configuration) == ("timer-start-event", "StartEvent_1")
    assert timer.due_date > pinned_clock  # not due while the pinned clock stands: the batch runs alone
    scores = {"creditScores": TypedValue("Json", "[3, 7, 9]")}
    with engine.transaction() as session:
        pids = [instances.start(session, definition, business_key=None, variables=scores).state.id
                for _ in range(3)]
    for pid in pids:
        assert shape(engine, pid) == [("Task_1lvjtd4", [])]
        # the input script's execution.setVariable lands on the process instance; the parameter
        # itself is the script's last value (undefined: null), local to the credit check
        with engine.transaction() as session:
            assert {k: v.value for k, v in instances.variables(session, pid).items()} == {
                "creditScores": "[3, 7, 9]", "defaultScore": 5}
            state = instances.load_one(session, pid)
            (check,) = [ai for ai in state.activity_instances.values() if ai.activity_id == "Task_1lvjtd4"]
            assert {k: v.value for k, v in state.local_variables(check.id).items()} == {"Input_2rvtuu9": None}
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


# the publication process job-announcement calls is not in the shared models: a stand-in of ours
PUBLICATION = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
<process id="camunda-testing-job-announcement-publication" isExecutable="true">
<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="post"/><userTask id="post"/>
<sequenceFlow id="f2" sourceRef="post" targetRef="e"/><endEvent id="e"/></process></definitions>"""


def test_job_announcement_runs_calls_its_publication_and_is_moved_in_a_batch(engine, deploy, settings):
    """Three instances wait at edit; one executeAsync batch moves them onto the call activity, which
    starts a publication sub-instance each with the camunda:in variables; after publication the
    token reaches the bean-calling mail task, which fails as Java-only code does."""
    definition = deploy(JOB_ANNOUNCEMENT)["camunda-testing-job-announcement"]
    with engine.transaction() as session:
        repository.deploy(session, name="publication", source=None, tenant_id=None,
                          resources=[("publication.bpmn", PUBLICATION.encode())], max_resource_bytes=1 << 20)
    pids = []
    for number in range(3):
        with engine.transaction() as session:
            pids.append(instances.start(session, definition, business_key=None, variables={
                "jobAnnouncementId": TypedValue("Long", number), "facebook": TypedValue("Boolean", True),
                "twitter": TypedValue("Boolean", False)}).state.id)
    for pid in pids:
        assert shape(engine, pid) == [("edit", [])]
    request = ModificationRequest(
        process_definition_id=definition.id,
        instructions=[Instruction("cancel", activity_id="edit"),
                      Instruction("startBeforeActivity", activity_id="publication")],
        instance_ids=pids, skip_custom_listeners=True, skip_io_mappings=False, annotation=None)
    with engine.transaction() as session:
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=definition.deployment_id)
    engine.job_executor.run_until_idle()
    for number, pid in enumerate(pids):
        assert shape(engine, pid) == [("publication", [])]
        with engine.transaction() as session:
            (sub,) = instances.find(session, {"superProcessInstance": pid})
            values = {k: v.value for k, v in instances.variables(session, sub.id).items()}
        assert values == {"jobAnnouncementId": number, "facebook": True, "twitter": False}
        assert shape(engine, sub.id) == [("post", [])]
    with pytest.raises(UnsupportedImplementation) as caught:
        complete(engine, sub.id, "post")
    assert "camunda:expression '#{jobAnnouncementService.notifyAboutPostings(jobAnnouncementId)}'" \
        in caught.value.message
    assert shape(engine, sub.id) == [("post", [])]  # nothing changed


def test_invoice_review_call_activity_reached_by_modification(engine, deploy, settings):
    """invoice.v2's reviewInvoice call activity, reached by instantiating at it (the decision and the
    JavaScript task listener of approveInvoice skipped, as startBeforeActivity with skipCustomListeners
    does in Camunda): it calls ReviewInvoice with the camunda:in variables; a batch moves the called
    instances to their second task; completing them maps clarified back: not clarified ends the invoice,
    clarified leads back to approveInvoice, whose JavaScript create listener assigns the task to the
    approver (and whose assignment listener runs)."""
    definitions = deploy(INVOICE, REVIEW)
    invoice = definitions["invoice"]
    pids = []
    for number in range(3):
        with engine.transaction() as session:
            state = new_instance(repository.model_for(session, invoice), process_definition_id=invoice.id,
                                 business_key=f"inv-{number}", tenant_id=None)
            decisions.hand_to(session, [state])
            Runtime(state).set_variable("invoiceNumber", TypedValue("String", f"INV-{number}"), state.id)
            Runtime(state).set_variable("amount", TypedValue("Double", 30.0), state.id)
            Runtime(state).set_variable("approver", TypedValue("String", "demo"), state.id)
            modification.modify(state, [Instruction("startBeforeActivity", activity_id="reviewInvoice")],
                                skip_custom_listeners=True)
            instances.save(session, [state])
            pids.append(state.id)
    subs = []
    for number, pid in enumerate(pids):
        assert shape(engine, pid) == [("reviewInvoice", [])]
        with engine.transaction() as session:
            (sub,) = instances.find(session, {"superProcessInstance": pid})
            values = {k: v.value for k, v in instances.variables(session, sub.id).items()}
        assert values == {"invoiceNumber": f"INV-{number}", "amount": 30.0, "invoiceDocument": None,
                          "creditor": None, "invoiceCategory": None}
        assert shape(engine, sub.id) == [("assignReviewer", [])]
        subs.append(sub.id)
    for sub in subs:  # assignReviewer's form would set the reviewer that reviewInvoice's assignee names
        with engine.transaction() as session:
            state = instances.load_one(session, sub)
            Runtime(state).set_variable("reviewer", TypedValue("String", "mary"), state.id)
            instances.save(session, [state])
    review = definitions["ReviewInvoice"]
    request = ModificationRequest(
        process_definition_id=review.id,
        instructions=[Instruction("cancel", activity_id="assignReviewer"),
                      Instruction("startBeforeActivity", activity_id="reviewInvoice")],
        instance_ids=subs, skip_custom_listeners=True, skip_io_mappings=False, annotation=None)
    with engine.transaction() as session:
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=review.deployment_id)
    engine.job_executor.run_until_idle()
    task_ids = []
    for sub in subs:
        assert shape(engine, sub) == [("reviewInvoice", [])]
        with engine.transaction() as session:
            task = session.execute(select(Task).where(Task.process_instance_id == sub)).scalar_one()
            assert task.assignee == "mary"  # camunda:assignee="${reviewer}"
            task_ids.append(task.id)
    for sub, pid, task_id in zip(subs[:2], pids, task_ids):
        with engine.transaction() as session:
            tasks.complete(session, task_id, {"clarified": TypedValue("Boolean", False)})
        assert shape(engine, sub) is None
        assert shape(engine, pid) is None  # invoiceNotProcessed ended the invoice
        assert history_state(engine, pid) == "COMPLETED"
    with engine.transaction() as session:
        tasks.complete(session, task_ids[2], {"clarified": TypedValue("Boolean", True)})
    assert shape(engine, subs[2]) is None
    assert shape(engine, pids[2]) == [("approveInvoice", [])]
    (task,) = rows(engine, Task, process_instance_id=pids[2])
    assert (task.task_definition_key, task.assignee) == ("approveInvoice", "demo")


def test_invoice_runs_from_its_start_event_and_is_moved_in_a_batch(engine, settings):
    """invoice.v2 with its decision table (ours: tests/dmn/invoice-assign-approver.dmn) and
    reviewInvoice: started from the start event, the decision assigns approver groups and the
    JavaScript listeners of approveInvoice run; a batch moves every invoice from approveInvoice into
    the reviewInvoice call activity, which starts one ReviewInvoice instance per invoice."""
    approvers = Path(__file__).resolve().parents[1] / "dmn" / "invoice-assign-approver.dmn"
    resources = [(model_path(n).name, model_path(n).read_bytes()) for n in (INVOICE, REVIEW)]
    resources.append((approvers.name, approvers.read_bytes()))
    with engine.transaction() as session:
        result = repository.deploy(session, name="invoice", source=None, tenant_id=None,
                                   resources=resources, max_resource_bytes=10 * 1024 * 1024)
        definitions = {d.key: d for d in result.definitions}
    invoice = definitions["invoice"]
    pids = []
    for n in range(4):
        with engine.transaction() as session:
            pids.append(instances.start(session, invoice, business_key=f"inv-{n}", variables={
                "amount": TypedValue("Double", 30.0 + n),
                "invoiceCategory": TypedValue("String", "Misc"),
                "invoiceNumber": TypedValue("String", f"INV-{n}"),
                "reviewer": TypedValue("String", "mary")}).state.id)
    for pid in pids:
        assert shape(engine, pid) == [("approveInvoice", [])]
    request = ModificationRequest(
        process_definition_id=invoice.id,
        instructions=[Instruction("cancel", activity_id="approveInvoice"),
                      Instruction("startBeforeActivity", activity_id="reviewInvoice")],
        instance_ids=pids, skip_custom_listeners=False, skip_io_mappings=False, annotation=None)
    with engine.transaction() as session:
        batches.create_modification_batch(session, request, settings, tenant_id=None,
                                          deployment_id=invoice.deployment_id)
    engine.job_executor.run_until_idle()
    for n, pid in enumerate(pids):
        assert shape(engine, pid) == [("reviewInvoice", [])]
        with engine.transaction() as session:
            (called,) = instances.find(session, {"superProcessInstance": pid})
            values = {k: v.value for k, v in instances.variables(session, called.id).items()}
        assert (values["invoiceNumber"], values["amount"]) == (f"INV-{n}", 30.0 + n)
        assert shape(engine, called.id) == [("assignReviewer", [])]
