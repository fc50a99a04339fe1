"""parse_bpmn: the shared models, the supported subset, and the hardening against hostile XML."""

import time
from pathlib import Path

import pytest

from modbatch.engine.bpmn import ConstantExpression, IoParameter, parse_bpmn
from modbatch.engine.bpmn.model import Script
from modbatch.engine.bpmn import parser as parser_module
from modbatch.errors import ParseError, ProcessEngineError

SHARED = Path("/work/shared/bpmn")
CAMUNDA_TESTS = sorted((SHARED / "camunda-tests").glob("*.xml"))


def load(name):
    path = next(SHARED.glob(f"*/{name}"))
    return parse_bpmn(path.read_bytes(), path.name)


def one(name):
    (model,) = load(name)
    return model


def bpmn(body, process='id="p" isExecutable="true"', extra=""):
    """A definitions document with one process, written with the bpmn: prefix like Camunda Modeler."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="tests">
  <bpmn:process {process}>
{body}
  </bpmn:process>{extra}
</bpmn:definitions>""".encode()


START_TO_END = """
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:userTask id="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    <bpmn:endEvent id="e"/>"""


def parse_error(data, name="test.bpmn"):
    with pytest.raises(ParseError) as info:
        parse_bpmn(data, name)
    return info.value


# ---------------------------------------------------------------- shared models

@pytest.mark.parametrize("path", CAMUNDA_TESTS, ids=lambda p: p.name)
def test_every_camunda_test_model_parses(path):
    """Each upstream Camunda test model yields one executable process with a none start event."""
    (model,) = parse_bpmn(path.read_bytes(), path.name)
    assert model.activities[model.start_event_id].type == "startEvent"
    assert model.activities[model.start_event_id].scope_id == model.id
    for flow in model.flows.values():
        assert flow.id in model.activities[flow.source_id].outgoing
        assert flow.id in model.activities[flow.target_id].incoming


def test_nested_parallel_one_task_process():
    """The fork feeds outerTask and a subProcess scope whose start event leads to innerTask."""
    model = one("ProcessInstanceModificationTest.nestedParallelOneTaskProcess.bpmn20.xml")
    assert model.id == "nestedOneTaskProcess"
    assert model.target_namespace == "org.camunda.bpm.engine.test.enginge.test.api.runtime"
    assert set(model.activities) == {"theStart", "fork", "outerTask", "subProcess", "subProcessStart",
                                     "innerTask", "subProcessEnd", "outerEnd"}
    fork = model.activities["fork"]
    assert fork.type == "parallelGateway"
    assert fork.outgoing == ("flow2", "flow4")
    sub = model.activities["subProcess"]
    assert (sub.type, sub.is_scope, sub.start_event_id, sub.scope_id) == ("subProcess", True, "subProcessStart",
                                                                          "nestedOneTaskProcess")
    inner = model.activities["innerTask"]
    assert (inner.type, inner.scope_id, inner.incoming, inner.outgoing) == ("userTask", "subProcess", ("flow5",),
                                                                            ("flow6",))
    assert model.activities["outerTask"].scope_id == "nestedOneTaskProcess"
    assert model.activities["outerEnd"].incoming == ("flow3", "flow9")
    assert model.activities["subProcessEnd"].type == "noneEndEvent"
    assert [a.id for a in model.children_of("subProcess")] == ["subProcessStart", "innerTask", "subProcessEnd"]
    assert model.activities["outerTask"].line == 14


def test_double_nested_subprocess_scope_chain():
    """Activities in a subprocess inside a subprocess report both scopes up to the process."""
    model = one("ProcessInstanceModificationTest.doubleNestedSubprocess.bpmn20.xml")
    assert model.scope_chain("innerSubProcessTask") == ["innerSubProcess", "subProcess", "doubleNestedSubprocess"]
    assert model.activities["innerSubProcess"].start_event_id == "innerSubProcessStart"
    assert model.flows["flow5"].source_id == "innerSubProcessStart"


def test_exclusive_gateway_conditions_evaluate():
    """Literal ${true}/${false} conditions compile and evaluate to booleans; plain flows have none."""
    model = one("ProcessInstanceModificationTest.exclusiveGateway.bpmn20.xml")
    assert model.activities["fork"].type == "exclusiveGateway"
    assert model.activities["fork"].outgoing == ("flow2", "flow4")
    assert model.flows["flow2"].condition.source == "${true}"
    assert model.flows["flow2"].condition.evaluate({}) is True
    assert model.flows["flow4"].condition.evaluate({}) is False
    assert model.flows["flow1"].condition is None


def test_boundary_timer_on_task():
    """A timer boundary event keeps its duration, interrupts by default and is listed per activity."""
    model = one("ProcessInstanceModificationTest.oneScopeTaskProcess.bpmn20.xml")
    timer = model.activities["boundaryTimer"]
    assert (timer.type, timer.attached_to, timer.cancel_activity) == ("boundaryTimer", "theTask", True)
    assert (timer.timer.kind, timer.timer.text) == ("timeDuration", "PT1H")
    assert timer.scope_id == "oneTaskProcess"
    assert timer.outgoing == ("flow3",)
    assert model.boundary_events == {"theTask": ("boundaryTimer",)}
    assert model.activities["theTask"].name == "my task"


def test_listener_process_records_listeners_and_nested_boundaries():
    """Execution listeners are kept as (event, kind, text); boundary timers inside a subprocess stay there."""
    model = one("ProcessInstanceModificationTest.listenerProcess.bpmn20.xml")
    assert [x.as_tuple() for x in model.listeners] == [("end", "delegateExpression", "${listener}")]
    assert [x.as_tuple() for x in model.activities["innerTask1"].listeners] == [
        ("end", "delegateExpression", "${listener}")]
    assert model.activities["boundaryTimer2"].scope_id == "subProcess"
    assert model.boundary_events == {"innerTask1": ("boundaryTimer1",), "innerTask2": ("boundaryTimer2",)}
    assert model.activities["innerJoin"].incoming == ("flow7", "flow9")


def test_io_mapping_parameters_compile():
    """camunda:inputOutput parameters become IoParameters whose expressions evaluate."""
    task = one("ProcessInstanceModificationTest.ioMapping.bpmn20.xml").activities["task2"]
    assert [p.name for p in task.input_parameters] == ["inputMappingExecuted"]
    assert task.input_parameters[0].value.evaluate({}) is True
    assert task.output_parameters[0].name == "outputMappingExecuted"
    assert task.output_parameters[0].value.source == "${true}"


def test_real_world_review_invoice():
    """The Modeler export of ReviewInvoice parses with its names and historyTimeToLive."""
    model = one("camunda-bpm-platform__reviewInvoice.bpmn")
    assert (model.id, model.name, model.history_time_to_live) == ("ReviewInvoice", "Review Invoice", 45)
    assert model.target_namespace == "http://bpmn.io/schema/bpmn"
    assert model.activities["assignReviewer"].outgoing == ("SequenceFlow_144f11w",)
    assert model.activities["reviewInvoice"].type == "userTask"


def test_real_world_parallel_steps_external_tasks():
    """External service tasks carry their topic and the gateways fork and join."""
    model = one("camunda-external-task-client-python3__parallel_steps_example.bpmn")
    assert model.activities["PARALLEL_STEP_1"].external_topic == "PARALLEL_STEP_1"
    assert model.activities["COMBINE_STEP"].type == "serviceTask"
    assert model.activities["Gateway_1jukw78"].outgoing == ("Flow_0ozzjld", "Flow_058ezjl")
    assert model.activities["Gateway_10oa4v7"].incoming == ("Flow_17mik9x", "Flow_1qhzcn4")


def test_real_world_job_announcement_call_activity():
    """The call activity, its camunda:in mappings and the bean-calling service task are read."""
    model = one("camunda-bpm-examples__camunda-testing-job-announcement.bpmn")
    call = model.activities["publication"]
    assert (call.type, call.call.called_element.source, call.call.binding) == (
        "callActivity", "camunda-testing-job-announcement-publication", "latest")
    assert [(m.source, m.target) for m in call.call.inputs] == [
        ("jobAnnouncementId", "jobAnnouncementId"), ("facebook", "facebook"), ("twitter", "twitter")]
    assert model.activities["mail"].jvm_implementation == (
        "camunda:expression '#{jobAnnouncementService.notifyAboutPostings(jobAnnouncementId)}' (a bean call)")


# ---------------------------------------------------------------- hardening

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="p" isExecutable="true" name="&lol9;"/>
</definitions>"""


def test_billion_laughs_is_refused_quickly():
    """An entity-expansion bomb is refused as a DOCTYPE before it is expanded."""
    started = time.monotonic()
    error = parse_error(BILLION_LAUGHS, "bomb.bpmn")
    assert time.monotonic() - started < 2
    assert "DOCTYPE is not allowed" in error.message
    assert (error.resource, error.line) == ("bomb.bpmn", 2)


def test_billion_laughs_past_the_byte_scan_still_fails_fast(monkeypatch):
    """Should the byte scan miss a bomb, libxml2 (no entity resolution, no huge trees) still stops it fast."""
    monkeypatch.setattr(parser_module, "_DTD_MARKERS", [])
    started = time.monotonic()
    error = parse_error(BILLION_LAUGHS, "bomb.bpmn")
    assert time.monotonic() - started < 2
    assert "DOCTYPE is not allowed" in error.message or "amplification" in error.message
    assert error.resource == "bomb.bpmn"


def test_dtd_past_the_byte_scan_is_refused_by_docinfo(monkeypatch):
    """A harmless internal DTD that reaches lxml is still refused from the parsed tree's docinfo."""
    monkeypatch.setattr(parser_module, "_DTD_MARKERS", [])
    data = bpmn(START_TO_END).replace(b"?>\n", b'?>\n<!DOCTYPE definitions [<!ELEMENT x ANY>]>\n', 1)
    assert "DOCTYPE is not allowed" in parse_error(data).message


def test_utf16_doctype_is_refused():
    """The DTD scan also covers UTF-16 encoded documents."""
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x SYSTEM "http://evil/x.dtd"><x/>'.encode("utf-16")
    assert "DOCTYPE is not allowed" in parse_error(data).message


def test_external_entity_is_refused():
    """An XXE payload never reaches the file system: any DOCTYPE is refused."""
    data = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" name="&xxe;"/></definitions>"""
    error = parse_error(data)
    assert "DOCTYPE is not allowed" in error.message
    assert error.line == 2


def test_malformed_xml_reports_line_and_column():
    """Broken XML becomes a ParseError carrying lxml's message, line and column."""
    data = b'<?xml version="1.0"?>\n<definitions>\n  <process id="p">\n</definitions>\n'
    error = parse_error(data, "broken.bpmn")
    assert error.line == 4
    assert error.column is not None
    assert "Malformed XML in 'broken.bpmn' at line 4" in error.message
    assert "mismatch" in error.message
    assert error.resource == "broken.bpmn"


def test_empty_input_is_malformed():
    """Zero bytes are a malformed document, not a crash."""
    assert "Malformed XML" in parse_error(b"").message


def test_oversized_input_is_refused():
    """Input above max_bytes is refused before parsing."""
    data = bpmn(START_TO_END)
    with pytest.raises(ParseError) as info:
        parse_bpmn(data, "big.bpmn", max_bytes=100)
    assert info.value.message == f"Resource 'big.bpmn' has {len(data)} bytes, more than the limit of 100 bytes"
    assert info.value.resource == "big.bpmn"


def test_root_must_be_definitions():
    """A document that is not BPMN definitions is refused."""
    error = parse_error(b"<html><body/></html>")
    assert error.message == ("Root element of 'test.bpmn' must be 'definitions' in namespace "
                             "http://www.omg.org/spec/BPMN/20100524/MODEL, found 'html'")


# ---------------------------------------------------------------- structure

def test_minimal_process_with_prefixes():
    """A prefixed document maps to types, flows in document order and process attributes."""
    attrs = 'id="p" name="P" isExecutable="true" camunda:versionTag="v1" camunda:historyTimeToLive="P180D"'
    data = bpmn(START_TO_END + "<bpmn:documentation>Docs</bpmn:documentation>", process=attrs)
    (model,) = parse_bpmn(data, "min.bpmn")
    assert (model.id, model.name, model.version_tag, model.history_time_to_live) == ("p", "P", "v1", 180)
    assert (model.documentation, model.target_namespace, model.start_event_id) == ("Docs", "tests", "s")
    assert [a.type for a in model.activities.values()] == ["startEvent", "userTask", "noneEndEvent"]
    assert model.activities["t"].incoming == ("f1",) and model.activities["t"].outgoing == ("f2",)


def test_non_executable_processes_are_skipped():
    """isExecutable=false (or missing) is skipped like Camunda; no executable process gives an empty list."""
    assert parse_bpmn(bpmn(START_TO_END, process='id="p" isExecutable="false"'), "x.bpmn") == []
    assert parse_bpmn(bpmn(START_TO_END, process='id="p"'), "x.bpmn") == []


def test_unknown_element_inside_process():
    """An unknown BPMN element in a process is refused with its tag, id and line, never skipped."""
    error = parse_error(bpmn(START_TO_END + '\n    <bpmn:fooBar id="odd"/>'))
    assert error.message == ("Unsupported element 'fooBar' with id 'odd' at line 11: "
                             "modbatch does not support this BPMN element yet")
    assert (error.line, error.element_id, error.resource) == (11, "odd", "test.bpmn")


@pytest.mark.parametrize("element", [
    '<bpmn:callActivity id="x" calledElement="other" camunda:caseRef="case"/>',
    '<bpmn:intermediateCatchEvent id="x"/>',
    '<bpmn:complexGateway id="x"/>',
    '<bpmn:adHocSubProcess id="x"/>',
])
def test_unsupported_flow_nodes(element):
    """Every flow node outside the subset is a ParseError naming it."""
    tag = element.split()[0][6:]
    error = parse_error(bpmn(START_TO_END + element))
    assert f"Unsupported element '{tag}' with id 'x'" in error.message
    assert error.element_id == "x"


def test_multi_instance_task_is_unsupported():
    """Loop characteristics on an activity are refused, naming the activity."""
    body = START_TO_END.replace('<bpmn:userTask id="t"/>',
                                '<bpmn:userTask id="t"><bpmn:standardLoopCharacteristics/></bpmn:userTask>')
    error = parse_error(bpmn(body))
    assert "Unsupported element 'standardLoopCharacteristics'" in error.message
    assert "'userTask' with id 't'" in error.message
    assert error.element_id == "t"


def test_start_events_of_every_kind():
    """Timer, message and signal start events get Camunda's types; the none start stays initial."""
    extra = '<bpmn:message id="m" name="go"/><bpmn:signal id="sg" name="alarm"/>'
    body = START_TO_END + """
    <bpmn:startEvent id="ts"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1M</bpmn:timeCycle>
      </bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:startEvent id="ms"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
    <bpmn:startEvent id="ss"><bpmn:signalEventDefinition signalRef="sg"/></bpmn:startEvent>"""
    (model,) = parse_bpmn(bpmn(body, extra=extra), "s.bpmn")
    kinds = {a: model.activities[a].type for a in ("s", "ts", "ms", "ss")}
    assert kinds == {"s": "startEvent", "ts": "startTimerEvent", "ms": "messageStartEvent",
                     "ss": "signalStartEvent"}
    assert (model.activities["ms"].event_name, model.activities["ss"].event_name) == ("go", "alarm")
    assert model.activities["ts"].timer.kind == "timeCycle"
    assert model.start_event_id == "s"


def test_end_events_of_every_kind():
    """Terminate, error, escalation and signal end events get their types; a cancel end event
    outside a transaction is refused."""
    extra = '<bpmn:error id="err" errorCode="E1"/><bpmn:escalation id="esc" escalationCode="X"/>'
    for definition, kind, name in (("<bpmn:terminateEventDefinition/>", "terminateEndEvent", None),
                                   ('<bpmn:errorEventDefinition errorRef="err"/>', "errorEndEvent", "E1"),
                                   ('<bpmn:escalationEventDefinition escalationRef="esc"/>',
                                    "escalationEndEvent", "X")):
        body = START_TO_END.replace('<bpmn:endEvent id="e"/>', f'<bpmn:endEvent id="e">{definition}</bpmn:endEvent>')
        (model,) = parse_bpmn(bpmn(body, extra=extra), "t.bpmn")
        assert (model.activities["e"].type, model.activities["e"].event_name) == (kind, name)
    body = START_TO_END.replace('<bpmn:endEvent id="e"/>',
                                '<bpmn:endEvent id="e"><bpmn:cancelEventDefinition/></bpmn:endEvent>')
    error = parse_error(bpmn(body))
    assert "end event with cancelEventDefinition only supported inside transaction subprocess" in error.message
    assert error.element_id == "e"


def test_unknown_message_reference_is_refused():
    """A messageRef that names no message is a ParseError naming the event."""
    body = START_TO_END.replace('<bpmn:userTask id="t"/>', '<bpmn:receiveTask id="t" messageRef="nope"/>')
    error = parse_error(bpmn(body))
    assert "Invalid messageRef 'nope' of 'receiveTask' with id 't'" in error.message


def test_sequence_flow_without_id_gets_one():
    """Camunda accepts a sequence flow without an id; the parser generates one."""
    body = START_TO_END.replace('<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>',
                                '<bpmn:sequenceFlow sourceRef="s" targetRef="t"/>')
    (model,) = parse_bpmn(bpmn(body), "t.bpmn")
    (flow_id,) = model.activities["s"].outgoing
    assert model.flows[flow_id].target_id == "t"


def test_async_settings():
    """asyncBefore/async/asyncAfter, exclusive and failedJobRetryTimeCycle are read per element."""
    task = ('<bpmn:userTask id="t" camunda:asyncBefore="true" camunda:asyncAfter="true" '
            'camunda:exclusive="false"><bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R5/PT5M'
            '</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:userTask>')
    (model,) = parse_bpmn(bpmn(START_TO_END.replace('<bpmn:userTask id="t"/>', task)), "a.bpmn")
    t = model.activities["t"]
    assert (t.async_before, t.async_after, t.exclusive, t.retry_time_cycle) == (True, True, False, "R5/PT5M")
    bad = task.replace("R5/PT5M", "often")
    error = parse_error(bpmn(START_TO_END.replace('<bpmn:userTask id="t"/>', bad)))
    assert "Invalid camunda:failedJobRetryTimeCycle 'often'" in error.message


def test_compensation_event_subprocess_at_process_level_is_refused():
    """A compensation event sub-process belongs in an embedded sub-process, as Camunda demands."""
    error = parse_error(bpmn(START_TO_END + '<bpmn:subProcess id="ev" triggeredByEvent="true">'
                             '<bpmn:startEvent id="cs"><bpmn:compensateEventDefinition/></bpmn:startEvent>'
                             '</bpmn:subProcess>'))
    assert "event subprocess with compensation start event is only supported for embedded subprocess" in \
        error.message
    assert error.element_id == "cs"


def test_duplicate_id():
    """Two elements with the same id are refused, naming both lines."""
    error = parse_error(bpmn(START_TO_END + '\n    <bpmn:userTask id="t"/>'))
    assert error.message == "Duplicate id 't' on 'userTask' with id 't' at line 11: already used at line 8"
    assert (error.element_id, error.line) == ("t", 11)


def test_dangling_source_ref():
    """A sequence flow whose sourceRef names no flow node is refused."""
    error = parse_error(bpmn(START_TO_END.replace('sourceRef="t"', 'sourceRef="nope"')))
    assert error.message == "Invalid source 'nope' of sequence flow 'f2' at line 9: no flow node with that id"
    assert (error.element_id, error.line) == ("f2", 9)


def test_flow_across_scopes_is_refused():
    """A sequence flow may only connect nodes of its own scope."""
    body = """
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="inner"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="subStart"/>
      <bpmn:sequenceFlow id="f2" sourceRef="subStart" targetRef="inner"/>
      <bpmn:userTask id="inner"/>
    </bpmn:subProcess>"""
    error = parse_error(bpmn(body))
    assert "Invalid destination 'inner' of sequence flow 'f1'" in error.message
    assert "same scope" in error.message


def test_subprocess_needs_exactly_one_start_event():
    """A subprocess without a start event, or a process with two, is refused."""
    error = parse_error(bpmn(START_TO_END + '<bpmn:subProcess id="sub"><bpmn:userTask id="in"/></bpmn:subProcess>'))
    assert "'subProcess' with id 'sub'" in error.message and "must define a none startEvent" in error.message
    error = parse_error(bpmn(START_TO_END + '<bpmn:startEvent id="s2"/>'))
    assert "more than one none start event ('s', 's2')" in error.message
    assert error.element_id == "s2"


def test_exclusive_gateway_default_flow():
    """The default attribute must name one of the gateway's outgoing flows."""
    body = """
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:exclusiveGateway id="g" default="f3"/>
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="a">
      <bpmn:conditionExpression>${x &gt; 1}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="b"/>
    <bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>"""
    (model,) = parse_bpmn(bpmn(body), "g.bpmn")
    assert model.activities["g"].default_flow == "f3"
    assert model.flows["f2"].condition.evaluate({"x": 2}) is True
    error = parse_error(bpmn(body.replace('default="f3"', 'default="f1"')))
    assert "Default sequence flow 'f1' of 'exclusiveGateway' with id 'g'" in error.message


def test_invalid_condition_expression():
    """A condition using property access fails at deploy time with the flow id and the condition's line."""
    body = START_TO_END.replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e">\n'
        '<bpmn:conditionExpression>${order.total > 5}</bpmn:conditionExpression></bpmn:sequenceFlow>')
    error = parse_error(bpmn(body))
    assert "conditionExpression of 'sequenceFlow' with id 'f2'" in error.message
    assert "property access is not supported" in error.message
    assert (error.element_id, error.line) == ("f2", 10)


def test_script_condition_is_unsupported():
    """A conditionExpression in a script language is refused."""
    body = START_TO_END.replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e">'
        '<bpmn:conditionExpression language="javascript">true</bpmn:conditionExpression></bpmn:sequenceFlow>')
    assert "script condition in language 'javascript'" in parse_error(bpmn(body)).message


# ---------------------------------------------------------------- service tasks and extensions

def service(attrs, inner=""):
    task = f'<bpmn:serviceTask id="t" {attrs}>{inner}</bpmn:serviceTask>'
    return bpmn(START_TO_END.replace('<bpmn:userTask id="t"/>', task))


def test_expression_service_task():
    """camunda:expression is compiled and camunda:resultVariable kept."""
    (model,) = parse_bpmn(service('camunda:expression="${a + 1}" camunda:resultVariable="r"'), "s.bpmn")
    task = model.activities["t"]
    assert (task.type, task.result_variable, task.external_topic) == ("serviceTask", "r", None)
    assert task.expression.evaluate({"a": 1}) == 2


def test_external_service_task():
    """camunda:type=external with a topic is a wait state with external_topic set."""
    (model,) = parse_bpmn(service('camunda:type="external" camunda:topic="charge"'), "s.bpmn")
    assert (model.activities["t"].external_topic, model.activities["t"].expression) == ("charge", None)


@pytest.mark.parametrize("attrs, inner, problem", [
    ('camunda:type="mail"', "", 'Unsupported camunda:type="mail"'),
    ('camunda:type="external"', "", "no camunda:topic"),
    ("", "", "'serviceTask' with id 't' at line 8 has no implementation"),
])
def test_unsupported_service_tasks(attrs, inner, problem):
    """Service tasks with nothing to run or an unknown type are refused."""
    error = parse_error(service(attrs, inner))
    assert problem in error.message
    assert (error.element_id, error.line) == ("t", 8)


@pytest.mark.parametrize("attrs, inner, recorded", [
    ('camunda:class="com.acme.Delegate"', "", "camunda:class 'com.acme.Delegate'"),
    ('camunda:delegateExpression="${bean}"', "", "camunda:delegateExpression '${bean}'"),
    ("", "<bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector</camunda:connectorId>"
         "</camunda:connector></bpmn:extensionElements>", "camunda:connector 'http-connector'"),
    ('camunda:expression="#{mailer.send(x)}"', "", "camunda:expression '#{mailer.send(x)}' (a bean call)"),
])
def test_java_service_tasks_deploy_and_name_their_implementation(attrs, inner, recorded):
    """Java-only implementations deploy; the model names what a token reaching them cannot run."""
    (model,) = parse_bpmn(service(attrs, inner), "j.bpmn")
    assert model.activities["t"].jvm_implementation == recorded


def test_script_io_parameters_javascript_runs_others_fail_only_when_evaluated():
    """A JavaScript camunda:script in an io parameter becomes a Script the sandbox runs; a groovy one
    (or a camunda:resource one) deploys and fails loudly when evaluated, naming language and parameter."""
    inner = """<bpmn:extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="score">
        <camunda:script scriptFormat="javascript">5</camunda:script>
      </camunda:inputParameter>
      <camunda:inputParameter name="g">
        <camunda:script scriptFormat="groovy">5</camunda:script>
      </camunda:inputParameter>
      <camunda:outputParameter name="r">
        <camunda:script scriptFormat="js" resource="deployment://x.js"/>
      </camunda:outputParameter>
    </camunda:inputOutput></bpmn:extensionElements>"""
    (model,) = parse_bpmn(service('camunda:type="external" camunda:topic="x"', inner), "s.bpmn")
    score, groovy = model.activities["t"].input_parameters
    [resource] = model.activities["t"].output_parameters
    assert (score.name, score.value) == ("score", Script("javascript", "5"))
    for parameter, language, kind in ((groovy, "groovy", "inputParameter"), (resource, "js", "outputParameter")):
        with pytest.raises(ProcessEngineError) as caught:
            parameter.value.evaluate({})
        assert caught.value.status == 400
        assert (f"cannot run the {language} script of camunda:{kind} '{parameter.name}' of 'serviceTask' "
                "with id 't'" in caught.value.message)


def test_io_parameters_text_expression_and_empty():
    """Plain text is a constant, ${...} an expression, an empty parameter has no value."""
    inner = """<bpmn:extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="a">plain</camunda:inputParameter>
      <camunda:inputParameter name="b"> ${x * 2} </camunda:inputParameter>
      <camunda:inputParameter name="c"/>
      <camunda:outputParameter name="d">${y}</camunda:outputParameter>
    </camunda:inputOutput></bpmn:extensionElements>"""
    (model,) = parse_bpmn(service('camunda:type="external" camunda:topic="x"', inner), "io.bpmn")
    a, b, c = model.activities["t"].input_parameters
    assert a == IoParameter("a", ConstantExpression("plain"))
    assert b.value.evaluate({"x": 4}) == 8
    assert c == IoParameter("c", None)
    assert model.activities["t"].output_parameters[0].value.source == "${y}"


def test_io_mapping_on_gateway_is_refused():
    """Like Camunda, camunda:inputOutput on a gateway is a deploy error."""
    body = START_TO_END.replace(
        '<bpmn:userTask id="t"/>',
        '<bpmn:parallelGateway id="t"><bpmn:extensionElements><camunda:inputOutput/></bpmn:extensionElements>'
        '</bpmn:parallelGateway>')
    error = parse_error(bpmn(body))
    assert "camunda:inputOutput mapping unsupported for element type 'parallelGateway'" in error.message
    assert error.element_id == "t"


def test_listener_kinds():
    """Expression and JUEL script listeners compile; class, delegate and other scripts are recorded."""
    listener = ('<bpmn:extensionElements><camunda:executionListener event="start">'
                '<camunda:script scriptFormat="groovy">x</camunda:script></camunda:executionListener>'
                '<camunda:executionListener event="end" class="com.acme.L"/>'
                '<camunda:executionListener event="end" expression="${1 + 1}"/>'
                '<camunda:taskListener event="create" expression="${true}"/>'
                '</bpmn:extensionElements>')
    body = START_TO_END.replace('<bpmn:userTask id="t"/>', f'<bpmn:userTask id="t">{listener}</bpmn:userTask>')
    (model,) = parse_bpmn(bpmn(body), "l.bpmn")
    task = model.activities["t"]
    assert [x.as_tuple() for x in task.listeners] == [
        ("start", "script", "groovy script"), ("end", "class", "com.acme.L"), ("end", "expression", "${1 + 1}")]
    assert task.listeners[2].expression.evaluate({}) == 2
    assert [x.as_tuple() for x in task.task_listeners] == [("create", "expression", "${true}")]


def test_ignored_elements_are_skipped():
    """Lanes, annotations, data objects and root-level messages carry no semantics and are skipped."""
    body = START_TO_END + """
    <bpmn:laneSet id="ls"><bpmn:lane id="l"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:textAnnotation id="ta"><bpmn:text>note</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="as" sourceRef="t" targetRef="ta"/>
    <bpmn:dataObject id="do"/>"""
    extra = ('\n  <bpmn:message id="m" name="m"/>'
             '<bpmn:collaboration id="c"><bpmn:participant id="pa" processRef="p"/></bpmn:collaboration>')
    (model,) = parse_bpmn(bpmn(body, extra=extra), "i.bpmn")
    assert list(model.activities) == ["s", "t", "e"]


def test_boundary_timer_must_attach_in_same_scope():
    """attachedToRef must name a task or subprocess of the boundary event's own scope."""
    timer = ('<bpmn:boundaryEvent id="b" attachedToRef="{ref}" cancelActivity="false"><bpmn:timerEventDefinition>'
             '<bpmn:timeDate>2030-01-01T00:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    (model,) = parse_bpmn(bpmn(START_TO_END + timer.format(ref="t")), "b.bpmn")
    boundary = model.activities["b"]
    assert (boundary.cancel_activity, boundary.timer.text, boundary.attached_to) == (False, "2030-01-01T00:00:00Z", "t")
    error = parse_error(bpmn(START_TO_END + timer.format(ref="zzz")))
    assert "Invalid attachedToRef 'zzz'" in error.message
    error = parse_error(bpmn(START_TO_END + timer.format(ref="e")))
    assert "cannot be attached to 'endEvent' with id 'e'" in error.message
