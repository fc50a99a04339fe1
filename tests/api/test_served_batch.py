"""The issue's user story through HTTP alone, against a real server with its job executor."""

from __future__ import annotations

import time

import httpx

from tests.conftest import model_path


def test_execute_async_over_http_modifies_every_instance(server):
    """Deploy, start 200 instances, executeAsync by query, watch statistics, find the new state."""
    client = httpx.Client(base_url=server, timeout=30)
    xml = model_path("nestedParallelOneTaskProcess").read_bytes()
    deployment = client.post("/deployment/create", files={"model": ("nested.bpmn20.xml", xml)},
                             data={"deployment-name": "served"}).json()
    [definition_id] = deployment["deployedProcessDefinitions"]
    for number in range(200):
        response = client.post("/process-definition/key/nestedOneTaskProcess/start",
                               json={"businessKey": f"order-{number}"})
        assert response.status_code == 200
    batch = client.post("/modification/executeAsync", json={
        "processDefinitionId": definition_id,
        "processInstanceQuery": {"processDefinitionKey": "nestedOneTaskProcess"},
        "instructions": [{"type": "cancel", "activityId": "innerTask"},
                         {"type": "startBeforeActivity", "activityId": "outerTask"}],
    }).json()
    assert batch["totalJobs"] == 2 and batch["type"] == "instance-modification"
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        statistics = client.get("/batch/statistics", params={"batchId": batch["id"]}).json()
        if not statistics:
            break
        seen.append(statistics[0]["remainingJobs"] + statistics[0]["completedJobs"])
        time.sleep(0.05)
    assert set(seen) <= {2}  # remaining + completed always adds up to totalJobs
    historic = client.get(f"/history/batch/{batch['id']}").json()
    assert historic["endTime"] is not None and historic["executionStartTime"] is not None
    assert client.get(f"/batch/{batch['id']}").status_code == 404
    assert client.get("/process-instance/count",
                      params={"activityIdIn": "innerTask"}).json() == {"count": 0}
    assert client.get("/task/count", params={"taskDefinitionKey": "outerTask"}).json() == {
        "count": 400}
    some = client.get("/process-instance", params={"maxResults": 1}).json()[0]["id"]
    tree = client.get(f"/process-instance/{some}/activity-instances").json()
    assert sorted(c["activityId"] for c in tree["childActivityInstances"]) == [
        "outerTask", "outerTask"]
    items = client.get(f"/history/batch/{batch['id']}/items/count",
                       params={"status": "modified"}).json()
    assert items == {"count": 200}
