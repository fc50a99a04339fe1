"""/event-subscription and /event-subscription/count: Camunda's EventSubscriptionDto, filters,
sorting and paging (subscriptions inserted as rows until the runtime creates them)."""

from __future__ import annotations

import pytest

from tests.api.conftest import error
from tests.event_rows import Rows

ROOT = "/engine-rest"


@pytest.fixture
def subscriptions(app):
    """A waiting message subscription (tenant t1) and a signal start event subscription."""
    with app.engine.transaction() as session:
        rows = Rows(session)
        definition = rows.definition("order", tenant_id="t1")
        waiting = rows.waiting(rows.instance(definition), "waitPaid", "paid")
        start = rows.start_event(rows.definition("alarmed"), "start", "alarm",
                                 event_type="signal")
        return {"waiting": (waiting.id, waiting.execution_id, waiting.process_instance_id),
                "start": start.id}


def listed(client, **params) -> list[str]:
    response = client.get(f"{ROOT}/event-subscription", params=params)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def test_list_answers_the_full_dto(client, subscriptions):
    """Every EventSubscriptionDto key; start events have no execution or instance."""
    waiting_id, execution_id, instance_id = subscriptions["waiting"]
    response = client.get(f"{ROOT}/event-subscription", params={"sortBy": "created",
                                                                  "sortOrder": "asc"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {"id": waiting_id, "eventType": "message", "eventName": "paid",
         "executionId": execution_id, "processInstanceId": instance_id,
         "activityId": "waitPaid", "createdDate": "2026-06-01T12:00:01.000+0000",
         "tenantId": "t1"},
        {"id": subscriptions["start"], "eventType": "signal", "eventName": "alarm",
         "executionId": None, "processInstanceId": None, "activityId": "start",
         "createdDate": "2026-06-01T12:00:02.000+0000", "tenantId": None}]


@pytest.mark.parametrize("params, which", [
    ({"eventName": "paid"}, ["waiting"]), ({"eventType": "signal"}, ["start"]),
    ({"activityId": "start"}, ["start"]), ({"tenantIdIn": "t1,t2"}, ["waiting"]),
    ({"withoutTenantId": "true"}, ["start"]),
    ({"tenantIdIn": "t1", "includeEventSubscriptionsWithoutTenantId": "TRUE"}, ["waiting", "start"]),
    ({"eventType": "compensate"}, []),
])
def test_filters(client, subscriptions, params, which):
    """Each filter, on the list and the count alike."""
    ids = {"waiting": subscriptions["waiting"][0], "start": subscriptions["start"]}
    expected = sorted(ids[name] for name in which)
    assert sorted(listed(client, **params)) == expected
    response = client.get(f"{ROOT}/event-subscription/count", params=params)
    assert response.status_code == 200
    assert response.json() == {"count": len(expected)}


def test_filters_by_id_execution_and_instance(client, subscriptions):
    """eventSubscriptionId, executionId and processInstanceId."""
    waiting_id, execution_id, instance_id = subscriptions["waiting"]
    assert listed(client, eventSubscriptionId=subscriptions["start"]) == [subscriptions["start"]]
    assert listed(client, executionId=execution_id) == [waiting_id]
    assert listed(client, processInstanceId=instance_id) == [waiting_id]


def test_sorting_and_paging(client, subscriptions):
    """sortBy created/tenantId with sortOrder; firstResult and maxResults."""
    waiting_id, start_id = subscriptions["waiting"][0], subscriptions["start"]
    assert listed(client, sortBy="created", sortOrder="desc") == [start_id, waiting_id]
    assert listed(client, sortBy="created", sortOrder="asc", firstResult=1) == [start_id]
    assert listed(client, sortBy="created", sortOrder="asc", maxResults=1) == [waiting_id]


@pytest.mark.parametrize("params, message", [
    ({"sortBy": "eventName", "sortOrder": "asc"}, "Cannot set query parameter 'sortBy' to value 'eventName'"),
    ({"sortOrder": "down"}, "Cannot set query parameter 'sortOrder' to value 'down'"),
])
def test_bad_sorting_is_400(client, params, message):
    """Camunda's InvalidRequestException texts."""
    response = client.get(f"{ROOT}/event-subscription", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException", message)
