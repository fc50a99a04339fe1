"""Shared pieces of the history REST tests: a small routed model, a pinned clock, GET/POST helpers."""

from __future__ import annotations

from datetime import datetime

from tests.api.batching import ROOT, pin

T0 = datetime(2026, 6, 1, 12, 0, 0)
T0_TEXT = "2026-06-01T12:00:00.000+0000"

ROUTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="routed" name="Routed" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="choose"/>
    <exclusiveGateway id="choose"/><sequenceFlow id="f2" sourceRef="choose" targetRef="review"/>
    <userTask id="review" name="Review"/>
    <sequenceFlow id="f3" sourceRef="review" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""

EXTERNAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="charging" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="charge"/>
    <serviceTask id="charge" camunda:type="external" camunda:topic="payments"/>
    <sequenceFlow id="f2" sourceRef="charge" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""


def deploy(client, xml: bytes = ROUTED) -> str:
    """Deploy at T0 and return the definition id."""
    pin(T0)
    response = client.post(f"{ROOT}/deployment/create",
                           files={"data": ("model.bpmn", xml, "text/xml")})
    assert response.status_code == 200, response.text
    [definition_id] = response.json()["deployedProcessDefinitions"]
    return definition_id


def start(client, key: str = "routed", **body) -> str:
    response = client.post(f"{ROOT}/process-definition/key/{key}/start", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def complete_review(client, instance_id: str, **variables) -> None:
    [task] = client.get(f"{ROOT}/task", params={"processInstanceId": instance_id}).json()
    response = client.post(f"{ROOT}/task/{task['id']}/complete", json={"variables": {
        name: {"value": value} for name, value in variables.items()}})
    assert response.status_code == 204, response.text


def listed(client, path: str, *, method: str = "get", params: dict | None = None,
           body: dict | None = None) -> list[dict]:
    if method == "get":
        response = client.get(f"{ROOT}{path}", params=params)
    else:
        response = client.post(f"{ROOT}{path}", params=params, json=body or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def counted(client, path: str, *, method: str = "get", params: dict | None = None,
            body: dict | None = None) -> int:
    result = listed(client, path, method=method, params=params, body=body)
    return result["count"]  # type: ignore[index]
