"""POST /message: Camunda's request checks and error bodies, 204 or the correlation results
(waiting executions and start events inserted as rows; the runtime's trigger and start are
recorded here; tests/api/test_events_runtime.py runs real models)."""

from __future__ import annotations

import pytest

from tests.api.conftest import error

URL = "/engine-rest/message"
MISMATCH = "org.camunda.bpm.engine.MismatchingMessageCorrelationException: "


def post(client, body, status):
    response = client.post(URL, json=body)
    assert response.status_code == status, response.text
    if status == 204:
        assert response.content == b""
    else:
        assert response.headers["content-type"] == "application/json"
    return response.json() if response.content else None


# ------------------------------------------------------------------------------ request checks
@pytest.mark.parametrize("body, message", [
    ({}, "No message name supplied"),
    ({"messageName": None, "all": True}, "No message name supplied"),
    ({"messageName": "m", "tenantId": "t", "withoutTenantId": True},
     "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'."),
    ({"messageName": "m", "variablesInResultEnabled": True},
     "Parameter 'variablesInResultEnabled' cannot be used without 'resultEnabled' set to true."),
    ({"messageName": "m", "correlationKeys": {"k": {"value": "1abc", "type": "Integer"}}},
     "Cannot deliver message: Cannot convert value '1abc' of type 'Integer' to java type "
     "java.lang.Integer"),
    ({"messageName": "m", "processVariables": {"k": {"value": 1, "type": "Unknown"}}},
     "Cannot deliver message: Unsupported value type 'Unknown'"),
])
def test_request_checks_are_invalid_request_400(client, body, message):
    """Checked before anything is correlated, with Camunda's texts."""
    assert post(client, body, 400) == error("InvalidRequestException", message)


def test_nothing_matches_is_a_rest_exception_400(client):
    """Camunda wraps MismatchingMessageCorrelationException: its toString() is the message."""
    assert post(client, {"messageName": "nothing"}, 400) == error(
        "RestException", MISMATCH + "Cannot correlate message 'nothing': No process definition "
        "or execution matches the parameters", 0)


def test_all_with_nothing_matching_answers_an_empty_list(client):
    """correlateAll never fails for lack of a match."""
    assert post(client, {"messageName": "nothing", "all": True, "resultEnabled": True}, 200) == []
    post(client, {"messageName": "nothing", "all": True}, 204)


def test_process_instance_and_tenant_together_is_bad_user_request(client):
    """ENGINE-13028 (withoutTenantId counts as a tenant)."""
    assert post(client, {"messageName": "m", "processInstanceId": "p", "withoutTenantId": True},
                400) == error("BadUserRequestException", "ENGINE-13028 Cannot specify a tenant-id "
                              "when correlate a message to a single process instance.", 0)


def test_two_waiting_executions_without_all_is_400(client, seed, runtime):
    """ENGINE-13031 with Camunda's CorrelationSet text (untyped keys print as untyped values);
    nothing is triggered."""
    def build(rows):
        definition = rows.definition("order")
        for _ in range(2):
            rows.waiting(rows.instance(definition, business_key="bk"), "wait", "paid", k="v")
    seed(build)
    body = post(client, {"messageName": "paid", "businessKey": "bk",
                         "localCorrelationKeys": {"k": {"value": "v"}}}, 400)
    assert body == error("RestException", MISMATCH + (
        "ENGINE-13031 Cannot correlate a message with name 'paid' to a single execution. "
        "2 executions match the correlation keys: CorrelationSet [businessKey=bk, "
        "processInstanceId=null, processDefinitionId=null, correlationKeys=null, "
        "localCorrelationKeys={\n  k => Untyped value 'v', isTransient = false\n}, "
        "tenantId=null, isTenantIdSet=false, isExecutionsOnly=false]"), 0)
    assert runtime.triggered == []


def test_two_start_events_without_all_is_400(client, seed, runtime):
    """ENGINE-13030 when no execution waits and two definitions could start."""
    seed(lambda rows: [rows.start_event(rows.definition(key), "start", "paid")
                       for key in ("a", "b")])
    body = post(client, {"messageName": "paid", "withoutTenantId": True}, 400)
    assert body == error("RestException", MISMATCH + (
        "ENGINE-13030 Cannot correlate a message with name 'paid' to a single process "
        "definition. 2 process definitions match the correlations keys: CorrelationSet "
        "[businessKey=null, processInstanceId=null, processDefinitionId=null, "
        "correlationKeys=null, localCorrelationKeys=null, tenantId=null, isTenantIdSet=true, "
        "isExecutionsOnly=false]"), 0)
    assert runtime.started == []


# ------------------------------------------------------------------------------ results
def test_a_waiting_execution_is_triggered_and_answers_204(client, seed, runtime):
    """Every correlation criterion and both variable maps reach the engine."""
    def build(rows):
        definition = rows.definition("order", tenant_id="t1")
        instance = rows.instance(definition, business_key="bk", customer="ACME")
        rows.waiting(instance, "other", "paid", k="no")
        return rows.waiting(instance, "wait", "paid", k="v").id
    subscription = seed(build)
    post(client, {"messageName": "paid", "businessKey": "bk", "tenantId": "t1",
                  "correlationKeys": {"customer": {"value": "ACME", "type": "String"}},
                  "localCorrelationKeys": {"k": {"value": "v", "type": "String"}},
                  "processVariables": {"a": {"value": 1, "type": "Integer"}},
                  "processVariablesLocal": {"b": {"value": True}}}, 204)
    [(ids, variables, local)] = runtime.triggered
    assert ids == [subscription]
    assert {n: (v.type, v.value) for n, v in variables.items()} == {"a": ("Integer", 1)}
    assert {n: (v.type, v.value) for n, v in local.items()} == {"b": ("Boolean", True)}


def test_result_of_a_triggered_execution(client, seed, runtime):
    """resultType Execution with the ExecutionDto; processInstance null; no variables key."""
    def build(rows):
        instance = rows.instance(rows.definition("order"), customer="ACME")
        waiting = rows.waiting(instance, "wait", "paid")
        return waiting.execution_id, instance
    execution_id, instance = seed(build)
    assert post(client, {"messageName": "paid", "resultEnabled": True}, 200) == [
        {"resultType": "Execution", "processInstance": None,
         "execution": {"id": execution_id, "processInstanceId": instance, "ended": False,
                       "tenantId": None}}]


def test_result_with_variables(client, seed, runtime):
    """variablesInResultEnabled adds the instance's variables as VariableValueDtos."""
    seed(lambda rows: rows.waiting(rows.instance(rows.definition("order"), customer="ACME"),
                                   "wait", "paid"))
    [result] = post(client, {"messageName": "paid", "resultEnabled": True,
                             "variablesInResultEnabled": True}, 200)
    assert result["variables"] == {"customer": {"type": "String", "value": "ACME",
                                                "valueInfo": {}}}


def test_result_of_a_started_instance(client, seed, runtime):
    """resultType ProcessDefinition with the ProcessInstanceDto of the started instance."""
    definition = seed(lambda rows: rows.start_event(rows.definition("order"), "start", "paid")
                      .process_definition_id)
    [result] = post(client, {"messageName": "paid", "businessKey": "bk", "resultEnabled": True,
                             "variablesInResultEnabled": True,
                             "processVariables": {"a": {"value": "x"}}}, 200)
    assert result == {
        "resultType": "ProcessDefinition", "execution": None,
        "processInstance": {"links": [], "id": "started-1", "definitionId": definition,
                            "definitionKey": "order", "businessKey": "bk",
                            "caseInstanceId": None, "ended": False, "suspended": False,
                            "tenantId": None},
        "variables": {"a": {"type": "String", "value": "x", "valueInfo": {}}}}
    assert runtime.started[0][:3] == (definition, "start", "bk")


def test_all_triggers_every_match(client, seed, runtime):
    """Executions first, then started instances."""
    seed(lambda rows: [rows.waiting(rows.instance(rows.definition("order")), "wait", "paid"),
                       rows.waiting(rows.instance(rows.definition("order")), "wait", "paid"),
                       rows.start_event(rows.definition("other"), "start", "paid")])
    results = post(client, {"messageName": "paid", "all": True, "resultEnabled": True}, 200)
    assert [r["resultType"] for r in results] == ["Execution", "Execution", "ProcessDefinition"]
