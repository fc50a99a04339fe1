"""/batch, /batch/count, /batch/{id}, suspension, deletion, /batch/statistics, /batch/{id}/items
and /history/batch: watching and steering instance-modification batches."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.batching import (
    EXCLUSIVE, ROOT, TO_TASK2, batch_dto, create_batch, definition_id, jobs_of, pin, shape,
    the_job,
)
from tests.api.conftest import error

T0 = datetime(2026, 5, 1, 8, 0, 0)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def count(client, path: str, **params) -> int:
    response = client.get(f"{ROOT}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["count"]


@pytest.fixture
def definitions(api) -> dict:
    """exclusiveGateway deployed without tenant and for tenants a and b: {tenant: definition id}."""
    return {None: definition_id(api.deploy(EXCLUSIVE)),
            "tenant-a": definition_id(api.deploy(EXCLUSIVE, **{"tenant-id": "tenant-a"})),
            "tenant-b": definition_id(api.deploy(EXCLUSIVE, **{"tenant-id": "tenant-b"}))}


@pytest.fixture
def three(client, definitions) -> dict:
    """One batch per tenant (over made-up instance ids: creation does not check them)."""
    return {tenant: create_batch(client, pd, [f"pi-{tenant}"])
            for tenant, pd in definitions.items()}


def start_instances(api, count_: int) -> list[str]:
    return [api.start(EXCLUSIVE)["id"] for _ in range(count_)]


# ----------------------------------------------------------------------------- GET /batch
def test_list_and_count_show_runtime_batches(client, three):
    """GET /batch answers every runtime batch as a full BatchDto; /count agrees."""
    listed = client.get(f"{ROOT}/batch").json()
    assert sorted(listed, key=lambda b: b["id"]) == sorted(three.values(), key=lambda b: b["id"])
    assert three["tenant-a"]["tenantId"] == "tenant-a"
    assert three[None]["tenantId"] is None
    assert count(client, "/batch/count") == 3


@pytest.mark.parametrize("params, expected", [
    ({"type": "instance-modification"}, ["none", "tenant-a", "tenant-b"]),
    ({"type": "instance-migration"}, []),
    ({"tenantIdIn": "tenant-a"}, ["tenant-a"]),
    ({"tenantIdIn": "tenant-b,tenant-a"}, ["tenant-a", "tenant-b"]),
    ({"tenantIdIn": "nobody"}, []),
    ({"withoutTenantId": "true"}, ["none"]),
    ({"withoutTenantId": "false"}, ["none", "tenant-a", "tenant-b"]),
    ({"suspended": "true"}, ["tenant-b"]),
    ({"suspended": "false"}, ["none", "tenant-a"]),
    ({"suspended": "false", "tenantIdIn": "tenant-a,tenant-b"}, ["tenant-a"]),
])
def test_filters(client, three, params, expected):
    """type, tenantIdIn, withoutTenantId and suspended true/false narrow /batch and /count."""
    client.put(f"{ROOT}/batch/{three['tenant-b']['id']}/suspended", json={"suspended": True})
    name = {batch["id"]: tenant or "none" for tenant, batch in three.items()}
    listed = ids(client.get(f"{ROOT}/batch", params=params))
    assert sorted(name[i] for i in listed) == expected
    assert count(client, "/batch/count", **params) == len(expected)


def test_batch_id_filter(client, three):
    """batchId finds exactly one batch; an unknown id none."""
    wanted = three["tenant-a"]
    assert client.get(f"{ROOT}/batch", params={"batchId": wanted["id"]}).json() == [wanted]
    assert count(client, "/batch/count", batchId=wanted["id"]) == 1
    assert count(client, "/batch/count", batchId="nope") == 0


def test_statistics_only_filters_are_ignored_by_get_batch(client, three):
    """createdBy, startedBefore/After and withFailures are accepted but not applied on /batch."""
    params = {"createdBy": "nobody", "startedBefore": "not a date",
              "startedAfter": "2999-01-01T00:00:00.000+0000", "withFailures": "true"}
    assert len(ids(client.get(f"{ROOT}/batch", params=params))) == 3
    assert count(client, "/batch/count", **params) == 3


def test_sorting_and_paging(client, three):
    """sortBy batchId/tenantId with sortOrder, then firstResult/maxResults page the sorted list."""
    by_id = sorted(batch["id"] for batch in three.values())
    assert ids(client.get(f"{ROOT}/batch", params={"sortBy": "batchId",
                                                    "sortOrder": "asc"})) == by_id
    assert ids(client.get(f"{ROOT}/batch", params={"sortBy": "batchId",
                                                    "sortOrder": "desc"})) == by_id[::-1]
    tenants = {"tenantIdIn": "tenant-a,tenant-b", "sortBy": "tenantId"}
    assert ids(client.get(f"{ROOT}/batch", params={**tenants, "sortOrder": "desc"})) == [
        three["tenant-b"]["id"], three["tenant-a"]["id"]]
    assert ids(client.get(f"{ROOT}/batch", params={**tenants, "sortOrder": "asc"})) == [
        three["tenant-a"]["id"], three["tenant-b"]["id"]]
    page = client.get(f"{ROOT}/batch", params={"sortBy": "batchId", "sortOrder": "asc",
                                                "firstResult": 1, "maxResults": 1})
    assert ids(page) == by_id[1:2]
    assert ids(client.get(f"{ROOT}/batch", params={"sortBy": "batchId", "sortOrder": "asc",
                                                    "firstResult": 2})) == by_id[2:]


@pytest.mark.parametrize("path", ["/batch", "/batch/statistics", "/history/batch"])
@pytest.mark.parametrize("params, message", [
    ({"sortBy": "color", "sortOrder": "asc"},
     "Cannot set query parameter 'sortBy' to value 'color'"),
    ({"sortBy": "batchId", "sortOrder": "up"},
     "Cannot set query parameter 'sortOrder' to value 'up'"),
    ({"sortOrder": "up"}, "Cannot set query parameter 'sortOrder' to value 'up'"),
])
def test_bad_sorting_is_camundas_400(client, path, params, message):
    """Sorting problems answer Camunda's messages on every batch list."""
    response = client.get(f"{ROOT}{path}", params=params)
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException", message)


# ------------------------------------------------------------------------ GET /batch/{id}
def test_get_one_batch(client, three):
    """GET /batch/{id} answers the same BatchDto as the list."""
    batch = three["tenant-a"]
    response = client.get(f"{ROOT}/batch/{batch['id']}")
    assert (response.status_code, response.json()) == (200, batch)


def test_get_unknown_batch_is_404(client):
    """An unknown id answers 404 with the id in quotes."""
    response = client.get(f"{ROOT}/batch/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Batch with id 'nope' does not exist")


# --------------------------------------------------------------------- DELETE /batch/{id}
def test_delete_keeps_history_with_an_end_time(client, definitions):
    """Without cascade the runtime batch, its jobs and job definitions go; history gets endTime."""
    pin(T0)
    batch = create_batch(client, definitions[None], ["a", "b"])
    ended = pin(T0 + timedelta(minutes=5))
    response = client.delete(f"{ROOT}/batch/{batch['id']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{ROOT}/batch/{batch['id']}").status_code == 404
    assert client.get(f"{ROOT}/job", params={"batchId": batch["id"]}).json() == []
    assert client.get(f"{ROOT}/job-definition",
                      params={"jobConfiguration": batch["id"]}).json() == []
    historic = client.get(f"{ROOT}/history/batch/{batch['id']}")
    assert historic.status_code == 200
    assert historic.json()["endTime"] == ended
    assert historic.json()["startTime"] == batch["startTime"]
    assert count(client, f"/history/batch/{batch['id']}/items/count") == 2


@pytest.mark.parametrize("cascade", ["true", "TRUE"])
def test_delete_with_cascade_removes_history(client, definitions, cascade):
    """cascade=true also deletes the historic batch (and with it the items)."""
    batch = create_batch(client, definitions[None], ["a"])
    response = client.delete(f"{ROOT}/batch/{batch['id']}", params={"cascade": cascade})
    assert response.status_code == 204
    assert client.get(f"{ROOT}/history/batch/{batch['id']}").status_code == 404
    assert client.get(f"{ROOT}/history/batch/{batch['id']}/items").status_code == 404
    assert count(client, "/job/count") == 0


def test_delete_keeps_modifications_already_applied(api, client, app, definitions):
    """Deleting a half-run batch stops the rest, but instances already modified stay modified."""
    pid = api.start(EXCLUSIVE)["id"]
    batch = create_batch(client, definitions[None], [pid, "missing"])
    app.engine.job_executor.run_until_idle()  # the job modifies pid, fails on "missing"
    assert client.delete(f"{ROOT}/batch/{batch['id']}").status_code == 204
    assert shape(api.tree(pid)) == [("task2", [])]
    assert client.get(f"{ROOT}/incident").json() == []


def test_delete_unknown_batch_is_404(client):
    """Camunda's message and code 0 (an engine cause) for an unknown batch on delete, as a 404
    (Camunda answers 400)."""
    response = client.delete(f"{ROOT}/batch/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException",
                                    "Unable to delete batch with id 'nope'", 0)


# ------------------------------------------------------------- PUT /batch/{id}/suspended
def test_suspension_reaches_jobs_and_stops_the_executor(api, client, app, definitions):
    """A suspended batch's jobs and definitions are suspended; the executor runs none of them."""
    pids = start_instances(api, 2)
    batch = create_batch(client, definitions[None], pids)
    response = client.put(f"{ROOT}/batch/{batch['id']}/suspended", json={"suspended": True})
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{ROOT}/batch/{batch['id']}").json() == batch_dto(batch, suspended=True)
    [seed] = client.get(f"{ROOT}/job", params={"batchId": batch["id"]}).json()
    assert seed["suspended"] is True
    definitions_ = client.get(f"{ROOT}/job-definition",
                              params={"jobConfiguration": batch["id"]}).json()
    assert [d["suspended"] for d in definitions_] == [True, True, True]
    assert app.engine.job_executor.run_until_idle() == 0
    assert ids(client.get(f"{ROOT}/batch", params={"suspended": "true"})) == [batch["id"]]
    # explicit execution still works; the jobs it creates are born suspended
    assert client.post(f"{ROOT}/job/{seed['id']}/execute").status_code == 204
    created = client.get(f"{ROOT}/job", params={"batchId": batch["id"]}).json()
    assert len(created) == 2 and {job["suspended"] for job in created} == {True}
    assert app.engine.job_executor.run_until_idle() == 0
    assert [shape(api.tree(p)) for p in pids] == [[("task1", [])]] * 2


def test_activation_resumes_the_batch(api, client, app, definitions):
    """Activating a suspended batch makes its jobs runnable again; the batch then completes."""
    pids = start_instances(api, 2)
    batch = create_batch(client, definitions[None], pids)
    client.put(f"{ROOT}/batch/{batch['id']}/suspended", json={"suspended": True})
    response = client.put(f"{ROOT}/batch/{batch['id']}/suspended", json={"suspended": False})
    assert response.status_code == 204
    assert client.get(f"{ROOT}/batch/{batch['id']}").json()["suspended"] is False
    assert count(client, "/job/count", batchId=batch["id"], active="true") == 1
    assert app.engine.job_executor.run_until_idle() >= 3
    assert client.get(f"{ROOT}/batch/{batch['id']}").status_code == 404
    assert [shape(api.tree(p)) for p in pids] == [[("task2", [])]] * 2


@pytest.mark.parametrize("body, verb", [({"suspended": True}, "suspend"),
                                        ({"suspended": False}, "activate"), ({}, "activate")])
def test_suspending_an_unknown_batch_is_404(client, body, verb):
    """Unknown ids answer 404 (Camunda: 400) naming the attempted action; a missing flag means
    activate."""
    response = client.put(f"{ROOT}/batch/nope/suspended", json=body)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException",
                                    f"Unable to {verb} batch with id 'nope'", 0)


def test_seed_job_runs_without_touching_instances(api, client, app, definitions):
    """Running only the seed job creates the execution jobs; statistics count them as created."""
    pid = api.start(EXCLUSIVE)["id"]
    batch = create_batch(client, definitions[None], [pid], TO_TASK2)
    seed = the_job(client, batch, "seed")
    assert client.post(f"{ROOT}/job/{seed['id']}/execute").status_code == 204
    assert client.get(f"{ROOT}/batch/{batch['id']}").json()["jobsCreated"] == 1
    assert len(jobs_of(client, batch, "batch")) == 1
    assert len(jobs_of(client, batch, "monitor")) == 1
    assert shape(api.tree(pid)) == [("task1", [])]


# -------------------------------------------------------------------- GET /batch/statistics
@pytest.fixture
def failing_and_fresh(client, app, definitions) -> tuple[dict, dict]:
    """A batch started at T0 whose only job failed for good, and a fresh one started at T0+1h."""
    pin(T0)
    failing = create_batch(client, definitions[None], ["missing"])
    app.engine.job_executor.run_until_idle()
    pin(T0 + timedelta(hours=1))
    fresh = create_batch(client, definitions["tenant-a"], ["also-missing", "and-another"])
    return failing, fresh


def test_statistics_show_remaining_completed_and_failed_jobs(client, failing_and_fresh):
    """BatchStatisticsDto is the BatchDto plus remainingJobs, completedJobs and failedJobs."""
    failing, fresh = failing_and_fresh
    rows = client.get(f"{ROOT}/batch/statistics",
                      params={"sortBy": "startTime", "sortOrder": "asc"}).json()
    assert rows == [
        batch_dto(failing, jobsCreated=1) | {"remainingJobs": 1, "completedJobs": 0,
                                             "failedJobs": 1},
        batch_dto(fresh) | {"remainingJobs": 1, "completedJobs": 0, "failedJobs": 0}]
    assert count(client, "/batch/statistics/count") == 2


@pytest.mark.parametrize("params, expected", [
    ({"withFailures": "true"}, ["failing"]),
    ({"withoutFailures": "true"}, ["fresh"]),
    ({"withFailures": "false"}, ["failing", "fresh"]),
    ({"startedBefore": "2026-05-01T08:00:00.000+0000"}, ["failing"]),
    ({"startedBefore": "2026-05-01T08:59:59.999+0000"}, ["failing"]),
    ({"startedAfter": "2026-05-01T09:00:00.000+0000"}, ["fresh"]),
    ({"startedAfter": "2026-05-01T08:00:00.000+0000"}, ["failing", "fresh"]),
    ({"startedAfter": "2026-05-01T10:00:00+02:00"}, ["failing", "fresh"]),
    ({"startedAfter": "2026-05-01T08:00:00.001Z"}, ["fresh"]),
    ({"tenantIdIn": "tenant-a"}, ["fresh"]),
    ({"withoutTenantId": "true"}, ["failing"]),
    ({"batchId": "nope"}, []),
])
def test_statistics_filters(client, failing_and_fresh, params, expected):
    """withFailures/withoutFailures and the inclusive startedBefore/After work on statistics."""
    failing, fresh = failing_and_fresh
    name = {failing["id"]: "failing", fresh["id"]: "fresh"}
    listed = ids(client.get(f"{ROOT}/batch/statistics",
                            params={**params, "sortBy": "startTime", "sortOrder": "asc"}))
    assert [name[i] for i in listed] == expected
    assert count(client, "/batch/statistics/count", **params) == len(expected)


def test_statistics_sorting_and_paging(client, failing_and_fresh):
    """Statistics sort by startTime and page like any list."""
    failing, fresh = failing_and_fresh
    newest_first = {"sortBy": "startTime", "sortOrder": "desc"}
    assert ids(client.get(f"{ROOT}/batch/statistics", params=newest_first)) == [
        fresh["id"], failing["id"]]
    assert ids(client.get(f"{ROOT}/batch/statistics",
                          params={**newest_first, "firstResult": 1, "maxResults": 5})) == [
        failing["id"]]


def test_statistics_bad_date_is_400(client):
    """A startedBefore that is no date is a 400 naming the parameter."""
    response = client.get(f"{ROOT}/batch/statistics", params={"startedBefore": "yesterday"})
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"
    assert "startedBefore" in response.json()["message"]


# --------------------------------------------------------------- GET /batch/{id}/items
@pytest.fixture
def half_done(api, client, app, definitions) -> tuple[dict, list[str]]:
    """A batch over [a, missing, b] run once through: a and b modified, missing failed."""
    a, b = start_instances(api, 2)
    batch = create_batch(client, definitions[None], [a, "missing", b])
    app.engine.job_executor.run_until_idle()
    return batch, [a, "missing", b]


def test_items_report_each_instance(client, half_done):
    """Items list every instance in batch order with its status and, if failed, the message."""
    batch, (a, missing, b) = half_done
    response = client.get(f"{ROOT}/batch/{batch['id']}/items")
    assert response.status_code == 200
    assert response.json() == [
        {"processInstanceId": a, "status": "modified", "message": None},
        {"processInstanceId": missing, "status": "failed",
         "message": "ENGINE-13036 Process instance 'missing' cannot be modified. The process "
                    "instance does not exist"},
        {"processInstanceId": b, "status": "modified", "message": None}]


@pytest.mark.parametrize("params, expected", [
    ({"status": "modified"}, [0, 2]), ({"status": "failed"}, [1]), ({"status": "pending"}, []),
    ({"firstResult": 1, "maxResults": 1}, [1]), ({"firstResult": 1}, [1, 2]),
    ({"status": "modified", "maxResults": 1}, [0]),
])
def test_items_filter_and_page(client, half_done, params, expected):
    """status narrows the items, paging cuts them; /count agrees (ignoring paging)."""
    batch, pids = half_done
    response = client.get(f"{ROOT}/batch/{batch['id']}/items", params=params)
    assert [item["processInstanceId"] for item in response.json()] == [pids[i] for i in expected]
    status = {k: v for k, v in params.items() if k == "status"}
    expected_count = {"modified": 2, "failed": 1, "pending": 0}.get(status.get("status"), 3)
    assert count(client, f"/batch/{batch['id']}/items/count", **status) == expected_count


def test_items_of_a_new_batch_are_pending(client, definitions):
    """Before any job ran, every item is pending."""
    batch = create_batch(client, definitions[None], ["x", "y"])
    assert count(client, f"/batch/{batch['id']}/items/count", status="pending") == 2


def test_items_of_unknown_batch_are_404(client):
    """Items of a batch that exists neither at runtime nor in history: 404."""
    for path in ("/batch/nope/items", "/batch/nope/items/count"):
        response = client.get(f"{ROOT}{path}")
        assert response.status_code == 404
        assert response.json() == error("InvalidRequestException",
                                        "Batch with id 'nope' does not exist")


def test_items_stay_readable_after_completion(client, app, half_done):
    """Once the failed job is deleted and the batch completes, its items are in the history."""
    batch, pids = half_done
    [failed] = jobs_of(client, batch, "batch")
    assert client.delete(f"{ROOT}/job/{failed['id']}").status_code == 204
    pin(T0.replace(year=2999))  # past the monitor's next poll
    app.engine.job_executor.run_until_idle()
    assert client.get(f"{ROOT}/batch/{batch['id']}").status_code == 404
    assert client.get(f"{ROOT}/batch/{batch['id']}/items").status_code == 404
    statuses = [i["status"]
                for i in client.get(f"{ROOT}/history/batch/{batch['id']}/items").json()]
    assert statuses == ["modified", "failed", "modified"]


# -------------------------------------------------------------------------- /history/batch
@pytest.fixture
def running_and_completed(api, client, app, definitions) -> tuple[dict, dict]:
    """A batch completed between T0 and T0+1min and one still running, started at T0+1h."""
    pin(T0)
    completed = create_batch(client, definitions[None], start_instances(api, 1))
    pin(T0 + timedelta(minutes=1))
    app.engine.job_executor.run_until_idle()
    pin(T0 + timedelta(hours=1))
    running = create_batch(client, definitions["tenant-a"], ["x"])
    return completed, running


def historic_dto(batch: dict, *, end_time=None, execution_start_time=None) -> dict:
    return {"id": batch["id"], "type": "instance-modification", "totalJobs": batch["totalJobs"],
            "batchJobsPerSeed": 100, "invocationsPerBatchJob": 100,
            "seedJobDefinitionId": batch["seedJobDefinitionId"],
            "monitorJobDefinitionId": batch["monitorJobDefinitionId"],
            "batchJobDefinitionId": batch["batchJobDefinitionId"], "tenantId": batch["tenantId"],
            "createUserId": None, "startTime": batch["startTime"], "endTime": end_time,
            "removalTime": None, "executionStartTime": execution_start_time}


def test_historic_batches_show_running_and_completed(client, running_and_completed):
    """History holds both batches; the completed one has endTime and executionStartTime."""
    completed, running = running_and_completed
    one_minute = "2026-05-01T08:01:00.000+0000"
    response = client.get(f"{ROOT}/history/batch", params={"sortBy": "startTime",
                                                            "sortOrder": "asc"})
    assert response.status_code == 200
    assert response.json() == [
        historic_dto(completed, end_time=one_minute, execution_start_time=one_minute),
        historic_dto(running)]
    assert client.get(f"{ROOT}/history/batch/{running['id']}").json() == historic_dto(running)
    assert count(client, "/history/batch/count") == 2


@pytest.mark.parametrize("params, expected", [
    ({"completed": "true"}, ["completed"]), ({"completed": "false"}, ["running"]),
    ({"tenantIdIn": "tenant-a"}, ["running"]), ({"withoutTenantId": "true"}, ["completed"]),
    ({"type": "instance-modification"}, ["completed", "running"]),
    ({"type": "instance-migration"}, []),
])
def test_historic_filters(client, running_and_completed, params, expected):
    """completed true/false, tenant and type filters on /history/batch and its count."""
    completed, running = running_and_completed
    name = {completed["id"]: "completed", running["id"]: "running"}
    listed = ids(client.get(f"{ROOT}/history/batch",
                            params={**params, "sortBy": "startTime", "sortOrder": "asc"}))
    assert [name[i] for i in listed] == expected
    assert count(client, "/history/batch/count", **params) == len(expected)


def test_historic_sorting_and_paging(client, running_and_completed):
    """History sorts by startTime, batchId and endTime, and pages."""
    completed, running = running_and_completed
    assert ids(client.get(f"{ROOT}/history/batch", params={
        "sortBy": "startTime", "sortOrder": "desc"})) == [running["id"], completed["id"]]
    by_id = sorted([completed["id"], running["id"]])
    assert ids(client.get(f"{ROOT}/history/batch", params={
        "sortBy": "batchId", "sortOrder": "desc"})) == by_id[::-1]
    assert ids(client.get(f"{ROOT}/history/batch", params={
        "completed": "true", "sortBy": "endTime", "sortOrder": "asc"})) == [completed["id"]]
    assert ids(client.get(f"{ROOT}/history/batch", params={
        "sortBy": "startTime", "sortOrder": "asc", "firstResult": 1, "maxResults": 1})) == [
        running["id"]]


def test_get_unknown_historic_batch_is_404(client):
    """An unknown historic batch answers 404 with the id in quotes."""
    response = client.get(f"{ROOT}/history/batch/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Historic batch with id 'nope' does not exist")


def test_delete_historic_batch(client, running_and_completed):
    """DELETE /history/batch/{id} removes a completed batch's history (and its items)."""
    completed, _ = running_and_completed
    response = client.delete(f"{ROOT}/history/batch/{completed['id']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{ROOT}/history/batch/{completed['id']}").status_code == 404
    assert client.get(f"{ROOT}/history/batch/{completed['id']}/items").status_code == 404
    assert count(client, "/history/batch/count") == 1


def test_delete_unknown_historic_batch_is_404(client):
    """Camunda's message and code 0 for an unknown historic batch on delete, as a 404 (Camunda
    answers 400)."""
    response = client.delete(f"{ROOT}/history/batch/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException",
                                    "Unable to delete historic batch with id 'nope'", 0)
