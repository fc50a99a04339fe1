"""A process's BPMN DI as plain data: which element is drawn where, and what kind of element it is.

The DI (``bpmndi:BPMNShape`` bounds, ``bpmndi:BPMNEdge`` waypoints, ``bpmndi:BPMNLabel`` bounds)
of one ``bpmndi:BPMNDiagram`` is joined with the semantic element it names, so that a renderer
needs nothing else: the element's local name, its name, its event definition, its markers. Pure
and in memory; the XML is loaded as the deploy-time parser loads it (no DTD, no entities, no
network).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .parser import BPMN_NS, DEFAULT_MAX_BYTES, _load

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

EVENT_DEFINITIONS = {
    "timerEventDefinition": "timer", "messageEventDefinition": "message",
    "signalEventDefinition": "signal", "errorEventDefinition": "error",
    "escalationEventDefinition": "escalation", "terminateEventDefinition": "terminate",
    "conditionalEventDefinition": "conditional", "compensateEventDefinition": "compensation",
    "linkEventDefinition": "link", "cancelEventDefinition": "cancel",
}


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Shape:
    """One BPMNShape: the element it draws and what the drawing needs to know about it."""

    element_id: str
    element_type: str  # BPMN local name: userTask, boundaryEvent, participant, lane, ...
    bounds: Bounds
    name: str | None = None
    label: Bounds | None = None
    event_definition: str | None = None  # timer, message, ... ("multiple" for several)
    throwing: bool = False  # intermediate throw and end events draw filled markers
    interrupting: bool = True  # False: non-interrupting boundary or event sub-process start
    expanded: bool = False  # a sub-process drawn open
    triggered_by_event: bool = False  # an event sub-process
    loop: str | None = None  # "parallel", "sequential" (multi-instance) or "standard"
    marker_visible: bool = False  # an exclusive gateway's X
    instantiate: bool = False  # an event-based gateway that starts the process
    horizontal: bool = True  # pools and lanes
    text: str | None = None  # a text annotation's text


@dataclass(frozen=True)
class Edge:
    """One BPMNEdge: a sequence flow, message flow or association with its waypoints."""

    element_id: str
    element_type: str  # sequenceFlow, messageFlow, association, dataInputAssociation, ...
    waypoints: tuple[tuple[float, float], ...]
    name: str | None = None
    label: Bounds | None = None
    default: bool = False  # the default flow of its source (slash marker)
    conditional: bool = False  # a condition on a flow out of an activity (diamond marker)
    direction: str = "None"  # an association's associationDirection


@dataclass(frozen=True)
class Diagram:
    shapes: tuple[Shape, ...]
    edges: tuple[Edge, ...]


def _bpmn(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _number(value: str | None) -> float:
    try:
        number = float(value) if value is not None else 0.0
    except ValueError:
        return 0.0
    return number if number == number and abs(number) != float("inf") else 0.0


def _bounds(el: etree._Element | None) -> Bounds | None:
    found = el.find(f"{{{DC_NS}}}Bounds") if el is not None else None
    if found is None:
        return None
    return Bounds(_number(found.get("x")), _number(found.get("y")),
                  max(_number(found.get("width")), 0.0), max(_number(found.get("height")), 0.0))


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def _choose(root: etree._Element, process_key: str | None) -> etree._Element | None:
    """The BPMNPlane that draws this process: the one naming it or a collaboration it is a pool
    of, else the one drawing most of its elements; without a key, the first plane with anything
    on it."""
    planes = [plane for plane in root.iter(f"{{{BPMNDI_NS}}}BPMNPlane")
              if len(plane.findall(f"{{{BPMNDI_NS}}}BPMNShape"))
              + len(plane.findall(f"{{{BPMNDI_NS}}}BPMNEdge"))]
    if not planes or process_key is None:
        return planes[0] if planes else None
    owners = {process_key}
    for participant in root.iter(_bpmn("participant")):
        if participant.get("processRef") == process_key:
            collaboration = participant.getparent()
            if collaboration is not None and collaboration.get("id"):
                owners.add(collaboration.get("id"))
    for plane in planes:
        if plane.get("bpmnElement") in owners:
            return plane
    process = next((el for el in root.iter(_bpmn("process")) if el.get("id") == process_key),
                   None)
    if process is None:
        return None
    ids = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    drawn = [(sum(di.get("bpmnElement") in ids for di in plane), index)
             for index, plane in enumerate(planes)]
    best, index = max(drawn, key=lambda pair: (pair[0], -pair[1]))
    return planes[index] if best else None


def _event_definition(el: etree._Element, definitions: dict[str, etree._Element]) -> str | None:
    kinds = [EVENT_DEFINITIONS[_local(child)] for child in el
             if isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN_NS}}}")
             and _local(child) in EVENT_DEFINITIONS]
    for ref in el.findall(_bpmn("eventDefinitionRef")):
        target = definitions.get((ref.text or "").strip())
        if target is not None and _local(target) in EVENT_DEFINITIONS:
            kinds.append(EVENT_DEFINITIONS[_local(target)])
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else "multiple"


def _loop(el: etree._Element) -> str | None:
    multi = el.find(_bpmn("multiInstanceLoopCharacteristics"))
    if multi is not None:
        return "sequential" if _true(multi.get("isSequential")) else "parallel"
    if el.find(_bpmn("standardLoopCharacteristics")) is not None:
        return "standard"
    return None


def _text(value: str | None) -> str | None:
    return value if value and value.strip() else None


def _shape(di: etree._Element, el: etree._Element, bounds: Bounds,
           definitions: dict[str, etree._Element]) -> Shape:
    kind = _local(el)
    label = _bounds(di.find(f"{{{BPMNDI_NS}}}BPMNLabel"))
    fields: dict = {}
    if kind.endswith("Event"):
        fields["event_definition"] = _event_definition(el, definitions)
        fields["throwing"] = kind in ("endEvent", "intermediateThrowEvent")
        if kind == "boundaryEvent":
            fields["interrupting"] = el.get("cancelActivity", "true").strip().lower() != "false"
        elif kind == "startEvent":
            fields["interrupting"] = el.get("isInterrupting", "true").strip().lower() != "false"
    elif kind in ("subProcess", "transaction", "adHocSubProcess"):
        fields["expanded"] = _true(di.get("isExpanded"))
        fields["triggered_by_event"] = _true(el.get("triggeredByEvent"))
    elif kind == "exclusiveGateway":
        fields["marker_visible"] = _true(di.get("isMarkerVisible"))
    elif kind == "eventBasedGateway":
        fields["instantiate"] = _true(el.get("instantiate"))
    elif kind in ("participant", "lane"):
        fields["horizontal"] = di.get("isHorizontal") is None or _true(di.get("isHorizontal"))
    elif kind == "textAnnotation":
        found = el.find(_bpmn("text"))
        fields["text"] = _text(found.text if found is not None else None)
    if kind not in ("participant", "lane", "textAnnotation"):
        fields["loop"] = _loop(el)
    return Shape(element_id=el.get("id"), element_type=kind, bounds=bounds,
                 name=_text(el.get("name")), label=label, **fields)


def _edge(di: etree._Element, el: etree._Element, index: dict[str, etree._Element]) -> Edge | None:
    points = tuple((_number(p.get("x")), _number(p.get("y")))
                   for p in di.findall(f"{{{DI_NS}}}waypoint"))
    if len(points) < 2:
        return None
    kind = _local(el)
    fields: dict = {}
    if kind == "sequenceFlow":
        source = index.get(el.get("sourceRef") or "")
        if source is not None:
            fields["default"] = source.get("default") == el.get("id")
            source_kind = _local(source)
            fields["conditional"] = (
                el.find(_bpmn("conditionExpression")) is not None
                and not fields["default"]
                and not source_kind.endswith("Gateway") and not source_kind.endswith("Event"))
    elif kind == "association":
        fields["direction"] = el.get("associationDirection") or "None"
    return Edge(element_id=el.get("id"), element_type=kind, waypoints=points,
                name=_text(el.get("name")), label=_bounds(di.find(f"{{{BPMNDI_NS}}}BPMNLabel")),
                **fields)


def read_diagram(data: bytes, process_key: str | None = None, *,
                 resource: str = "diagram", max_bytes: int = DEFAULT_MAX_BYTES) -> Diagram | None:
    """The DI of the diagram that draws ``process_key``; None when the XML has no DI.

    Shapes and edges whose ``bpmnElement`` names no BPMN element are left out (bpmn-js does the
    same). Raises ParseError for XML the deploy-time parser would refuse.
    """
    root = _load(data, resource, max_bytes)
    plane = _choose(root, process_key)
    if plane is None:
        return None
    index: dict[str, etree._Element] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN_NS}}}") and el.get("id"):
            index.setdefault(el.get("id"), el)
    shapes: list[Shape] = []
    edges: list[Edge] = []
    for di in plane:
        if not isinstance(di.tag, str):
            continue
        el = index.get(di.get("bpmnElement") or "")
        if el is None:
            continue
        if di.tag == f"{{{BPMNDI_NS}}}BPMNShape":
            bounds = _bounds(di)
            if bounds is not None:
                shapes.append(_shape(di, el, bounds, index))
        elif di.tag == f"{{{BPMNDI_NS}}}BPMNEdge":
            edge = _edge(di, el, index)
            if edge is not None:
                edges.append(edge)
    if not shapes and not edges:
        return None
    return Diagram(tuple(shapes), tuple(edges))
