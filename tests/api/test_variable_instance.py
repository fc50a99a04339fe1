"""GET/POST /variable-instance[/count], GET /variable-instance/{id} and /{id}/data: the
variables of running instances, process-level and local to a scope, as Camunda's
VariableInstanceDto."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.api.conftest import error

ROOT = "/engine-rest"

# a task inside a sub-process whose input mapping gives the sub-process a local variable
SCOPED = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="scoped" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="sub"/>
    <subProcess id="sub">
      <extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="local">inside</camunda:inputParameter>
      </camunda:inputOutput></extensionElements>
      <startEvent id="subStart"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="work"/>
      <userTask id="work"/>
      <sequenceFlow id="s2" sourceRef="work" targetRef="subEnd"/>
      <endEvent id="subEnd"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="sub" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


@dataclass
class Scenario:
    first: dict  # started with amount=5, customer=alice, due, and the sub-process's local
    second: dict  # tenant t1: amount=50.5, customer=Bob, and its sub-process's local
    sub: dict  # the first instance's sub-process activity instance
    ids: dict[tuple[str, str], str]  # (instance, variable name) -> variable instance id

    def name(self, variable_id: str) -> str:
        for (instance, variable), known in self.ids.items():
            if known == variable_id:
                return f"{instance}.{variable}"
        raise KeyError(variable_id)


@pytest.fixture
def scenario(api, client) -> Scenario:
    response = api.deploy_xml(SCOPED, "scoped.bpmn")
    assert response.status_code == 200, response.text
    tenant = client.post(f"{ROOT}/deployment/create", data={"tenant-id": "t1"},
                         files={"data": ("scoped.bpmn", SCOPED.encode(), "text/xml")})
    assert tenant.status_code == 200, tenant.text
    first = api.start("scoped", variables={
        "amount": {"type": "Integer", "value": 5},
        "customer": {"type": "String", "value": "alice"},
        "due": {"type": "Date", "value": "2026-03-01T12:00:00.000+0000"}})
    [tenant_definition] = tenant.json()["deployedProcessDefinitions"]
    second = client.post(f"{ROOT}/process-definition/{tenant_definition}/start", json={
        "variables": {"amount": {"type": "Double", "value": 50.5},
                      "customer": {"type": "String", "value": "Bob"}}}).json()
    [sub] = api.tree(first["id"])["childActivityInstances"]
    ids = {}
    for label, instance in (("first", first), ("second", second)):
        response = client.get(f"{ROOT}/variable-instance",
                              params={"processInstanceIdIn": instance["id"]})
        for row in response.json():
            ids[(label, row["name"])] = row["id"]
    return Scenario(first, second, sub, ids)


def names(scenario: Scenario, response) -> list[str]:
    assert response.status_code == 200, response.text
    return [scenario.name(row["id"]) for row in response.json()]


def test_list_answers_every_field_of_process_and_local_variables(client, scenario):
    """Process variables name the instance as execution and activity instance; a local
    variable names its scope's execution and activity instance."""
    first, sub = scenario.first, scenario.sub
    response = client.get(f"{ROOT}/variable-instance", params={
        "processInstanceIdIn": first["id"], "sortBy": "variableName", "sortOrder": "asc"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"

    def dto(name, type_, value, *, execution=first["id"], activity_instance=first["id"]):
        return {"id": scenario.ids[("first", name)], "name": name, "type": type_, "value": value,
                "valueInfo": {}, "processDefinitionId": first["definitionId"],
                "processInstanceId": first["id"], "executionId": execution,
                "caseInstanceId": None, "caseExecutionId": None, "taskId": None,
                "batchId": None, "activityInstanceId": activity_instance, "tenantId": None,
                "errorMessage": None}

    assert response.json() == [
        dto("amount", "Integer", 5), dto("customer", "String", "alice"),
        dto("due", "Date", "2026-03-01T12:00:00.000+0000"),
        dto("local", "String", "inside", execution=sub["executionIds"][0],
            activity_instance=sub["id"])]


def test_get_by_id_and_unknown_id(client, scenario):
    """GET /{id} answers the same DTO (deserializeValue accepted); an unknown id is a 404."""
    variable_id = scenario.ids[("second", "amount")]
    response = client.get(f"{ROOT}/variable-instance/{variable_id}",
                          params={"deserializeValue": "false"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    second = scenario.second
    assert response.json() == {
        "id": variable_id, "name": "amount", "type": "Double", "value": 50.5, "valueInfo": {},
        "processDefinitionId": second["definitionId"], "processInstanceId": second["id"],
        "executionId": second["id"], "caseInstanceId": None, "caseExecutionId": None,
        "taskId": None, "batchId": None, "activityInstanceId": second["id"], "tenantId": "t1",
        "errorMessage": None}
    missing = client.get(f"{ROOT}/variable-instance/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json() == error("InvalidRequestException",
                                   "Variable instance with Id 'nope' does not exist.")


def test_binary_data_of_a_non_binary_variable_and_of_an_unknown_one(client, scenario):
    """Only Bytes and File values have data: a String is Camunda's 400; unknown ids 404."""
    variable_id = scenario.ids[("first", "customer")]
    response = client.get(f"{ROOT}/variable-instance/{variable_id}/data")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "InvalidRequestException", f"Value of variable with id {variable_id} is not a binary value.")
    missing = client.get(f"{ROOT}/variable-instance/nope/data")
    assert missing.status_code == 404
    assert missing.json() == error("InvalidRequestException",
                                   "Variable instance with Id 'nope' does not exist.")


@pytest.mark.parametrize("params, expected", [
    ({"variableName": "amount"}, ["first.amount", "second.amount"]),
    ({"variableNameLike": "cust%"}, ["first.customer", "second.customer"]),
    ({"tenantIdIn": "t1"}, ["second.amount", "second.customer", "second.local"]),
    ({"variableValues": "customer_eq_alice"}, ["first.customer"]),
    ({"variableValues": "customer_like_%o%"}, ["second.customer"]),
    ({"variableValues": "customer_eq_bob", "variableValuesIgnoreCase": "true"},
     ["second.customer"]),
    ({"variableValues": "CUSTOMER_eq_alice", "variableNamesIgnoreCase": "true"},
     ["first.customer"]),
    ({"variableValues": "due_lt_2026-04-01T00:00:00.000+0000"}, ["first.due"]),
    ({"taskIdIn": "someTask"}, []),
    ({"caseInstanceIdIn": "c"}, []),
])
def test_filters_on_list_and_count(client, scenario, params, expected):
    """Each filter answers the same variables on GET list and count."""
    response = client.get(f"{ROOT}/variable-instance", params=params)
    assert sorted(names(scenario, response)) == sorted(expected)
    count = client.get(f"{ROOT}/variable-instance/count", params=params)
    assert count.status_code == 200
    assert count.headers["content-type"] == "application/json"
    assert count.json() == {"count": len(expected)}


def test_scope_filters(client, scenario):
    """executionIdIn, activityInstanceIdIn and variableScopeIdIn name the owning scope."""
    sub, first = scenario.sub, scenario.first
    assert names(scenario, client.get(f"{ROOT}/variable-instance", params={
        "executionIdIn": sub["executionIds"][0]})) == ["first.local"]
    assert names(scenario, client.get(f"{ROOT}/variable-instance", params={
        "activityInstanceIdIn": sub["id"]})) == ["first.local"]
    assert sorted(names(scenario, client.get(f"{ROOT}/variable-instance", params={
        "variableScopeIdIn": first["id"]}))) == ["first.amount", "first.customer", "first.due"]


def test_post_query_with_typed_values_and_sorting(client, scenario):
    """The POST body takes typed values (numbers compare as numbers) and several sortings."""
    body = {"variableValues": [{"name": "amount", "operator": "gt", "value": 10}]}
    assert names(scenario, client.post(f"{ROOT}/variable-instance", json=body)) == [
        "second.amount"]
    count = client.post(f"{ROOT}/variable-instance/count", json=body)
    assert count.status_code == 200
    assert count.json() == {"count": 1}
    sorted_body = {"processInstanceIdIn": [scenario.first["id"], scenario.second["id"]],
                   "sorting": [{"sortBy": "tenantId", "sortOrder": "desc"},
                               {"sortBy": "variableName", "sortOrder": "desc"}]}
    response = client.post(f"{ROOT}/variable-instance", json=sorted_body,
                           params={"firstResult": 1, "maxResults": 3})
    # SQLite sorts nulls first: desc puts t1's variables before the untenanted ones
    assert names(scenario, response) == ["second.customer", "second.amount", "first.local"]


def test_sort_by_type_and_activity_instance(client, scenario):
    """variableType and activityInstanceId sort in SQL."""
    response = client.get(f"{ROOT}/variable-instance", params={
        "processInstanceIdIn": scenario.first["id"], "sortBy": "variableType",
        "sortOrder": "asc"})
    assert [row["type"] for row in response.json()] == ["Date", "Integer", "String", "String"]
    response = client.get(f"{ROOT}/variable-instance", params={
        "processInstanceIdIn": scenario.first["id"], "sortBy": "activityInstanceId",
        "sortOrder": "asc"})
    by_scope = [row["activityInstanceId"] for row in response.json()]
    assert by_scope == sorted(by_scope)


@pytest.mark.parametrize("params, message", [
    ({"sortBy": "name", "sortOrder": "asc"}, "Cannot set query parameter 'sortBy' to value 'name'"),
    ({"sortOrder": "up"}, "Cannot set query parameter 'sortOrder' to value 'up'"),
    ({"variableValues": "amount_eq"},
     "Cannot set query parameter 'variableValues' to value 'amount_eq': variable query "
     "parameter has to have format KEY_OPERATOR_VALUE."),
    ({"variableValues": "amount_near_5"}, "Invalid variable comparator specified: near"),
])
def test_invalid_queries_are_camundas_400(client, scenario, params, message):
    """Unknown sorting, half a sorting, malformed or unknown value conditions."""
    response = client.get(f"{ROOT}/variable-instance", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException", message)
