"""Diagrams drawn from BPMN DI: engine/bpmn/diagram.py reads the DI, engine/bpmn/svg.py draws it
as a standalone SVG whose `g.mb-shape` / `g.mb-edge` groups carry the DI ids and bounds."""

from __future__ import annotations

import pytest
from lxml import etree

from modbatch.demo import MODEL as DEMO_MODEL
from modbatch.engine.bpmn.diagram import Bounds, read_diagram
from modbatch.engine.bpmn.svg import render_svg, text_width, wrap
from modbatch.errors import ParseError
from tests.conftest import BPMN

SVG = "http://www.w3.org/2000/svg"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SHARED = sorted(p for p in BPMN.glob("*/*") if p.suffix in (".bpmn", ".xml"))
WITH_DI = [p for p in SHARED if b"BPMNShape" in p.read_bytes()]
WITHOUT_DI = [p for p in SHARED if b"BPMNShape" not in p.read_bytes()]


def svg_of(data: bytes, key: str | None = None) -> etree._Element:
    diagram = read_diagram(data, key)
    assert diagram is not None
    document = render_svg(diagram)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(document)


def groups(svg: etree._Element, kind: str) -> dict[str, etree._Element]:
    found = svg.findall(f".//{{{SVG}}}g[@class='{kind}']")
    by_id = {g.get("data-element-id"): g for g in found}
    assert len(by_id) == len(found), "an element is drawn twice"
    return by_id


def label_text(g: etree._Element) -> str:
    return " ".join(span.text for span in g.iter(f"{{{SVG}}}tspan"))


def model(body: str, di: str, *, extra_namespaces: str = "") -> bytes:
    """A definitions document with one process `p` and one diagram plane for it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<definitions xmlns="{MODEL}" xmlns:bpmndi="{BPMNDI}" xmlns:dc="{DC}" '
        f'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" {extra_namespaces} '
        'targetNamespace="t">'
        f'<process id="p" isExecutable="true">{body}</process>'
        f'<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="plane" bpmnElement="p">{di}'
        '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>').encode()


def shape(element_id: str, x: float, y: float, w: float, h: float, **attributes: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return (f'<bpmndi:BPMNShape id="{element_id}_di" bpmnElement="{element_id}"{extra}>'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')


def edge(element_id: str, *points: tuple[float, float]) -> str:
    waypoints = "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in points)
    return f'<bpmndi:BPMNEdge id="{element_id}_di" bpmnElement="{element_id}">{waypoints}</bpmndi:BPMNEdge>'


def test_the_shared_models_split_into_drawable_and_not():
    """The shared folder has models with DI (real-world) and without (Camunda's test models)."""
    assert len(WITH_DI) == 6 and len(WITHOUT_DI) == 10


@pytest.mark.parametrize("path", WITH_DI, ids=lambda p: p.name)
def test_every_shared_model_with_di_renders_each_di_shape_at_its_bounds(path):
    """Each BPMNShape is one g.mb-shape with the element's type and its DI bounds as data-*;
    each BPMNEdge one g.mb-edge; the document parses and has a viewBox, width and height."""
    data = path.read_bytes()
    source = etree.fromstring(data)
    elements = {el.get("id"): el for el in source.iter() if isinstance(el.tag, str)
                and el.tag.startswith(f"{{{MODEL}}}") and el.get("id")}
    svg = svg_of(data)
    assert svg.tag == f"{{{SVG}}}svg"
    left, top, width, height = (float(v) for v in svg.get("viewBox").split())
    assert (float(svg.get("width")), float(svg.get("height"))) == (width, height)
    shapes = groups(svg, "mb-shape")
    di_shapes = source.findall(f".//{{{BPMNDI}}}BPMNShape")
    assert len(shapes) == len(di_shapes)
    for di in di_shapes:
        g = shapes[di.get("bpmnElement")]
        bounds = di.find(f"{{{DC}}}Bounds")
        assert g.get("data-element-type") == etree.QName(elements[di.get("bpmnElement")]).localname
        for name in ("x", "y", "width", "height"):
            assert float(g.get(f"data-{name}")) == float(bounds.get(name)), (di.get("id"), name)
        # the drawing stays inside the view box
        assert left <= float(bounds.get("x")) and top <= float(bounds.get("y"))
        assert float(bounds.get("x")) + float(bounds.get("width")) <= left + width
        assert float(bounds.get("y")) + float(bounds.get("height")) <= top + height
    edges = groups(svg, "mb-edge")
    di_edges = source.findall(f".//{{{BPMNDI}}}BPMNEdge")
    assert sorted(edges) == sorted(di.get("bpmnElement") for di in di_edges)
    flows = [el for el in elements.values() if etree.QName(el).localname == "sequenceFlow"]
    assert flows and all(edges[f.get("id")].get("data-element-type") == "sequenceFlow"
                         for f in flows)


@pytest.mark.parametrize("path", WITH_DI, ids=lambda p: p.name)
def test_every_flow_node_of_a_shared_model_is_drawn_with_its_name(path):
    """Every task, event and gateway of the model is a g.mb-shape; a named one shows its name."""
    source = etree.fromstring(path.read_bytes())
    shapes = groups(svg_of(path.read_bytes()), "mb-shape")
    nodes = [el for el in source.iter() if isinstance(el.tag, str)
             and el.tag.startswith(f"{{{MODEL}}}")
             and etree.QName(el).localname.endswith(("Task", "Event", "Gateway", "task"))]
    assert nodes
    for node in nodes:
        g = shapes[node.get("id")]
        if node.get("name"):
            assert label_text(g) == " ".join(node.get("name").split())


@pytest.mark.parametrize("path", WITHOUT_DI, ids=lambda p: p.name)
def test_models_without_di_have_no_diagram(path):
    """A model without BPMN DI reads as no diagram (the endpoint answers 204)."""
    assert read_diagram(path.read_bytes()) is None


def test_names_are_escaped_and_wrapped():
    """Markup in a name is text in the SVG, never markup; a long name wraps inside the task."""
    name = 'Check <b>"this" & that</b> before paying the supplier invoice'
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    data = model(f'<userTask id="t" name="{escaped}"/>', shape("t", 100, 100, 100, 80))
    document = render_svg(read_diagram(data))
    assert b"<b>" not in document and b"&lt;b&gt;" in document and b"&amp; that" in document
    g = groups(etree.fromstring(document), "mb-shape")["t"]
    spans = list(g.iter(f"{{{SVG}}}tspan"))
    assert len(spans) > 2
    assert " ".join(s.text for s in spans) == name
    assert g.find(f"{{{SVG}}}title").text == name


def test_explicit_line_breaks_in_names_are_kept():
    """A name with a line break (&#10;) is drawn on separate lines, as bpmn-js does."""
    data = model('<exclusiveGateway id="g" name="Invoice&#10;approved?"/>',
                 shape("g", 100, 100, 50, 50, isMarkerVisible="true"))
    g = groups(svg_of(data), "mb-shape")["g"]
    assert [s.text for s in g.iter(f"{{{SVG}}}tspan")] == ["Invoice", "approved?"]


def test_wrap_keeps_every_line_within_the_width():
    """Greedy wrapping: no line wider than the width unless it is one character."""
    lines = wrap("Supercalifragilisticexpialidocious is a very long word", 60, 12)
    assert "".join(lines).replace(" ", "") == "Supercalifragilisticexpialidociousisaverylongword"
    assert all(text_width(line, 12) <= 60 for line in lines)
    assert wrap("", 60, 12) == []


def test_element_kinds_are_drawn_in_bpmn_js_style():
    """Call activity thick, non-interrupting boundary dashed, end event thick, the exclusive
    gateway's X only when the DI asks for it, sequence flows with arrowheads and a default slash."""
    body = (
        '<startEvent id="s"><timerEventDefinition/></startEvent>'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="call"/>'
        '<callActivity id="call" calledElement="x" default="f2"/>'
        '<boundaryEvent id="b" attachedToRef="call" cancelActivity="false">'
        '<messageEventDefinition/></boundaryEvent>'
        '<sequenceFlow id="f2" sourceRef="call" targetRef="gx"/>'
        '<exclusiveGateway id="gx"/><exclusiveGateway id="gy"/>'
        '<sequenceFlow id="f3" sourceRef="gx" targetRef="e"/>'
        '<endEvent id="e"><errorEventDefinition/></endEvent>')
    di = (shape("s", 0, 20, 36, 36) + shape("call", 80, 0, 100, 80)
          + shape("b", 140, 62, 36, 36) + shape("gx", 220, 15, 50, 50, isMarkerVisible="true")
          + shape("gy", 220, 115, 50, 50) + shape("e", 320, 22, 36, 36)
          + edge("f1", (36, 38), (80, 40)) + edge("f2", (180, 40), (220, 40))
          + edge("f3", (270, 40), (320, 40)))
    svg = svg_of(model(body, di))
    shapes = groups(svg, "mb-shape")
    assert shapes["call"].find(f"{{{SVG}}}rect").get("stroke-width") == "5"
    assert shapes["call"].find(f"{{{SVG}}}rect").get("rx") == "10"
    assert all(c.get("stroke-dasharray") == "6"
               for c in shapes["b"].findall(f"{{{SVG}}}circle"))
    assert len(shapes["b"].findall(f"{{{SVG}}}circle")) == 2  # intermediate: a double ring
    assert shapes["e"].find(f"{{{SVG}}}circle").get("stroke-width") == "4"
    assert shapes["s"].find(f"{{{SVG}}}circle").get("stroke-width") == "2"
    marked = shapes["gx"].find(f"{{{SVG}}}g")
    unmarked = shapes["gy"].find(f"{{{SVG}}}g")
    assert len(marked) == 1 and len(unmarked) == 0
    assert shapes["gx"].find(f"{{{SVG}}}polygon") is not None
    edges = groups(svg, "mb-edge")
    flow = edges["f2"].findall(f"{{{SVG}}}path")[-1]
    assert flow.get("marker-end") == "url(#mb-sequenceflow-end)"
    assert flow.get("marker-start") == "url(#mb-default-flow-start)"
    assert flow.get("d") == "M 180 40 L 220 40"
    assert "marker-start" not in edges["f1"].findall(f"{{{SVG}}}path")[-1].attrib
    # boundary events are drawn after (above) their host
    order = [g.get("data-element-id") for g in svg.iter(f"{{{SVG}}}g")
             if g.get("class") == "mb-shape"]
    assert order.index("b") > order.index("call")


def test_each_task_type_has_its_own_marker():
    """User, service, script, send, receive, manual and business rule tasks each draw a marker;
    a plain task draws none."""
    kinds = ["userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
             "businessRuleTask", "task"]
    body = "".join(f'<{kind} id="{kind}_1"/>' for kind in kinds)
    di = "".join(shape(f"{kind}_1", 120 * i, 0, 100, 80) for i, kind in enumerate(kinds))
    shapes = groups(svg_of(model(body, di)), "mb-shape")
    drawn = {kind: len(shapes[f"{kind}_1"]) - 1 for kind in kinds}  # minus the <title>
    assert drawn["task"] == 1
    assert all(count > 1 for kind, count in drawn.items() if kind != "task"), drawn
    assert {shapes[f"{k}_1"].get("data-element-type") for k in kinds} == set(kinds)


def test_pools_lanes_annotations_and_sub_processes():
    """A collaboration's pool with lanes, an expanded sub-process and a text annotation are
    each drawn; the pool's plane is chosen for its process."""
    data = (
        f'<definitions xmlns="{MODEL}" xmlns:bpmndi="{BPMNDI}" xmlns:dc="{DC}" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" targetNamespace="t">'
        '<collaboration id="c"><participant id="pool" name="Pool &amp; Co" processRef="p"/>'
        '</collaboration>'
        '<process id="p" isExecutable="true"><laneSet id="ls"><lane id="lane" name="Clerks">'
        '<flowNodeRef>sub</flowNodeRef></lane></laneSet>'
        '<subProcess id="sub" name="Inner"><multiInstanceLoopCharacteristics isSequential="true"/>'
        '</subProcess><textAnnotation id="note"><text>Remember</text></textAnnotation>'
        '</process>'
        '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="plane" bpmnElement="c">'
        + shape("pool", 0, 0, 600, 250, isHorizontal="true")
        + shape("lane", 30, 0, 570, 250, isHorizontal="true")
        + shape("sub", 100, 20, 300, 200, isExpanded="true")
        + shape("note", 450, 20, 100, 30)
        + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>').encode()
    svg = svg_of(data, "p")
    shapes = groups(svg, "mb-shape")
    assert [shapes[i].get("data-element-type") for i in ("pool", "lane", "sub", "note")] == [
        "participant", "lane", "subProcess", "textAnnotation"]
    assert label_text(shapes["pool"]) == "Pool & Co"
    assert "rotate(-90" in shapes["pool"].find(f"{{{SVG}}}text").get("transform")
    assert label_text(shapes["note"]) == "Remember"
    assert label_text(shapes["sub"]) == "Inner"
    # sequential multi-instance: three horizontal bars
    bars = [line for line in shapes["sub"].findall(f"{{{SVG}}}line")
            if line.get("y1") == line.get("y2")]
    assert len(bars) == 3


def test_the_plane_of_the_asked_process_is_chosen():
    """With one diagram per process, the process key picks its own; without a key, the first;
    an unknown key none."""
    def process(key: str, task: str) -> str:
        return f'<process id="{key}" isExecutable="true"><userTask id="{task}"/></process>'

    def diagram(key: str, task: str) -> str:
        return (f'<bpmndi:BPMNDiagram id="d_{key}"><bpmndi:BPMNPlane id="pl_{key}" '
                f'bpmnElement="{key}">{shape(task, 0, 0, 100, 80)}</bpmndi:BPMNPlane>'
                '</bpmndi:BPMNDiagram>')

    data = (f'<definitions xmlns="{MODEL}" xmlns:bpmndi="{BPMNDI}" xmlns:dc="{DC}" '
            'targetNamespace="t">' + process("a", "ta") + process("b", "tb")
            + diagram("a", "ta") + diagram("b", "tb") + '</definitions>').encode()
    assert [s.element_id for s in read_diagram(data, "b").shapes] == ["tb"]
    assert [s.element_id for s in read_diagram(data, "a").shapes] == ["ta"]
    assert [s.element_id for s in read_diagram(data).shapes] == ["ta"]
    assert read_diagram(data, "zzz") is None


def test_a_plane_naming_no_process_is_chosen_by_what_it_draws():
    """A plane whose bpmnElement names nothing known is still the diagram of the process whose
    elements it draws; a process it does not draw has no diagram."""
    data = (f'<definitions xmlns="{MODEL}" xmlns:bpmndi="{BPMNDI}" xmlns:dc="{DC}" '
            'targetNamespace="t"><process id="a" isExecutable="true"><userTask id="ta"/>'
            '</process><process id="b" isExecutable="true"><userTask id="tb"/></process>'
            '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="gone">'
            + shape("tb", 0, 0, 100, 80) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'
            '</definitions>').encode()
    assert [s.element_id for s in read_diagram(data, "b").shapes] == ["tb"]
    assert read_diagram(data, "a") is None


def test_di_naming_no_element_or_with_broken_numbers_is_tolerated():
    """A shape for an unknown element is left out; unreadable coordinates count as 0."""
    data = model('<userTask id="t"/>', shape("ghost", 0, 0, 10, 10)
                 + shape("t", "abc", "NaN", 100, 80))
    diagram = read_diagram(data)
    assert [(s.element_id, s.bounds) for s in diagram.shapes] == [("t", Bounds(0, 0, 100, 80))]
    assert groups(svg_of(data), "mb-shape")["t"].get("data-x") == "0"


def test_an_empty_plane_is_no_diagram():
    """DI with nothing on its plane is the same as no DI."""
    assert read_diagram(model('<userTask id="t"/>', "")) is None


def test_doctype_is_refused_as_at_deployment():
    """The XML is loaded as the deploy-time parser loads it: no DTD, no entities."""
    data = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>'
            + model('<userTask id="t" name="&x;"/>', shape("t", 0, 0, 100, 80)).split(b"?>", 1)[1])
    with pytest.raises(ParseError, match="DOCTYPE is not allowed"):
        read_diagram(data)


def test_degenerate_di_still_draws_a_valid_document():
    """Zero-sized shapes, negative sizes, a one-point edge and empty names draw without error:
    the edge is left out, every shape is kept."""
    body = ('<startEvent id="s" name=""/><exclusiveGateway id="g" name="   "/>'
            '<textAnnotation id="n"/><task id="t" name="x"/>'
            '<sequenceFlow id="f" sourceRef="s" targetRef="g"/>')
    di = (shape("s", 0, 0, 0, 0) + shape("g", 10, 10, -5, 0) + shape("n", 0, 0, 0, 0)
          + shape("t", 5, 5, 1, 1) + edge("f", (0, 0)))
    svg = svg_of(model(body, di))
    assert sorted(groups(svg, "mb-shape")) == ["g", "n", "s", "t"]
    assert groups(svg, "mb-edge") == {}
    assert groups(svg, "mb-shape")["g"].get("data-width") == "0"
    assert float(svg.get("width")) > 0 and float(svg.get("height")) > 0


def test_the_demo_model_has_a_diagram():
    """`modbatch demo`'s model carries DI, so the console can draw it: every node and flow."""
    svg = svg_of(DEMO_MODEL.read_bytes(), "invoiceReview")
    assert sorted(groups(svg, "mb-shape")) == ["approve", "check", "done", "received", "review"]
    assert sorted(groups(svg, "mb-edge")) == ["toApprove", "toCheck", "toDone", "toReview"]
