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

from .expression import ExpressionError, compile_expression
from .model import Activity, Expression, IoParameter, ProcessModel, SequenceFlow

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# flow node tag -> Camunda activity type (end and boundary events are refined in classify)
_NODE_TYPES = {
    "startEvent": "startEvent", "endEvent": "noneEndEvent", "boundaryEvent": "boundaryTimer",
    "userTask": "userTask", "task": "task", "manualTask": "manualTask", "serviceTask": "serviceTask",
    "exclusiveGateway": "exclusiveGateway", "parallelGateway": "parallelGateway", "subProcess": "subProcess",
}
# BPMN children of a process or subProcess that carry no execution semantics for modbatch
_IGNORED = {
    "laneSet", "lane", "textAnnotation", "association", "group", "category", "documentation",
    "extensionElements", "dataStore", "dataStoreReference", "dataObject", "dataObjectReference",
    "property", "dataInputAssociation", "dataOutputAssociation", "ioSpecification", "ioBinding",
    "auditing", "monitoring", "incoming", "outgoing", "flowNodeRef", "correlationSubscription",
    "resourceRole", "performer", "humanPerformer", "potentialOwner", "supports",
}
_ATTACHABLE = {"userTask", "task", "manualTask", "serviceTask", "subProcess"}
_LOOPS = {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}
_TIMERS = ("timeDate", "timeDuration", "timeCycle")
_LISTENER_KINDS = ("class", "expression", "delegateExpression")
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
    return [
        _ProcessParser(el, resource_name, root.get("targetNamespace"), seen_ids).parse()
        for el in root
        if _bpmn_tag(el) == "process" and _true(el.get("isExecutable"))
    ]


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
                 seen_ids: dict[str, int | None]) -> None:
        self.el, self.resource, self.target_namespace, self.seen_ids = el, resource, target_namespace, seen_ids
        self.nodes: dict[str, tuple[etree._Element, str, str]] = {}  # id -> (element, scope id, type)
        self.flow_elements: list[tuple[etree._Element, str]] = []
        self.starts: dict[str, list[str]] = {}  # scope id -> ids of its start events

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
        activities = self.build_activities(flows)
        boundary: dict[str, list[str]] = {}
        for act in activities.values():
            if act.attached_to:
                boundary.setdefault(act.attached_to, []).append(act.id)
        return ProcessModel(
            id=pid, name=self.el.get("name"), activities=activities, flows=flows,
            start_event_id=self.start_event(pid, self.el), version_tag=self.el.get(_camunda("versionTag")),
            history_time_to_live=self.history_time_to_live(), documentation=self.documentation(),
            target_namespace=self.target_namespace, listeners=self.listeners(self.el),
            boundary_events={k: tuple(v) for k, v in boundary.items()},
        )

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
                self.claim(child)
                self.flow_elements.append((child, scope_id))
            elif tag in _NODE_TYPES:
                kind = self.classify(child, tag)
                ident = self.claim(child)
                self.nodes[ident] = (child, scope_id, kind)
                if kind == "startEvent":
                    self.starts[scope_id].append(ident)
                if kind == "subProcess":
                    self.collect(child, ident)
            else:
                raise self.unsupported(child)

    def classify(self, el: etree._Element, tag: str) -> str:
        """The Camunda activity type of a supported flow node, or a ParseError for what we cannot run."""
        for child in el:
            if _bpmn_tag(child) in _LOOPS:
                raise self.unsupported(child, "loops and multi-instance activities are not supported", owner=el)
        if _true(el.get("isForCompensation")):
            raise self.unsupported(el, "compensation handlers are not supported")
        definitions = [c for c in el if (_bpmn_tag(c) or "").endswith(("EventDefinition", "eventDefinitionRef"))]
        kinds = [_bpmn_tag(d) for d in definitions]
        if tag == "startEvent" and definitions:
            raise self.unsupported(definitions[0], "modbatch supports only none start events", owner=el)
        if tag == "endEvent" and definitions:
            if kinds == ["terminateEventDefinition"]:
                return "terminateEndEvent"
            other = next((d for d in definitions if _bpmn_tag(d) != "terminateEventDefinition"), definitions[-1])
            raise self.unsupported(other, "only none and terminate end events are supported", owner=el)
        if tag == "boundaryEvent" and kinds != ["timerEventDefinition"]:
            if not definitions:
                raise self.unsupported(el, "a boundary event needs a timerEventDefinition")
            other = next((d for d in definitions if _bpmn_tag(d) != "timerEventDefinition"), definitions[-1])
            raise self.unsupported(other, "only timer boundary events are supported", owner=el)
        if tag == "subProcess" and _true(el.get("triggeredByEvent")):
            raise self.unsupported(el, "event subprocesses are not supported")
        if tag == "serviceTask":
            self.check_service_task(el)
        return _NODE_TYPES[tag]

    def check_service_task(self, el: etree._Element) -> None:
        """Only expression and external service tasks can run without a Java runtime."""
        advice = "modbatch runs no Java code; use camunda:expression or camunda:type=\"external\""
        for attr in ("class", "delegateExpression"):
            if el.get(_camunda(attr)) is not None:
                raise self.error(f"Unsupported camunda:{attr} on {_where(el)}: {advice}", el)
        if next(self.camunda_children(el, "connector"), None) is not None:
            raise self.error(f"Unsupported camunda:connector on {_where(el)}: {advice}", el)
        kind = el.get(_camunda("type"))
        if kind == "external":
            if not el.get(_camunda("topic")):
                raise self.error(f"{_where(el)} has camunda:type=\"external\" but no camunda:topic", el)
        elif kind is not None:
            raise self.error(f"Unsupported camunda:type=\"{kind}\" on {_where(el)}: {advice}", el)
        elif not (el.get(_camunda("expression")) or "").strip():
            raise self.error(f"{_where(el)} has no implementation: {advice}", el)

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
            flows[fid] = SequenceFlow(fid, refs[0], refs[1], el.get("name"), self.condition(el))
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
            if kind == "exclusiveGateway" and (default := el.get("default")):
                if default not in outgoing.get(ident, []):
                    raise self.error(f"Default sequence flow '{default}' of {_where(el)} is not one of its "
                                     "outgoing flows", el)
                extra["default_flow"] = default
            elif kind == "serviceTask":
                if el.get(_camunda("type")) == "external":
                    extra["external_topic"] = el.get(_camunda("topic"))
                else:
                    extra["expression"] = self.compile(el.get(_camunda("expression")).strip(), el,
                                                       f"camunda:expression of {_where(el)}", el)
                    extra["result_variable"] = el.get(_camunda("resultVariable"))
            elif kind == "subProcess":
                extra.update(is_scope=True, start_event_id=self.start_event(ident, el))
            elif kind == "boundaryTimer":
                extra.update(attached_to=self.attached_to(el, scope_id),
                             cancel_activity=_true(el.get("cancelActivity", "true")), timer=self.timer(el))
            inputs, outputs = self.io_mapping(el, tag)
            activities[ident] = Activity(
                id=ident, type=kind, name=el.get("name"), scope_id=scope_id,
                incoming=tuple(incoming.get(ident, ())), outgoing=tuple(outgoing.get(ident, ())),
                input_parameters=inputs, output_parameters=outputs, listeners=self.listeners(el),
                line=el.sourceline, **extra,
            )
        return activities

    def start_event(self, scope_id: str, scope_el: etree._Element) -> str:
        starts = self.starts[scope_id]
        if not starts:
            raise self.error(f"{_where(scope_el)} must define a none startEvent element", scope_el)
        if len(starts) > 1:
            raise self.error(f"{_where(scope_el)} has more than one none start event ('{starts[0]}', '{starts[1]}')",
                             self.nodes[starts[1]][0], starts[1])
        return starts[0]

    def attached_to(self, el: etree._Element, scope_id: str) -> str:
        ref = el.get("attachedToRef")
        target = self.nodes.get(ref or "")
        if target is None or target[1] != scope_id:
            raise self.error(f"Invalid attachedToRef '{ref}' of {_where(el)}: the referenced activity must be "
                             "defined in the same scope as the boundary event", el)
        if target[2] not in _ATTACHABLE:
            raise self.error(f"{_where(el)} cannot be attached to {_where(target[0])}: only tasks and "
                             "subprocesses can carry boundary events", el)
        return ref

    def timer(self, el: etree._Element) -> str:
        definition = next(c for c in el if _bpmn_tag(c) == "timerEventDefinition")
        values = [(c, "".join(c.itertext()).strip()) for c in definition if _bpmn_tag(c) in _TIMERS]
        if len(values) != 1 or not values[0][1]:
            raise self.error(f"The timerEventDefinition of {_where(el)} needs exactly one non-empty "
                             "timeDate, timeDuration or timeCycle", definition, el.get("id"))
        return values[0][1]

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

    def listeners(self, el: etree._Element) -> tuple[tuple[str, str, str], ...]:
        """Execution listeners are recorded as (event, kind, text) for the API; modbatch never invokes them."""
        found = []
        for listener in self.camunda_children(el, "executionListener"):
            event = listener.get("event")
            kind = next((k for k in _LISTENER_KINDS if listener.get(k) is not None), None)
            if kind is None:
                script = next(listener.iterchildren(_camunda("script")), None)
                what = ("camunda:script" if script is not None
                        else "listener without class, expression or delegateExpression")
                raise self.error(f"Unsupported {what} in camunda:executionListener of {_where(el)}", listener,
                                 el.get("id"))
            if not event:
                raise self.error(f"camunda:executionListener of {_where(el)} has no event", listener, el.get("id"))
            found.append((event, kind, listener.get(kind)))
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
