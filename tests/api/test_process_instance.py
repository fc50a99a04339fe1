"""GET/POST /process-instance[/count], GET/DELETE /{id}, PUT /{id}/suspended,
GET /{id}/activity-instances and GET /{id}/variables."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.api.conftest import UUID, error

NESTED = "nestedParallelOneTaskProcess"
ONE_TASK = "oneTaskProcess.bpmn20.xml"


def instance_dto(started: dict) -> dict:
    """The ProcessInstanceDto that queries and GET /{id} answer for a started instance."""
    return {"links": [], "id": started["id"], "definitionId": started["definitionId"],
            "definitionKey": started["definitionKey"], "businessKey": started["businessKey"],
            "caseInstanceId": None, "ended": False, "suspended": False,
            "tenantId": started["tenantId"]}


@dataclass
class Scenario:
    """Three running instances: two of oneTaskProcess with variables, one nested."""

    a: dict
    b: dict
    c: dict
    one_deployment: str
    nested_deployment: str

    def name(self, instance_id: str) -> str:
        return {self.a["id"]: "a", self.b["id"]: "b", self.c["id"]: "c"}[instance_id]


@pytest.fixture
def scenario(api) -> Scenario:
    one = api.deploy(ONE_TASK)
    nested = api.deploy(NESTED)
    a = api.start("oneTaskProcess", businessKey="order-1", variables={
        "amount": {"type": "Integer", "value": 100},
        "customer": {"type": "String", "value": "alice"},
        "code": {"type": "String", "value": "5"},
        "due": {"type": "Date", "value": "2026-03-01T12:00:00.000+0000"}})
    b = api.start("oneTaskProcess", businessKey="order-2", variables={
        "amount": {"type": "Double", "value": 50.5},
        "customer": {"type": "String", "value": "bob"},
        "code": {"type": "Integer", "value": 5}})
    c = api.start("nestedOneTaskProcess", businessKey="other")
    return Scenario(a, b, c, one["id"], nested["id"])


def names(scenario: Scenario, response) -> list[str]:
    """The scenario names of the listed instances, in answer order."""
    assert response.status_code == 200, response.text
    return [scenario.name(item["id"]) for item in response.json()]


def get_names(client, scenario, **params) -> list[str]:
    return sorted(names(scenario, client.get("/engine-rest/process-instance", params=params)))


def post_names(client, scenario, body: dict) -> list[str]:
    return sorted(names(scenario, client.post("/engine-rest/process-instance", json=body)))


# ------------------------------------------------------------------------------------ query
def test_list_returns_full_dtos_ordered_by_id(client, scenario):
    """GET and POST /process-instance list every instance as a full ProcessInstanceDto, by id."""
    expected = sorted((instance_dto(s) for s in (scenario.a, scenario.b, scenario.c)),
                      key=lambda dto: dto["id"])
    response = client.get("/engine-rest/process-instance")
    assert response.status_code == 200
    assert response.json() == expected
    posted = client.post("/engine-rest/process-instance", json={})
    assert posted.status_code == 200
    assert posted.json() == expected


def test_filter_by_process_instance_ids(client, scenario):
    """processInstanceIds: a,b or repeated keys (GET), a JSON list (POST)."""
    ids = f"{scenario.a['id']},{scenario.c['id']}"
    assert get_names(client, scenario, processInstanceIds=ids) == ["a", "c"]
    repeated = client.get("/engine-rest/process-instance", params=[
        ("processInstanceIds", scenario.a["id"]), ("processInstanceIds", scenario.b["id"])])
    assert sorted(names(scenario, repeated)) == ["a", "b"]
    assert post_names(client, scenario, {"processInstanceIds": [scenario.b["id"]]}) == ["b"]


def test_filter_by_business_key_and_like(client, scenario):
    """businessKey matches exactly; businessKeyLike is a LIKE pattern."""
    assert get_names(client, scenario, businessKey="order-1") == ["a"]
    assert get_names(client, scenario, businessKey="order") == []
    assert get_names(client, scenario, businessKeyLike="order%") == ["a", "b"]
    assert post_names(client, scenario, {"businessKeyLike": "%her"}) == ["c"]


def test_filter_by_definition_id_and_key(client, scenario):
    """processDefinitionId and processDefinitionKey match the instance's definition."""
    assert get_names(client, scenario, processDefinitionId=scenario.c["definitionId"]) == ["c"]
    assert get_names(client, scenario, processDefinitionKey="oneTaskProcess") == ["a", "b"]
    assert post_names(client, scenario, {"processDefinitionKey": "nestedOneTaskProcess"}) == ["c"]


def test_filter_by_definition_key_in_and_not_in(client, scenario):
    """processDefinitionKeyIn keeps, processDefinitionKeyNotIn drops the listed keys."""
    assert get_names(client, scenario,
                     processDefinitionKeyIn="nestedOneTaskProcess,unknown") == ["c"]
    assert get_names(client, scenario, processDefinitionKeyNotIn="nestedOneTaskProcess") == [
        "a", "b"]
    assert post_names(client, scenario, {"processDefinitionKeyIn": ["oneTaskProcess"],
                                         "processDefinitionKeyNotIn": ["x"]}) == ["a", "b"]
    assert post_names(client, scenario, {"processDefinitionKeyNotIn": [
        "oneTaskProcess", "nestedOneTaskProcess"]}) == []


def test_filter_by_deployment_id(client, scenario):
    """deploymentId matches instances of that deployment's definitions."""
    assert get_names(client, scenario, deploymentId=scenario.nested_deployment) == ["c"]
    assert post_names(client, scenario, {"deploymentId": scenario.one_deployment}) == ["a", "b"]


def test_filter_active_and_suspended(client, scenario):
    """active=true and suspended=true split the instances by suspension state."""
    assert client.put(f"/engine-rest/process-instance/{scenario.b['id']}/suspended",
                      json={"suspended": True}).status_code == 204
    assert get_names(client, scenario, suspended="true") == ["b"]
    assert get_names(client, scenario, active="true") == ["a", "c"]
    assert post_names(client, scenario, {"suspended": True}) == ["b"]
    assert post_names(client, scenario, {"active": True}) == ["a", "c"]


def test_filter_by_activity_id_in(client, scenario):
    """activityIdIn matches instances waiting in one of the listed leaf activities, not scopes."""
    assert get_names(client, scenario, activityIdIn="theTask") == ["a", "b"]
    assert get_names(client, scenario, activityIdIn="innerTask,nope") == ["c"]
    assert get_names(client, scenario, activityIdIn="subProcess") == []
    assert post_names(client, scenario, {"activityIdIn": ["outerTask", "theTask"]}) == [
        "a", "b", "c"]


@pytest.mark.parametrize("condition, expected", [
    ({"name": "amount", "operator": "eq", "value": 100}, ["a"]),
    ({"name": "amount", "operator": "eq", "value": 50.5}, ["b"]),
    ({"name": "amount", "operator": "neq", "value": 100}, ["b"]),
    ({"name": "amount", "operator": "gt", "value": 50.5}, ["a"]),
    ({"name": "amount", "operator": "gteq", "value": 50.5}, ["a", "b"]),
    ({"name": "amount", "operator": "lt", "value": 100}, ["b"]),
    ({"name": "amount", "operator": "lteq", "value": 100}, ["a", "b"]),
    ({"name": "customer", "operator": "like", "value": "al%"}, ["a"]),
    ({"name": "customer", "operator": "eq", "value": "bob"}, ["b"]),
    ({"name": "code", "operator": "eq", "value": 5}, ["b"]),
    ({"name": "code", "operator": "eq", "value": "5"}, ["a"]),
    ({"name": "due", "operator": "lt", "value": "2026-03-01T14:00:00.000+0200"}, []),
    ({"name": "due", "operator": "lteq", "value": "2026-03-01T14:00:00.000+0200"}, ["a"]),
    ({"name": "due", "operator": "eq", "value": "2026-03-01T12:00:00Z"}, ["a"]),
])
def test_post_variable_conditions(client, scenario, condition, expected):
    """POST variables compare numbers across numeric types, strings with String variables
    and date strings with Date variables."""
    assert post_names(client, scenario, {"variables": [condition]}) == expected
    count = client.post("/engine-rest/process-instance/count", json={"variables": [condition]})
    assert count.json() == {"count": len(expected)}


@pytest.mark.parametrize("variables, expected", [
    ("customer_eq_alice", ["a"]),
    ("customer_neq_alice", ["b"]),
    ("customer_gt_alice", ["b"]),
    ("customer_gteq_alice", ["a", "b"]),
    ("customer_lt_bob", ["a"]),
    ("customer_lteq_bob", ["a", "b"]),
    ("customer_like_%o%", ["b"]),
    ("code_eq_5", ["a"]),
    ("amount_eq_100", []),
    ("customer_like_%,code_eq_5", ["a"]),
    ("due_gteq_2026-03-01T12:00:00.000+0000", ["a"]),
])
def test_get_variable_conditions(client, scenario, variables, expected):
    """GET variables=name_op_value[,...]: values are strings (or dates), so they only match
    String (or Date) variables, as in Camunda."""
    assert get_names(client, scenario, variables=variables) == expected
    count = client.get("/engine-rest/process-instance/count", params={"variables": variables})
    assert count.json() == {"count": len(expected)}


def test_variable_names_and_values_ignore_case(client, scenario):
    """variableNamesIgnoreCase / variableValuesIgnoreCase relax the variable comparison."""
    assert get_names(client, scenario, variables="CUSTOMER_eq_ALICE") == []
    assert get_names(client, scenario, variables="CUSTOMER_eq_ALICE",
                     variableNamesIgnoreCase="true", variableValuesIgnoreCase="true") == ["a"]


def test_invalid_variable_operator_is_400(client, scenario):
    """An operator outside eq/neq/gt/gteq/lt/lteq/like answers 400 in both forms."""
    expected = error("InvalidRequestException", "Invalid variable comparator specified: notLike")
    response = client.get("/engine-rest/process-instance", params={"variables": "customer_notLike_x"})
    assert response.status_code == 400 and response.json() == expected
    response = client.get("/engine-rest/process-instance/count",
                          params={"variables": "customer_notLike_x"})
    assert response.status_code == 400 and response.json() == expected
    response = client.post("/engine-rest/process-instance", json={
        "variables": [{"name": "customer", "operator": "notLike", "value": "x"}]})
    assert response.status_code == 400 and response.json() == expected
    response = client.post("/engine-rest/process-instance/count", json={
        "variables": [{"name": "customer", "operator": "notLike", "value": "x"}]})
    assert response.status_code == 400 and response.json() == expected


@pytest.mark.parametrize("raw", ["customer_eq", "customer_eq_", "my_var_eq_x"])
def test_malformed_get_variables_is_400(client, raw):
    """A GET variables item that is not exactly KEY_OPERATOR_VALUE answers Camunda's 400."""
    response = client.get("/engine-rest/process-instance", params={"variables": raw})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        f"Cannot set query parameter 'variables' to value '{raw}': "
        "variable query parameter has to have format KEY_OPERATOR_VALUE.")


def test_filter_by_tenant(api, client, scenario):
    """tenantIdIn keeps the listed tenants' instances; withoutTenantId those of no tenant."""
    deployment = api.deploy(ONE_TASK, **{"tenant-id": "t1"})
    [definition_id] = deployment["deployedProcessDefinitions"]
    started = client.post(f"/engine-rest/process-definition/{definition_id}/start", json={})
    assert started.status_code == 200
    tenant_instance = started.json()
    assert tenant_instance["tenantId"] == "t1"
    listed = client.get("/engine-rest/process-instance", params={"tenantIdIn": "t1,t2"})
    assert listed.json() == [instance_dto(tenant_instance)]
    assert client.post("/engine-rest/process-instance",
                       json={"tenantIdIn": ["t1"]}).json() == [instance_dto(tenant_instance)]
    assert get_names(client, scenario, withoutTenantId="true") == ["a", "b", "c"]
    assert post_names(client, scenario, {"withoutTenantId": True}) == ["a", "b", "c"]


def test_root_process_instances(client, scenario):
    """Without call activities every instance is a root instance."""
    assert get_names(client, scenario, rootProcessInstances="true") == ["a", "b", "c"]
    assert post_names(client, scenario, {"rootProcessInstances": True}) == ["a", "b", "c"]


@pytest.mark.parametrize("params, expected", [
    ({"leafProcessInstances": "true"}, ["a", "b", "c"]),
    ({"processDefinitionWithoutTenantId": "true"}, ["a", "b", "c"]),
    ({"withIncident": "false"}, ["a", "b", "c"]),
    ({"withIncident": "true"}, []),
    ({"incidentId": "x"}, []),
    ({"incidentType": "failedJob"}, []),
    ({"incidentMessage": "x"}, []),
    ({"incidentMessageLike": "%"}, []),
    ({"caseInstanceId": "x"}, []),
    ({"superProcessInstance": "x"}, []),
    ({"subProcessInstance": "x"}, []),
])
def test_filters_without_call_activities_or_incidents(client, scenario, params, expected):
    """Without call activities, cases or incidents, their filters keep all or nothing."""
    assert get_names(client, scenario, **params) == expected
    body = {k: (v == "true" if v in ("true", "false") else v) for k, v in params.items()}
    assert post_names(client, scenario, body) == expected


def test_or_queries(client, scenario):
    """POST orQueries OR their criteria together and AND the result with the top level."""
    either = {"orQueries": [{"businessKey": "order-1",
                             "processDefinitionKey": "nestedOneTaskProcess"}]}
    assert post_names(client, scenario, either) == ["a", "c"]
    assert post_names(client, scenario, {**either, "processDefinitionKey": "oneTaskProcess"}) == [
        "a"]
    count = client.post("/engine-rest/process-instance/count", json=either)
    assert count.json() == {"count": 2}


def test_sorting_get_and_post(client, scenario):
    """GET sortBy/sortOrder and POST sorting[] order the list, several criteria in turn."""
    response = client.get("/engine-rest/process-instance",
                          params={"sortBy": "businessKey", "sortOrder": "desc"})
    assert names(scenario, response) == ["c", "b", "a"]
    response = client.post("/engine-rest/process-instance", json={"sorting": [
        {"sortBy": "definitionKey", "sortOrder": "asc"},
        {"sortBy": "businessKey", "sortOrder": "desc"}]})
    assert names(scenario, response) == ["c", "b", "a"]
    response = client.post("/engine-rest/process-instance", json={"sorting": [
        {"sortBy": "definitionKey", "sortOrder": "desc"},
        {"sortBy": "businessKey", "sortOrder": "asc"}]})
    assert names(scenario, response) == ["a", "b", "c"]


def test_unknown_sort_by_is_400(client):
    """An unknown GET sortBy answers Camunda's 'Cannot set query parameter' 400."""
    response = client.get("/engine-rest/process-instance",
                          params={"sortBy": "startTime", "sortOrder": "asc"})
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException",
                                    "Cannot set query parameter 'sortBy' to value 'startTime'")


def test_paging_get_and_post(client, scenario):
    """firstResult/maxResults page the list; on POST they are query parameters."""
    response = client.get("/engine-rest/process-instance", params={
        "sortBy": "businessKey", "sortOrder": "asc", "firstResult": 1, "maxResults": 1})
    assert names(scenario, response) == ["b"]
    response = client.post("/engine-rest/process-instance", params={"firstResult": 1},
                           json={"sorting": [{"sortBy": "businessKey", "sortOrder": "asc"}]})
    assert names(scenario, response) == ["b", "c"]
    response = client.post("/engine-rest/process-instance", params={"maxResults": 2},
                           json={"sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}]})
    assert names(scenario, response) == ["c", "b"]


def test_count_get_and_post(client, scenario):
    """GET and POST /process-instance/count answer {"count"} for their filters."""
    response = client.get("/engine-rest/process-instance/count")
    assert response.status_code == 200 and response.json() == {"count": 3}
    response = client.get("/engine-rest/process-instance/count",
                          params={"processDefinitionKey": "oneTaskProcess"})
    assert response.json() == {"count": 2}
    response = client.post("/engine-rest/process-instance/count",
                           json={"businessKeyLike": "order%", "activityIdIn": ["theTask"]})
    assert response.status_code == 200 and response.json() == {"count": 2}


# ------------------------------------------------------------------------------ one instance
def test_get_instance(api, client):
    """GET /process-instance/{id} answers the full ProcessInstanceDto."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess", businessKey="bk")
    response = client.get(f"/engine-rest/process-instance/{started['id']}")
    assert response.status_code == 200
    assert response.json() == instance_dto(started)


def test_get_unknown_instance_is_404(client):
    """An unknown process instance id answers Camunda's 404."""
    response = client.get("/engine-rest/process-instance/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Process instance with id nope does not exist")


def test_delete_instance(api, client):
    """DELETE answers 204 with no body; the instance and its tasks are gone afterwards."""
    api.deploy(NESTED)
    started = api.start("nestedOneTaskProcess")
    response = client.delete(f"/engine-rest/process-instance/{started['id']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/engine-rest/process-instance/{started['id']}").status_code == 404
    assert api.tasks(processInstanceId=started["id"]) == []
    again = client.delete(f"/engine-rest/process-instance/{started['id']}")
    assert again.status_code == 404


def test_delete_unknown_instance_is_404(client):
    """Deleting an unknown id answers 404 with the engine's message and code 0."""
    response = client.delete("/engine-rest/process-instance/nope")
    assert response.status_code == 404
    assert response.json() == error(
        "InvalidRequestException",
        "No process instance found for id 'nope': processInstance is null", 0)


def test_delete_unknown_instance_without_fail_if_not_exists(client):
    """failIfNotExists=false turns the unknown-id delete into a 204."""
    response = client.delete("/engine-rest/process-instance/nope",
                             params={"failIfNotExists": "false"})
    assert response.status_code == 204 and response.content == b""


def test_suspend_and_activate(api, client):
    """PUT suspended=true suspends the instance and its tasks; suspended=false activates both."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess")
    [task] = api.tasks(processInstanceId=started["id"])
    response = client.put(f"/engine-rest/process-instance/{started['id']}/suspended",
                          json={"suspended": True})
    assert response.status_code == 204 and response.content == b""
    got = client.get(f"/engine-rest/process-instance/{started['id']}").json()
    assert got == {**instance_dto(started), "suspended": True}
    assert client.get(f"/engine-rest/task/{task['id']}").json()["suspended"] is True
    assert api.tasks(suspended="true") == [{**task, "suspended": True}]
    response = client.put(f"/engine-rest/process-instance/{started['id']}/suspended",
                          json={"suspended": False})
    assert response.status_code == 204
    assert client.get(f"/engine-rest/process-instance/{started['id']}").json() == \
        instance_dto(started)
    assert api.tasks(active="true") == [task]


def test_suspend_unknown_instance_is_a_silent_no_op(client):
    """Camunda updates the suspension state by id without a lookup: an unknown id answers 204."""
    response = client.put("/engine-rest/process-instance/nope/suspended",
                          json={"suspended": True})
    assert response.status_code == 204 and response.content == b""


# ----------------------------------------------------------------------- activity instances
def test_activity_instance_tree(api, client):
    """The tree of nestedOneTaskProcess: outerTask beside subProcess holding innerTask."""
    [definition_id] = api.deploy(NESTED)["deployedProcessDefinitions"]
    started = api.start("nestedOneTaskProcess")
    instance_id = started["id"]
    response = client.get(f"/engine-rest/process-instance/{instance_id}/activity-instances")
    assert response.status_code == 200
    tree = response.json()
    [outer, sub] = tree["childActivityInstances"]
    [inner] = sub["childActivityInstances"]
    for node, activity_id in ((outer, "outerTask"), (sub, "subProcess"), (inner, "innerTask")):
        assert re.fullmatch(rf"{activity_id}:{UUID}", node["id"])
        [execution_id] = node["executionIds"]
        assert re.fullmatch(UUID, execution_id)

    def node(id_, parent, activity_id, activity_type, children, execution_ids):
        return {"id": id_, "parentActivityInstanceId": parent, "activityId": activity_id,
                "activityType": activity_type, "processInstanceId": instance_id,
                "processDefinitionId": definition_id, "childActivityInstances": children,
                "childTransitionInstances": [], "executionIds": execution_ids,
                "activityName": None, "name": None, "incidentIds": [], "incidents": []}

    assert tree == node(instance_id, None, definition_id, "processDefinition", [
        node(outer["id"], instance_id, "outerTask", "userTask", [], outer["executionIds"]),
        node(sub["id"], instance_id, "subProcess", "subProcess", [
            node(inner["id"], sub["id"], "innerTask", "userTask", [], inner["executionIds"]),
        ], sub["executionIds"]),
    ], [instance_id])
    [outer_task] = api.tasks(processInstanceId=instance_id, taskDefinitionKey="outerTask")
    [inner_task] = api.tasks(processInstanceId=instance_id, taskDefinitionKey="innerTask")
    assert outer_task["executionId"] == outer["executionIds"][0]
    assert inner_task["executionId"] == inner["executionIds"][0]


def test_activity_instance_tree_follows_completion(api, client):
    """Completing innerTask removes the subProcess instance; outerTask stays."""
    api.deploy(NESTED)
    instance_id = api.start("nestedOneTaskProcess")["id"]
    before = api.tree(instance_id)
    api.complete(instance_id, "innerTask")
    after = api.tree(instance_id)
    assert after == {**before, "childActivityInstances": [before["childActivityInstances"][0]]}


def test_activity_instance_tree_of_unknown_instance_is_404(client):
    """An unknown instance's tree answers Camunda's 404."""
    response = client.get("/engine-rest/process-instance/nope/activity-instances")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Process instance with id nope does not exist")


# ------------------------------------------------------------------------------- variables
def test_variables(api, client):
    """GET /{id}/variables answers the instance's variables as typed VariableValueDtos."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess", variables={
        "amount": {"type": "Long", "value": 7},
        "approved": {"value": True},
        "due": {"type": "Date", "value": "2026-11-27T10:15:30+01:00"},
        "note": {"type": "String", "value": None}})
    response = client.get(f"/engine-rest/process-instance/{started['id']}/variables")
    assert response.status_code == 200
    assert response.json() == {
        "amount": {"type": "Long", "value": 7, "valueInfo": {}},
        "approved": {"type": "Boolean", "value": True, "valueInfo": {}},
        "due": {"type": "Date", "value": "2026-11-27T09:15:30.000+0000", "valueInfo": {}},
        "note": {"type": "String", "value": None, "valueInfo": {}},
    }


def test_variables_of_an_instance_without_variables(api, client):
    """An instance without variables answers an empty object."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess")
    response = client.get(f"/engine-rest/process-instance/{started['id']}/variables",
                          params={"deserializeValues": "false"})
    assert response.status_code == 200 and response.json() == {}


def test_variables_of_unknown_instance_is_404(client):
    """The engine's NullValueException, code 0, as a 404 (Camunda passes it through as a 500)."""
    response = client.get("/engine-rest/process-instance/nope/variables")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("NullValueException",
                                    "execution nope doesn't exist: execution is null", 0)
