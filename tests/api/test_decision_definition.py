"""POST /deployment/create with DMN resources; GET /decision-definition[/count|/{id}|/key/{key}|
/{id}/xml]; POST /decision-definition/{id}/evaluate and /key/{key}/evaluate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import UUID, error
from tests.conftest import model_path
from tests.engine.test_dmn import table_xml

APPROVERS = Path(__file__).resolve().parents[1] / "dmn" / "invoice-assign-approver.dmn"
KEY = "invoice-assign-approver"
GRADES = table_xml([(["&lt; 50"], ['"low"']), (["&gt;= 50"], ['"high"'])], key="grade",
                   outputs=[("grade", "string")])
JSON = "application/json"


def upload(client, *files: tuple[str, bytes | str], **form):
    response = client.post("/engine-rest/deployment/create", files=[
        (f"file{i}", (name, content.encode() if isinstance(content, str) else content, "text/xml"))
        for i, (name, content) in enumerate(files)], data={"deployment-name": "dmn", **form})
    assert response.status_code == 200, response.text
    return response.json()


def expected(definition_id: str, deployment_id: str, *, key=KEY, version=1,
             name="Approver groups for an invoice", resource=APPROVERS.name,
             category="modbatch-tests", ttl=30, tag="2026-12", tenant=None) -> dict:
    return {"id": definition_id, "key": key, "category": category, "name": name,
            "version": version, "resource": resource, "deploymentId": deployment_id,
            "tenantId": tenant, "decisionRequirementsDefinitionId": None,
            "decisionRequirementsDefinitionKey": None, "historyTimeToLive": ttl,
            "versionTag": tag}


@pytest.fixture
def approvers(client):
    """The approver table deployed alone: (deployment, decision definition DTO)."""
    deployment = upload(client, (APPROVERS.name, APPROVERS.read_bytes()))
    [definition] = deployment["deployedDecisionDefinitions"].values()
    return deployment, definition


def test_deployment_with_only_a_decision(approvers):
    """A .dmn resource alone deploys one decision definition (key:version:uuid); no processes."""
    deployment, definition = approvers
    assert deployment["deployedProcessDefinitions"] is None
    assert deployment["deployedDecisionRequirementsDefinitions"] is None
    assert deployment["deployedDecisionDefinitions"] == {
        definition["id"]: expected(definition["id"], deployment["id"])}
    assert re.fullmatch(rf"{KEY}:1:{UUID}", definition["id"])


def test_decisions_deploy_beside_processes_and_version_per_key(client):
    """BPMN and DMN (.dmn11.xml too) in one deployment; redeploying a key makes version 2."""
    one_task = model_path("oneTaskProcess.bpmn20.xml")
    first = upload(client, (one_task.name, one_task.read_bytes()), ("grade.dmn11.xml", GRADES))
    assert list(first["deployedProcessDefinitions"].values())[0]["key"] == "oneTaskProcess"
    [v1] = first["deployedDecisionDefinitions"].values()
    second = upload(client, ("grade.dmn", GRADES))
    [v2] = second["deployedDecisionDefinitions"].values()
    assert (v1["key"], v1["version"], v1["resource"], v2["version"]) == (
        "grade", 1, "grade.dmn11.xml", 2)


def test_broken_dmn_fails_the_deployment(client):
    """A table modbatch cannot evaluate is a 400 ParseException naming the resource."""
    response = client.post("/engine-rest/deployment/create", files={"data": (
        "bad.dmn", table_xml([(["-"], ['"x"'])], hit_policy="PRIORITY").encode(), "text/xml")})
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert (body["type"], body["message"]) == (
        "ParseException",
        "DMN-02007 The hit policy 'PRIORITY' of decision table 'decision' is not supported.")
    assert list(body["details"]) == ["bad.dmn"]


def test_list_count_and_filters(client, approvers):
    """GET /decision-definition lists full DTOs; key, keyLike, name, version, latestVersion,
    deploymentId, decisionDefinitionId and count filter alike."""
    deployment, approver = approvers
    v1 = list(upload(client, ("grade.dmn", GRADES))["deployedDecisionDefinitions"].values())[0]
    v2 = list(upload(client, ("grade.dmn", GRADES))["deployedDecisionDefinitions"].values())[0]

    def ids(**params):
        response = client.get("/engine-rest/decision-definition", params=params)
        assert response.status_code == 200
        assert response.headers["content-type"] == JSON
        return [d["id"] for d in response.json()]

    everything = client.get("/engine-rest/decision-definition").json()
    assert everything == sorted([approver, v1, v2], key=lambda d: d["id"])
    assert ids(key="grade") == sorted([v1["id"], v2["id"]])
    assert ids(keyLike="gr%") == sorted([v1["id"], v2["id"]])
    assert ids(name="Approver groups for an invoice") == [approver["id"]]
    assert ids(nameLike="%table") == sorted([v1["id"], v2["id"]])
    assert ids(version=2) == [v2["id"]]
    assert ids(latestVersion="true") == sorted([approver["id"], v2["id"]])
    assert ids(deploymentId=deployment["id"]) == [approver["id"]]
    assert ids(decisionDefinitionId=v1["id"]) == [v1["id"]]
    assert ids(decisionDefinitionIdIn=f"{v1['id']},{approver['id']}") == sorted(
        [v1["id"], approver["id"]])
    assert ids(versionTag="2026-12") == [approver["id"]]
    assert ids(withoutTenantId="true") == ids()
    assert ids(tenantIdIn="t1") == []
    assert ids(decisionRequirementsDefinitionKey="drd") == []
    count = client.get("/engine-rest/decision-definition/count", params={"key": "grade"})
    assert count.status_code == 200
    assert count.json() == {"count": 2}


def test_sorting_and_paging(client, approvers):
    """sortBy/sortOrder order the list, firstResult/maxResults page it, unknown criteria are 400."""
    _, approver = approvers
    grade = list(upload(client, ("grade.dmn", GRADES))["deployedDecisionDefinitions"].values())[0]
    by_key = client.get("/engine-rest/decision-definition",
                        params={"sortBy": "key", "sortOrder": "desc"})
    assert [d["id"] for d in by_key.json()] == [approver["id"], grade["id"]]
    page = client.get("/engine-rest/decision-definition", params={
        "sortBy": "deployTime", "sortOrder": "asc", "firstResult": 1, "maxResults": 1})
    assert [d["id"] for d in page.json()] == [grade["id"]]
    bad = client.get("/engine-rest/decision-definition",
                     params={"sortBy": "color", "sortOrder": "asc"})
    assert bad.status_code == 400
    assert bad.json() == error("InvalidRequestException",
                               "Cannot set query parameter 'sortBy' to value 'color'")


def test_tenants_version_apart(client):
    """tenantIdIn selects a tenant's definitions; versions count per tenant."""
    plain = list(upload(client, ("grade.dmn", GRADES))["deployedDecisionDefinitions"].values())[0]
    tenant = list(upload(client, ("grade.dmn", GRADES), **{"tenant-id": "t1"})
                  ["deployedDecisionDefinitions"].values())[0]
    assert (plain["version"], tenant["version"], tenant["tenantId"]) == (1, 1, "t1")
    response = client.get("/engine-rest/decision-definition", params={"tenantIdIn": "t1"})
    assert response.json() == [tenant]


def test_get_by_id_key_and_xml(client, approvers):
    """By id, by key (latest, no tenant) and the DMN XML of its resource."""
    deployment, definition = approvers
    by_id = client.get(f"/engine-rest/decision-definition/{definition['id']}")
    assert (by_id.status_code, by_id.headers["content-type"]) == (200, JSON)
    assert by_id.json() == expected(definition["id"], deployment["id"])
    by_key = client.get(f"/engine-rest/decision-definition/key/{KEY}")
    assert by_key.status_code == 200
    assert by_key.json() == by_id.json()
    xml = client.get(f"/engine-rest/decision-definition/{definition['id']}/xml")
    assert xml.status_code == 200
    assert xml.json() == {"id": definition["id"], "dmnXml": APPROVERS.read_text()}
    by_key_xml = client.get(f"/engine-rest/decision-definition/key/{KEY}/xml")
    assert by_key_xml.status_code == 200
    assert by_key_xml.json() == xml.json()


def test_unknown_ids_and_keys_are_404(client):
    """Unknown ids and keys answer Camunda's 404 messages."""
    by_id = client.get("/engine-rest/decision-definition/nothing")
    assert (by_id.status_code, by_id.headers["content-type"]) == (404, JSON)
    assert by_id.json() == error("InvalidRequestException", "no deployed decision definition found "
                                 "with id 'nothing': decisionDefinition is null")
    assert client.get("/engine-rest/decision-definition/nothing/xml").status_code == 404
    assert client.get("/engine-rest/decision-definition/key/nothing/xml").status_code == 404
    by_key = client.get("/engine-rest/decision-definition/key/nothing")
    assert by_key.status_code == 404
    assert by_key.json() == error("RestException",
                                  "No matching decision definition with key: nothing and no tenant-id")
    evaluate = client.post("/engine-rest/decision-definition/nothing/evaluate", json={})
    assert evaluate.status_code == 404
    assert evaluate.json() == error(
        "InvalidRequestException", "Cannot evaluate decision nothing: no deployed decision "
        "definition found with id 'nothing': decisionDefinition is null")
    assert client.post("/engine-rest/decision-definition/key/nothing/evaluate",
                       json={}).status_code == 404


def test_evaluate_by_id_and_by_key(client, approvers):
    """evaluate answers one map of typed values per rule result (COLLECT: every match)."""
    _, definition = approvers
    body = {"variables": {"invoiceCategory": {"value": "Misc", "type": "String"},
                          "amount": {"value": 9000, "type": "Double"}}}
    by_id = client.post(f"/engine-rest/decision-definition/{definition['id']}/evaluate", json=body)
    assert (by_id.status_code, by_id.headers["content-type"]) == (200, JSON)
    assert by_id.json() == [
        {"approverGroup": {"type": "String", "value": "accounting", "valueInfo": {}}},
        {"approverGroup": {"type": "String", "value": "management", "valueInfo": {}}}]
    by_key = client.post(f"/engine-rest/decision-definition/key/{KEY}/evaluate", json={
        "variables": {"invoiceCategory": {"value": "Internal"}, "amount": {"value": 9000}}})
    assert by_key.status_code == 200
    assert by_key.json() == []


def test_evaluate_uses_the_latest_version_by_key(client):
    """By key, the newest version decides."""
    upload(client, ("grade.dmn", GRADES))
    upload(client, ("grade.dmn", table_xml([(["-"], ['"always"'])], key="grade",
                                           outputs=[("grade", "string")])))
    response = client.post("/engine-rest/decision-definition/key/grade/evaluate",
                           json={"variables": {"amount": {"value": 1}}})
    assert response.json() == [{"grade": {"type": "String", "value": "always", "valueInfo": {}}}]


@pytest.mark.parametrize("variables,message", [
    ({}, "FEEL/SCALA-01008 Error while evaluating expression: failed to evaluate expression "
         "'amount': no variable found for name 'amount'"),
    ({"amount": {"value": 2.5}}, "DMN-01005 Invalid value '2.5' for clause with type 'integer'."),
])
def test_evaluation_failures_are_400_with_camundas_messages(client, variables, message):
    """A missing variable or a value its typeRef refuses: 400 RestException, Camunda's message."""
    definition = list(upload(client, ("grade.dmn", GRADES))["deployedDecisionDefinitions"])[0]
    response = client.post("/engine-rest/decision-definition/key/grade/evaluate",
                           json={"variables": variables})
    assert (response.status_code, response.headers["content-type"]) == (400, JSON)
    assert response.json() == error("RestException",
                                    f"Cannot evaluate decision {definition}: {message}", 0)


def test_unconvertible_variable_is_400(client, approvers):
    """A variable that does not convert to its type is Camunda's InvalidRequestException."""
    response = client.post(f"/engine-rest/decision-definition/key/{KEY}/evaluate", json={
        "variables": {"amount": {"value": "lots", "type": "Double"}}})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        "Cannot convert value 'lots' of type 'Double' to java type java.lang.Double")


def test_deleting_the_deployment_removes_its_decisions(client, approvers):
    """DELETE /deployment/{id} takes its decision definitions with it."""
    deployment, definition = approvers
    assert client.delete(f"/engine-rest/deployment/{deployment['id']}").status_code == 204
    assert client.get(f"/engine-rest/decision-definition/{definition['id']}").status_code == 404
    assert client.get("/engine-rest/decision-definition/count").json() == {"count": 0}


def test_business_rule_task_runs_on_a_rest_start(client, approvers):
    """A process deployed apart from its decision: starting it over REST evaluates the latest
    decision and the instance's variables show the mapped result."""
    bpmn = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">'
            '<process id="route" isExecutable="true"><startEvent id="start"/>'
            '<sequenceFlow id="f1" sourceRef="start" targetRef="assign"/>'
            f'<businessRuleTask id="assign" camunda:decisionRef="{KEY}" '
            'camunda:resultVariable="groups" camunda:mapDecisionResult="collectEntries"/>'
            '<sequenceFlow id="f2" sourceRef="assign" targetRef="approve"/>'
            '<userTask id="approve"/></process></definitions>')
    upload(client, ("route.bpmn", bpmn))
    started = client.post("/engine-rest/process-definition/key/route/start", json={
        "variables": {"invoiceCategory": {"value": "Travel Expenses"},
                      "amount": {"value": 6000, "type": "Double"}},
        "withVariablesInReturn": True})
    assert started.status_code == 200, started.text
    assert started.json()["variables"]["groups"] == {
        "type": "Json", "value": '["sales","management"]', "valueInfo": {}}
    tree = client.get(f"/engine-rest/process-instance/{started.json()['id']}/activity-instances")
    assert [child["activityId"] for child in tree.json()["childActivityInstances"]] == ["approve"]
