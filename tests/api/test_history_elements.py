"""History of an instance that ran through every element family of step 5, read over REST.

One deployment holds a process with a decision, a multi-instance user task, a compensable
service task, a call activity, a sub-process with a non-interrupting event sub-process and a
compensation throw; the called process; and the decision table. The instance is driven to its
end through the REST API only, then the history endpoints must tell what happened.
"""

from __future__ import annotations

from tests.api.batching import ROOT
from tests.api.history import listed

BREADTH = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <message id="nudgeMessage" name="nudge"/>
  <process id="breadth" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <businessRuleTask id="decide" camunda:decisionRef="route" camunda:resultVariable="route"
                      camunda:mapDecisionResult="singleEntry"/>
    <sequenceFlow id="f2" sourceRef="decide" targetRef="review"/>
    <userTask id="review">
      <multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="f3" sourceRef="review" targetRef="book"/>
    <serviceTask id="book" camunda:expression="${true}"/>
    <boundaryEvent id="undoBook" attachedToRef="book"><compensateEventDefinition/></boundaryEvent>
    <serviceTask id="unbook" isForCompensation="true" camunda:expression="${true}"/>
    <association id="a1" associationDirection="One" sourceRef="undoBook" targetRef="unbook"/>
    <sequenceFlow id="f4" sourceRef="book" targetRef="callCheck"/>
    <callActivity id="callCheck" calledElement="called">
      <extensionElements><camunda:in source="route" target="route"/>
        <camunda:out source="checked" target="checked"/></extensionElements>
    </callActivity>
    <sequenceFlow id="f5" sourceRef="callCheck" targetRef="sub"/>
    <subProcess id="sub">
      <startEvent id="subStart"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="wait"/>
      <userTask id="wait"/>
      <sequenceFlow id="s2" sourceRef="wait" targetRef="subEnd"/>
      <endEvent id="subEnd"/>
      <subProcess id="onNudge" triggeredByEvent="true">
        <startEvent id="nudged" isInterrupting="false">
          <messageEventDefinition messageRef="nudgeMessage"/>
        </startEvent>
        <sequenceFlow id="n1" sourceRef="nudged" targetRef="nudgeEnd"/>
        <endEvent id="nudgeEnd"/>
      </subProcess>
    </subProcess>
    <sequenceFlow id="f6" sourceRef="sub" targetRef="compensate"/>
    <intermediateThrowEvent id="compensate"><compensateEventDefinition/></intermediateThrowEvent>
    <sequenceFlow id="f7" sourceRef="compensate" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""

CALLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="called" isExecutable="true">
    <startEvent id="calledStart"/>
    <sequenceFlow id="c1" sourceRef="calledStart" targetRef="check"/>
    <userTask id="check"/>
    <sequenceFlow id="c2" sourceRef="check" targetRef="calledEnd"/>
    <endEvent id="calledEnd"/>
  </process>
</definitions>"""

ROUTE = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="routing" name="Routing"
             namespace="t">
  <decision id="route" name="Route">
    <decisionTable id="table">
      <input id="amountInput" label="Amount">
        <inputExpression id="amountExpression" typeRef="integer"><text>amount</text></inputExpression>
      </input>
      <output id="routeOutput" name="route" typeRef="string"/>
      <rule id="small"><inputEntry id="smallAmount"><text>&lt; 100</text></inputEntry>
        <outputEntry id="fast"><text>"fast"</text></outputEntry></rule>
      <rule id="large"><inputEntry id="largeAmount"><text>&gt;= 100</text></inputEntry>
        <outputEntry id="careful"><text>"careful"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def complete_tasks(client, instance_id: str, key: str, **variables) -> int:
    tasks = client.get(f"{ROOT}/task", params={"processInstanceId": instance_id,
                                               "taskDefinitionKey": key}).json()
    for task in tasks:
        response = client.post(f"{ROOT}/task/{task['id']}/complete", json={"variables": {
            name: {"value": value} for name, value in variables.items()}})
        assert response.status_code == 204, response.text
    return len(tasks)


def test_an_instance_through_every_element_family_has_its_whole_history(client):
    """Decision, multi-instance, compensation, call activity and event sub-process in history."""
    response = client.post(f"{ROOT}/deployment/create", files=[
        ("breadth", ("breadth.bpmn", BREADTH, "text/xml")),
        ("called", ("called.bpmn", CALLED, "text/xml")),
        ("route", ("route.dmn", ROUTE, "text/xml"))])
    assert response.status_code == 200, response.text
    assert len(response.json()["deployedDecisionDefinitions"]) == 1

    started = client.post(f"{ROOT}/process-definition/key/breadth/start",
                          json={"variables": {"amount": {"value": 40, "type": "Integer"}}})
    assert started.status_code == 200, started.text
    pid = started.json()["id"]
    assert complete_tasks(client, pid, "review") == 2
    [called] = client.get(f"{ROOT}/process-instance",
                          params={"superProcessInstance": pid}).json()
    assert complete_tasks(client, called["id"], "check", checked=True) == 1
    nudged = client.post(f"{ROOT}/message", json={"messageName": "nudge",
                                                  "processInstanceId": pid})
    assert nudged.status_code == 204, nudged.text
    assert complete_tasks(client, pid, "wait") == 1
    assert client.get(f"{ROOT}/process-instance/{pid}").status_code == 404

    [process] = listed(client, "/history/process-instance", params={"processInstanceId": pid})
    assert (process["state"], process["startActivityId"]) == ("COMPLETED", "start")
    [child] = listed(client, "/history/process-instance",
                     params={"superProcessInstanceId": pid})
    assert (child["id"], child["state"], child["processDefinitionKey"]) == (
        called["id"], "COMPLETED", "called")

    rows = listed(client, "/history/activity-instance",
                  params={"processInstanceId": pid, "sortBy": "occurrence", "sortOrder": "asc"})
    by_activity: dict[str, list[dict]] = {}
    for row in rows:
        by_activity.setdefault(row["activityId"], []).append(row)
    types = {activity: {row["activityType"] for row in found}
             for activity, found in by_activity.items()}
    assert types == {
        "start": {"startEvent"}, "decide": {"businessRuleTask"},
        "review#multiInstanceBody": {"multiInstanceBody"}, "review": {"userTask"},
        "book": {"serviceTask"}, "callCheck": {"callActivity"}, "sub": {"subProcess"},
        "subStart": {"startEvent"}, "wait": {"userTask"}, "subEnd": {"noneEndEvent"},
        "onNudge": {"subProcess"}, "nudged": {"messageStartEvent"},
        "nudgeEnd": {"noneEndEvent"}, "compensate": {"intermediateCompensationThrowEvent"},
        "unbook": {"serviceTask"}, "end": {"noneEndEvent"}}
    assert len(by_activity["review"]) == 2
    assert all(row["endTime"] is not None and row["canceled"] is False for row in rows)
    [call] = by_activity["callCheck"]
    assert call["calledProcessInstanceId"] == called["id"]
    [body] = by_activity["review#multiInstanceBody"]
    assert {row["parentActivityInstanceId"] for row in by_activity["review"]} == {body["id"]}

    variables = {row["name"]: row["value"] for row in listed(
        client, "/history/variable-instance", params={"processInstanceId": pid})}
    assert variables["route"] == "fast"
    assert variables["checked"] is True
    assert variables["nrOfInstances"] == 2
