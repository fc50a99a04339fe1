"""GET /process-definition[/count|/{id}|/key/{key}|/{id}/xml], POST /process-definition/.../start."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import UUID, error
from tests.conftest import model_path

NESTED = "nestedParallelOneTaskProcess"
ONE_TASK = "oneTaskProcess.bpmn20.xml"
CATEGORY = "org.camunda.bpm.engine.test.enginge.test.api.runtime"


def inline_process(key: str, name: str) -> str:
    """A one-task process with a name, for the name filters (the shared models have none)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="inline">'
        f'<process id="{key}" name="{name}" isExecutable="true">'
        '<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>'
        '<userTask id="task"/><sequenceFlow id="f2" sourceRef="task" targetRef="end"/>'
        '<endEvent id="end"/></process></definitions>')


def only_definition(deployment: dict) -> dict:
    [definition] = deployment["deployedProcessDefinitions"].values()
    return definition


def expected_definition(definition_id: str, key: str, version: int, deployment_id: str,
                        resource: str, *, name=None, category=CATEGORY, tenant_id=None) -> dict:
    return {
        "id": definition_id, "key": key, "category": category, "description": None,
        "name": name, "version": version, "resource": resource, "deploymentId": deployment_id,
        "diagram": None, "suspended": False, "tenantId": tenant_id, "versionTag": None,
        "historyTimeToLive": None, "startableInTasklist": True,
    }


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()]


@pytest.fixture
def three(api):
    """nestedOneTaskProcess v1, oneTaskProcess v1 and v2, and a named inline process."""
    nested = only_definition(api.deploy(NESTED, name="first"))
    one_v1 = only_definition(api.deploy(ONE_TASK, name="second"))
    one_v2 = only_definition(api.deploy(ONE_TASK, name="third"))
    named = api.deploy_xml(inline_process("invoice", "Invoice Receipt"), "invoice.bpmn").json()
    return {"nested": nested, "one_v1": one_v1, "one_v2": one_v2,
            "named": only_definition(named)}


def test_list_returns_full_dtos_ordered_by_id(api, client):
    """GET /process-definition lists every definition as a full ProcessDefinitionDto, ordered by id."""
    one = api.deploy(ONE_TASK)
    nested = api.deploy(NESTED)
    one_id, nested_id = only_definition(one)["id"], only_definition(nested)["id"]
    response = client.get("/engine-rest/process-definition")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        expected_definition(nested_id, "nestedOneTaskProcess", 1, nested["id"],
                            model_path(NESTED).name),
        expected_definition(one_id, "oneTaskProcess", 1, one["id"], ONE_TASK),
    ]
    assert re.fullmatch(rf"nestedOneTaskProcess:1:{UUID}", nested_id)


def test_filter_by_key(client, three):
    """key matches exactly one process key, every version of it."""
    response = client.get("/engine-rest/process-definition", params={"key": "oneTaskProcess"})
    assert ids(response) == sorted([three["one_v1"]["id"], three["one_v2"]["id"]])
    assert ids(client.get("/engine-rest/process-definition", params={"key": "oneTask"})) == []


def test_filter_by_keys_in_comma_separated(client, three):
    """keysIn=a,b matches definitions of either key."""
    response = client.get("/engine-rest/process-definition",
                          params={"keysIn": "nestedOneTaskProcess,invoice"})
    assert ids(response) == sorted([three["nested"]["id"], three["named"]["id"]])


def test_filter_by_keys_in_repeated(client, three):
    """keysIn given twice (keysIn=a&keysIn=b) matches definitions of either key, like a,b."""
    response = client.get("/engine-rest/process-definition",
                          params=[("keysIn", "nestedOneTaskProcess"), ("keysIn", "invoice")])
    assert ids(response) == sorted([three["nested"]["id"], three["named"]["id"]])
    count = client.get("/engine-rest/process-definition/count",
                       params=[("keysIn", "nestedOneTaskProcess"), ("keysIn", "invoice")])
    assert count.json() == {"count": 2}


def test_filter_latest_version(client, three):
    """latestVersion=true keeps only the highest version of each key."""
    response = client.get("/engine-rest/process-definition", params={"latestVersion": "true"})
    assert ids(response) == sorted([three["nested"]["id"], three["one_v2"]["id"],
                                    three["named"]["id"]])


def test_filter_by_deployment_id(client, three):
    """deploymentId matches the definitions of that deployment only."""
    response = client.get("/engine-rest/process-definition",
                          params={"deploymentId": three["one_v1"]["deploymentId"]})
    assert ids(response) == [three["one_v1"]["id"]]


def test_filter_by_name_and_name_like(client, three):
    """name matches exactly; nameLike is a SQL LIKE pattern with % wildcards."""
    exact = client.get("/engine-rest/process-definition", params={"name": "Invoice Receipt"})
    assert ids(exact) == [three["named"]["id"]]
    assert exact.json()[0] == expected_definition(
        three["named"]["id"], "invoice", 1, three["named"]["deploymentId"], "invoice.bpmn",
        name="Invoice Receipt", category="inline")
    assert ids(client.get("/engine-rest/process-definition", params={"name": "Invoice"})) == []
    like = client.get("/engine-rest/process-definition", params={"nameLike": "%Rec%"})
    assert ids(like) == [three["named"]["id"]]
    assert ids(client.get("/engine-rest/process-definition", params={"nameLike": "Rec%"})) == []


def test_filter_by_version(client, three):
    """version matches that version number only."""
    response = client.get("/engine-rest/process-definition", params={"version": 2})
    assert ids(response) == [three["one_v2"]["id"]]


def test_filter_by_tenant_id_in(api, client):
    """tenantIdIn matches definitions of the listed tenants; versions count per tenant."""
    api.deploy(ONE_TASK)
    t1 = only_definition(api.deploy(ONE_TASK, **{"tenant-id": "t1"}))
    t2 = only_definition(api.deploy(ONE_TASK, **{"tenant-id": "t2"}))
    assert (t1["tenantId"], t1["version"], t2["tenantId"], t2["version"]) == ("t1", 1, "t2", 1)
    response = client.get("/engine-rest/process-definition", params={"tenantIdIn": "t1,t2"})
    assert ids(response) == sorted([t1["id"], t2["id"]])
    only_t2 = client.get("/engine-rest/process-definition", params={"tenantIdIn": "t2"})
    assert only_t2.json() == [t2]


def test_sorting_and_paging(client, three):
    """sortBy/sortOrder order the list; firstResult and maxResults page it."""
    by_version = client.get("/engine-rest/process-definition", params={
        "key": "oneTaskProcess", "sortBy": "version", "sortOrder": "desc"})
    assert ids(by_version) == [three["one_v2"]["id"], three["one_v1"]["id"]]
    by_key = client.get("/engine-rest/process-definition", params={
        "sortBy": "key", "sortOrder": "asc", "latestVersion": "true"})
    assert [d["key"] for d in by_key.json()] == ["invoice", "nestedOneTaskProcess",
                                                  "oneTaskProcess"]
    page = client.get("/engine-rest/process-definition", params={
        "sortBy": "key", "sortOrder": "asc", "latestVersion": "true",
        "firstResult": 1, "maxResults": 1})
    assert [d["key"] for d in page.json()] == ["nestedOneTaskProcess"]
    rest = client.get("/engine-rest/process-definition", params={
        "sortBy": "key", "sortOrder": "asc", "latestVersion": "true", "firstResult": 2})
    assert [d["key"] for d in rest.json()] == ["oneTaskProcess"]


def test_unknown_sort_criterion_is_400(client):
    """An unknown sortBy or sortOrder answers Camunda's 'Cannot set query parameter' 400."""
    bad_by = client.get("/engine-rest/process-definition",
                        params={"sortBy": "color", "sortOrder": "asc"})
    assert bad_by.status_code == 400
    assert bad_by.json() == error("InvalidRequestException",
                                  "Cannot set query parameter 'sortBy' to value 'color'")
    bad_order = client.get("/engine-rest/process-definition",
                           params={"sortBy": "key", "sortOrder": "up"})
    assert bad_order.status_code == 400
    assert bad_order.json() == error("InvalidRequestException",
                                     "Cannot set query parameter 'sortOrder' to value 'up'")
    half = client.get("/engine-rest/process-definition", params={"sortOrder": "up"})
    assert half.status_code == 400
    assert half.json() == error("InvalidRequestException",
                                "Cannot set query parameter 'sortOrder' to value 'up'")


def test_count_applies_the_same_filters(client, three):
    """GET /process-definition/count answers {"count"} for the same filters as the list."""
    assert client.get("/engine-rest/process-definition/count").json() == {"count": 4}
    response = client.get("/engine-rest/process-definition/count",
                          params={"key": "oneTaskProcess", "latestVersion": "true"})
    assert response.status_code == 200
    assert response.json() == {"count": 1}
    assert client.get("/engine-rest/process-definition/count",
                      params={"nameLike": "%Receipt"}).json() == {"count": 1}


def test_get_by_id(api, client):
    """GET /process-definition/{id} answers the full ProcessDefinitionDto."""
    deployment = api.deploy(ONE_TASK)
    definition = only_definition(deployment)
    response = client.get(f"/engine-rest/process-definition/{definition['id']}")
    assert response.status_code == 200
    assert response.json() == expected_definition(
        definition["id"], "oneTaskProcess", 1, deployment["id"], ONE_TASK)


def test_get_unknown_id_is_404(client):
    """An unknown definition id answers 404 'No matching definition with id', code 0."""
    response = client.get("/engine-rest/process-definition/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "No matching definition with id nope", 0)


def test_get_by_key_is_the_latest_version_without_tenant(api, client):
    """GET /key/{key} answers the highest version that belongs to no tenant."""
    api.deploy(ONE_TASK)
    deployment = api.deploy(ONE_TASK)
    latest = only_definition(deployment)
    api.deploy(ONE_TASK, **{"tenant-id": "t1"})
    response = client.get("/engine-rest/process-definition/key/oneTaskProcess")
    assert response.status_code == 200
    assert response.json() == expected_definition(
        latest["id"], "oneTaskProcess", 2, deployment["id"], ONE_TASK)


def test_get_by_unknown_key_is_404_rest_exception(api, client):
    """An unknown key (or one only a tenant has) answers Camunda's 404 RestException, code null."""
    api.deploy(NESTED, **{"tenant-id": "t1"})
    for key in ("nope", "nestedOneTaskProcess"):
        response = client.get(f"/engine-rest/process-definition/key/{key}")
        assert response.status_code == 404
        assert response.json() == error(
            "RestException", f"No matching process definition with key: {key} and no tenant-id")


def test_xml_is_the_deployed_file(api, client):
    """GET /{id}/xml answers {id, bpmn20Xml} with the uploaded file's text unchanged."""
    definition = only_definition(api.deploy(NESTED))
    response = client.get(f"/engine-rest/process-definition/{definition['id']}/xml")
    assert response.status_code == 200
    assert response.json() == {"id": definition["id"],
                               "bpmn20Xml": model_path(NESTED).read_text(encoding="utf-8")}


def test_xml_of_unknown_id_is_404(client):
    """GET /{id}/xml of an unknown id answers the same 404 as GET /{id}."""
    response = client.get("/engine-rest/process-definition/nope/xml")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "No matching definition with id nope", 0)


# ------------------------------------------------------------------------------------ start
def started_dto(body: dict, definition: dict, *, business_key=None) -> dict:
    """The ProcessInstanceDto a start answers, with its absolute self link."""
    return {
        "links": [{"method": "GET", "rel": "self",
                   "href": f"http://testserver/engine-rest/process-instance/{body['id']}"}],
        "id": body["id"], "definitionId": definition["id"], "definitionKey": definition["key"],
        "businessKey": business_key, "caseInstanceId": None, "ended": False,
        "suspended": False, "tenantId": None,
    }


def test_start_by_key_with_business_key(api, client):
    """POST /key/{key}/start answers ProcessInstanceDto with a self link and no variables key."""
    definition = only_definition(api.deploy(ONE_TASK))
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start",
                           json={"businessKey": "order-1"})
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(UUID, body["id"])
    assert body == started_dto(body, definition, business_key="order-1")
    got = client.get(f"/engine-rest/process-instance/{body['id']}").json()
    assert got == {**started_dto(body, definition, business_key="order-1"), "links": []}


def test_start_by_id(api, client):
    """POST /{id}/start starts that exact version, not the latest one."""
    first = only_definition(api.deploy(ONE_TASK))
    api.deploy(ONE_TASK)
    response = client.post(f"/engine-rest/process-definition/{first['id']}/start", json={})
    assert response.status_code == 200
    body = response.json()
    assert body == started_dto(body, first)


def test_start_without_a_body(api, client):
    """A start without any body counts as {}."""
    definition = only_definition(api.deploy(ONE_TASK))
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start")
    assert response.status_code == 200
    assert response.json() == started_dto(response.json(), definition)


def test_start_with_typed_variables_returns_them(api, client):
    """withVariablesInReturn answers every typed variable as {type, value, valueInfo}."""
    definition = only_definition(api.deploy(ONE_TASK))
    variables = {
        "aString": {"type": "String", "value": "text"},
        "aBoolean": {"type": "Boolean", "value": True},
        "aBooleanString": {"type": "Boolean", "value": "false"},
        "anInteger": {"type": "Integer", "value": 42},
        "anIntegerString": {"type": "integer", "value": "7"},
        "aLong": {"type": "Long", "value": 3_000_000_000},
        "aDouble": {"type": "Double", "value": 1.5},
        "aJson": {"type": "Json", "value": '{"a": [1, 2]}'},
        "aNull": {"type": "Null", "value": None},
    }
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start",
                           json={"variables": variables, "withVariablesInReturn": True})
    assert response.status_code == 200
    body = response.json()
    expected = {
        "aString": {"type": "String", "value": "text", "valueInfo": {}},
        "aBoolean": {"type": "Boolean", "value": True, "valueInfo": {}},
        "aBooleanString": {"type": "Boolean", "value": False, "valueInfo": {}},
        "anInteger": {"type": "Integer", "value": 42, "valueInfo": {}},
        "anIntegerString": {"type": "Integer", "value": 7, "valueInfo": {}},
        "aLong": {"type": "Long", "value": 3_000_000_000, "valueInfo": {}},
        "aDouble": {"type": "Double", "value": 1.5, "valueInfo": {}},
        "aJson": {"type": "Json", "value": '{"a": [1, 2]}', "valueInfo": {}},
        "aNull": {"type": "Null", "value": None, "valueInfo": {}},
    }
    assert body == {**started_dto(body, definition), "variables": expected}
    stored = client.get(f"/engine-rest/process-instance/{body['id']}/variables")
    assert stored.status_code == 200 and stored.json() == expected


def test_start_with_untyped_variables_infers_types(api, client):
    """Variables without a type are typed from their JSON value, as Camunda's untyped values."""
    api.deploy(ONE_TASK)
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start", json={
        "withVariablesInReturn": True,
        "variables": {"s": {"value": "x"}, "i": {"value": 5}, "l": {"value": 2**31},
                      "d": {"value": 0.25}, "b": {"value": False}, "n": {"value": None}}})
    assert response.status_code == 200
    assert response.json()["variables"] == {
        "s": {"type": "String", "value": "x", "valueInfo": {}},
        "i": {"type": "Integer", "value": 5, "valueInfo": {}},
        "l": {"type": "Long", "value": 2**31, "valueInfo": {}},
        "d": {"type": "Double", "value": 0.25, "valueInfo": {}},
        "b": {"type": "Boolean", "value": False, "valueInfo": {}},
        "n": {"type": "Null", "value": None, "valueInfo": {}},
    }


@pytest.mark.parametrize("given, stored", [
    ("2026-11-27T10:15:30.000+0000", "2026-11-27T10:15:30.000+0000"),
    ("2026-11-27T10:15:30.250+0200", "2026-11-27T08:15:30.250+0000"),
    ("2026-11-27T10:15:30Z", "2026-11-27T10:15:30.000+0000"),
    ("2026-11-27T10:15:30+02:00", "2026-11-27T08:15:30.000+0000"),
    ("2026-11-27T10:15:30.123456Z", "2026-11-27T10:15:30.123+0000"),
])
def test_start_with_a_date_variable(api, client, given, stored):
    """Date values in Camunda's format or ISO 8601 (Z, +02:00, microseconds) are stored in UTC."""
    api.deploy(ONE_TASK)
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start", json={
        "variables": {"due": {"type": "Date", "value": given}}, "withVariablesInReturn": True})
    assert response.status_code == 200
    assert response.json()["variables"] == {"due": {"type": "Date", "value": stored,
                                                    "valueInfo": {}}}


def test_start_without_variables_in_return_has_no_variables_key(api, client):
    """withVariablesInReturn=false answers the plain ProcessInstanceDto even with variables set."""
    definition = only_definition(api.deploy(ONE_TASK))
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start", json={
        "variables": {"a": {"value": 1}}, "withVariablesInReturn": False})
    assert response.status_code == 200
    assert response.json() == started_dto(response.json(), definition)


@pytest.mark.parametrize("variable, reason", [
    ({"type": "Color", "value": "red"}, "Unsupported value type 'Color'"),
    ({"type": "Integer", "value": "abc"},
     "Cannot convert value 'abc' of type 'Integer' to java type java.lang.Integer"),
    ({"type": "Boolean", "value": "yes"},
     "Cannot convert value 'yes' of type 'Boolean' to java type java.lang.Boolean"),
    ({"type": "Date", "value": "27.11.2026"},
     "Cannot convert value '27.11.2026' of type 'Date' to java type java.util.Date"),
])
def test_start_with_a_bad_variable_is_400(api, client, variable, reason):
    """A bad variable type or value answers 400 prefixed 'Cannot instantiate process definition <id>: '."""
    definition = only_definition(api.deploy(ONE_TASK))
    for path in (f"/engine-rest/process-definition/{definition['id']}/start",
                 "/engine-rest/process-definition/key/oneTaskProcess/start"):
        response = client.post(path, json={"variables": {"v": variable}})
        assert response.status_code == 400
        assert response.json() == error(
            "InvalidRequestException",
            f"Cannot instantiate process definition {definition['id']}: {reason}")
    assert client.get("/engine-rest/process-instance/count").json() == {"count": 0}


def test_start_unknown_id_is_404_rest_exception(client):
    """Starting an unknown definition id: Camunda's RestException and message, code 0, as a 404
    (Camunda answers 500)."""
    response = client.post("/engine-rest/process-definition/nope/start", json={})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "RestException",
        "Cannot instantiate process definition nope: no deployed process definition found "
        "with id 'nope': processDefinition is null", 0)


def test_start_unknown_key_is_404(client):
    """Starting by an unknown key answers the key lookup's 404 RestException."""
    response = client.post("/engine-rest/process-definition/key/nope/start", json={})
    assert response.status_code == 404
    assert response.json() == error(
        "RestException", "No matching process definition with key: nope and no tenant-id")
