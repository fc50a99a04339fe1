"""/history/variable-instance: variables with their last value."""

from __future__ import annotations

from tests.api.batching import ROOT
from tests.api.conftest import error
from tests.api.history import T0_TEXT, complete_review, counted, deploy, listed, start


def dto(row: dict, pid: str, definition_id: str, **changes) -> dict:
    return {"id": row["id"], "name": "amount", "processDefinitionKey": "routed",
            "processDefinitionId": definition_id, "processInstanceId": pid, "executionId": pid,
            "activityInstanceId": pid, "caseDefinitionKey": None, "caseDefinitionId": None,
            "caseInstanceId": None, "caseExecutionId": None, "taskId": None, "tenantId": None,
            "errorMessage": None, "state": "CREATED", "createTime": T0_TEXT,
            "removalTime": None, "rootProcessInstanceId": pid, "value": 5,
            "type": "Integer", "valueInfo": {}} | changes


def test_a_variable_keeps_its_last_value_after_the_instance_ended(client):
    """Created at start, updated at task completion: one row, the last value, state CREATED."""
    definition_id = deploy(client)
    pid = start(client, variables={"amount": {"value": 5, "type": "Integer"}})
    [row] = listed(client, "/history/variable-instance", params={"processInstanceId": pid})
    assert row == dto(row, pid, definition_id)
    complete_review(client, pid, amount=9)
    [row] = listed(client, "/history/variable-instance", params={"processInstanceId": pid})
    assert row == dto(row, pid, definition_id, value=9)
    response = client.get(f"{ROOT}/history/variable-instance/{row['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == row


def test_filters_by_name_value_and_type(client):
    """variableName with variableValue, variableNameLike, variableTypeIn; GET and POST."""
    deploy(client)
    first = start(client, variables={"amount": {"value": 5, "type": "Integer"},
                                     "customer": {"value": "acme", "type": "String"}})
    start(client, variables={"amount": {"value": 7, "type": "Integer"}})

    def owners(**params):
        return sorted(row["processInstanceId"] + ":" + row["name"] for row in listed(
            client, "/history/variable-instance", params=params))

    assert owners(variableName="amount", variableValue="5") == [first + ":amount"]
    assert owners(variableName="customer", variableValue="acme") == [first + ":customer"]
    assert owners(variableNameLike="cust%") == [first + ":customer"]
    assert owners(variableTypeIn="string") == [first + ":customer"]
    assert counted(client, "/history/variable-instance/count", params={"variableName": "amount"}) == 2
    posted = listed(client, "/history/variable-instance", method="post",
                    body={"variableName": "amount", "variableValue": 7})
    assert [row["value"] for row in posted] == [7]
    assert counted(client, "/history/variable-instance/count", method="post",
                   body={"processInstanceIdIn": [first]}) == 2


def test_a_value_without_a_name_matches_any_name(client):
    """variableValue alone selects the variables of any name with that value (Camunda's 400;
    README, "Rules the spec states")."""
    deploy(client)
    first = start(client, variables={"amount": {"value": 5, "type": "Integer"},
                                     "count": {"value": 5, "type": "Long"},
                                     "other": {"value": 6, "type": "Integer"}})
    response = client.get(f"{ROOT}/history/variable-instance", params={"variableValue": "5"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert sorted((row["processInstanceId"], row["name"]) for row in response.json()) == [
        (first, "amount"), (first, "count")]


def test_unknown_id_is_404(client):
    """An unknown id: 404 with Camunda's message."""
    response = client.get(f"{ROOT}/history/variable-instance/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Historic variable instance with Id 'nope' does not exist.")
