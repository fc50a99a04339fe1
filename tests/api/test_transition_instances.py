"""Async continuations over REST: transition instances in the tree, their jobs and incidents,
and modification by transitionInstanceId."""

from __future__ import annotations

from tests.api.conftest import UUID, error

XML = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="asyncProcess" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="java"/>
    <serviceTask id="java" camunda:asyncBefore="true" camunda:class="com.acme.Archive">
      <extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1M</camunda:failedJobRetryTimeCycle>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="java" targetRef="task"/>
    <userTask id="task"/>
    <sequenceFlow id="f3" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def test_transition_instance_job_and_incident_in_the_tree(api, client):
    """A failed async job shows as a transition instance with its incident; cancelling it by id
    and starting the next task moves the instance on."""
    assert api.deploy_xml(XML).status_code == 200
    instance = api.start("asyncProcess")
    tree = api.tree(instance["id"])
    assert tree["childActivityInstances"] == []
    (transition,) = tree["childTransitionInstances"]
    assert transition["activityId"] == "java"
    assert transition["activityType"] == "serviceTask"
    assert transition["parentActivityInstanceId"] == instance["id"]
    assert transition["processInstanceId"] == instance["id"]
    assert transition["incidentIds"] == []

    (job,) = client.get("/engine-rest/job", params={"processInstanceId": instance["id"]}).json()
    response = client.post(f"/engine-rest/job/{job['id']}/execute")
    assert response.status_code == 404  # Camunda's answer to a job failing with an engine exception
    body = response.json()
    assert body["type"] == "InvalidRequestException"
    assert "camunda:class 'com.acme.Archive' of serviceTask 'java'" in body["message"]

    incidents = client.get("/engine-rest/incident", params={"processInstanceId": instance["id"]}).json()
    assert [(i["incidentType"], i["activityId"]) for i in incidents] == [("failedJob", "java")]
    (transition,) = api.tree(instance["id"])["childTransitionInstances"]
    assert transition["incidentIds"] == [incidents[0]["id"]]
    assert transition["incidents"] == [{"id": incidents[0]["id"], "activityId": "java"}]
    listed = client.get("/engine-rest/process-instance", params={"withIncident": "true"}).json()
    assert [i["id"] for i in listed] == [instance["id"]]

    response = client.post(f"/engine-rest/process-instance/{instance['id']}/modification", json={
        "instructions": [{"type": "cancel", "transitionInstanceId": transition["id"]},
                         {"type": "startBeforeActivity", "activityId": "task"}]})
    assert response.status_code == 204, response.text
    tree = api.tree(instance["id"])
    assert [c["activityId"] for c in tree["childActivityInstances"]] == ["task"]
    assert tree["childTransitionInstances"] == []
    assert client.get("/engine-rest/incident/count").json() == {"count": 0}
    assert client.get("/engine-rest/job", params={"processInstanceId": instance["id"]}).json() == []


def test_cancel_of_a_missing_transition_instance(api, client):
    """An unknown transitionInstanceId is Camunda's 400 NotValidException."""
    assert api.deploy_xml(XML).status_code == 200
    instance = api.start("asyncProcess")
    response = client.post(f"/engine-rest/process-instance/{instance['id']}/modification", json={
        "instructions": [{"type": "cancel", "transitionInstanceId": "nope"}]})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "NotValidException", "Cannot perform instruction: Cancel transition instance 'nope'; Transition "
                             "instance 'nope' does not exist: transitionInstance is null", code=0)


def test_transition_instance_ids_are_activity_ids_with_uuid(api):
    """Transition instance ids follow Camunda's activityId:uuid form."""
    import re

    assert api.deploy_xml(XML).status_code == 200
    instance = api.start("asyncProcess")
    (transition,) = api.tree(instance["id"])["childTransitionInstances"]
    assert re.fullmatch(f"java:{UUID}", transition["id"])
    assert re.fullmatch(UUID, transition["executionId"])
