"""Call activities over REST: superProcessInstance / subProcessInstance filters (GET and POST,
list and count), the call activity in the caller's activity-instance tree, and DELETE cascading
to called instances."""

from __future__ import annotations

import re

import pytest

from modbatch.store.tables import HistoricProcessInstance
from tests.api.conftest import UUID

NS = ('xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t"')
CALLS = f"""<definitions {NS}>
<process id="root" isExecutable="true">
  <startEvent id="rootStart"/><sequenceFlow id="r1" sourceRef="rootStart" targetRef="callMiddle"/>
  <callActivity id="callMiddle" name="Call middle" calledElement="middle">
    <extensionElements><camunda:in source="order" target="order"/></extensionElements>
  </callActivity>
  <sequenceFlow id="r2" sourceRef="callMiddle" targetRef="rootEnd"/><endEvent id="rootEnd"/>
</process>
<process id="middle" isExecutable="true">
  <startEvent id="middleStart"/><sequenceFlow id="m1" sourceRef="middleStart" targetRef="callLeaf"/>
  <callActivity id="callLeaf" calledElement="leaf"/>
  <sequenceFlow id="m2" sourceRef="callLeaf" targetRef="middleEnd"/><endEvent id="middleEnd"/>
</process>
<process id="leaf" isExecutable="true">
  <startEvent id="leafStart"/><sequenceFlow id="l1" sourceRef="leafStart" targetRef="work"/>
  <userTask id="work"/>
  <sequenceFlow id="l2" sourceRef="work" targetRef="leafEnd"/><endEvent id="leafEnd"/>
</process>
</definitions>"""


@pytest.fixture
def chain(api, client):
    """root calls middle calls leaf: returns the three instance ids."""
    response = api.deploy_xml(CALLS, "calls.bpmn")
    assert response.status_code == 200, response.text
    root = api.start("root", variables={"order": {"type": "String", "value": "o-1"}})["id"]
    ids = {"root": root}
    for parent, child in (("root", "middle"), ("middle", "leaf")):
        response = client.get("/engine-rest/process-instance", params={"superProcessInstance": ids[parent]})
        [found] = response.json()
        ids[child] = found["id"]
    return ids


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return [item["id"] for item in response.json()]


def test_super_and_sub_process_instance_filters_on_get(client, chain):
    """GET /process-instance?superProcessInstance= lists what an instance called; subProcessInstance its caller."""
    url = "/engine-rest/process-instance"
    assert ids_of(client.get(url, params={"superProcessInstance": chain["root"]})) == [chain["middle"]]
    assert ids_of(client.get(url, params={"superProcessInstance": chain["middle"]})) == [chain["leaf"]]
    assert ids_of(client.get(url, params={"superProcessInstance": chain["leaf"]})) == []
    assert ids_of(client.get(url, params={"subProcessInstance": chain["leaf"]})) == [chain["middle"]]
    assert ids_of(client.get(url, params={"subProcessInstance": chain["root"]})) == []
    assert ids_of(client.get(url, params={"rootProcessInstances": "true"})) == [chain["root"]]
    assert ids_of(client.get(url, params={"leafProcessInstances": "true"})) == [chain["leaf"]]
    response = client.get(f"{url}/count", params={"superProcessInstance": chain["root"]})
    assert (response.status_code, response.json()) == (200, {"count": 1})


def test_super_and_sub_process_instance_filters_on_post(client, chain):
    """POST /process-instance and /count accept the same filters in the body."""
    url = "/engine-rest/process-instance"
    assert ids_of(client.post(url, json={"superProcessInstance": chain["middle"]})) == [chain["leaf"]]
    assert ids_of(client.post(url, json={"subProcessInstance": chain["middle"]})) == [chain["root"]]
    response = client.post(f"{url}/count", json={"subProcessInstance": chain["leaf"]})
    assert (response.status_code, response.json()) == (200, {"count": 1})
    response = client.get(f"{url}/{chain['leaf']}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["definitionKey"], body["ended"], body["businessKey"]) == (
        chain["leaf"], "leaf", False, None)


def test_call_activity_is_a_leaf_of_the_callers_tree(api, chain):
    """The caller's activity-instance tree shows the call activity as a callActivity leaf."""
    tree = api.tree(chain["root"])
    [node] = tree["childActivityInstances"]
    assert re.fullmatch(rf"callMiddle:{UUID}", node["id"])
    assert (node["activityId"], node["activityType"], node["activityName"], node["name"]) == (
        "callMiddle", "callActivity", "Call middle", "Call middle")
    assert (node["parentActivityInstanceId"], node["processInstanceId"]) == (chain["root"], chain["root"])
    assert (node["childActivityInstances"], node["childTransitionInstances"]) == ([], [])
    [execution] = node["executionIds"]
    assert re.fullmatch(UUID, execution)
    [leaf_node] = api.tree(chain["leaf"])["childActivityInstances"]
    assert (leaf_node["activityId"], leaf_node["activityType"]) == ("work", "userTask")


def test_in_mapping_and_completion_over_rest(api, client, chain):
    """The called instance got the in-mapped variable; completing the leaf's task ends the chain."""
    response = client.get(f"/engine-rest/process-instance/{chain['middle']}/variables")
    assert response.status_code == 200
    assert response.json() == {"order": {"type": "String", "value": "o-1", "valueInfo": {}}}
    api.complete(chain["leaf"], "work")
    response = client.get("/engine-rest/process-instance/count")
    assert response.json() == {"count": 0}


def test_delete_cascades_to_called_instances(client, chain):
    """DELETE /process-instance/{root} deletes middle and leaf with it (204, then 404 for each)."""
    response = client.delete(f"/engine-rest/process-instance/{chain['root']}")
    assert response.status_code == 204 and response.content == b""
    for instance_id in chain.values():
        response = client.get(f"/engine-rest/process-instance/{instance_id}")
        assert response.status_code == 404
        assert response.json()["type"] == "InvalidRequestException"
    assert client.get("/engine-rest/task/count").json() == {"count": 0}


def test_deleting_a_called_instance_cancels_the_call_activity(app, client, chain):
    """DELETE of the middle instance removes the leaf too and, as Camunda's delete command cancels the
    caller's call activity instance, ends the root (INTERNALLY_TERMINATED), whose only activity it was."""
    response = client.delete(f"/engine-rest/process-instance/{chain['middle']}")
    assert response.status_code == 204
    response = client.get("/engine-rest/process-instance/count")
    assert response.json() == {"count": 0}
    with app.engine.transaction() as session:
        states = {key: session.get(HistoricProcessInstance, chain[key]).state for key in chain}
    assert states == {"root": "INTERNALLY_TERMINATED", "middle": "EXTERNALLY_TERMINATED",
                      "leaf": "EXTERNALLY_TERMINATED"}


def test_missing_called_process_fails_the_start(api, client):
    """Starting a caller whose called process does not exist answers Camunda's 500 RestException; nothing starts."""
    xml = CALLS.replace('calledElement="middle"', 'calledElement="nowhere"')
    assert api.deploy_xml(xml, "calls.bpmn").status_code == 200
    response = client.post("/engine-rest/process-definition/key/root/start", json={})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    definition_id = client.get("/engine-rest/process-definition/key/root").json()["id"]
    assert response.json() == {"type": "RestException", "code": 0, "message":
                               f"Cannot instantiate process definition {definition_id}: no processes "
                               "deployed with key 'nowhere' and tenant-id 'null': processDefinition is null"}
    assert client.get("/engine-rest/process-instance/count").json() == {"count": 0}


def test_delete_with_skip_subprocesses_keeps_called_instances(client, chain):
    """skipSubprocesses=true deletes only the root; middle and leaf keep running, now roots themselves."""
    response = client.delete(f"/engine-rest/process-instance/{chain['root']}",
                             params={"skipSubprocesses": "true"})
    assert response.status_code == 204
    assert client.get(f"/engine-rest/process-instance/{chain['root']}").status_code == 404
    assert ids_of(client.get("/engine-rest/process-instance", params={"rootProcessInstances": "true"})) == [
        chain["middle"]]
    assert ids_of(client.get("/engine-rest/process-instance", params={"superProcessInstance": chain["middle"]})) \
        == [chain["leaf"]]


def test_history_shows_the_call_links(client, chain):
    """Historic process instances name their caller and root; the call activity names what it called."""
    response = client.get(f"/engine-rest/history/process-instance/{chain['leaf']}")
    assert response.status_code == 200
    body = response.json()
    assert (body["superProcessInstanceId"], body["rootProcessInstanceId"], body["state"]) == (
        chain["middle"], chain["root"], "ACTIVE")
    response = client.get(f"/engine-rest/history/process-instance/{chain['root']}")
    assert (response.json()["superProcessInstanceId"], response.json()["rootProcessInstanceId"]) == (
        None, chain["root"])
    response = client.get("/engine-rest/history/process-instance",
                          params={"superProcessInstanceId": chain["root"]})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [chain["middle"]]
    response = client.get("/engine-rest/history/activity-instance", params={"activityId": "callMiddle"})
    assert response.status_code == 200
    [call] = response.json()
    assert (call["activityType"], call["calledProcessInstanceId"], call["processInstanceId"],
            call["rootProcessInstanceId"], call["endTime"]) == (
        "callActivity", chain["middle"], chain["root"], chain["root"], None)
    response = client.get("/engine-rest/history/activity-instance", params={"activityId": "callLeaf"})
    [call] = response.json()
    assert (call["calledProcessInstanceId"], call["rootProcessInstanceId"]) == (chain["leaf"], chain["root"])
