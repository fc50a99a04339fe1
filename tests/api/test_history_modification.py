"""historicProcessInstanceQuery on /modification/*: its ids join processInstanceIds and the
runtime query's, as in Camunda 7.22's ModificationDto (ModificationExecutionAsyncTest's
historic-query cases)."""

from __future__ import annotations

from tests.api.batching import ROOT
from tests.api.conftest import error
from tests.api.history import complete_review, deploy, listed, start

MOVE = [{"type": "cancel", "activityId": "review"},
        {"type": "startBeforeActivity", "activityId": "review"}]


def review_instances(client, pid: str) -> list[tuple[bool, bool]]:
    """(canceled, still running) of each historic review instance of ``pid``."""
    rows = listed(client, "/history/activity-instance",
                  params={"processInstanceId": pid, "activityId": "review"})
    return sorted((row["canceled"], row["endTime"] is None) for row in rows)


def test_historic_query_unions_with_ids_and_runtime_query(client):
    """ids ∪ processInstanceQuery ∪ historicProcessInstanceQuery, each instance once."""
    definition_id = deploy(client)
    by_id, by_query, by_history, untouched = (
        start(client, businessKey=key) for key in ("id", "query", "history", "none"))
    response = client.post(f"{ROOT}/modification/execute", json={
        "processDefinitionId": definition_id, "processInstanceIds": [by_id],
        "processInstanceQuery": {"businessKey": "query"},
        "historicProcessInstanceQuery": {"processInstanceBusinessKeyIn": ["history", "id"],
                                         "unfinished": True},
        "instructions": MOVE})
    assert response.status_code == 204, response.text
    for pid in (by_id, by_query, by_history):
        assert review_instances(client, pid) == [(False, True), (True, False)]
    assert review_instances(client, untouched) == [(False, True)]


def test_historic_query_alone_selects_for_a_batch(client):
    """executeAsync with only a historic query: the batch holds the unfinished instances."""
    definition_id = deploy(client)
    running = start(client)
    finished = start(client)
    complete_review(client, finished)
    response = client.post(f"{ROOT}/modification/executeAsync", json={
        "processDefinitionId": definition_id,
        "historicProcessInstanceQuery": {"processDefinitionKey": "routed", "unfinished": True},
        "instructions": MOVE})
    assert response.status_code == 200, response.text
    batch = response.json()
    items = client.get(f"{ROOT}/batch/{batch['id']}/items").json()
    assert [item["processInstanceId"] for item in items] == [running]


def test_historic_query_matching_a_finished_instance_fails_the_sync_modification(client):
    """Without unfinished, a finished instance is selected and cannot be modified (ENGINE-13036)."""
    definition_id = deploy(client)
    finished = start(client)
    complete_review(client, finished)
    response = client.post(f"{ROOT}/modification/execute", json={
        "processDefinitionId": definition_id,
        "historicProcessInstanceQuery": {"processDefinitionKey": "routed"},
        "instructions": MOVE})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"].startswith(
        f"ENGINE-13036 Process instance '{finished}' cannot be modified")


def test_historic_query_matching_nothing_is_empty_ids(client):
    """A historic query that matches nothing (and no other selection): Camunda's 400."""
    definition_id = deploy(client)
    response = client.post(f"{ROOT}/modification/executeAsync", json={
        "processDefinitionId": definition_id,
        "historicProcessInstanceQuery": {"processDefinitionKey": "nothing"},
        "instructions": MOVE})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        "Process instance ids cannot be empty: Process instance ids is empty")
