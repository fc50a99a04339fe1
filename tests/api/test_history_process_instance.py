"""/history/process-instance: instances as history recorded them, running, completed, deleted."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.api.batching import ROOT, pin
from tests.api.conftest import UUID, error
from tests.api.history import T0, T0_TEXT, complete_review, counted, deploy, listed, start


def dto(instance_id: str, definition_id: str, **changes) -> dict:
    return {"id": instance_id, "rootProcessInstanceId": instance_id,
            "superProcessInstanceId": None, "superCaseInstanceId": None, "caseInstanceId": None,
            "processDefinitionName": "Routed", "processDefinitionKey": "routed",
            "processDefinitionVersion": 1, "processDefinitionId": definition_id,
            "businessKey": None, "startTime": T0_TEXT, "endTime": None, "removalTime": None,
            "durationInMillis": None, "startUserId": None, "startActivityId": "start",
            "deleteReason": None, "tenantId": None, "state": "ACTIVE"} | changes


def test_get_a_running_instance(client):
    """A running instance: 200, JSON, every HistoricProcessInstanceDto field, state ACTIVE."""
    definition_id = deploy(client)
    pid = start(client, businessKey="order-1")
    response = client.get(f"{ROOT}/history/process-instance/{pid}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == dto(pid, definition_id, businessKey="order-1")


def test_a_completed_instance_has_its_end_and_duration(client):
    """Completing the last task: endTime, durationInMillis and state COMPLETED."""
    definition_id = deploy(client)
    pid = start(client)
    pin(T0 + timedelta(seconds=3))
    complete_review(client, pid)
    response = client.get(f"{ROOT}/history/process-instance/{pid}")
    assert response.status_code == 200
    assert response.json() == dto(pid, definition_id, endTime="2026-06-01T12:00:03.000+0000",
                                  durationInMillis=3000, state="COMPLETED")


def test_a_deleted_instance_is_externally_terminated(client):
    """DELETE /process-instance/{id}: the historic instance stays, EXTERNALLY_TERMINATED."""
    definition_id = deploy(client)
    pid = start(client)
    assert client.delete(f"{ROOT}/process-instance/{pid}").status_code == 204
    response = client.get(f"{ROOT}/history/process-instance/{pid}")
    assert response.status_code == 200
    assert response.json() == dto(pid, definition_id, endTime=T0_TEXT, durationInMillis=0,
                                  state="EXTERNALLY_TERMINATED")


def test_suspension_shows_in_the_state(client):
    """A suspended instance's historic state is SUSPENDED, ACTIVE again once activated."""
    deploy(client)
    pid = start(client)
    client.put(f"{ROOT}/process-instance/{pid}/suspended", json={"suspended": True})
    assert listed(client, "/history/process-instance", params={"suspended": "true"})[0]["state"] \
        == "SUSPENDED"
    client.put(f"{ROOT}/process-instance/{pid}/suspended", json={"suspended": False})
    assert listed(client, "/history/process-instance", params={"active": "true"})[0]["id"] == pid


def test_unknown_id_is_404(client):
    """An unknown id: 404 with Camunda's message."""
    response = client.get(f"{ROOT}/history/process-instance/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == error("InvalidRequestException",
                                    "Historic process instance with id nope does not exist")


def test_filters_finished_unfinished_and_dates(client):
    """finished / unfinished, startedAfter and finishedBefore select by the recorded times."""
    deploy(client)
    done = start(client, businessKey="a")
    pin(T0 + timedelta(minutes=1))
    running = start(client, businessKey="b")
    pin(T0 + timedelta(minutes=2))
    complete_review(client, done)

    def ids(**params):
        return [row["id"] for row in listed(client, "/history/process-instance", params=params)]

    assert ids(finished="true") == [done]
    assert ids(unfinished="true") == [running]
    assert ids(startedAfter="2026-06-01T12:00:30.000+0000") == [running]
    assert ids(finishedBefore="2026-06-01T12:05:00.000+0000") == [done]
    assert ids(processInstanceBusinessKeyIn="a,b", sortBy="businessKey", sortOrder="desc") \
        == [running, done]
    assert ids(completed="true") == [done]
    assert ids(activeActivityIdIn="review") == [running]
    assert ids(executedActivityIdIn="review") == [done]
    assert counted(client, "/history/process-instance/count", params={"finished": "true"}) == 1


def test_post_query_with_or_queries_sorting_and_paging(client):
    """POST takes the query DTO: orQueries, sorting, and paging from the query string."""
    deploy(client)
    first = start(client, businessKey="x")
    second = start(client, businessKey="y")
    start(client, businessKey="z")
    body = {"processDefinitionKey": "routed",
            "orQueries": [{"processInstanceBusinessKey": "x", "processInstanceId": second}],
            "sorting": [{"sortBy": "businessKey", "sortOrder": "asc"}]}
    rows = listed(client, "/history/process-instance", method="post", body=body)
    assert [row["id"] for row in rows] == [first, second]
    paged = listed(client, "/history/process-instance", method="post", body=body,
                   params={"firstResult": 1, "maxResults": 5})
    assert [row["id"] for row in paged] == [second]
    assert counted(client, "/history/process-instance/count", method="post", body=body) == 2


def test_variables_filter_reads_historic_values(client):
    """variables=name_op_value matches the last value of an instance's historic variable."""
    deploy(client)
    matching = start(client, variables={"customer": {"value": "acme", "type": "String"}})
    start(client, variables={"customer": {"value": "other", "type": "String"}})
    rows = listed(client, "/history/process-instance", params={"variables": "customer_eq_acme"})
    assert [row["id"] for row in rows] == [matching]


def test_unknown_sort_criterion_is_400(client):
    """sortBy must be one of Camunda's criteria: 400 with Camunda's message."""
    response = client.get(f"{ROOT}/history/process-instance",
                          params={"sortBy": "nonsense", "sortOrder": "asc"})
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException",
                                    "Cannot set query parameter 'sortBy' to value 'nonsense'")


def test_invalid_date_in_a_post_query_is_400(client):
    """A startedBefore that is no date: 400 naming the parameter."""
    response = client.post(f"{ROOT}/history/process-instance",
                           json={"startedBefore": "yesterday"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["type"] == "InvalidRequestException"
    assert "startedBefore" in response.json()["message"]


def test_ids_are_uuids(client):
    """The historic instance id is the runtime instance id, a UUID."""
    deploy(client)
    pid = start(client)
    assert re.fullmatch(UUID, pid)
    assert listed(client, "/history/process-instance")[0]["id"] == pid


def test_two_states_in_one_query_select_none_but_an_or_query_unites_them(client):
    """active with completed: no instance is both (Camunda's 400; README, "Rules the spec
    states"); inside orQueries: either."""
    deploy(client)
    done = start(client)
    complete_review(client, done)
    running = start(client)
    response = client.get(f"{ROOT}/history/process-instance",
                          params={"active": "true", "completed": "true"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == []
    rows = listed(client, "/history/process-instance", method="post",
                  body={"orQueries": [{"active": True, "completed": True}]})
    assert sorted(row["id"] for row in rows) == sorted([done, running])
