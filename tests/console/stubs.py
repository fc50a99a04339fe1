"""Stand-ins, in the browser only, for two operations other helpers are adding to the server
(GET /process-definition/{id}/svg and POST /modification/executeAsync/dry-run), following the
contracts in the project notes. They are installed only while the served spec lacks the
operation, so the tests run against the real operations as soon as the server has them."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import httpx

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"


def _operation_ids(base: str) -> set[str]:
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    return {operation.get("operationId") for methods in spec["paths"].values()
            for operation in methods.values() if isinstance(operation, dict)}


def _svg(xml: str) -> str | None:
    root = ElementTree.fromstring(xml)
    types = {e.get("id"): e.tag.removeprefix(BPMN) for e in root.iter() if e.tag.startswith(BPMN)}
    names = {e.get("id"): e.get("name") or "" for e in root.iter() if e.tag.startswith(BPMN)}
    shapes = []
    for shape in root.iter(f"{BPMNDI}BPMNShape"):
        bounds = shape.find(f"{DC}Bounds")
        element = shape.get("bpmnElement")
        x, y, w, h = (float(bounds.get(a)) for a in ("x", "y", "width", "height"))
        shapes.append(
            f'<g class="mb-shape" data-element-id="{element}" data-element-type="{types.get(element, "")}"'
            f' data-x="{x}" data-y="{y}" data-width="{w}" data-height="{h}">'
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="#fff" stroke="#333"/>'
            f'<text x="{x + w / 2}" y="{y + h / 2}" text-anchor="middle" font-size="11">'
            f'{names.get(element, "")}</text></g>')
    if not shapes:
        return None
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="50 50 650 300" width="650" '
            f'height="300">{"".join(shapes)}</svg>')


def install(context, base: str) -> None:
    """Route the missing operations of the server at ``base`` (…/engine-rest) to stand-ins."""
    operations = _operation_ids(base)
    if "getProcessDefinitionSvg" not in operations:
        def svg(route):
            definition_id = re.search(r"/process-definition/([^/]+)/svg", route.request.url)[1]
            xml = httpx.get(f"{base}/process-definition/{definition_id}/xml").json()["bpmn20Xml"]
            drawing = _svg(xml)
            if drawing is None:
                route.fulfill(status=204)
            else:
                route.fulfill(status=200, content_type="image/svg+xml", body=drawing)

        context.route(re.compile(r".*/engine-rest/process-definition/[^/]+/svg$"), svg)
    if "dryRunModification" not in operations:
        def dry_run(route):
            body = json.loads(route.request.post_data)
            query = dict(body.get("processInstanceQuery") or {})
            found = httpx.post(f"{base}/process-instance", json=query).json()
            ids = sorted(i["id"] for i in found if not body.get("processInstanceIds")
                         or i["id"] in body["processInstanceIds"])
            cancel = {i["activityId"] for i in body["instructions"] if i["type"] == "cancel"}
            start = [i["activityId"] for i in body["instructions"] if i["type"] != "cancel"]
            sample = []
            for instance_id in ids[:5]:
                tree = httpx.get(f"{base}/process-instance/{instance_id}/activity-instances").json()
                sample.append({
                    "processInstanceId": instance_id,
                    "cancelledActivityInstances": [
                        {"id": c["id"], "activityId": c["activityId"], "activityName": c["activityName"]}
                        for c in tree["childActivityInstances"] if c["activityId"] in cancel],
                    "startedActivityInstances": [
                        {"id": f"new-{a}", "activityId": a, "activityName": None,
                         "parentActivityInstanceId": tree["id"]} for a in start],
                    "error": None})
            route.fulfill(status=200, content_type="application/json", body=json.dumps(
                {"instanceCount": len(ids), "processInstanceIds": ids[:100], "sample": sample}))

        context.route(re.compile(r".*/engine-rest/modification/executeAsync/dry-run.*"), dry_run)
