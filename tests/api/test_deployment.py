"""POST /deployment/create, GET /deployment[/count|/{id}], DELETE /deployment/{id}."""

from __future__ import annotations

import re

from tests.api.conftest import DATE, UUID, error
from tests.conftest import model_path

NESTED = "nestedParallelOneTaskProcess"


def test_create_returns_the_deployment_with_its_definitions(api):
    """A deployment answers Camunda's DeploymentWithDefinitionsDto, every key present."""
    body = api.deploy(NESTED, name="nested", **{"deployment-source": "tests"})
    [(definition_id, definition)] = body["deployedProcessDefinitions"].items()
    assert re.fullmatch(UUID, body["id"])
    assert DATE.match(body["deploymentTime"])
    assert body == {
        "links": [], "id": body["id"], "name": "nested", "source": "tests",
        "deploymentTime": body["deploymentTime"], "tenantId": None,
        "deployedProcessDefinitions": {definition_id: definition},
        "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    }
    assert re.fullmatch(rf"nestedOneTaskProcess:1:{UUID}", definition_id)
    assert definition == {
        "id": definition_id, "key": "nestedOneTaskProcess", "category": "org.camunda.bpm.engine.test.enginge.test.api.runtime",
        "description": None, "name": None, "version": 1,
        "resource": model_path(NESTED).name, "deploymentId": body["id"], "diagram": None,
        "suspended": False, "tenantId": None, "versionTag": None, "historyTimeToLive": None,
        "startableInTasklist": True,
    }


def test_redeploying_creates_a_new_version(api, client):
    """The same key deployed twice gets version 2; latestVersion finds only it."""
    api.deploy(NESTED)
    second = api.deploy(NESTED)
    [definition] = second["deployedProcessDefinitions"].values()
    assert definition["version"] == 2
    latest = client.get("/engine-rest/process-definition",
                        params={"key": "nestedOneTaskProcess", "latestVersion": "TRUE"}).json()
    assert [d["id"] for d in latest] == [definition["id"]]


def test_duplicate_filtering_skips_an_unchanged_deployment(api):
    """With enable-duplicate-filtering an identical redeploy returns the old deployment, no definitions."""
    first = api.deploy(NESTED, name="same", **{"enable-duplicate-filtering": "true"})
    second = api.deploy(NESTED, name="same", **{"enable-duplicate-filtering": "true"})
    assert second["id"] == first["id"]
    assert second["deployedProcessDefinitions"] is None


def test_any_part_name_is_a_resource(client):
    """Every non-reserved multipart part with a file name is deployed, whatever its field name."""
    xml = model_path("oneTaskProcess.bpmn20.xml").read_bytes()
    response = client.post("/engine-rest/deployment/create",
                           files={"whatever-name": ("one.bpmn", xml, "application/octet-stream")})
    assert response.status_code == 200
    [definition] = response.json()["deployedProcessDefinitions"].values()
    assert definition["resource"] == "one.bpmn"


def test_create_without_resources_is_rejected(client):
    """A form with only reserved parts answers Camunda's 400."""
    response = client.post("/engine-rest/deployment/create", data={"deployment-name": "x"},
                           files={"deployment-source": (None, "src")})
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException",
                                     "No deployment resources contained in the form upload.")


def test_unsupported_element_fails_with_a_parse_exception(api):
    """A callActivity calling a CMMN case is refused with 400 ParseException naming the element and id."""
    xml = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">'
           '<process id="p" isExecutable="true"><startEvent id="s"/>'
           '<sequenceFlow id="f" sourceRef="s" targetRef="case"/>'
           '<callActivity id="case" camunda:caseRef="aCase"/></process></definitions>')
    response = api.deploy_xml(xml, "ja.bpmn")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "ParseException"
    assert "callActivity" in body["message"] and body["code"] == 0
    [problem] = body["details"]["ja.bpmn"]["errors"]
    assert problem["mainElementId"] in body["message"]
    assert problem["\u0435lementIds"] == problem["elementIds"] == [problem["mainElementId"]]
    assert isinstance(problem["line"], int)


def test_xml_bomb_and_malformed_xml_are_parse_exceptions(api):
    """An entity bomb and broken XML both answer 400 ParseException, quickly and without a 500."""
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            '<definitions>&lol2;</definitions>')
    for xml in (bomb, "<definitions><process id='p'></definitions>"):
        response = api.deploy_xml(xml)
        assert response.status_code == 400, response.text
        assert response.json()["type"] == "ParseException"


def test_list_count_and_get(api, client):
    """GET /deployment filters by name and pages; /count agrees; /{id} returns one."""
    first = api.deploy(NESTED, name="alpha")
    api.deploy("oneTaskProcess.bpmn20.xml", name="beta")
    listed = client.get("/engine-rest/deployment", params={"nameLike": "al%"}).json()
    assert [d["id"] for d in listed] == [first["id"]]
    assert listed[0] == {k: first[k] for k in
                         ("links", "id", "name", "source", "deploymentTime", "tenantId")}
    paged = client.get("/engine-rest/deployment", params={
        "sortBy": "name", "sortOrder": "desc", "firstResult": 1, "maxResults": 1}).json()
    assert [d["name"] for d in paged] == ["alpha"]
    assert client.get("/engine-rest/deployment/count").json() == {"count": 2}
    got = client.get(f"/engine-rest/deployment/{first['id']}")
    assert got.status_code == 200 and got.json() == listed[0]


def test_get_unknown_deployment_is_404(client):
    """An unknown deployment id answers Camunda's 404 message."""
    response = client.get("/engine-rest/deployment/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Deployment with id 'nope' does not exist")


def test_sort_by_alone_sorts_ascending(api, client):
    """sortBy without sortOrder sorts ascending (Camunda's 400; README, "Rules the spec states")."""
    for name in ("b", "a"):
        api.deploy(NESTED, name=name)
    response = client.get("/engine-rest/deployment", params={"sortBy": "name"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert [d["name"] for d in response.json()] == ["a", "b"]


def test_delete_with_and_without_cascade(api, client):
    """Running instances block a plain delete (409 Conflict; Camunda answers 500); cascade removes
    the deployment and its instances."""
    deployment = api.deploy(NESTED)
    instance = api.start("nestedOneTaskProcess")
    blocked = client.delete(f"/engine-rest/deployment/{deployment['id']}")
    assert blocked.status_code == 409
    assert blocked.headers["content-type"] == "application/json"
    definition_id = next(iter(deployment["deployedProcessDefinitions"]))
    assert blocked.json() == error(
        "ProcessEngineException",
        f"ENGINE-03076 Deletion of process definition without cascading failed. Process "
        f"definition with id: {definition_id} can't be deleted, because there are 1 dependent "
        f"process instances.", 0)
    assert client.get(f"/engine-rest/process-instance/{instance['id']}").status_code == 200
    deleted = client.delete(f"/engine-rest/deployment/{deployment['id']}", params={"cascade": "true"})
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(f"/engine-rest/process-instance/{instance['id']}").status_code == 404
    assert client.get("/engine-rest/process-definition/count").json() == {"count": 0}


def test_delete_unknown_deployment_is_404(client):
    """Deleting an unknown deployment answers Camunda's 404 (with its 'do not exist' wording)."""
    response = client.delete("/engine-rest/deployment/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Deployment with id 'nope' do not exist")
