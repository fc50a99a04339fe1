"""Call activities through the database: every step reloads the instances.

Bindings and tenants, camunda:in / camunda:out, sub-instances completing at once or calling
again, cancellation cascades (deletion, terminate, interrupting boundary events), and errors and
escalations a called instance throws, caught by the caller as in Camunda.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from modbatch.engine import instances, repository
from modbatch.engine.bpmn import parse_bpmn
from modbatch.engine.variables import TypedValue
from modbatch.errors import ParseError, ProcessEngineError
from modbatch.store.tables import ExternalTask, HistoricProcessInstance, ProcessInstance, Task
from tests.engine.conftest import NOW
from tests.engine.test_behaviours import END, START, flow, message, run_jobs, shape, variables
from tests.engine.test_runtime import BPMN_NS, complete

pytestmark = pytest.mark.usefixtures("pinned_clock")


def process(key: str, body: str, attributes: str = "") -> str:
    return f'<process id="{key}" isExecutable="true" {attributes}>{body}</process>'


def deploy(engine, *processes: str, tenant_id: str | None = None, extra: str = ""):
    """Deploy processes (a resource each, ``extra`` declarations in each) in one deployment."""
    resources = [(f"p{index}.bpmn", f'<definitions {BPMN_NS} targetNamespace="t">{extra}{body}'
                                    f'</definitions>'.encode()) for index, body in enumerate(processes)]
    with engine.transaction() as session:
        result = repository.deploy(session, name="calls", source=None, tenant_id=tenant_id,
                                   resources=resources, max_resource_bytes=1 << 20)
        return {d.key: d for d in result.definitions}


def call(called: str = "sub", extension: str = "", attributes: str = "", ident: str = "call") -> str:
    ext = f"<extensionElements>{extension}</extensionElements>" if extension else ""
    return f'<callActivity id="{ident}" calledElement="{called}" {attributes}>{ext}</callActivity>'


def begin(engine, definition, business_key=None, **values):
    with engine.transaction() as session:
        typed = {k: TypedValue("Integer" if isinstance(v, int) else "String", v) for k, v in values.items()}
        return instances.start(session, definition, business_key=business_key, variables=typed).state.id


def called_by(engine, pid):
    """The instances ``pid`` called (superProcessInstance filter)."""
    with engine.transaction() as session:
        return [p.id for p in instances.find(session, {"superProcessInstance": pid})]


def instance(engine, pid):
    with engine.transaction() as session:
        return session.get(ProcessInstance, pid)


def history(engine, pid):
    with engine.transaction() as session:
        row = session.get(HistoricProcessInstance, pid)
        return row.state, row.super_process_instance_id


SUB_TASK = process("sub", flow(START, '<userTask id="subTask"/>', END))
CALLER = process("caller", flow(START, call(), '<userTask id="after"/>', END))


# ---------------------------------------------------------------- parsing

def test_call_activity_parses_binding_tenant_and_mappings():
    """calledElement, binding, version, tenant and every kind of camunda:in / camunda:out are read."""
    body = flow(START, call("${target}", '<camunda:in source="a" target="b" local="true"/>'
                            '<camunda:in sourceExpression="${a + 1}" target="c"/>'
                            '<camunda:in variables="all"/><camunda:in businessKey="${key}"/>'
                            '<camunda:out source="r" target="s"/><camunda:out variables="all" local="true"/>',
                            'camunda:calledElementBinding="version" camunda:calledElementVersion="2" '
                            'camunda:calledElementTenantId="t1"'), END)
    xml = f'<definitions {BPMN_NS} targetNamespace="t">{process("p", body)}</definitions>'
    (model,) = parse_bpmn(xml.encode(), "p.bpmn")
    activity = model.activities["call"]
    assert activity.type == "callActivity" and "call" in model.instance_activities
    c = activity.call
    assert (c.called_element.source, c.binding, c.version.source, c.tenant_id.source) == (
        "${target}", "version", "2", "t1")
    assert [(m.source, m.target, m.local, m.all_variables) for m in c.inputs] == [
        ("a", "b", True, False), (None, "c", False, False), (None, None, False, True), (None, None, False, False)]
    assert c.inputs[1].source_expression.source == "${a + 1}"
    assert c.inputs[3].business_key.source == "${key}"
    assert [(m.source, m.target, m.local, m.all_variables) for m in c.outputs] == [
        ("r", "s", False, False), (None, None, True, True)]


@pytest.mark.parametrize("attributes, extension, message", [
    ('camunda:caseRef="case"', "", "camunda:caseRef calls a CMMN case"),
    ('camunda:calledElementBinding="version"', "",
     "Missing attribute 'camunda:calledElementVersion' when 'camunda:calledElementBinding' has value 'version'"),
    ('camunda:calledElementBinding="versionTag"', "", "Missing attribute 'camunda:calledElementVersionTag'"),
    ('camunda:calledElementBinding="newest"', "", "Invalid camunda:calledElementBinding 'newest'"),
    ("", '<camunda:in source="a"/>', "Missing attribute 'target'"),
    ("", '<camunda:out target="a"/>', "Missing parameter 'source' or 'sourceExpression'"),
    ("", '<camunda:out businessKey="${a}"/>', "only camunda:in passes a business key"),
])
def test_call_activity_parse_errors(attributes, extension, message):
    """CMMN calls, a binding without its version or tag and incomplete mappings are refused."""
    body = flow(START, call("sub", extension, attributes), END)
    xml = f'<definitions {BPMN_NS} targetNamespace="t">{process("p", body)}</definitions>'
    with pytest.raises(ParseError) as caught:
        parse_bpmn(xml.encode(), "p.bpmn")
    assert message in caught.value.message
    assert caught.value.element_id == "call"


def test_call_activity_without_called_element_is_refused():
    """A call activity must name what it calls."""
    body = process("p", flow(START, '<callActivity id="call"/>', END))
    xml = f'<definitions {BPMN_NS} targetNamespace="t">{body}</definitions>'
    with pytest.raises(ParseError) as caught:
        parse_bpmn(xml.encode(), "p.bpmn")
    assert "Missing attribute 'calledElement'" in caught.value.message


# ---------------------------------------------------------------- running

def test_call_activity_starts_a_linked_sub_instance_and_continues_when_it_completes(engine):
    """The caller waits in the call activity (a leaf of type callActivity); the sub-instance's end moves it on."""
    defs = deploy(engine, CALLER, SUB_TASK)
    pid = begin(engine, defs["caller"])
    assert shape(engine, pid) == [("call", [])]
    with engine.transaction() as session:
        node = instances.activity_tree(instances.load_one(session, pid)).children[0]
    assert (node.activity_type, node.children) == ("callActivity", [])
    (sub,) = called_by(engine, pid)
    row = instance(engine, sub)
    assert (row.super_process_instance_id, row.process_definition_id) == (pid, defs["sub"].id)
    assert row.super_activity_instance_id == node.id
    assert history(engine, sub) == ("ACTIVE", pid)
    assert shape(engine, sub) == [("subTask", [])]
    complete(engine, sub, "subTask")
    assert shape(engine, sub) is None
    assert history(engine, sub) == ("COMPLETED", pid)
    assert shape(engine, pid) == [("after", [])]
    complete(engine, pid, "after")
    assert history(engine, pid) == ("COMPLETED", None)


def test_in_and_out_mappings_pass_variables_with_their_types(engine):
    """camunda:in source/sourceExpression/all and camunda:out source/all/local, as Camunda maps them."""
    sub = process("sub", flow(START, '<userTask id="subTask"/>', END))
    caller = process("caller", flow(START, call("sub", (
        '<camunda:in source="amount" target="subAmount"/>'
        '<camunda:in sourceExpression="${amount * 2}" target="doubled"/>'
        '<camunda:in source="missing" target="nothing"/>'
        '<camunda:out source="answer" target="result"/>'
        '<camunda:out sourceExpression="${answer + 1}" target="next"/>'
        '<camunda:out source="answer" target="onlyLocal" local="true"/>')),
        '<userTask id="after"/>', END))
    defs = deploy(engine, caller, sub)
    pid = begin(engine, defs["caller"], amount=21, name="x")
    (sid,) = called_by(engine, pid)
    assert variables(engine, sid) == {"subAmount": 21, "doubled": 42, "nothing": None}
    with engine.transaction() as session:
        typed = instances.variables(session, sid)
    assert (typed["subAmount"].type, typed["nothing"].type) == ("Integer", "Null")
    complete(engine, sid, "subTask", answer=7)
    # the local one went with the call activity instance
    assert variables(engine, pid) == {"amount": 21, "name": "x", "result": 7, "next": 8}


def test_all_variables_in_and_out(engine):
    """variables="all" passes every visible variable in, and every variable of the sub-instance out."""
    defs = deploy(engine, process("caller", flow(START, call("sub", '<camunda:in variables="all"/>'
                                                                    '<camunda:out variables="all"/>'),
                                                  '<userTask id="after"/>', END)), SUB_TASK)
    pid = begin(engine, defs["caller"], a=1, b="two")
    (sid,) = called_by(engine, pid)
    assert variables(engine, sid) == {"a": 1, "b": "two"}
    complete(engine, sid, "subTask", c=3)
    assert variables(engine, pid) == {"a": 1, "b": "two", "c": 3}


def test_local_in_mapping_reads_only_the_call_activity_scope(engine):
    """local="true" passes only the call activity's own variables (here: its input parameter)."""
    ext = ('<camunda:inputOutput><camunda:inputParameter name="own">mine</camunda:inputParameter>'
           '</camunda:inputOutput><camunda:in variables="all" local="true"/>')
    defs = deploy(engine, process("caller", flow(START, call("sub", ext), END)), SUB_TASK)
    pid = begin(engine, defs["caller"], outer=1)
    (sid,) = called_by(engine, pid)
    assert variables(engine, sid) == {"own": "mine"}


def test_business_key_mapping(engine):
    """camunda:in businessKey evaluates in the caller and becomes the sub-instance's business key."""
    defs = deploy(engine, process("caller", flow(START, call("sub", '<camunda:in businessKey="${order}-sub"/>'),
                                                  END)), SUB_TASK)
    pid = begin(engine, defs["caller"], order="o-1")
    (sid,) = called_by(engine, pid)
    assert instance(engine, sid).business_key == "o-1-sub"


def test_a_sub_instance_that_completes_at_once_moves_the_caller_on_in_the_same_transaction(engine):
    """A called process without wait state completes during the call; its out mapping applies."""
    sub = process("sub", flow(START, '<serviceTask id="calc" camunda:expression="${x + 1}" '
                                     'camunda:resultVariable="y"/>', END))
    caller = process("caller", flow(START, call("sub", '<camunda:in source="x" target="x"/>'
                                                       '<camunda:out source="y" target="y"/>'),
                                    '<userTask id="after"/>', END))
    defs = deploy(engine, caller, sub)
    pid = begin(engine, defs["caller"], x=1)
    assert shape(engine, pid) == [("after", [])]
    assert variables(engine, pid) == {"x": 1, "y": 2}
    assert called_by(engine, pid) == []


def test_called_instances_call_again_and_complete_up_the_chain(engine):
    """A calls B calls C: three linked instances; C's completion ripples up."""
    a = process("a", flow(START, call("b"), '<userTask id="afterA"/>', END))
    b = process("b", flow(START, call("c"), END))
    c = process("c", flow(START, '<userTask id="inC"/>', END))
    defs = deploy(engine, a, b, c)
    pid = begin(engine, defs["a"])
    (bid,) = called_by(engine, pid)
    (cid,) = called_by(engine, bid)
    with engine.transaction() as session:
        assert [p.id for p in instances.find(session, {"subProcessInstance": cid})] == [bid]
        assert [p.id for p in instances.find(session, {"rootProcessInstances": True})] == [pid]
        assert [p.id for p in instances.find(session, {"leafProcessInstances": True})] == [cid]
    assert [instance(engine, i).root_process_instance_id for i in (pid, bid, cid)] == [pid, pid, pid]
    with engine.transaction() as session:
        assert session.get(HistoricProcessInstance, cid).root_process_instance_id == pid
    complete(engine, cid, "inC")
    assert instance(engine, bid) is None
    assert history(engine, bid) == ("COMPLETED", pid)
    assert shape(engine, pid) == [("afterA", [])]


def test_called_element_expression_and_latest_binding(engine):
    """calledElement may be an expression; latest binding calls the newest version."""
    defs = deploy(engine, process("caller", flow(START, call("${which}"), END)), SUB_TASK)
    newer = deploy(engine, process("sub", flow(START, '<userTask id="newTask"/>', END)))
    pid = begin(engine, defs["caller"], which="sub")
    (sid,) = called_by(engine, pid)
    assert instance(engine, sid).process_definition_id == newer["sub"].id


def test_deployment_binding_calls_the_version_of_the_callers_deployment(engine):
    """calledElementBinding="deployment" ignores later versions deployed elsewhere."""
    defs = deploy(engine, process("caller", flow(START, call(attributes='camunda:calledElementBinding='
                                                                        '"deployment"'), END)), SUB_TASK)
    deploy(engine, process("sub", flow(START, '<userTask id="newTask"/>', END)))
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    assert instance(engine, sid).process_definition_id == defs["sub"].id


def test_version_and_version_tag_bindings(engine):
    """version picks a version number (an expression here), versionTag the tagged version."""
    first = deploy(engine, process("sub", flow(START, '<userTask id="v1"/>', END), 'camunda:versionTag="gold"'))
    deploy(engine, process("sub", flow(START, '<userTask id="v2"/>', END)))
    by_version = deploy(engine, process("byVersion", flow(START, call(
        attributes='camunda:calledElementBinding="version" camunda:calledElementVersion="${v}"'), END)))
    by_tag = deploy(engine, process("byTag", flow(START, call(
        attributes='camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="gold"'), END)))
    pid = begin(engine, by_version["byVersion"], v=2)
    (sid,) = called_by(engine, pid)
    assert shape(engine, sid) == [("v2", [])]
    pid = begin(engine, by_tag["byTag"])
    (sid,) = called_by(engine, pid)
    assert instance(engine, sid).process_definition_id == first["sub"].id


def test_tenant_of_the_caller_and_called_element_tenant_id(engine):
    """The caller's tenant is searched unless camunda:calledElementTenantId names another."""
    deploy(engine, process("sub", flow(START, '<userTask id="inA"/>', END)), tenant_id="a")
    deploy(engine, process("sub", flow(START, '<userTask id="inB"/>', END)), tenant_id="b")
    caller = deploy(engine, process("caller", flow(START, call(), END)), tenant_id="a")
    pid = begin(engine, caller["caller"])
    (sid,) = called_by(engine, pid)
    assert shape(engine, sid) == [("inA", [])]
    other = deploy(engine, process("other", flow(START, call(attributes='camunda:calledElementTenantId="b"'),
                                                 END)), tenant_id="a")
    pid = begin(engine, other["other"])
    (sid,) = called_by(engine, pid)
    assert (shape(engine, sid), instance(engine, sid).tenant_id) == ([("inB", [])], "b")


@pytest.mark.parametrize("attributes, message", [
    ("", "no processes deployed with key 'nowhere' and tenant-id 'null': processDefinition is null"),
    ('camunda:calledElementBinding="version" camunda:calledElementVersion="3"',
     "no processes deployed with key = 'nowhere', version = '3' and tenant-id = 'null'"),
    ('camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="x"',
     "no processes deployed with key = 'nowhere', versionTag = 'x' and tenant-id = 'null'"),
    ('camunda:calledElementBinding="deployment"', "no processes deployed with key = 'nowhere' in deployment = "),
])
def test_a_missing_called_definition_fails_the_command(engine, attributes, message):
    """Nothing to call: the start fails with Camunda's NullValueException and nothing is written."""
    defs = deploy(engine, process("caller", flow(START, call("nowhere", attributes=attributes), END)))
    with pytest.raises(ProcessEngineError) as caught:
        begin(engine, defs["caller"])
    assert message in caught.value.message
    assert caught.value.type == "NullValueException"
    with engine.transaction() as session:
        assert session.execute(select(ProcessInstance)).all() == []


# ---------------------------------------------------------------- cancellation

def test_deleting_the_caller_deletes_its_called_instances_recursively(engine):
    """DELETE of the root takes the whole call chain, every one EXTERNALLY_TERMINATED."""
    a = process("a", flow(START, call("b"), END))
    b = process("b", flow(START, call("c"), END))
    c = process("c", flow(START, '<userTask id="inC"/>', END))
    defs = deploy(engine, a, b, c)
    pid = begin(engine, defs["a"])
    (bid,) = called_by(engine, pid)
    (cid,) = called_by(engine, bid)
    with engine.transaction() as session:
        instances.delete(session, pid)
    for gone in (pid, bid, cid):
        assert instance(engine, gone) is None
        assert history(engine, gone)[0] == "EXTERNALLY_TERMINATED"


def test_deleting_a_called_instance_cancels_its_call_activity(engine):
    """Deleting the sub-instance cancels the call activity instance; the emptied caller ends."""
    defs = deploy(engine, process("caller", flow(START, '<parallelGateway id="fork"/>', call(), END)
                                  .replace('<sequenceFlow id="f2"', '<userTask id="other"/>'
                                           '<sequenceFlow id="fo" sourceRef="fork" targetRef="other"/>'
                                           '<sequenceFlow id="f2"')), SUB_TASK)
    pid = begin(engine, defs["caller"])
    assert shape(engine, pid) == [("call", []), ("other", [])]
    (sid,) = called_by(engine, pid)
    with engine.transaction() as session:
        instances.delete(session, sid)
    assert shape(engine, pid) == [("other", [])]


def test_interrupting_boundary_event_on_the_call_activity_cancels_the_sub_instance(engine):
    """A message boundary event interrupts the call activity: the called instance is terminated."""
    body = flow(START, call(), END) + (
        '<boundaryEvent id="stop" attachedToRef="call"><messageEventDefinition messageRef="m"/></boundaryEvent>'
        '<sequenceFlow id="fs" sourceRef="stop" targetRef="stopped"/><userTask id="stopped"/>')
    defs = deploy(engine, process("caller", body), SUB_TASK, extra='<message id="m" name="stop"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    assert message(engine, "stop") == [pid]
    assert shape(engine, pid) == [("stopped", [])]
    assert instance(engine, sid) is None
    assert history(engine, sid)[0] == "INTERNALLY_TERMINATED"


def test_terminate_end_event_cancels_called_instances(engine):
    """A terminate end event in the caller ends the call activity and its sub-instance."""
    body = ('<startEvent id="start"/><parallelGateway id="fork"/>' + call() + '<endEvent id="kill">'
            '<terminateEventDefinition/></endEvent>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
            '<sequenceFlow id="f2" sourceRef="fork" targetRef="call"/>'
            '<sequenceFlow id="f3" sourceRef="fork" targetRef="wait"/><userTask id="wait"/>'
            '<sequenceFlow id="f4" sourceRef="wait" targetRef="kill"/>')
    defs = deploy(engine, process("caller", body), SUB_TASK)
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, pid, "wait")
    assert instance(engine, pid) is None and instance(engine, sid) is None
    assert history(engine, sid)[0] == "INTERNALLY_TERMINATED"


# ---------------------------------------------------------------- errors and escalations

ERROR_SUB = process("sub", flow(START, '<userTask id="subTask"/>', '<endEvent id="fail">'
                                       '<errorEventDefinition errorRef="err"/></endEvent>'))


def error_caller(code_attr: str = 'errorRef="err"') -> str:
    return process("caller", flow(START, call(), '<userTask id="after"/>', END) + (
        f'<boundaryEvent id="caught" attachedToRef="call"><errorEventDefinition {code_attr}/></boundaryEvent>'
        '<sequenceFlow id="fc" sourceRef="caught" targetRef="handle"/><userTask id="handle"/>'))


def test_bpmn_error_of_a_called_instance_is_caught_on_the_call_activity(engine):
    """An error end event in the sub-instance, uncaught there, triggers the caller's error boundary event."""
    defs = deploy(engine, error_caller(), ERROR_SUB, extra='<error id="err" errorCode="E1"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, sid, "subTask")
    assert shape(engine, pid) == [("handle", [])]
    assert instance(engine, sid) is None
    assert history(engine, sid)[0] == "INTERNALLY_TERMINATED"


def test_bpmn_error_nobody_catches_ends_the_sub_instance_like_a_none_end(engine):
    """Without a matching boundary event the sub-instance just completes and the caller moves on."""
    defs = deploy(engine, error_caller('errorRef="other"'), ERROR_SUB,
                  extra='<error id="err" errorCode="E1"/><error id="other" errorCode="E2"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, sid, "subTask")
    assert history(engine, sid)[0] == "COMPLETED"
    assert shape(engine, pid) == [("after", [])]


def test_bpmn_error_reaches_the_callers_caller(engine):
    """A -> B -> C: C's error passes B (no catcher) and is caught on A's call activity."""
    a = error_caller().replace('id="caller"', 'id="a"').replace('calledElement="sub"', 'calledElement="b"')
    b = process("b", flow(START, call("sub"), END))
    defs = deploy(engine, a, b, ERROR_SUB, extra='<error id="err" errorCode="E1"/>')
    pid = begin(engine, defs["a"])
    (bid,) = called_by(engine, pid)
    (sid,) = called_by(engine, bid)
    complete(engine, sid, "subTask")
    assert shape(engine, pid) == [("handle", [])]
    assert instance(engine, bid) is None and instance(engine, sid) is None


def test_escalation_of_a_called_instance_triggers_a_non_interrupting_boundary_event(engine):
    """An escalation thrown in the sub-instance reaches the call activity; non-interrupting, both go on."""
    sub = process("sub", flow(START, '<intermediateThrowEvent id="esc"><escalationEventDefinition '
                                     'escalationRef="up"/></intermediateThrowEvent>', '<userTask id="subTask"/>', END))
    caller = process("caller", flow(START, call(), '<userTask id="after"/>', END) + (
        '<boundaryEvent id="noticed" attachedToRef="call" cancelActivity="false">'
        '<escalationEventDefinition escalationRef="up"/></boundaryEvent>'
        '<sequenceFlow id="fn" sourceRef="noticed" targetRef="react"/><userTask id="react"/>'))
    defs = deploy(engine, caller, sub, extra='<escalation id="up" escalationCode="UP"/>')
    pid = begin(engine, defs["caller"])
    assert shape(engine, pid) == [("call", []), ("react", [])]
    (sid,) = called_by(engine, pid)
    assert shape(engine, sid) == [("subTask", [])]


def test_interrupting_escalation_cancels_the_sub_instance(engine):
    """An escalation end event in the sub-instance triggers an interrupting boundary event: the sub-instance goes."""
    sub = process("sub", '<startEvent id="start"/><parallelGateway id="fork"/><userTask id="subTask"/>'
                         '<endEvent id="esc"><escalationEventDefinition escalationRef="up"/></endEvent>'
                         '<sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
                         '<sequenceFlow id="f2" sourceRef="fork" targetRef="subTask"/>'
                         '<sequenceFlow id="f3" sourceRef="fork" targetRef="wait"/><userTask id="wait"/>'
                         '<sequenceFlow id="f4" sourceRef="wait" targetRef="esc"/>')
    caller = process("caller", flow(START, call(), '<userTask id="after"/>', END) + (
        '<boundaryEvent id="noticed" attachedToRef="call"><escalationEventDefinition escalationRef="up"/>'
        '</boundaryEvent><sequenceFlow id="fn" sourceRef="noticed" targetRef="react"/><userTask id="react"/>'))
    defs = deploy(engine, caller, sub, extra='<escalation id="up" escalationCode="UP"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, sid, "wait")
    assert shape(engine, pid) == [("react", [])]
    assert instance(engine, sid) is None
    assert history(engine, sid)[0] == "INTERNALLY_TERMINATED"


def test_caught_error_terminates_a_sub_instance_with_other_branches(engine):
    """The error leaves one branch of the sub-instance; caught by the caller, the whole sub-instance goes."""
    sub = process("sub", '<startEvent id="start"/><parallelGateway id="fork"/><userTask id="keep"/>'
                         '<userTask id="subTask"/><endEvent id="fail"><errorEventDefinition errorRef="err"/>'
                         '</endEvent><sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
                         '<sequenceFlow id="f2" sourceRef="fork" targetRef="keep"/>'
                         '<sequenceFlow id="f3" sourceRef="fork" targetRef="subTask"/>'
                         '<sequenceFlow id="f4" sourceRef="subTask" targetRef="fail"/>')
    defs = deploy(engine, error_caller(), sub, extra='<error id="err" errorCode="E1"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, sid, "subTask")
    assert shape(engine, pid) == [("handle", [])]
    assert instance(engine, sid) is None
    with engine.transaction() as session:
        assert session.execute(select(Task).where(Task.process_instance_id == sid)).all() == []


def test_error_from_an_external_task_in_the_sub_instance_reaches_the_caller(engine):
    """A worker's BPMN error on an external task of the called process is caught on the call activity."""
    sub = process("sub", flow(START, '<serviceTask id="ext" camunda:type="external" camunda:topic="t"/>', END))
    defs = deploy(engine, error_caller('errorRef="err"'), sub, extra='<error id="err" errorCode="E1"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    with engine.transaction() as session:
        (task,) = session.execute(select(ExternalTask)).scalars().all()
        instances.external_task_bpmn_error(session, task, error_code="E1", error_message="boom", variables={})
    assert shape(engine, pid) == [("handle", [])]
    assert instance(engine, sid) is None


def test_boundary_timer_on_the_call_activity_cancels_the_sub_instance(engine):
    """A due timer on the call activity interrupts it; the sub-instance is cancelled with it."""
    body = flow(START, call(), END) + (
        '<boundaryEvent id="late" attachedToRef="call"><timerEventDefinition><timeDuration>PT1H'
        '</timeDuration></timerEventDefinition></boundaryEvent>'
        '<sequenceFlow id="fl" sourceRef="late" targetRef="escalate"/><userTask id="escalate"/>')
    defs = deploy(engine, process("caller", body), SUB_TASK)
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    run_jobs(engine, NOW + timedelta(hours=2))
    assert shape(engine, pid) == [("escalate", [])]
    assert instance(engine, sid) is None


def test_async_before_call_activity_calls_when_its_job_runs(engine):
    """asyncBefore: no sub-instance until the job runs; then the call happens in the job."""
    defs = deploy(engine, process("caller", flow(START, call(attributes='camunda:asyncBefore="true"'), END)),
                  SUB_TASK)
    pid = begin(engine, defs["caller"])
    assert shape(engine, pid) == [("transition:call", [])]
    assert called_by(engine, pid) == []
    run_jobs(engine)
    assert shape(engine, pid) == [("call", [])]
    assert len(called_by(engine, pid)) == 1


def test_a_suspended_caller_cannot_take_back_a_completed_call(engine):
    """As in Camunda, the called instance stays active, but its completion fails while the caller is suspended."""
    defs = deploy(engine, CALLER, SUB_TASK)
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    with engine.transaction() as session:
        instances.set_suspended(session, pid, True)
    assert instance(engine, sid).suspended is False
    with pytest.raises(ProcessEngineError) as caught:
        complete(engine, sid, "subTask")
    assert caught.value.type == "SuspendedEntityInteractionException"
    assert "is suspended" in caught.value.message
    assert shape(engine, sid) == [("subTask", [])]
    with engine.transaction() as session:
        instances.set_suspended(session, pid, False)
    complete(engine, sid, "subTask")
    assert shape(engine, pid) == [("after", [])]


def test_local_out_mapping_feeds_the_call_activitys_output_parameters(engine):
    """camunda:out variables="all" local="true" lands on the call activity instance: only what its
    camunda:outputParameter maps reaches the caller."""
    ext = ('<camunda:inputOutput><camunda:outputParameter name="picked">${answer}</camunda:outputParameter>'
           '</camunda:inputOutput><camunda:out variables="all" local="true"/>')
    defs = deploy(engine, process("caller", flow(START, call("sub", ext), '<userTask id="after"/>', END)),
                  SUB_TASK)
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, sid, "subTask", answer=42, other=1)
    assert variables(engine, pid) == {"picked": 42}


def test_error_of_a_called_instance_is_caught_by_an_error_event_sub_process_of_the_caller(engine):
    """No boundary event on the call activity: the caller's error event sub-process catches, interrupting."""
    handler = ('<subProcess id="onError" triggeredByEvent="true"><startEvent id="errStart">'
               '<errorEventDefinition errorRef="err"/></startEvent>'
               '<sequenceFlow id="h1" sourceRef="errStart" targetRef="handleIt"/><userTask id="handleIt"/>'
               '<sequenceFlow id="h2" sourceRef="handleIt" targetRef="hEnd"/><endEvent id="hEnd"/></subProcess>')
    caller = process("caller", flow(START, call(), '<userTask id="after"/>', END) + handler)
    defs = deploy(engine, caller, ERROR_SUB, extra='<error id="err" errorCode="E1"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    complete(engine, sid, "subTask")
    assert shape(engine, pid) == [("onError", [("handleIt", [])])]
    assert instance(engine, sid) is None
    assert history(engine, sid)[0] == "INTERNALLY_TERMINATED"


def test_escalation_of_a_called_instance_reaches_a_non_interrupting_event_sub_process(engine):
    """The caller's non-interrupting escalation event sub-process runs beside the waiting call activity."""
    sub = process("sub", flow(START, '<intermediateThrowEvent id="esc"><escalationEventDefinition '
                                     'escalationRef="up"/></intermediateThrowEvent>', '<userTask id="subTask"/>', END))
    handler = ('<subProcess id="onUp" triggeredByEvent="true"><startEvent id="upStart" isInterrupting="false">'
               '<escalationEventDefinition escalationRef="up"/></startEvent>'
               '<sequenceFlow id="h1" sourceRef="upStart" targetRef="notice"/><userTask id="notice"/>'
               '<sequenceFlow id="h2" sourceRef="notice" targetRef="hEnd"/><endEvent id="hEnd"/></subProcess>')
    caller = process("caller", flow(START, call(), '<userTask id="after"/>', END) + handler)
    defs = deploy(engine, caller, sub, extra='<escalation id="up" escalationCode="UP"/>')
    pid = begin(engine, defs["caller"])
    assert shape(engine, pid) == [("call", []), ("onUp", [("notice", [])])]
    (sid,) = called_by(engine, pid)
    assert shape(engine, sid) == [("subTask", [])]


def test_interrupting_event_sub_process_of_the_caller_cancels_the_called_instance(engine):
    """A message starts the caller's interrupting event sub-process: the call activity and its called instance go."""
    handler = ('<subProcess id="onStop" triggeredByEvent="true"><startEvent id="stopStart">'
               '<messageEventDefinition messageRef="m"/></startEvent>'
               '<sequenceFlow id="h1" sourceRef="stopStart" targetRef="cleanUp"/><userTask id="cleanUp"/>'
               '<sequenceFlow id="h2" sourceRef="cleanUp" targetRef="hEnd"/><endEvent id="hEnd"/></subProcess>')
    defs = deploy(engine, process("caller", flow(START, call(), END) + handler), SUB_TASK,
                  extra='<message id="m" name="stop"/>')
    pid = begin(engine, defs["caller"])
    (sid,) = called_by(engine, pid)
    assert message(engine, "stop") == [pid]
    assert shape(engine, pid) == [("onStop", [("cleanUp", [])])]
    assert instance(engine, sid) is None
