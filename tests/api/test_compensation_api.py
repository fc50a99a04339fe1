"""Compensation over REST: compensate subscriptions on /event-subscription and handlers in the
activity-instance tree, as Camunda answers them."""

from __future__ import annotations

ROOT = "/engine-rest"
MODEL = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
<process id="booking" isExecutable="true">
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="book"/>
  <userTask id="book"/><sequenceFlow id="f2" sourceRef="book" targetRef="wait"/>
  <boundaryEvent id="bookCompensation" attachedToRef="book"><compensateEventDefinition/></boundaryEvent>
  <userTask id="undoBook" isForCompensation="true"/>
  <association sourceRef="bookCompensation" targetRef="undoBook"/>
  <userTask id="wait"/><sequenceFlow id="f3" sourceRef="wait" targetRef="throw"/>
  <intermediateThrowEvent id="throw"><compensateEventDefinition activityRef="book"/></intermediateThrowEvent>
  <sequenceFlow id="f4" sourceRef="throw" targetRef="end"/><endEvent id="end"/>
</process></definitions>"""


def test_compensate_subscription_is_listed_with_camundas_dto(api, client):
    """A completed compensable task leaves a compensate subscription owned by the process
    instance's execution; eventType=compensate finds it."""
    assert api.deploy_xml(MODEL, "booking.bpmn").status_code == 200
    instance = api.start("booking")
    api.complete(instance["id"], "book")
    response = client.get(f"{ROOT}/event-subscription", params={"eventType": "compensate"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    [row] = response.json()
    assert row == {"id": row["id"], "eventType": "compensate", "eventName": None,
                   "executionId": instance["id"], "processInstanceId": instance["id"],
                   "activityId": "undoBook", "createdDate": row["createdDate"], "tenantId": None}


def test_handler_waits_beside_the_throw_event_in_the_tree(api, client):
    """During compensation the tree shows the throw event and the handler under the process
    instance; completing the handler ends the instance."""
    assert api.deploy_xml(MODEL, "booking.bpmn").status_code == 200
    instance = api.start("booking")
    api.complete(instance["id"], "book")
    api.complete(instance["id"], "wait")
    tree = api.tree(instance["id"])
    assert sorted((c["activityId"], c["activityType"]) for c in tree["childActivityInstances"]) == [
        ("throw", "intermediateCompensationThrowEvent"), ("undoBook", "userTask")]
    api.complete(instance["id"], "undoBook")
    response = client.get(f"{ROOT}/process-instance/{instance['id']}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["type"] == "InvalidRequestException"


def test_start_before_a_compensation_boundary_event_is_refused(api, client):
    """POST /process-instance/{id}/modification cannot start a compensation boundary event:
    Camunda's ProcessEngineException, and the instance is unchanged."""
    assert api.deploy_xml(MODEL, "booking.bpmn").status_code == 200
    instance = api.start("booking")
    response = client.post(f"{ROOT}/process-instance/{instance['id']}/modification", json={
        "instructions": [{"type": "startBeforeActivity", "activityId": "bookCompensation"}]})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"type": "ProcessEngineException", "code": 0,
                               "message": "Cannot start before activity bookCompensation; activity is a "
                                          "compensation boundary event."}
    assert [c["activityId"] for c in api.tree(instance["id"])["childActivityInstances"]] == ["book"]


def test_modification_starts_a_compensation_throw(api, client):
    """startBeforeActivity on the throw event runs the handler of the completed task."""
    assert api.deploy_xml(MODEL, "booking.bpmn").status_code == 200
    instance = api.start("booking")
    api.complete(instance["id"], "book")
    response = client.post(f"{ROOT}/process-instance/{instance['id']}/modification", json={
        "instructions": [{"type": "startBeforeActivity", "activityId": "throw"}]})
    assert response.status_code == 204
    assert sorted(c["activityId"] for c in api.tree(instance["id"])["childActivityInstances"]) == [
        "throw", "undoBook", "wait"]
