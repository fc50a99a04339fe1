"""Business rule tasks with camunda:decisionRef, through the database: every step reloads the
instance, and the decision is resolved from the deployed decision definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from modbatch.engine import instances, repository
from modbatch.engine.decisions import hand_to
from modbatch.engine.dmn import DecisionError
from modbatch.engine.repository import model_for
from modbatch.engine.runtime import Runtime, new_instance
from modbatch.engine.variables import TypedValue
from modbatch.errors import NotFoundError, ParseError
from modbatch.store.tables import Incident, Job, Task
from tests.conftest import model_path
from tests.engine.test_behaviours import END, START, flow, rows, run_jobs, shape, variables
from tests.engine.test_dmn import table_xml
from tests.engine.test_modification import before, cancel, modify
from tests.engine.test_runtime import BPMN_NS, complete, start, tree

APPROVERS = Path(__file__).resolve().parents[1] / "dmn" / "invoice-assign-approver.dmn"
GRADES = table_xml([(["&lt; 50"], ['"low"']), (["[50..100]"], ['"mid"']),
                    (["&gt; 100"], ['"high"'])], key="grade", outputs=[("grade", "string")])


def process(key: str, body: str) -> bytes:
    return (f'<definitions {BPMN_NS} targetNamespace="t"><process id="{key}" isExecutable="true">'
            f'{body}</process></definitions>').encode()


def deploy(engine, *resources: tuple[str, bytes | str], name: str = "decisions"):
    """One deployment of BPMN and DMN resources; answers (process definitions by key, decisions)."""
    with engine.transaction() as session:
        result = repository.deploy(
            session, name=name, source=None, tenant_id=None,
            resources=[(n, c.encode() if isinstance(c, str) else c) for n, c in resources],
            max_resource_bytes=1 << 22)
        return ({d.key: d for d in result.definitions or []},
                {d.key: d for d in result.decision_definitions or []})


def rule_task(attributes: str) -> str:
    return f'<businessRuleTask id="decide" camunda:decisionRef="grade" {attributes}/>'


def graded(engine, attributes: str, **start_variables):
    """Deploy a process start -> decide -> wait with GRADES and start it; answers its variables."""
    definitions, _ = deploy(engine, ("grade.dmn", GRADES), ("p.bpmn", process(
        "p", flow(START, rule_task(attributes), '<userTask id="wait"/>', END))))
    pid = start(engine, definitions["p"], **start_variables)
    assert tree(engine, pid) == [("wait", [])]
    return variables(engine, pid)


def invoice_v2() -> bytes:
    return model_path("camunda-bpm-platform__invoice.v2.bpmn").read_bytes()


@pytest.mark.parametrize("category,amount,groups,approver", [
    ("Misc", 30.0, '["accounting"]', None),
    ("Misc", 9000.0, '["accounting","management"]', "demo"),
    ("Travel Expenses", 120.0, '["sales"]', None),
])
def test_invoice_v2_assigns_approver_groups_before_approval(engine, category, amount, groups, approver):
    """invoice.v2's assignApprover evaluates invoice-assign-approver (collectEntries) and the token
    waits in approveInvoice with the groups in approverGroups; its JavaScript task listeners run:
    with an approver, the task is assigned to them (and the assignment listener keeps approver)."""
    definitions, decisions = deploy(engine, ("invoice.v2.bpmn", invoice_v2()),
                                    (APPROVERS.name, APPROVERS.read_bytes()))
    assert list(decisions) == ["invoice-assign-approver"]
    with engine.transaction() as session:
        state = new_instance(model_for(session, definitions["invoice"]),
                             process_definition_id=definitions["invoice"].id,
                             business_key="inv-1", tenant_id=None)
        hand_to(session, [state])
        given = {"amount": TypedValue("Double", amount), "invoiceCategory": TypedValue("String", category)}
        if approver is not None:
            given["approver"] = TypedValue("String", approver)
        Runtime(state).start(given)
        instances.save(session, [state])
        pid = state.id
    assert tree(engine, pid) == [("approveInvoice", [])]
    assert variables(engine, pid)["approverGroups"] == groups
    assert variables(engine, pid).get("approver") == approver
    (task,) = rows(engine, Task, process_instance_id=pid)
    assert (task.task_definition_key, task.assignee) == ("approveInvoice", approver)


def test_map_decision_result_single_entry_keeps_the_typed_value(engine):
    """singleEntry stores the one output's typed value."""
    assert graded(engine, 'camunda:resultVariable="grade" camunda:mapDecisionResult="singleEntry"',
                  amount=70)["grade"] == "mid"


def test_map_decision_result_single_result_and_result_list(engine):
    """singleResult stores the rule's entry map, resultList (the default) the list of them."""
    single = graded(engine, 'camunda:resultVariable="r" camunda:mapDecisionResult="singleResult"',
                    amount=10)
    assert single["r"] == '{"grade":"low"}'
    listed = graded(engine, 'camunda:resultVariable="r"', amount=500)
    assert listed["r"] == '[{"grade":"high"}]'


def test_without_result_variable_nothing_is_stored(engine):
    """Without camunda:resultVariable the decision runs and no variable is written."""
    assert graded(engine, "", amount=5) == {"amount": 5}


def test_decision_result_routes_a_gateway_and_runs_after_a_wait_state(engine):
    """Evaluated when the token arrives after a completed user task (reloaded), the result
    chooses the gateway's flow."""
    body = (START + '<sequenceFlow id="f0" sourceRef="start" targetRef="enter"/><userTask id="enter"/>'
            '<sequenceFlow id="f1" sourceRef="enter" targetRef="decide"/>'
            + rule_task('camunda:resultVariable="grade" camunda:mapDecisionResult="singleEntry"')
            + '<sequenceFlow id="f2" sourceRef="decide" targetRef="gw"/><exclusiveGateway id="gw"/>'
            '<sequenceFlow id="high" sourceRef="gw" targetRef="escalate">'
            '<conditionExpression>${grade == "high"}</conditionExpression></sequenceFlow>'
            '<sequenceFlow id="other" sourceRef="gw" targetRef="file">'
            '<conditionExpression>${grade != "high"}</conditionExpression></sequenceFlow>'
            '<userTask id="escalate"/><userTask id="file"/>')
    definitions, _ = deploy(engine, ("grade.dmn", GRADES), ("p.bpmn", process("p", body)))
    pid = start(engine, definitions["p"])
    assert tree(engine, pid) == [("enter", [])]
    complete(engine, pid, "enter", amount=700)
    assert tree(engine, pid) == [("escalate", [])]
    assert variables(engine, pid)["grade"] == "high"


def test_bindings_choose_the_decision_version(engine):
    """latest takes the newest version, deployment the one deployed with the process, version and
    versionTag the one they name."""
    v1 = table_xml([(["-"], ['"one"'])], key="grade", outputs=[("grade", "string")],
                   extra=' camunda:versionTag="first"')
    v2 = table_xml([(["-"], ['"two"'])], key="grade", outputs=[("grade", "string")])
    tasks = "".join(
        f'<businessRuleTask id="{binding}" camunda:decisionRef="grade" '
        f'camunda:decisionRefBinding="{binding}" {extra} camunda:resultVariable="{binding}" '
        'camunda:mapDecisionResult="singleEntry"/>'
        for binding, extra in (("latest", ""), ("deployment", ""),
                               ("version", 'camunda:decisionRefVersion="${wanted}"'),
                               ("versionTag", 'camunda:decisionRefVersionTag="first"')))
    ids = ["start", "latest", "deployment", "version", "versionTag", "wait"]
    flows = "".join(f'<sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                    for i, (a, b) in enumerate(zip(ids, ids[1:])))
    definitions, _ = deploy(engine, ("grade.dmn", v1), ("p.bpmn", process(
        "p", START + tasks + '<userTask id="wait"/>' + flows)))
    deploy(engine, ("grade.dmn", v2), name="newer")
    pid = start(engine, definitions["p"], wanted=1, amount=0)
    assert variables(engine, pid) == {"wanted": 1, "amount": 0, "latest": "two", "deployment": "one",
                                      "version": "one", "versionTag": "one"}


def test_decision_ref_may_be_an_expression(engine):
    """camunda:decisionRef="${table}" names the decision through a variable."""
    definitions, _ = deploy(engine, ("grade.dmn", GRADES), ("p.bpmn", process("p", flow(
        START, '<businessRuleTask id="decide" camunda:decisionRef="${table}" '
               'camunda:resultVariable="g" camunda:mapDecisionResult="singleEntry"/>',
        '<userTask id="wait"/>'))))
    pid = start(engine, definitions["p"], table="grade", amount=1)
    assert variables(engine, pid)["g"] == "low"


def test_missing_decision_fails_the_start(engine):
    """A decisionRef no deployed decision answers: Camunda's NotFoundException, nothing is started."""
    definitions, _ = deploy(engine, ("p.bpmn", process("p", flow(
        START, '<businessRuleTask id="decide" camunda:decisionRef="nothing"/>', END))))
    with pytest.raises(NotFoundError) as caught:
        start(engine, definitions["p"])
    assert caught.value.message == "no decision definition deployed with key 'nothing'"
    assert caught.value.status == 400


def test_failing_decision_fails_the_step_with_camundas_message(engine):
    """A decision that cannot decide (two UNIQUE matches) fails the start with DMN-03001 (400)."""
    clash = table_xml([(["-"], ['"a"']), (["-"], ['"b"'])], key="grade")
    definitions, _ = deploy(engine, ("grade.dmn", clash), ("p.bpmn", process("p", flow(
        START, rule_task(""), END))))
    with pytest.raises(DecisionError) as caught:
        start(engine, definitions["p"], amount=1)
    assert caught.value.message.startswith("DMN-03001 Hit policy 'UNIQUE'")
    assert caught.value.status == 400


@pytest.mark.parametrize("attributes,message", [
    ('camunda:mapDecisionResult="everything"', "No decision result mapper found for name "
     "'everything'. Supported mappers are 'singleEntry', 'singleResult', 'collectEntries' and "
     "'resultList'."),
    ('camunda:decisionRefBinding="version"', "Missing attribute 'decisionRefVersion' when "
     "'decisionRefBinding' has value 'version' on 'businessRuleTask' with id 'decide' at line 1"),
    ('camunda:decisionRefBinding="sometimes"', "Invalid camunda:decisionRefBinding 'sometimes' on "
     "'businessRuleTask' with id 'decide' at line 1: one of latest, deployment, version, versionTag"),
])
def test_decision_ref_attributes_are_checked_at_deployment(engine, attributes, message):
    """Unknown mappers and bindings, and a version binding without a version, are parse errors."""
    with pytest.raises(ParseError) as caught:
        deploy(engine, ("p.bpmn", process("p", flow(START, rule_task(attributes), END))))
    assert caught.value.message == message


def test_start_before_a_business_rule_task_evaluates_its_decision(engine):
    """Modification: startBeforeActivity on the task (reloaded instance) evaluates the decision
    with the instance's current variables and moves on to the next wait state."""
    body = flow(START, '<userTask id="first"/>',
                rule_task('camunda:resultVariable="grade" camunda:mapDecisionResult="singleEntry"'),
                '<userTask id="wait"/>', END)
    definitions, _ = deploy(engine, ("grade.dmn", GRADES), ("p.bpmn", process("p", body)))
    pids = [start(engine, definitions["p"], amount=amount) for amount in (10, 500)]
    modify(engine, definitions["p"], pids, cancel("first"), before("decide"))
    assert [tree(engine, pid) for pid in pids] == [[("wait", [])], [("wait", [])]]
    assert [variables(engine, pid)["grade"] for pid in pids] == ["low", "high"]


def test_failing_decision_behind_async_before_fails_its_job_into_an_incident(engine, pinned_clock):
    """asyncBefore: the job evaluating a decision that cannot decide keeps the message as its
    exception, spends its retries and opens a failedJob incident; the token stays before the task."""
    clash = table_xml([(["-"], ['"a"']), (["-"], ['"b"'])], key="grade")
    task = ('<businessRuleTask id="decide" camunda:decisionRef="grade" camunda:asyncBefore="true">'
            '<extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1M</camunda:failedJobRetryTimeCycle>'
            '</extensionElements></businessRuleTask>')
    definitions, _ = deploy(engine, ("grade.dmn", clash), ("p.bpmn", process("p", flow(
        START, task, END))))
    pid = start(engine, definitions["p"], amount=1)
    run_jobs(engine)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.retries == 0
    assert job.exception_message.startswith("DMN-03001 Hit policy 'UNIQUE'")
    (incident,) = rows(engine, Incident, process_instance_id=pid)
    assert (incident.incident_type, incident.activity_id) == ("failedJob", "decide")
    assert shape(engine, pid) == [("transition:decide", [])]
