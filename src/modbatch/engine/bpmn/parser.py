"""Deploy-time BPMN parsing: hardened XML loading and a strict mapping of the supported subset onto ``model``.

Anything modbatch cannot execute faithfully is refused with a ``ParseError`` naming the element,
its id and line, instead of being skipped: a silently dropped boundary event or loop would make
instances behave differently from Camunda. Structural problems (unsupported elements) are found
in a first pass over the whole process so the error names the first such element in document
order; expressions, references and extension elements are checked in the second pass.
"""

from __future__ import annotations

import re
from typing import Iterator

from lxml import etree

from modbatch.errors import ParseError

from .expression import ConstantExpression, ExpressionError, ForeignScript, compile_expression
from .model import (
    BOUNDARY_TYPES,
    EVENT_SUBPROCESS_START_TYPES,
    Activity,
    DecisionRef,
    Expression,
    IoParameter,
    Listener,
    START_TYPES,
    ProcessModel,
    Script,
    SequenceFlow,
    TimerDefinition,
            )
from . import multi_instance
from .call_activity import calls_a_bean, check_call, parse_call
from .compensation import link_compensation
from .timers import parse_timer

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# flow node tag -> Camunda activity type (end and boundary events are refined in classify)
_NODE_TYPES = {
    "startEvent": "startEvent", "endEvent": "noneEndEvent", "boundaryEvent": "boundaryTimer",
    "intermediateCatchEvent": "intermediateTimer", "intermediateThrowEvent": "intermediateNoneThrowEvent",
    "userTask": "userTask", "task": "task", "manualTask": "manualTask", "serviceTask": "serviceTask",
    "sendTask": "sendTask", "businessRuleTask": "businessRuleTask", "scriptTask": "scriptTask",
    "receiveTask": "receiveTask",
    "exclusiveGateway": "exclusiveGateway", "parallelGateway": "parallelGateway",
    "inclusiveGateway": "inclusiveGateway", "eventBasedGateway": "eventBasedGateway",
    "subProcess": "subProcess", "transaction": "transaction", "callActivity": "callActivity",
}
# (element tag, event definition) -> Camunda activity type; anything else is refused
_EVENT_TYPES = {
    ("startEvent", None): "startEvent",
    ("startEvent", "messageEventDefinition"): "messageStartEvent",
    ("startEvent", "signalEventDefinition"): "signalStartEvent",
    ("startEvent", "timerEventDefinition"): "startTimerEvent",
    ("startEvent", "errorEventDefinition"): "errorStartEvent",
    ("startEvent", "escalationEventDefinition"): "escalationStartEvent",
    ("startEvent", "conditionalEventDefinition"): "conditionalStartEvent",
    ("endEvent", None): "noneEndEvent",
    ("endEvent", "terminateEventDefinition"): "terminateEndEvent",
    ("endEvent", "errorEventDefinition"): "errorEndEvent",
    ("endEvent", "escalationEventDefinition"): "escalationEndEvent",
    ("endEvent", "signalEventDefinition"): "signalEndEvent",
    ("endEvent", "messageEventDefinition"): "messageEndEvent",
    ("boundaryEvent", "timerEventDefinition"): "boundaryTimer",
    ("boundaryEvent", "messageEventDefinition"): "boundaryMessage",
    ("boundaryEvent", "signalEventDefinition"): "boundarySignal",
    ("boundaryEvent", "errorEventDefinition"): "boundaryError",
    ("boundaryEvent", "escalationEventDefinition"): "boundaryEscalation",
    ("intermediateCatchEvent", "timerEventDefinition"): "intermediateTimer",
    ("intermediateCatchEvent", "messageEventDefinition"): "intermediateMessageCatch",
    ("intermediateCatchEvent", "signalEventDefinition"): "intermediateSignalCatch",
    ("intermediateThrowEvent", None): "intermediateNoneThrowEvent",
    ("intermediateThrowEvent", "signalEventDefinition"): "intermediateSignalThrow",
    ("intermediateThrowEvent", "escalationEventDefinition"): "intermediateEscalationThrowEvent",
    ("intermediateThrowEvent", "messageEventDefinition"): "intermediateMessageThrowEvent",
    ("intermediateThrowEvent", "compensateEventDefinition"): "intermediateCompensationThrowEvent",
    ("endEvent", "compensateEventDefinition"): "compensationEndEvent",
    ("boundaryEvent", "compensateEventDefinition"): "compensationBoundaryCatch",
    ("endEvent", "cancelEventDefinition"): "cancelEndEvent",
    ("boundaryEvent", "cancelEventDefinition"): "cancelBoundaryCatch",
    ("startEvent", "compensateEventDefinition"): "compensationStartEvent",
}
# elements whose implementation is a camunda:class / expression / external topic
_IMPLEMENTED = {"serviceTask", "sendTask", "businessRuleTask", "messageEndEvent",
                "intermediateMessageThrowEvent"}
# BPMN children of a process or subProcess that carry no execution semantics for modbatch
_IGNORED = {
    "laneSet", "lane", "textAnnotation", "association", "group", "category", "documentation",
    "extensionElements", "dataStore", "dataStoreReference", "dataObject", "dataObjectReference",
    "property", "dataInputAssociation", "dataOutputAssociation", "ioSpecification", "ioBinding",
    "auditing", "monitoring", "incoming", "outgoing", "flowNodeRef", "correlationSubscription",
    "resourceRole", "performer", "humanPerformer", "potentialOwner", "supports",
    "multiInstanceLoopCharacteristics",  # read by classify and multi_instance.wrap_bodies
}
_ATTACHABLE = {"userTask", "task", "manualTask", "serviceTask", "sendTask", "businessRuleTask",
               "scriptTask", "receiveTask", "subProcess", "transaction", "callActivity"}
_LOOPS = {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}
_TIMERS = ("timeDate", "timeDuration", "timeCycle")
_LISTENER_KINDS = ("class", "expression", "delegateExpression")
# script languages the engine runs itself (the expression language); others need a JVM
_OWN_SCRIPT_FORMATS = ("juel",)
# inline scripts run in the JavaScript sandbox (engine/runtime/scripts.py)
_JAVASCRIPT_FORMATS = ("javascript", "js", "ecmascript")
# the bytes a DTD needs, in every encoding libxml2 sniffs from a BOM or declaration
_DTD_MARKERS = [m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")]


def parse_bpmn(data: bytes, resource_name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[ProcessModel]:
    """Parse one BPMN resource into a model per executable ``<process>``; non-executable ones are skipped."""
    root = _load(data, resource_name, max_bytes)
    if _bpmn_tag(root) != "definitions":
        raise ParseError(f"Root element of '{resource_name}' must be 'definitions' in namespace {BPMN_NS}, "
                         f"found '{root.tag}'",
                         resource=resource_name, line=root.sourceline)
    seen_ids: dict[str, int | None] = {}
    references = _references(root)
    return [
        _ProcessParser(el, resource_name, root.get("targetNamespace"), seen_ids, references).parse()
        for el in root
        if _bpmn_tag(el) == "process" and _true(el.get("isExecutable"))
    ]


def _references(root: etree._Element) -> dict[str, dict[str, str | None]]:
    """Root-level message, signal, error and escalation declarations by id, with the name or code."""
    found: dict[str, dict[str, str | None]] = {"message": {}, "signal": {}, "error": {}, "escalation": {}}
    attribute = {"message": "name", "signal": "name", "error": "errorCode", "escalation": "escalationCode"}
    for el in root:
        tag = _bpmn_tag(el)
        if tag in found and el.get("id"):
            found[tag][el.get("id")] = el.get(attribute[tag])
    return found


def _load(data: bytes, resource: str, max_bytes: int) -> etree._Element:
    """Refuse oversized input and any DTD before libxml2 sees it, then parse without entities or network."""
    if len(data) > max_bytes:
        raise ParseError(f"Resource '{resource}' has {len(data)} bytes, more than the limit of {max_bytes} bytes",
                         resource=resource)
    for marker in _DTD_MARKERS:
        if (at := data.find(marker)) >= 0:
            raise _doctype_error(resource, data.count(b"\n", 0, at) + 1)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        line, column = e.position
        message = re.sub(r", line \d+, column \d+$", "", e.msg or "empty document")
        raise ParseError(f"Malformed XML in '{resource}' at line {line}, column {column}: {message}",
                         resource=resource, line=line, column=column) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise _doctype_error(resource, None)
    return root


def _doctype_error(resource: str, line: int | None) -> ParseError:
    return ParseError(f"DOCTYPE is not allowed in '{resource}'"
                      f"{f' (line {line})' if line else ''}: DTDs and entities are refused to prevent XML bombs",
                      resource=resource, line=line)


def _bpmn_tag(el: etree._Element) -> str | None:
    """Local name of a BPMN-namespace element (any prefix); None for other namespaces, PIs and entities."""
    tag = el.tag
    if isinstance(tag, str) and tag.startswith("{" + BPMN_NS + "}"):
        return tag[len(BPMN_NS) + 2:]
    return None


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else str(el.tag)


def _camunda(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _true(value: str | None) -> bool:
    """Java's Boolean.parseBoolean, which Camunda uses for isExecutable and cancelActivity."""
    return value is not None and value.lower() == "true"


def _where(el: etree._Element, line: bool = True) -> str:
    text = f"'{_local(el)}'"
    if el.get("id"):
        text += f" with id '{el.get('id')}'"
    return text + (f" at line {el.sourceline}" if line else "")


class _ProcessParser:
    """Turns one ``<process>`` element into a ProcessModel."""

    def __init__(self, el: etree._Element, resource: str, target_namespace: str | None,
                 seen_ids: dict[str, int | None], references: dict[str, dict[str, str | None]]) -> None:
        self.el, self.resource, self.target_namespace, self.seen_ids = el, resource, target_namespace, seen_ids
        self.references = references
        self.generated_flows = 0
        self.nodes: dict[str, tuple[etree._Element, str, str]] = {}  # id -> (element, scope id, type)
        self.flow_elements: list[tuple[etree._Element, str]] = []
        self.starts: dict[str, list[str]] = {}  # scope id -> ids of its start events
        self.event_scopes: set[str] = set()  # ids of the event sub-processes

    def error(self, message: str, el: etree._Element, element_id: str | None = None) -> ParseError:
        return ParseError(message, resource=self.resource, line=el.sourceline,
                          element_id=element_id or el.get("id"))

    def unsupported(self, el: etree._Element, reason: str = "modbatch does not support this BPMN element yet",
                    owner: etree._Element | None = None) -> ParseError:
        if owner is None:
            return self.error(f"Unsupported element {_where(el)}: {reason}", el)
        return self.error(f"Unsupported element '{_local(el)}' at line {el.sourceline} in {_where(owner, False)}: "
                          f"{reason}", el, owner.get("id"))

    def parse(self) -> ProcessModel:
        pid = self.claim(self.el)
        self.collect(self.el, pid)
        flows = self.build_flows()
        activities = link_compensation(self, self.build_activities(flows))
        activities, flows = multi_instance.wrap_bodies(self, activities, flows)
        boundary: dict[str, list[str]] = {}
        event_subprocesses: dict[str, list[str]] = {}
        for act in activities.values():
            if act.attached_to:
                boundary.setdefault(act.attached_to, []).append(act.id)
            if act.triggered_by_event:
                event_subprocesses.setdefault(act.scope_id, []).append(act.id)
        self.check_message_names(activities, event_subprocesses)
        instance_activities = frozenset(
            a.id for a in activities.values()
            if a.is_wait_state or a.is_scope or a.id in boundary or a.input_parameters
            or a.is_for_compensation
            or multi_instance.is_body_id(a.scope_id)  # an inner activity is always a scope
        )
        return ProcessModel(
            id=pid, name=self.el.get("name"), activities=activities, flows=flows,
            start_event_id=self.initial(pid, activities), version_tag=self.el.get(_camunda("versionTag")),
            history_time_to_live=self.history_time_to_live(), documentation=self.documentation(),
            target_namespace=self.target_namespace, listeners=self.listeners(self.el),
            boundary_events={k: tuple(v) for k, v in boundary.items()},
            instance_activities=instance_activities,
            event_subprocesses={k: tuple(v) for k, v in event_subprocesses.items()},
        )

    def check_message_names(self, activities: dict[str, Activity],
                            event_subprocesses: dict[str, list[str]]) -> None:
        """As Camunda: one message name per event scope, counting the message start events of
        the event sub-processes in a scope and the message boundary events attached to it."""
        for scope, esps in event_subprocesses.items():
            starts = [activities[activities[e].start_event_id or ""] for e in esps]
            events = [a for a in starts if a.type == "messageStartEvent"]
            events += [a for a in activities.values() if a.attached_to == scope and a.type == "boundaryMessage"]
            seen: set[str | None] = set()
            for event in events:
                if event.event_name in seen:
                    raise self.error(f"Cannot have more than one message event subscription with name "
                                     f"'{event.event_name}' for scope '{scope}'", self.nodes[event.id][0])
                seen.add(event.event_name)

    def initial(self, pid: str, activities: dict[str, Activity]) -> str | None:
        """Camunda's initial activity: the none start event, else the only start event."""
        starts = [activities[s] for s in self.starts[pid]]
        none = [a for a in starts if a.type == "startEvent"]
        if len(none) > 1:
            raise self.error(f"{_where(self.el)} has more than one none start event ('{none[0].id}', "
                             f"'{none[1].id}')", self.nodes[none[1].id][0], none[1].id)
        if none:
            return none[0].id
        if not starts:
            raise self.error(f"{_where(self.el)} must define a startEvent element", self.el)
        return starts[0].id if len(starts) == 1 else None

    # ---- pass 1: structure

    def claim(self, el: etree._Element) -> str:
        """Ids must exist and be unique in the resource, as the BPMN schema's xsd:ID demands."""
        ident = el.get("id")
        if not ident:
            raise self.error(f"Element {_where(el)} has no id", el)
        if ident in self.seen_ids:
            raise self.error(f"Duplicate id '{ident}' on {_where(el)}: already used at line {self.seen_ids[ident]}",
                             el)
        self.seen_ids[ident] = el.sourceline
        return ident

    def collect(self, scope_el: etree._Element, scope_id: str) -> None:
        self.starts.setdefault(scope_id, [])
        for child in scope_el:
            tag = _bpmn_tag(child)
            if tag is None or tag in _IGNORED:
                continue
            if tag == "sequenceFlow":
                if not child.get("id"):
                    # Camunda accepts a flow without id and generates one
                    self.generated_flows += 1
                    child.set("id", f"sequenceFlow_{child.get('sourceRef')}_{child.get('targetRef')}"
                                    f"_{self.generated_flows}")
                self.claim(child)
                self.flow_elements.append((child, scope_id))
            elif tag in _NODE_TYPES:
                kind = self.classify(child, tag)
                ident = self.claim(child)
                self.nodes[ident] = (child, scope_id, kind)
                if kind in START_TYPES or kind in EVENT_SUBPROCESS_START_TYPES:
                    self.check_start(child, kind, scope_id)
                    self.starts[scope_id].append(ident)
                if kind == "subProcess" and _true(child.get("triggeredByEvent")):
                    self.event_scopes.add(ident)
                if kind in ("subProcess", "transaction"):
                    self.collect(child, ident)
            else:
                raise self.unsupported(child)

    def classify(self, el: etree._Element, tag: str) -> str:
        """The Camunda activity type of a supported flow node, or a ParseError for what we cannot run."""
        for child in el:
            if _bpmn_tag(child) == "standardLoopCharacteristics":
                raise self.unsupported(child, "standard loops are not supported", owner=el)
            if _bpmn_tag(child) in _LOOPS and tag not in multi_instance.REPEATABLE:
                raise self.unsupported(child, f"a {tag} cannot be a multi-instance activity", owner=el)
        definitions = [c for c in el if (_bpmn_tag(c) or "").endswith(("EventDefinition", "eventDefinitionRef"))]
        if tag in ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"):
            if len(definitions) > 1:
                raise self.unsupported(definitions[1], "an event with more than one event definition "
                                       "(a multiple event) is not supported", owner=el)
            definition = _bpmn_tag(definitions[0]) if definitions else None
            kind = _EVENT_TYPES.get((tag, definition))
            if kind is None:
                where = definitions[0] if definitions else el
                what = definition or "no event definition"
                raise self.unsupported(where, f"modbatch does not support {what} on {tag} yet",
                                       owner=el if definitions else None)
            if kind in ("messageEndEvent", "intermediateMessageThrowEvent"):
                # Camunda reads a message throw event's implementation from its event definition
                self.check_implementation(definitions[0], required=False)
            return kind
        if tag in ("serviceTask", "sendTask", "businessRuleTask"):
            if tag == "businessRuleTask" and el.get(_camunda("decisionRef")) is not None:
                return _NODE_TYPES[tag]  # a decision task: checked in pass 2 (decision_ref)
            self.check_implementation(el, required=True)
        if tag == "scriptTask":
            self.check_script(el)
        if tag == "callActivity":
            check_call(self, el)
        return _NODE_TYPES[tag]

    def check_start(self, el: etree._Element, kind: str, scope_id: str) -> None:
        """Which start events a scope may have: an event sub-process only event starts (no none
        start), a process none, message, signal and timer starts, a sub-process a none start."""
        if scope_id in self.event_scopes:
            if kind == "startEvent":
                raise self.error(f"{_where(el)} of an event sub-process needs an event definition: "
                                 "message, timer, signal, error, escalation or conditional", el)
            if self.starts[scope_id]:
                raise self.error(f"{_where(el)}: an event sub-process has exactly one start event, "
                                 f"'{self.starts[scope_id][0]}' is already one", el)
            if kind == "errorStartEvent" and not _true(el.get("isInterrupting", "true")):
                raise self.error(f"{_where(el)}: an error start event is always interrupting "
                                 "(isInterrupting=\"false\" is not allowed)", el)
        elif kind not in START_TYPES:
            raise self.unsupported(el, f"a start event of type {kind} is allowed only in an event sub-process")
        elif kind != "startEvent" and scope_id != self.el.get("id"):
            raise self.unsupported(el, "a sub-process starts only with a none start event")

    def check_implementation(self, el: etree._Element, *, required: bool) -> None:
        """Service-like elements: an expression, an external topic or a JVM-only implementation."""
        kind = el.get(_camunda("type"))
        if kind == "external":
            if not el.get(_camunda("topic")):
                raise self.error(f"{_where(el)} has camunda:type=\"external\" but no camunda:topic", el)
        elif kind is not None:
            raise self.error(f"Unsupported camunda:type=\"{kind}\" on {_where(el)}: only camunda:type="
                             "\"external\" is known", el)
        elif required and not any(el.get(_camunda(a)) for a in ("expression", "class", "delegateExpression")) \
                and next(self.camunda_children(el, "connector"), None) is None:
            raise self.error(f"{_where(el)} has no implementation: one of camunda:expression, camunda:class, "
                             "camunda:delegateExpression or camunda:type=\"external\" is required", el)

    def check_script(self, el: etree._Element) -> None:
        if not el.get("scriptFormat"):
            raise self.error(f"{_where(el)} has no scriptFormat", el)
        script = next((c for c in el if _bpmn_tag(c) == "script"), None)
        if (script is None or not "".join(script.itertext()).strip()) and el.get(_camunda("resource")) is None:
            raise self.error(f"{_where(el)} has no script", el)

    # ---- pass 2: details

    def build_flows(self) -> dict[str, SequenceFlow]:
        flows: dict[str, SequenceFlow] = {}
        for el, scope_id in self.flow_elements:
            fid = el.get("id")
            refs = []
            for attr, role in (("sourceRef", "source"), ("targetRef", "destination")):
                ref = el.get(attr)
                node = self.nodes.get(ref or "")
                if node is None:
                    raise self.error(f"Invalid {role} '{ref}' of sequence flow '{fid}' at line {el.sourceline}: "
                                     f"no flow node with that id", el)
                if node[1] != scope_id:
                    raise self.error(f"Invalid {role} '{ref}' of sequence flow '{fid}' at line {el.sourceline}: "
                                     f"a sequence flow must connect flow nodes of the same scope", el)
                refs.append(ref)
            flows[fid] = SequenceFlow(fid, refs[0], refs[1], el.get("name"), self.condition(el),
                                      listeners=self.listeners(el))
        return flows

    def condition(self, flow: etree._Element) -> Expression | None:
        el = next((c for c in flow if _bpmn_tag(c) == "conditionExpression"), None)
        if el is None:
            return None
        language = el.get("language")
        if language is not None and language.lower() != "juel":
            raise self.error(f"Unsupported script condition in language '{language}' on {_where(flow)}: "
                             "only JUEL expressions are supported", el, flow.get("id"))
        if el.get(_camunda("resource")) is not None:
            raise self.error(f"Unsupported camunda:resource condition on {_where(flow)}", el, flow.get("id"))
        return self.compile("".join(el.itertext()).strip(), el, f"conditionExpression of {_where(flow)}", flow)

    def compile(self, text: str, el: etree._Element, what: str, owner: etree._Element) -> Expression:
        try:
            return compile_expression(text)
        except ExpressionError as e:
            raise self.error(f"Invalid expression in {what}: {e.message}", el, owner.get("id")) from None

    def build_activities(self, flows: dict[str, SequenceFlow]) -> dict[str, Activity]:
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for flow in flows.values():
            outgoing.setdefault(flow.source_id, []).append(flow.id)
            incoming.setdefault(flow.target_id, []).append(flow.id)
        activities = {}
        for ident, (el, scope_id, kind) in self.nodes.items():
            tag = _local(el)
            extra: dict = {}
            if (default := el.get("default")) and kind not in ("parallelGateway", "eventBasedGateway"):
                if default not in outgoing.get(ident, []):
                    raise self.error(f"Default sequence flow '{default}' of {_where(el)} is not one of its "
                                     "outgoing flows", el)
                extra["default_flow"] = default
            if kind == "businessRuleTask" and el.get(_camunda("decisionRef")) is not None:
                extra.update(self.decision_ref(el))
            elif kind in ("serviceTask", "sendTask", "businessRuleTask"):
                extra.update(self.implementation(el))
            elif kind in ("messageEndEvent", "intermediateMessageThrowEvent"):
                extra.update(self.implementation(
                    next(c for c in el if _bpmn_tag(c) == "messageEventDefinition")))
            elif kind == "scriptTask":
                extra.update(self.script(el))
            elif kind == "userTask" and el.get(_camunda("assignee")):
                extra.update(self.assignee(el))
            elif kind == "subProcess" and ident in self.event_scopes:
                extra.update(self.event_subprocess(ident, el, incoming, outgoing))
            elif kind in ("subProcess", "transaction"):
                extra.update(is_scope=True, start_event_id=self.start_event(ident, el))
            elif kind == "callActivity":
                extra.update(parse_call(self, el))
            if scope_id in self.event_scopes and kind in EVENT_SUBPROCESS_START_TYPES:
                extra.update(self.event_subprocess_start(el, kind))
            if kind in BOUNDARY_TYPES:
                extra.update(attached_to=self.attached_to(el, scope_id),
                             cancel_activity=kind == "boundaryError" or _true(el.get("cancelActivity", "true")))
            if kind in ("boundaryTimer", "intermediateTimer", "startTimerEvent"):
                extra["timer"] = self.timer(el)
            extra.update(self.event_reference(el, kind))
            if kind == "receiveTask":
                extra["event_name"] = self.reference_name(el, el.get("messageRef"), "message", required=False)
            extra.update(self.async_settings(el))
            if _true(el.get("isForCompensation")):
                extra["is_for_compensation"] = True
            inputs, outputs = self.io_mapping(el, tag)
            activities[ident] = Activity(
                id=ident, type=kind, name=el.get("name"), scope_id=scope_id,
                incoming=tuple(incoming.get(ident, ())), outgoing=tuple(outgoing.get(ident, ())),
                input_parameters=inputs, output_parameters=outputs, listeners=self.listeners(el),
                task_listeners=self.listeners(el, "taskListener") if kind == "userTask" else (),
                line=el.sourceline, **extra,
            )
        for gateway in (a for a in activities.values() if a.type == "eventBasedGateway"):
            for flow_id in gateway.outgoing:
                target = activities[flows[flow_id].target_id]
                if target.type not in ("intermediateTimer", "intermediateMessageCatch",
                                       "intermediateSignalCatch", "receiveTask"):
                    el = self.nodes[gateway.id][0]
                    raise self.error(f"Event based gateway {_where(el)} can only be connected to elements of "
                                     f"type intermediateCatchEvent or receiveTask, not to '{target.id}'", el)
        return activities

    def implementation(self, el: etree._Element) -> dict:
        """camunda:expression runs here; camunda:type="external" waits for a worker; Java is refused late."""
        if el.get(_camunda("type")) == "external":
            priority = el.get(_camunda("taskPriority"))
            return {"external_topic": el.get(_camunda("topic")),
                    "task_priority": self.compile(priority, el, f"camunda:taskPriority of {_where(el)}", el)
                    if priority else None}
        for attr in ("class", "delegateExpression"):
            if el.get(_camunda(attr)) is not None:
                return {"jvm_implementation": f"camunda:{attr} '{el.get(_camunda(attr))}'"}
        connector = next(self.camunda_children(el, "connector"), None)
        if connector is not None:
            connector_id = next(connector.iterchildren(_camunda("connectorId")), None)
            name = "".join(connector_id.itertext()).strip() if connector_id is not None else ""
            return {"jvm_implementation": f"camunda:connector '{name}'"}
        text = (el.get(_camunda("expression")) or "").strip()
        if not text:
            return {}
        if calls_a_bean(text):  # a bean method is Java code: deploys, fails when reached
            return {"jvm_implementation": f"camunda:expression '{text}' (a bean call)"}
        return {"expression": self.compile(text, el, f"camunda:expression of {_where(el)}", el),
                "result_variable": el.get(_camunda("resultVariable"))}

    def decision_ref(self, el: etree._Element) -> dict:
        """camunda:decisionRef with its binding, version, tenant, result variable and mapper."""
        binding = el.get(_camunda("decisionRefBinding")) or "latest"
        if binding not in ("latest", "deployment", "version", "versionTag"):
            raise self.error(f"Invalid camunda:decisionRefBinding '{binding}' on {_where(el)}: one of "
                             "latest, deployment, version, versionTag", el)
        version = el.get(_camunda("decisionRefVersion"))
        version_tag = el.get(_camunda("decisionRefVersionTag"))
        if binding == "version" and not version:
            raise self.error(f"Missing attribute 'decisionRefVersion' when 'decisionRefBinding' has value "
                             f"'version' on {_where(el)}", el)
        if binding == "versionTag" and not version_tag:
            raise self.error(f"Missing attribute 'decisionRefVersionTag' when 'decisionRefBinding' has "
                             f"value 'versionTag' on {_where(el)}", el)
        mapper = el.get(_camunda("mapDecisionResult")) or "resultList"
        if mapper not in ("singleEntry", "singleResult", "collectEntries", "resultList"):
            raise self.error(f"No decision result mapper found for name '{mapper}'. Supported mappers are "
                             "'singleEntry', 'singleResult', 'collectEntries' and 'resultList'.", el)
        tenant = el.get(_camunda("decisionRefTenantId"))

        def compiled(text: str | None, attribute: str) -> Expression | None:
            return self.compile(text, el, f"camunda:{attribute} of {_where(el)}", el) if text else None

        reference = DecisionRef(
            key=compiled(el.get(_camunda("decisionRef")), "decisionRef"),  # type: ignore[arg-type]
            binding=binding, version=compiled(version if binding == "version" else None, "decisionRefVersion"),
            version_tag=version_tag if binding == "versionTag" else None,
            tenant_id=compiled(tenant, "decisionRefTenantId"), map_result=mapper)
        return {"decision": reference, "result_variable": el.get(_camunda("resultVariable"))}

    def assignee(self, el: etree._Element) -> dict:
        """camunda:assignee: text or an expression; one only a JVM can evaluate (a bean's method)
        fails when the task is reached, as other Java-only code does."""
        text = el.get(_camunda("assignee"))
        try:
            return {"assignee": compile_expression(text)}
        except ExpressionError:
            return {"jvm_implementation": f"camunda:assignee '{text}'"}

    def script(self, el: etree._Element) -> dict:
        language = (el.get("scriptFormat") or "").lower()
        result = {"result_variable": el.get(_camunda("resultVariable"))}
        if language in _JAVASCRIPT_FORMATS and el.get(_camunda("resource")) is None:
            script = next(c for c in el if _bpmn_tag(c) == "script")
            return {**result, "script": Script(language, "".join(script.itertext()))}
        if language not in _OWN_SCRIPT_FORMATS or el.get(_camunda("resource")) is not None:
            return {**result, "jvm_implementation": f"a {el.get('scriptFormat')} script"}
        script = next(c for c in el if _bpmn_tag(c) == "script")
        text = "".join(script.itertext()).strip()
        return {**result, "expression": self.compile(text, script, f"the script of {_where(el)}", el)}

    def event_reference(self, el: etree._Element, kind: str) -> dict:
        """The message or signal name, error or escalation code an event names."""
        definition = next((c for c in el if (_bpmn_tag(c) or "").endswith("EventDefinition")), None)
        if definition is None:
            return {}
        tag = _bpmn_tag(definition)
        if tag == "messageEventDefinition":
            required = kind not in ("messageEndEvent", "intermediateMessageThrowEvent")
            return {"event_name": self.reference_name(el, definition.get("messageRef"), "message",
                                                      required=required)}
        if tag == "signalEventDefinition":
            return {"event_name": self.reference_name(el, definition.get("signalRef"), "signal", required=True)}
        if tag == "errorEventDefinition":
            code = self.reference_name(el, definition.get("errorRef"), "error", required=False)
            return {"event_name": code,
                    "error_code_variable": definition.get(_camunda("errorCodeVariable")),
                    "error_message_variable": definition.get(_camunda("errorMessageVariable"))}
        if tag == "compensateEventDefinition":
            return {"activity_ref": definition.get("activityRef"),
                    "wait_for_completion": definition.get("waitForCompletion", "true") == "true"}
        if tag == "escalationEventDefinition":
            return {"event_name": self.reference_name(el, definition.get("escalationRef"), "escalation",
                                                      required=False)}
        return {}

    def reference_name(self, el: etree._Element, ref: str | None, what: str, *, required: bool) -> str | None:
        if not ref:
            if required:
                raise self.error(f"{_where(el)} needs a {what}Ref naming a {what}", el)
            return None
        declared = self.references[what]
        if ref not in declared:
            raise self.error(f"Invalid {what}Ref '{ref}' of {_where(el)}: no {what} with that id", el)
        name = declared[ref]
        if what in ("message", "signal") and not name:
            raise self.error(f"The {what} '{ref}' referenced by {_where(el)} has no name", el)
        return name

    def async_settings(self, el: etree._Element) -> dict:
        before = _true(el.get(_camunda("asyncBefore"))) or _true(el.get(_camunda("async")))
        after = _true(el.get(_camunda("asyncAfter")))
        result: dict = {"async_before": before, "async_after": after,
                        "exclusive": el.get(_camunda("exclusive"), "true").lower() != "false"}
        cycle = next(self.camunda_children(el, "failedJobRetryTimeCycle"), None)
        if cycle is not None:
            text = "".join(cycle.itertext()).strip()
            if text and not re.fullmatch(r"R\d+/P[0-9YMWDTHS.]+(,\s*P[0-9YMWDTHS.]+)*", text):
                raise self.error(f"Invalid camunda:failedJobRetryTimeCycle '{text}' on {_where(el)}: expected "
                                 "an ISO 8601 repeating interval like R3/PT5M", cycle, el.get("id"))
            result["retry_time_cycle"] = text or None
        return result

    def start_event(self, scope_id: str, scope_el: etree._Element) -> str:
        starts = [s for s in self.starts[scope_id] if self.nodes[s][2] == "startEvent"]
        if not starts:
            raise self.error(f"{_where(scope_el)} must define a none startEvent element", scope_el)
        if len(starts) > 1:
            raise self.error(f"{_where(scope_el)} has more than one none start event ('{starts[0]}', '{starts[1]}')",
                             self.nodes[starts[1]][0], starts[1])
        return starts[0]

    def event_subprocess(self, ident: str, el: etree._Element, incoming: dict[str, list[str]],
                         outgoing: dict[str, list[str]]) -> dict:
        if incoming.get(ident) or outgoing.get(ident):
            raise self.error(f"{_where(el)}: an event sub-process cannot have incoming or outgoing "
                             "sequence flows", el)
        if not self.starts[ident]:
            raise self.error(f"{_where(el)} must define a start event", el)
        return {"is_scope": True, "start_event_id": self.starts[ident][0], "triggered_by_event": True}

    def event_subprocess_start(self, el: etree._Element, kind: str) -> dict:
        """isInterrupting (as ``cancel_activity``) and a conditional start's condition."""
        extra: dict = {"cancel_activity": _true(el.get("isInterrupting", "true"))}
        if kind == "conditionalStartEvent":
            definition = next(c for c in el if _bpmn_tag(c) == "conditionalEventDefinition")
            condition = next((c for c in definition if _bpmn_tag(c) == "condition"), None)
            text = "".join(condition.itertext()).strip() if condition is not None else ""
            if not text:
                raise self.error(f"The conditionalEventDefinition of {_where(el)} needs a condition",
                                 definition, el.get("id"))
            if condition.get("language") not in (None, "juel", "JUEL") or \
                    condition.get(_camunda("resource")) is not None:
                raise self.error(f"Unsupported script condition on {_where(el)}: only JUEL "
                                 "expressions are supported", condition, el.get("id"))
            extra["condition"] = self.compile(text, condition, f"the condition of {_where(el)}", el)
            extra["condition_variable"] = definition.get(_camunda("variableName")) or None
            extra["condition_events"] = tuple(
                e.strip() for e in (definition.get(_camunda("variableEvents")) or "").split(",") if e.strip())
        if kind == "escalationStartEvent":  # where the caught code goes, as for error events
            definition = next(c for c in el if _bpmn_tag(c) == "escalationEventDefinition")
            extra["error_code_variable"] = definition.get(_camunda("escalationCodeVariable"))
        return extra

    def attached_to(self, el: etree._Element, scope_id: str) -> str:
        ref = el.get("attachedToRef")
        target = self.nodes.get(ref or "")
        if target is None or target[1] != scope_id:
            raise self.error(f"Invalid attachedToRef '{ref}' of {_where(el)}: the referenced activity must be "
                             "defined in the same scope as the boundary event", el)
        if target[2] not in _ATTACHABLE or ref in self.event_scopes:
            raise self.error(f"{_where(el)} cannot be attached to {_where(target[0])}: only tasks and "
                             "subprocesses (not event sub-processes) can carry boundary events", el)
        return ref

    def timer(self, el: etree._Element) -> TimerDefinition:
        definition = next(c for c in el if _bpmn_tag(c) == "timerEventDefinition")
        values = [(c, "".join(c.itertext()).strip()) for c in definition if _bpmn_tag(c) in _TIMERS]
        if len(values) != 1 or not values[0][1]:
            raise self.error(f"The timerEventDefinition of {_where(el)} needs exactly one non-empty "
                             "timeDate, timeDuration or timeCycle", definition, el.get("id"))
        child, text = values[0]
        kind = _bpmn_tag(child)
        expression = self.compile(text, child, f"the {kind} of {_where(el)}", el)
        if isinstance(expression, ConstantExpression):  # a literal text is checked now
            try:
                parse_timer(kind, text)
            except ValueError as error:
                raise self.error(f"{error} in {_where(el)}", child, el.get("id")) from None
        return TimerDefinition(kind, text, expression)

    # ---- extension elements

    def camunda_children(self, el: etree._Element, name: str) -> Iterator[etree._Element]:
        for ext in el:
            if _bpmn_tag(ext) == "extensionElements":
                yield from ext.iterchildren(_camunda(name))

    def io_mapping(self, el: etree._Element, tag: str) -> tuple[tuple[IoParameter, ...], tuple[IoParameter, ...]]:
        params: dict[str, list[IoParameter]] = {"inputParameter": [], "outputParameter": []}
        for io in self.camunda_children(el, "inputOutput"):
            if tag in ("startEvent", "exclusiveGateway", "parallelGateway"):
                raise self.error(f"camunda:inputOutput mapping unsupported for element type '{tag}' "
                                 f"({_where(el)})", io, el.get("id"))
            for param in io:
                kind = _local(param)
                if kind not in params:
                    continue
                name = param.get("name")
                if not name:
                    raise self.error(f"camunda:{kind} of {_where(el)} has no name", param, el.get("id"))
                nested = next((c for c in param if isinstance(c.tag, str)), None)
                if nested is not None and _local(nested) == "script":
                    source = "".join(nested.itertext())
                    if (nested.get("scriptFormat") or "").lower() in _JAVASCRIPT_FORMATS \
                            and source.strip() and nested.get("resource") is None:
                        params[kind].append(IoParameter(name, Script("javascript", source)))
                        continue
                    # other languages run (and fail) only when evaluated, as camunda:class does
                    params[kind].append(IoParameter(name, ForeignScript(
                        "".join(nested.itertext()).strip(), nested.get("scriptFormat") or "unknown",
                        f"camunda:{kind} '{name}' of {_where(el)}")))
                    continue
                if nested is not None:
                    raise self.error(f"Unsupported camunda:{_local(nested)} in camunda:{kind} '{name}' of "
                                     f"{_where(el)}: only text and expression values are supported", nested,
                                     el.get("id"))
                text = "".join(param.itertext()).strip()
                value = self.compile(text, param, f"camunda:{kind} '{name}' of {_where(el)}", el) if text else None
                params[kind].append(IoParameter(name, value))
        if params["outputParameter"] and tag == "endEvent":
            raise self.error(f"camunda:outputParameter not allowed for element type 'endEvent' ({_where(el)})", el)
        return tuple(params["inputParameter"]), tuple(params["outputParameter"])

    def listeners(self, el: etree._Element, element: str = "executionListener") -> tuple[Listener, ...]:
        """Expression listeners run here; class and delegateExpression listeners need a JVM (see README)."""
        found = []
        for listener in self.camunda_children(el, element):
            event = listener.get("event")
            if not event:
                raise self.error(f"camunda:{element} of {_where(el)} has no event", listener, el.get("id"))
            kind = next((k for k in _LISTENER_KINDS if listener.get(k) is not None), None)
            if kind is None:
                script = next(listener.iterchildren(_camunda("script")), None)
                if script is None:
                    raise self.error(f"Unsupported listener without class, expression or delegateExpression in "
                                     f"camunda:{element} of {_where(el)}", listener, el.get("id"))
                language = (script.get("scriptFormat") or "").lower()
                text = "".join(script.itertext()).strip()
                if language in _JAVASCRIPT_FORMATS and text and script.get("resource") is None:
                    found.append(Listener(event, "script", f"{script.get('scriptFormat')} script",
                                          script=Script(language, "".join(script.itertext()))))
                elif language in _OWN_SCRIPT_FORMATS and text and script.get("resource") is None:
                    found.append(Listener(event, "expression", text, self.compile(
                        text, script, f"the script of a camunda:{element} of {_where(el)}", el)))
                else:
                    found.append(Listener(event, "script", f"{script.get('scriptFormat')} script"))
                continue
            text = listener.get(kind)
            expression = (self.compile(text, listener, f"camunda:{element} of {_where(el)}", el)
                          if kind == "expression" else None)
            found.append(Listener(event, kind, text, expression))
        return tuple(found)

    # ---- process attributes

    def history_time_to_live(self) -> int | None:
        """Camunda accepts an integer number of days or ``P<n>D``."""
        value = self.el.get(_camunda("historyTimeToLive"))
        if not value:
            return None
        match = re.fullmatch(r"P([0-9]+)D|([+-]?[0-9]+)", value)
        if match is None:
            raise self.error(f"Cannot parse historyTimeToLive: '{value}' is not a number of days", self.el)
        days = int(match.group(1) or match.group(2))
        if days < 0:
            raise self.error("Cannot parse historyTimeToLive: negative value is not allowed", self.el)
        return days

    def documentation(self) -> str | None:
        docs = ["".join(d.itertext()).strip() for d in self.el if _bpmn_tag(d) == "documentation"]
        return "\n\n".join(docs) if docs else None
