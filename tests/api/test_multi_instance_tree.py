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
