"""/history/incident: an external task's incident, open, then resolved."""

from __future__ import annotations

from datetime import timedelta

from tests.api.batching import ROOT, pin
from tests.api.history import EXTERNAL, T0, T0_TEXT, counted, deploy, listed, start


def fail_without_retries(client) -> str:
    [task] = client.post(f"{ROOT}/external-task/fetchAndLock", json={
        "workerId": "w", "maxTasks": 1,
        "topics": [{"topicName": "payments", "lockDuration": 60000}]}).json()
    response = client.post(f"{ROOT}/external-task/{task['id']}/failure", json={
        "workerId": "w", "errorMessage": "card declined", "retries": 0, "retryTimeout": 0})
    assert response.status_code == 204, response.text
    return task["id"]


def test_an_incident_opens_and_resolves(client):
    """Open while the task has no retries (every DTO field), resolved once retries return."""
    definition_id = deploy(client, EXTERNAL)
    pid = start(client, key="charging")
    task_id = fail_without_retries(client)
    [row] = listed(client, "/history/incident")
    assert row == {
        "id": row["id"], "processDefinitionKey": "charging", "processDefinitionId": definition_id,
        "processInstanceId": pid, "executionId": row["executionId"],
        "rootProcessInstanceId": pid, "createTime": T0_TEXT, "endTime": None,
        "removalTime": None, "incidentType": "failedExternalTask", "activityId": "charge",
        "failedActivityId": None, "causeIncidentId": row["id"], "rootCauseIncidentId": row["id"],
        "configuration": task_id, "historyConfiguration": None,
        "incidentMessage": "card declined", "tenantId": None, "jobDefinitionId": None,
        "open": True, "deleted": False, "resolved": False, "annotation": None}
    pin(T0 + timedelta(minutes=1))
    assert client.put(f"{ROOT}/external-task/{task_id}/retries",
                      json={"retries": 1}).status_code == 204
    [row] = listed(client, "/history/incident", params={"resolved": "true"})
    assert (row["open"], row["resolved"], row["endTime"]) == (
        False, True, "2026-06-01T12:01:00.000+0000")
    assert counted(client, "/history/incident/count", params={"open": "true"}) == 0
    assert counted(client, "/history/incident/count",
                   params={"incidentType": "failedExternalTask"}) == 1


def test_deleting_the_instance_deletes_the_incident(client):
    """The instance goes while the incident is open: the historic incident is deleted."""
    deploy(client, EXTERNAL)
    pid = start(client, key="charging")
    fail_without_retries(client)
    assert client.delete(f"{ROOT}/process-instance/{pid}").status_code == 204
    [row] = listed(client, "/history/incident", params={"deleted": "true"})
    assert (row["processInstanceId"], row["deleted"], row["endTime"]) == (pid, True, T0_TEXT)
    rows = listed(client, "/history/process-instance", params={"withIncidents": "true"})
    assert [r["id"] for r in rows] == [pid]
