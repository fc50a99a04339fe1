"""GET/POST /execution[/count], GET /execution/{id} and the message subscriptions of an
execution (GET, and POST .../trigger): the process instance and one execution per activity
instance, as the activity-instance tree shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from modbatch.store.tables import Incident
from tests.api.conftest import error

ROOT = "/engine-rest"

# three branches wait at once: a user task with a local variable, a message and a signal catch
WAITING = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <message id="goMessage" name="go"/>
  <signal id="alarmSignal" name="alarm"/>
  <process id="waiting" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
    <parallelGateway id="fork"/>
    <sequenceFlow id="f1" sourceRef="fork" targetRef="review"/>
    <sequenceFlow id="f2" sourceRef="fork" targetRef="wait"/>
    <sequenceFlow id="f3" sourceRef="fork" targetRef="hold"/>
    <userTask id="review">
      <extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="note">urgent</camunda:inputParameter>
      </camunda:inputOutput></extensionElements>
    </userTask>
    <intermediateCatchEvent id="wait"><messageEventDefinition messageRef="goMessage"/></intermediateCatchEvent>
    <intermediateCatchEvent id="hold"><signalEventDefinition signalRef="alarmSignal"/></intermediateCatchEvent>
    <sequenceFlow id="f4" sourceRef="review" targetRef="end1"/>
    <sequenceFlow id="f5" sourceRef="wait" targetRef="after"/>
    <sequenceFlow id="f6" sourceRef="hold" targetRef="end3"/>
    <userTask id="after"/>
    <sequenceFlow id="f7" sourceRef="after" targetRef="end2"/>
    <endEvent id="end1"/><endEvent id="end2"/><endEvent id="end3"/>
  </process>
</definitions>"""


@dataclass
class Scenario:
    first: dict  # business key bk1, amount=5, an incident at review
    second: dict  # tenant t1, business key bk2, suspended
    executions: dict[str, str]  # "first.review" ... -> execution id
    incident_id: str

    def name(self, execution_id: str) -> str:
        return next(name for name, known in self.executions.items() if known == execution_id)


@pytest.fixture
def scenario(api, client, app) -> Scenario:
    assert api.deploy_xml(WAITING, "waiting.bpmn").status_code == 200
    tenant = client.post(f"{ROOT}/deployment/create", data={"tenant-id": "t1"},
                         files={"data": ("waiting.bpmn", WAITING.encode(), "text/xml")})
    [tenant_definition] = tenant.json()["deployedProcessDefinitions"]
    first = api.start("waiting", businessKey="bk1",
                      variables={"amount": {"type": "Integer", "value": 5}})
    second = client.post(f"{ROOT}/process-definition/{tenant_definition}/start",
                         json={"businessKey": "bk2"}).json()
    executions = {}
    for label, instance in (("first", first), ("second", second)):
        executions[label] = instance["id"]
        for child in api.tree(instance["id"])["childActivityInstances"]:
            executions[f"{label}.{child['activityId']}"] = child["executionIds"][0]
    assert client.put(f"{ROOT}/process-instance/{second['id']}/suspended",
                      json={"suspended": True}).status_code == 204
    with app.engine.transaction() as session:
        session.add(Incident(
            id="incident-1", incident_timestamp=datetime(2026, 6, 1), incident_type="failedJob",
            incident_message="mail server down", process_definition_id=first["definitionId"],
            process_instance_id=first["id"], execution_id=executions["first.review"],
            activity_id="review"))
    return Scenario(first, second, executions, "incident-1")


def names(scenario: Scenario, response) -> list[str]:
    assert response.status_code == 200, response.text
    return [scenario.name(row["id"]) for row in response.json()]


def test_list_answers_the_instance_and_each_activity_instances_execution(client, scenario):
    """ExecutionDto for every execution of an instance: the instance's own id among them."""
    first = scenario.first
    response = client.get(f"{ROOT}/execution", params={"processInstanceId": first["id"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = [{"id": scenario.executions[name], "processInstanceId": first["id"],
                 "ended": False, "tenantId": None}
                for name in ("first", "first.review", "first.wait", "first.hold")]
    assert sorted(response.json(), key=lambda dto: dto["id"]) == sorted(
        expected, key=lambda dto: dto["id"])


def test_get_by_id_and_unknown_id(client, scenario):
    """GET /{id} for an activity instance's execution; an unknown id is Camunda's 404."""
    execution_id = scenario.executions["second.wait"]
    response = client.get(f"{ROOT}/execution/{execution_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": execution_id, "processInstanceId": scenario.second["id"],
                               "ended": False, "tenantId": "t1"}
    missing = client.get(f"{ROOT}/execution/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json() == error("InvalidRequestException",
                                   "Execution with id nope does not exist")


ALL_FIRST = ["first", "first.hold", "first.review", "first.wait"]
ALL_SECOND = ["second", "second.hold", "second.review", "second.wait"]


@pytest.mark.parametrize("params, expected", [
    ({"businessKey": "bk2"}, ALL_SECOND),
    ({"processDefinitionKey": "waiting"}, ALL_FIRST + ALL_SECOND),
    ({"activityId": "review"}, ["first.review", "second.review"]),
    ({"activityId": "fork"}, []),
    ({"messageEventSubscriptionName": "go"}, ["first.wait", "second.wait"]),
    ({"signalEventSubscriptionName": "alarm"}, ["first.hold", "second.hold"]),
    ({"signalEventSubscriptionName": "go"}, []),
    ({"suspended": "true"}, ALL_SECOND),
    ({"active": "true"}, ALL_FIRST),
    ({"tenantIdIn": "t1,t2"}, ALL_SECOND),
    ({"incidentType": "failedJob"}, ["first.review"]),
    ({"incidentId": "incident-1"}, ["first.review"]),
    ({"incidentMessage": "mail server down"}, ["first.review"]),
    ({"incidentMessageLike": "%server%"}, ["first.review"]),
    ({"incidentType": "failedExternalTask"}, []),
    ({"variables": "note_eq_urgent"}, ["first.review", "second.review"]),
    ({"variables": "NOTE_eq_URGENT", "variableNamesIgnoreCase": "true",
      "variableValuesIgnoreCase": "true"}, ["first.review", "second.review"]),
])
def test_filters_on_list_and_count(client, scenario, params, expected):
    """Each filter answers the same executions on GET list and count."""
    response = client.get(f"{ROOT}/execution", params=params)
    assert sorted(names(scenario, response)) == sorted(expected)
    count = client.get(f"{ROOT}/execution/count", params=params)
    assert count.status_code == 200
    assert count.headers["content-type"] == "application/json"
    assert count.json() == {"count": len(expected)}


def test_post_query_with_typed_variables_and_process_variables(client, scenario):
    """`variables` are the execution's own (the instance's for the instance's execution);
    `processVariables` are the instance's, for every execution of it."""
    own = {"variables": [{"name": "amount", "operator": "gteq", "value": 5}]}
    assert names(scenario, client.post(f"{ROOT}/execution", json=own)) == ["first"]
    process = {"processVariables": [{"name": "amount", "operator": "eq", "value": 5}]}
    assert sorted(names(scenario, client.post(f"{ROOT}/execution", json=process))) == ALL_FIRST
    count = client.post(f"{ROOT}/execution/count", json=process)
    assert count.status_code == 200
    assert count.json() == {"count": 4}


def test_sorting_and_paging(client, scenario):
    """sortBy tenantId / instanceId with sortOrder; firstResult and maxResults."""
    response = client.get(f"{ROOT}/execution", params={
        "sortBy": "tenantId", "sortOrder": "desc", "maxResults": 4})
    assert sorted(names(scenario, response)) == ALL_SECOND
    response = client.post(f"{ROOT}/execution", params={"firstResult": 6}, json={
        "sorting": [{"sortBy": "tenantId", "sortOrder": "desc"}]})
    assert len(names(scenario, response)) == 2
    response = client.get(f"{ROOT}/execution", params={"sortBy": "name", "sortOrder": "asc"})
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException",
                                    "Cannot set query parameter 'sortBy' to value 'name'")


def test_message_subscription_of_an_execution(client, scenario):
    """The EventSubscriptionDto an execution holds for the message; another name is a 404."""
    execution_id = scenario.executions["first.wait"]
    response = client.get(f"{ROOT}/execution/{execution_id}/messageSubscriptions/go")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {"id": body["id"], "eventType": "message", "eventName": "go",
                    "executionId": execution_id, "processInstanceId": scenario.first["id"],
                    "activityId": "wait", "createdDate": body["createdDate"], "tenantId": None}
    missing = client.get(f"{ROOT}/execution/{execution_id}/messageSubscriptions/stop")
    assert missing.status_code == 404
    assert missing.json() == error(
        "InvalidRequestException",
        f"Message event subscription for execution {execution_id} named stop does not exist")


def test_trigger_moves_the_token_and_sets_the_variables(client, api, scenario):
    """messageEventReceived: the catch event completes, its variables land on the instance;
    a second trigger finds no subscription (Camunda's 500 RestException)."""
    first = scenario.first
    execution_id = scenario.executions["first.wait"]
    url = f"{ROOT}/execution/{execution_id}/messageSubscriptions/go/trigger"
    response = client.post(url, json={"variables": {"paid": {"value": True, "type": "Boolean"}}})
    assert response.status_code == 204
    assert response.content == b""
    activities = sorted(child["activityId"]
                        for child in api.tree(first["id"])["childActivityInstances"])
    assert activities == ["after", "hold", "review"]
    variables = client.get(f"{ROOT}/process-instance/{first['id']}/variables").json()
    assert variables["paid"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    again = client.post(url, json={})  # the subscription is gone: 404 (Camunda answers 500)
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/json"
    assert again.json() == error(
        "RestException",
        f"Cannot trigger message go for execution {execution_id}: Execution with id "
        f"'{execution_id}' does not have a subscription to a message event with name 'go': "
        "eventSubscriptions is empty", code=0)


def test_trigger_with_a_variable_that_does_not_convert(client, scenario):
    """A value that does not fit its type is a 400 naming the message and execution."""
    execution_id = scenario.executions["first.wait"]
    response = client.post(
        f"{ROOT}/execution/{execution_id}/messageSubscriptions/go/trigger",
        json={"variables": {"amount": {"value": "many", "type": "Integer"}}})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        f"Cannot trigger message go for execution {execution_id}: Cannot convert value 'many' "
        "of type 'Integer' to java type java.lang.Integer")
