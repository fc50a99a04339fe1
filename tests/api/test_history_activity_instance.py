"""/history/activity-instance: every activity a token passed through, in order of occurrence."""

from __future__ import annotations

from datetime import timedelta

from tests.api.batching import ROOT, pin
from tests.api.conftest import error
from tests.api.history import T0, T0_TEXT, complete_review, counted, deploy, listed, start

LATER = "2026-06-01T12:00:05.000+0000"


def dto(row_id: str, pid: str, definition_id: str, **changes) -> dict:
    return {"id": row_id, "parentActivityInstanceId": pid, "activityId": "start",
            "activityName": None, "activityType": "startEvent",
            "processDefinitionKey": "routed", "processDefinitionId": definition_id,
            "processInstanceId": pid, "executionId": pid, "taskId": None, "assignee": None,
            "calledProcessInstanceId": None, "calledCaseInstanceId": None,
            "startTime": T0_TEXT, "endTime": T0_TEXT, "durationInMillis": 0, "canceled": False,
            "completeScope": False, "tenantId": None, "removalTime": None,
            "rootProcessInstanceId": pid} | changes


def occurrences(client, pid: str) -> list[dict]:
    return listed(client, "/history/activity-instance",
                  params={"processInstanceId": pid, "sortBy": "occurrence", "sortOrder": "asc"})


def test_a_run_lists_every_activity_in_order(client):
    """Start event, gateway, user task and end event, each with every DTO field."""
    definition_id = deploy(client)
    pid = start(client)
    pin(T0 + timedelta(seconds=5))
    complete_review(client, pid)
    rows = occurrences(client, pid)
    assert [row["activityId"] for row in rows] == ["start", "choose", "review", "end"]
    start_row, gateway, review, end = rows
    assert start_row == dto(start_row["id"], pid, definition_id)
    assert gateway == dto(gateway["id"], pid, definition_id, activityId="choose",
                          activityType="exclusiveGateway")
    assert review == dto(review["id"], pid, definition_id, activityId="review",
                         activityName="Review", activityType="userTask",
                         executionId=review["executionId"], taskId=review["taskId"],
                         endTime=LATER, durationInMillis=5000)
    assert review["taskId"] is not None and review["executionId"] != pid
    assert review["id"].startswith("review:")
    assert end == dto(end["id"], pid, definition_id, activityId="end",
                      activityType="noneEndEvent", startTime=LATER, endTime=LATER,
                      completeScope=True)


def test_get_by_id_and_unknown_id(client):
    """By id: the same DTO; an unknown id: 404 with Camunda's message."""
    deploy(client)
    pid = start(client)
    review = listed(client, "/history/activity-instance", params={"activityId": "review"})[0]
    response = client.get(f"{ROOT}/history/activity-instance/{review['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == review
    assert review["processInstanceId"] == pid and review["endTime"] is None
    missing = client.get(f"{ROOT}/history/activity-instance/nope")
    assert missing.status_code == 404
    assert missing.json() == error("InvalidRequestException",
                                   "Historic activity instance with id nope does not exist")


def test_deletion_cancels_the_waiting_activity(client):
    """A deleted instance's open user task instance ends canceled."""
    deploy(client)
    pid = start(client)
    client.delete(f"{ROOT}/process-instance/{pid}")
    rows = listed(client, "/history/activity-instance", params={"canceled": "true"})
    assert [(row["activityId"], row["endTime"], row["canceled"]) for row in rows] == [
        ("review", T0_TEXT, True)]


def test_filters_and_counts(client):
    """activityType, unfinished, finished, completeScope; GET and POST counts agree."""
    deploy(client)
    pid = start(client)
    start(client)
    complete_review(client, pid)

    def types(**params):
        return sorted(row["activityType"] for row in listed(
            client, "/history/activity-instance", params=params))

    assert types(unfinished="true") == ["userTask"]
    assert types(completeScope="true") == ["noneEndEvent"]
    assert types(activityType="exclusiveGateway") == ["exclusiveGateway", "exclusiveGateway"]
    assert counted(client, "/history/activity-instance/count", params={"finished": "true"}) == 6
    assert counted(client, "/history/activity-instance/count", method="post",
                   body={"finished": True}) == 6
    posted = listed(client, "/history/activity-instance", method="post",
                    body={"processInstanceId": pid,
                          "sorting": [{"sortBy": "activityId", "sortOrder": "desc"}]})
    assert [row["activityId"] for row in posted] == ["start", "review", "end", "choose"]


def test_modification_cancel_marks_canceled_and_start_records_the_new_instance(client):
    """cancel review + startBeforeActivity review: the old instance canceled, a new one open."""
    definition_id = deploy(client)
    pid = start(client)
    response = client.post(f"{ROOT}/modification/execute", json={
        "processDefinitionId": definition_id, "processInstanceIds": [pid],
        "instructions": [{"type": "cancel", "activityId": "review"},
                         {"type": "startBeforeActivity", "activityId": "review"}]})
    assert response.status_code == 204
    rows = listed(client, "/history/activity-instance", params={"activityId": "review"})
    assert sorted((row["canceled"], row["endTime"] is None) for row in rows) == [
        (False, True), (True, False)]
