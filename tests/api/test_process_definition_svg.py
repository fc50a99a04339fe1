"""GET /process-definition/{id}/svg: the diagram drawn server-side from the model's BPMN DI
(a modbatch extension the console shows)."""

from __future__ import annotations

from lxml import etree

from modbatch.engine import diagrams
from tests.api.conftest import error
from tests.api.test_process_definition import only_definition

SVG = "http://www.w3.org/2000/svg"
REVIEW = "camunda-bpm-platform__reviewInvoice.bpmn"
PARALLEL = "camunda-external-task-client-python3__parallel_steps_example.bpmn"


def shapes(body: bytes) -> dict[str, dict[str, str]]:
    root = etree.fromstring(body)
    assert root.tag == f"{{{SVG}}}svg"
    return {g.get("data-element-id"): dict(g.attrib)
            for g in root.iter(f"{{{SVG}}}g") if g.get("class") == "mb-shape"}


def test_svg_of_a_model_with_di(api, client):
    """200 image/svg+xml: a standalone SVG with one g.mb-shape per DI shape, at its DI bounds."""
    definition = only_definition(api.deploy(REVIEW))
    response = client.get(f"/engine-rest/process-definition/{definition['id']}/svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    drawn = shapes(response.content)
    assert sorted(drawn) == ["EndEvent_1og1zom", "StartEvent_1", "assignReviewer", "reviewInvoice"]
    root = etree.fromstring(response.content)
    assert root.get("viewBox") and root.get("width") and root.get("height")
    assert drawn["assignReviewer"]["data-element-type"] == "userTask"
    assert drawn["StartEvent_1"]["data-element-type"] == "startEvent"
    edges = [g.get("data-element-id") for g in root.iter(f"{{{SVG}}}g")
             if g.get("class") == "mb-edge"]
    assert len(edges) == 3


def test_svg_bounds_are_the_di_bounds(api, client):
    """data-x/y/width/height are the DI coordinates of each shape."""
    definition = only_definition(api.deploy(PARALLEL))
    xml = client.get(f"/engine-rest/process-definition/{definition['id']}/xml").json()["bpmn20Xml"]
    source = etree.fromstring(xml.encode())
    response = client.get(f"/engine-rest/process-definition/{definition['id']}/svg")
    assert response.status_code == 200
    drawn = shapes(response.content)
    di_shapes = source.findall(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")
    assert len(drawn) == len(di_shapes) == 7
    for di in di_shapes:
        bounds = di.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        attributes = drawn[di.get("bpmnElement")]
        assert [float(attributes[f"data-{k}"]) for k in ("x", "y", "width", "height")] == [
            float(bounds.get(k)) for k in ("x", "y", "width", "height")]


def test_svg_of_a_model_without_di_is_204(api, client):
    """A model without BPMN DI has no diagram: 204 and no body."""
    definition = only_definition(api.deploy("oneTaskProcess.bpmn20.xml"))
    response = client.get(f"/engine-rest/process-definition/{definition['id']}/svg")
    assert response.status_code == 204
    assert response.content == b""


def test_svg_of_an_unknown_definition_is_404(client):
    """An unknown id answers Camunda's 404 for a definition lookup, as GET /{id} does."""
    response = client.get("/engine-rest/process-definition/nope/svg")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException",
                                    "No matching definition with id nope", 0)


def test_svg_is_rendered_once_per_definition(api, client, monkeypatch):
    """The second request answers the cached document without rendering again."""
    definition = only_definition(api.deploy(REVIEW))
    url = f"/engine-rest/process-definition/{definition['id']}/svg"
    first = client.get(url)
    assert first.status_code == 200

    def fail(*_args, **_kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(diagrams, "render_svg", fail)
    monkeypatch.setattr(diagrams, "read_diagram", fail)
    second = client.get(url)
    assert second.status_code == 200
    assert second.headers["content-type"] == "image/svg+xml"
    assert second.content == first.content


def test_each_version_has_its_own_diagram(api, client):
    """Two definitions are two cache entries: each answers the diagram of its own resource."""
    review = only_definition(api.deploy(REVIEW))
    parallel = only_definition(api.deploy(PARALLEL))
    one = client.get(f"/engine-rest/process-definition/{review['id']}/svg")
    two = client.get(f"/engine-rest/process-definition/{parallel['id']}/svg")
    assert one.status_code == two.status_code == 200
    assert "assignReviewer" in shapes(one.content)
    assert "assignReviewer" not in shapes(two.content) and len(shapes(two.content)) == 7
