"""/job, /job/{id}/{retries,execute,stacktrace,suspended}, /job-definition and /incident:
the jobs a batch consists of, their failures, retries and incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tests.api.batching import (
    EXCLUSIVE, ROOT, create_batch, definition_id, delete_instance, jobs_of, pin, shape, the_job,
)
from tests.api.conftest import error

T0 = datetime(2026, 6, 1, 12, 0, 0)
STAMP = "2026-06-01T12:00:00.000+0000"
MONITOR_DUE = "2026-06-01T12:00:30.000+0000"  # the monitor re-polls batchPollTime = 30 s later


def job_dto(batch: dict, kind: str, job_id: str, **changes) -> dict:
    """A batch job's JobDto: no process fields, batchId set; created at T0 unless changed."""
    return {"id": job_id, "jobDefinitionId": batch[f"{kind}JobDefinitionId"],
            "processInstanceId": None, "processDefinitionId": None,
            "processDefinitionKey": None, "executionId": None, "exceptionMessage": None,
            "failedActivityId": None, "retries": 3, "dueDate": None, "suspended": False,
            "priority": 0, "tenantId": None, "createTime": STAMP, "batchId": batch["id"]} | changes


def get_job(client, job_id: str) -> dict:
    response = client.get(f"{ROOT}/job/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()


def listed(client, *, method: str = "get", path: str = "/job", **query) -> list[str]:
    if method == "get":
        response = client.get(f"{ROOT}{path}", params=query)
    else:
        response = client.post(f"{ROOT}{path}", json=query)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def counted(client, *, method: str = "get", path: str = "/job/count", **query) -> int:
    if method == "get":
        response = client.get(f"{ROOT}{path}", params=query)
    else:
        response = client.post(f"{ROOT}{path}", json=query)
    assert response.status_code == 200, response.text
    return response.json()["count"]


@dataclass
class Failing:
    """A one-instance batch whose instance was deleted after the batch was created."""

    batch: dict
    instance_id: str
    message: str

    @property
    def id(self) -> str:
        return self.batch["id"]


@pytest.fixture
def failing(api, client) -> Failing:
    pd = definition_id(api.deploy(EXCLUSIVE))
    pid = api.start(EXCLUSIVE)["id"]
    pin(T0)
    batch = create_batch(client, pd, [pid])
    delete_instance(client, pid)
    message = (f"ENGINE-13036 Process instance '{pid}' cannot be modified. The process instance "
               "does not exist")
    return Failing(batch, pid, message)


@pytest.fixture
def exhausted(client, app, failing) -> Failing:
    """The failing batch run until its execution job has no retries left (and an incident)."""
    app.engine.job_executor.run_until_idle()
    assert the_job(client, failing.batch, "batch")["retries"] == 0
    return failing


# ------------------------------------------------------------------------ GET /job, /job/{id}
def test_a_batch_starts_with_its_seed_job(client, failing):
    """GET /job/{id} answers the full JobDto; batch jobs have no process fields but a batchId."""
    [seed] = client.get(f"{ROOT}/job", params={"batchId": failing.id}).json()
    assert seed == job_dto(failing.batch, "seed", seed["id"])
    assert get_job(client, seed["id"]) == seed


def test_get_unknown_job_is_404(client):
    """An unknown job id answers 404, the id without quotes."""
    response = client.get(f"{ROOT}/job/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException", "Job with id nope does not exist")


def test_failing_job_counts_retries_down_then_raises_an_incident(client, app, failing):
    """Each failed run stores ENGINE-13036 and one retry less; at 0 a failedJob incident opens."""
    assert app.engine.job_executor.run_once() == 1  # the seed job
    [job] = jobs_of(client, failing.batch, "batch")
    assert job == job_dto(failing.batch, "batch", job["id"])
    seen = []
    for _ in range(3):
        assert client.get(f"{ROOT}/incident").json() == []
        assert app.engine.job_executor.run_once() >= 1
        current = get_job(client, job["id"])
        seen.append((current["retries"], current["exceptionMessage"]))
    assert seen == [(2, failing.message), (1, failing.message), (0, failing.message)]
    assert get_job(client, job["id"]) == job_dto(failing.batch, "batch", job["id"], retries=0,
                                                  exceptionMessage=failing.message)
    [incident] = client.get(f"{ROOT}/incident").json()
    assert incident == {
        "id": incident["id"], "processDefinitionId": None, "processInstanceId": None,
        "executionId": None, "incidentTimestamp": STAMP, "incidentType": "failedJob",
        "activityId": None, "failedActivityId": None, "causeIncidentId": incident["id"],
        "rootCauseIncidentId": incident["id"], "configuration": job["id"],
        "incidentMessage": failing.message, "tenantId": None,
        "jobDefinitionId": failing.batch["batchJobDefinitionId"], "annotation": None}
    assert client.get(f"{ROOT}/incident/count").json() == {"count": 1}
    assert app.engine.job_executor.run_until_idle() == 0  # nothing left to retry


@pytest.mark.parametrize("params, expected", [
    ({"incidentType": "failedJob"}, 1), ({"incidentType": "failedExternalTask"}, 0),
    ({"incidentMessageLike": "ENGINE-13036%"}, 1), ({"incidentMessageLike": "ENGINE-9%"}, 0),
    ({"processInstanceId": "any"}, 0),
])
def test_incident_filters(client, exhausted, params, expected):
    """The failedJob incident is found by type, message, configuration and job definition."""
    job_id = the_job(client, exhausted.batch, "batch")["id"]
    assert len(listed(client, path="/incident", **params)) == expected
    assert counted(client, path="/incident/count", **params) == expected
    assert counted(client, path="/incident/count", configuration=job_id) == 1
    assert counted(client, path="/incident/count",
                   jobDefinitionIdIn=f"x,{exhausted.batch['batchJobDefinitionId']}") == 1


@pytest.mark.parametrize("query, expected", [
    ({}, ["execution", "monitor"]),
    ({"withRetriesLeft": "true"}, ["monitor"]),
    ({"noRetriesLeft": "true"}, ["execution"]),
    ({"withException": "true"}, ["execution"]),
    ({"executable": "true"}, []),
    ({"active": "true"}, ["execution", "monitor"]),
    ({"suspended": "true"}, []),
    ({"messages": "true"}, ["execution", "monitor"]),
    ({"timers": "true"}, []),
    ({"processInstanceId": "any"}, []),
    ({"dueDates": f"gt_{STAMP}"}, ["monitor"]),
    ({"dueDates": f"gt_{STAMP},lt_2026-06-01T12:00:30.001+0000"}, ["monitor"]),
    ({"dueDates": f"lt_{MONITOR_DUE}"}, []),
    ({"createTimes": "lt_2026-06-01T12:00:00.001+0000"}, ["execution", "monitor"]),
    ({"createTimes": f"gt_{STAMP}"}, []),
])
def test_job_filters_get_and_post(client, exhausted, query, expected):
    """GET and POST /job and both counts filter the failed execution job and the monitor."""
    kinds = {the_job(client, exhausted.batch, "batch")["id"]: "execution",
             the_job(client, exhausted.batch, "monitor")["id"]: "monitor"}
    query = {**query, "batchId": exhausted.id}
    assert sorted(kinds[i] for i in listed(client, **query)) == expected
    assert counted(client, **query) == len(expected)
    body = dict(query)
    for name in ("dueDates", "createTimes"):
        if name in body:
            body[name] = [{"operator": part[:2], "value": part[3:]}
                          for part in body[name].split(",")]
    body = {k: (v == "true" if v in ("true", "false") else v) for k, v in body.items()}
    assert sorted(kinds[i] for i in listed(client, method="post", **body)) == expected
    assert counted(client, method="post", **body) == len(expected)


def test_monitor_becomes_executable_when_due(client, exhausted):
    """executable means retries left and a due date that has passed."""
    pin(T0 + timedelta(seconds=30))
    monitor = the_job(client, exhausted.batch, "monitor")
    assert monitor["dueDate"] == MONITOR_DUE
    assert listed(client, executable="true", batchId=exhausted.id) == [monitor["id"]]


def test_job_definition_id_filter_and_sorting(client, exhausted):
    """jobDefinitionId picks one kind; sortBy jobRetries orders failed before healthy jobs."""
    execution = the_job(client, exhausted.batch, "batch")
    monitor = the_job(client, exhausted.batch, "monitor")
    assert listed(client, jobDefinitionId=exhausted.batch["batchJobDefinitionId"]) == [
        execution["id"]]
    assert listed(client, sortBy="jobRetries", sortOrder="asc") == [execution["id"], monitor["id"]]
    assert listed(client, sortBy="jobRetries", sortOrder="desc") == [monitor["id"], execution["id"]]
    assert listed(client, sortBy="jobRetries", sortOrder="asc", firstResult=1) == [monitor["id"]]
    response = client.post(f"{ROOT}/job", params={"maxResults": 1},
                           json={"sorting": [{"sortBy": "jobRetries", "sortOrder": "desc"}]})
    assert [job["id"] for job in response.json()] == [monitor["id"]]


@pytest.mark.parametrize("query, message", [
    ({"dueDates": f"eq_{STAMP}"}, "Invalid due date comparator specified: eq"),
    ({"createTimes": f"gteq_{STAMP}"}, "Invalid create time comparator specified: gteq"),
    ({"dueDates": "gt_tomorrow"},
     'Invalid due date format: Cannot convert value "tomorrow" to java type java.util.Date'),
    ({"timers": "true", "messages": "true"},
     "Parameter timers cannot be used together with parameter messages."),
])
def test_bad_job_queries_are_400(client, query, message):
    """Date conditions accept only gt/lt and dates; timers and messages exclude each other."""
    response = client.get(f"{ROOT}/job", params=query)
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException", message)


# --------------------------------------------------------------------- GET /job/{id}/stacktrace
def test_stacktrace_of_a_failed_job_is_plain_text(client, exhausted):
    """The last failure's details come back as text/plain and name the engine message."""
    job = the_job(client, exhausted.batch, "batch")
    response = client.get(f"{ROOT}/job/{job['id']}/stacktrace")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert exhausted.message in response.text


def test_stacktrace_of_a_job_that_never_failed_is_204(client, failing):
    """A job without exception has no stack trace: 204 with an empty body."""
    seed = the_job(client, failing.batch, "seed")
    response = client.get(f"{ROOT}/job/{seed['id']}/stacktrace")
    assert response.status_code == 204 and response.content == b""


def test_stacktrace_of_unknown_job_is_404(client):
    """An unknown job answers 404 with the id unquoted."""
    response = client.get(f"{ROOT}/job/nope/stacktrace")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "No job found with id nope: job is null")


# ------------------------------------------------------------------------ PUT /job/{id}/retries
def test_retries_above_zero_resolve_the_incident(client, app, exhausted):
    """0 → 1 retries closes the incident; the next failure opens a new one."""
    job_id = the_job(client, exhausted.batch, "batch")["id"]
    [first] = client.get(f"{ROOT}/incident").json()
    response = client.put(f"{ROOT}/job/{job_id}/retries", json={"retries": 1})
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{ROOT}/incident/count").json() == {"count": 0}
    assert get_job(client, job_id) == job_dto(exhausted.batch, "batch", job_id, retries=1,
                                              exceptionMessage=exhausted.message)
    [row] = client.get(f"{ROOT}/batch/statistics").json()
    assert (row["remainingJobs"], row["failedJobs"]) == (1, 0)
    assert app.engine.job_executor.run_once() == 1
    [second] = client.get(f"{ROOT}/incident").json()
    assert second["id"] != first["id"] and get_job(client, job_id)["retries"] == 0


def test_retries_can_move_the_due_date(client, failing):
    """A dueDate in the retries body becomes the job's due date."""
    seed = the_job(client, failing.batch, "seed")
    response = client.put(f"{ROOT}/job/{seed['id']}/retries",
                          json={"retries": 5, "dueDate": "2026-06-02T10:00:00.000+0200"})
    assert response.status_code == 204
    assert get_job(client, seed["id"]) == job_dto(failing.batch, "seed", seed["id"], retries=5,
                                                  dueDate="2026-06-02T08:00:00.000+0000")


def test_retries_set_to_zero_open_an_incident_without_message(client, failing):
    """Retries 0 on a healthy job open a failedJob incident without message (it never failed)."""
    seed = the_job(client, failing.batch, "seed")
    assert client.put(f"{ROOT}/job/{seed['id']}/retries", json={"retries": 0}).status_code == 204
    [incident] = client.get(f"{ROOT}/incident").json()
    assert (incident["configuration"], incident["incidentMessage"], incident["jobDefinitionId"]) \
        == (seed["id"], None, failing.batch["seedJobDefinitionId"])


@pytest.mark.parametrize("job_id, retries, message", [
    ("nope", 1, "ENGINE-13053 No job found with id 'nope'.'"),
    ("nope", -1, "ENGINE-13054 The number of job retries must be a non-negative Integer, but "
                 "'-1' has been provided."),
    ("seed", -3, "ENGINE-13054 The number of job retries must be a non-negative Integer, but "
                 "'-3' has been provided."),
])
def test_bad_retries_are_500(client, failing, job_id, retries, message):
    """Unknown jobs and negative retries answer 500 InvalidRequestException; negativity wins."""
    if job_id == "seed":
        job_id = the_job(client, failing.batch, "seed")["id"]
    response = client.put(f"{ROOT}/job/{job_id}/retries", json={"retries": retries})
    assert response.status_code == 500
    assert response.json() == error("InvalidRequestException", message)
    assert the_job(client, failing.batch, "seed")["retries"] == 3


# ------------------------------------------------------------------------ POST /job/{id}/execute
def test_execute_runs_a_job_now(client, failing):
    """Executing the seed job answers 204 and hands out the execution job and the monitor."""
    seed = the_job(client, failing.batch, "seed")
    response = client.post(f"{ROOT}/job/{seed['id']}/execute")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{ROOT}/job/{seed['id']}").status_code == 404
    assert len(jobs_of(client, failing.batch, "batch")) == 1
    assert len(jobs_of(client, failing.batch, "monitor")) == 1


def test_execute_a_failing_job_is_404_with_the_engine_message(client, app, failing):
    """A job failing with an engine exception answers 404 and still records the failure."""
    app.engine.job_executor.run_once()
    job = the_job(client, failing.batch, "batch")
    response = client.post(f"{ROOT}/job/{job['id']}/execute")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException", failing.message)
    assert get_job(client, job["id"])["retries"] == 2


def test_execute_ignores_exhausted_retries(client, exhausted):
    """A job with no retries left can still be executed by hand (and fails again)."""
    job = the_job(client, exhausted.batch, "batch")
    response = client.post(f"{ROOT}/job/{job['id']}/execute")
    assert response.status_code == 404
    assert get_job(client, job["id"])["retries"] == 0
    assert client.get(f"{ROOT}/incident/count").json() == {"count": 1}


def test_execute_unknown_job_is_404(client):
    """An unknown job answers 404 with the job executor's ENGINE-14026 message."""
    response = client.post(f"{ROOT}/job/nope/execute")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "ENGINE-14026 No job found with id 'nope'")


def test_execute_by_hand_runs_jobs_of_a_suspended_batch(api, client):
    """Explicit execution ignores suspension: seed job, then the execution job modifies."""
    pd = definition_id(api.deploy(EXCLUSIVE))
    pid = api.start(EXCLUSIVE)["id"]
    batch = create_batch(client, pd, [pid], [{"type": "startBeforeActivity",
                                              "activityId": "task2"}])
    client.put(f"{ROOT}/batch/{batch['id']}/suspended", json={"suspended": True})
    seed = the_job(client, batch, "seed")
    assert client.post(f"{ROOT}/job/{seed['id']}/execute").status_code == 204
    job = the_job(client, batch, "batch")
    assert client.post(f"{ROOT}/job/{job['id']}/execute").status_code == 204
    assert shape(api.tree(pid)) == [("task1", []), ("task2", [])]
    assert jobs_of(client, batch, "batch") == []


# ----------------------------------------------------------------------------- DELETE /job/{id}
def test_deleting_the_failed_job_lets_the_batch_complete(client, app, exhausted):
    """A failed job blocks completion; once deleted, the next monitor poll completes the batch."""
    job = the_job(client, exhausted.batch, "batch")
    response = client.delete(f"{ROOT}/job/{job['id']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{ROOT}/job/{job['id']}").status_code == 404
    assert client.get(f"{ROOT}/incident/count").json() == {"count": 0}
    [row] = client.get(f"{ROOT}/batch/statistics").json()
    assert (row["remainingJobs"], row["completedJobs"], row["failedJobs"]) == (0, 1, 0)
    assert app.engine.job_executor.run_until_idle() == 0  # the monitor is not due yet
    assert client.get(f"{ROOT}/batch/{exhausted.id}").status_code == 200
    ended = pin(T0 + timedelta(seconds=30))
    assert app.engine.job_executor.run_until_idle() == 1
    assert client.get(f"{ROOT}/batch/{exhausted.id}").status_code == 404
    assert client.get(f"{ROOT}/history/batch/{exhausted.id}").json()["endTime"] == ended
    assert client.get(f"{ROOT}/job/count").json() == {"count": 0}


def test_delete_unknown_job_is_404(client):
    """An unknown job answers 404 with the id in quotes."""
    response = client.delete(f"{ROOT}/job/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "No job found with id 'nope': job is null")


# ------------------------------------------------------------------------ PUT /job/{id}/suspended
def test_a_suspended_job_is_not_acquired(client, app, failing):
    """A suspended job shows suspended=true, is skipped by the executor, and runs once activated."""
    seed = the_job(client, failing.batch, "seed")
    response = client.put(f"{ROOT}/job/{seed['id']}/suspended", json={"suspended": True})
    assert response.status_code == 204 and response.content == b""
    assert get_job(client, seed["id"])["suspended"] is True
    assert listed(client, suspended="true") == [seed["id"]]
    assert listed(client, active="true") == []
    assert app.engine.job_executor.run_until_idle() == 0
    client.put(f"{ROOT}/job/{seed['id']}/suspended", json={"suspended": False})
    assert listed(client, active="true") == [seed["id"]]
    assert app.engine.job_executor.run_once() == 1
    assert client.get(f"{ROOT}/job/{seed['id']}").status_code == 404


def test_suspending_an_unknown_job_is_a_silent_no_op(client):
    """Camunda updates by id without looking the job up: 204."""
    response = client.put(f"{ROOT}/job/nope/suspended", json={"suspended": True})
    assert response.status_code == 204


# -------------------------------------------------------------------------------- /job-definition
@pytest.fixture
def two_batches(client, api) -> tuple[dict, dict, str]:
    deployment = api.deploy(EXCLUSIVE)
    pd = definition_id(deployment)
    return create_batch(client, pd, ["a"]), create_batch(client, pd, ["b"]), deployment["id"]


def test_job_definitions_by_type_and_configuration(client, two_batches):
    """jobType and jobConfiguration (the batch id) select a batch's job definitions."""
    first, second, _ = two_batches
    path = "/job-definition"
    assert sorted(listed(client, path=path, jobType="batch-seed-job")) == sorted(
        [first["seedJobDefinitionId"], second["seedJobDefinitionId"]])
    assert sorted(listed(client, path=path, jobConfiguration=first["id"])) == sorted(
        first[f"{kind}JobDefinitionId"] for kind in ("seed", "monitor", "batch"))
    assert listed(client, path=path, jobType="instance-modification",
                  jobConfiguration=second["id"]) == [second["batchJobDefinitionId"]]
    assert listed(client, path=path, jobType="timer-intermediate-transition") == []
    count_path = "/job-definition/count"
    assert counted(client, path=count_path) == 6
    assert counted(client, path=count_path, jobType="batch-monitor-job") == 2
    assert counted(client, path=count_path, jobConfiguration=second["id"]) == 3


def test_job_definition_suspension_follows_the_batch(client, two_batches):
    """Suspending a batch suspends its three job definitions, and only those."""
    first, _, _ = two_batches
    client.put(f"{ROOT}/batch/{first['id']}/suspended", json={"suspended": True})
    assert counted(client, path="/job-definition/count", suspended="true") == 3
    assert counted(client, path="/job-definition/count", active="true",
                   jobConfiguration=first["id"]) == 0


def test_get_one_job_definition(client, two_batches):
    """GET /job-definition/{id} answers the full JobDefinitionDto."""
    first, _, deployment_id = two_batches
    response = client.get(f"{ROOT}/job-definition/{first['seedJobDefinitionId']}")
    assert response.status_code == 200
    assert response.json() == {
        "id": first["seedJobDefinitionId"], "processDefinitionId": None,
        "processDefinitionKey": None, "jobType": "batch-seed-job",
        "jobConfiguration": first["id"], "activityId": None, "suspended": False,
        "overridingJobPriority": None, "tenantId": None, "deploymentId": deployment_id}


def test_get_unknown_job_definition_is_404(client):
    """An unknown job definition answers 404 with the id unquoted."""
    response = client.get(f"{ROOT}/job-definition/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "Job Definition with id nope does not exist")
