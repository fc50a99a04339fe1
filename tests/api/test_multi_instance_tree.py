"""GET /process-instance/{id}/activity-instances of a multi-instance activity: the body level."""

from __future__ import annotations

import re

from tests.api.conftest import UUID

XML = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
       'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">'
       '<process id="miTree" isExecutable="true"><startEvent id="start"/>'
       '<sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
       '<userTask id="review" name="Review"><multiInstanceLoopCharacteristics>'
       '<loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></userTask>'
       '<sequenceFlow id="f2" sourceRef="review" targetRef="end"/><endEvent id="end"/>'
       '</process></definitions>')


def test_activity_instance_tree_shows_the_multi_instance_body(api, client):
    """The body is a node of type multiInstanceBody (no name) holding the inner instances."""
    response = api.deploy_xml(XML)
    assert response.status_code == 200, response.text
    [definition_id] = response.json()["deployedProcessDefinitions"]
    instance_id = api.start("miTree")["id"]
    response = client.get(f"/engine-rest/process-instance/{instance_id}/activity-instances")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    tree = response.json()
    [body] = tree["childActivityInstances"]
    assert re.fullmatch(rf"review#multiInstanceBody:{UUID}", body["id"])
    inner = body["childActivityInstances"]
    assert len(inner) == 2

    def node(item, parent, activity_id, activity_type, name, children):
        [execution_id] = item["executionIds"]
        assert re.fullmatch(UUID, execution_id)
        return {"id": item["id"], "parentActivityInstanceId": parent, "activityId": activity_id,
                "activityType": activity_type, "processInstanceId": instance_id,
                "processDefinitionId": definition_id, "childActivityInstances": children,
                "childTransitionInstances": [], "executionIds": [execution_id],
                "activityName": name, "name": name, "incidentIds": [], "incidents": []}

    for item in inner:
        assert re.fullmatch(rf"review:{UUID}", item["id"])
    assert body == node(body, instance_id, "review#multiInstanceBody", "multiInstanceBody", None, [
        node(item, body["id"], "review", "userTask", "Review", []) for item in inner])
    assert len({item["executionIds"][0] for item in inner} | set(body["executionIds"])) == 3


def test_modification_adds_an_inner_instance_to_the_chosen_body(api, client):
    """POST /process-instance/{id}/modification: startBeforeActivity on the inner activity with the
    body as ancestor adds a third inner instance to that body."""
    assert api.deploy_xml(XML).status_code == 200
    instance_id = api.start("miTree")["id"]
    [body] = api.tree(instance_id)["childActivityInstances"]
    response = client.post(f"/engine-rest/process-instance/{instance_id}/modification", json={
        "instructions": [{"type": "startBeforeActivity", "activityId": "review",
                          "ancestorActivityInstanceId": body["id"]}]})
    assert response.status_code == 204, response.text
    [after] = api.tree(instance_id)["childActivityInstances"]
    assert after["id"] == body["id"]
    assert [c["activityId"] for c in after["childActivityInstances"]] == ["review"] * 3
    response = client.get(f"/engine-rest/process-instance/{instance_id}/variables")
    assert response.status_code == 200
    assert response.json() == {}  # the counters are local to the body


def test_modification_cancelling_the_body_ends_the_instance(api, client):
    """cancel by activityId x#multiInstanceBody takes every inner instance along."""
    assert api.deploy_xml(XML).status_code == 200
    instance_id = api.start("miTree")["id"]
    response = client.post(f"/engine-rest/process-instance/{instance_id}/modification", json={
        "instructions": [{"type": "cancel", "activityId": "review#multiInstanceBody"}]})
    assert response.status_code == 204, response.text
    response = client.get(f"/engine-rest/process-instance/{instance_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["type"] == "InvalidRequestException"
