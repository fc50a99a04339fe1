"""/job, /job/{id}/{retries,execute,stacktrace,suspended}, /job-definition and /incident:
the jobs a batch consists of, their failures, retries and incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from modbatch.engine.jobs import HANDLERS, JobOutcome, insert_jobs, job_definition_id
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import JobDefinition
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
])
def test_bad_job_queries_are_400(client, query, message):
    """Date conditions accept only gt/lt and dates."""
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


@pytest.mark.parametrize("job_id, retries, status, message", [
    ("nope", 1, 404, "ENGINE-13053 No job found with id 'nope'.'"),
    ("nope", -1, 400, "ENGINE-13054 The number of job retries must be a non-negative Integer, "
                      "but '-1' has been provided."),
    ("seed", -3, 400, "ENGINE-13054 The number of job retries must be a non-negative Integer, "
                      "but '-3' has been provided."),
])
def test_bad_retries_are_404_or_400(client, failing, job_id, retries, status, message):
    """Camunda's InvalidRequestExceptions (its 500s): an unknown job is a 404, negative retries a
    400; negativity wins."""
    if job_id == "seed":
        job_id = the_job(client, failing.batch, "seed")["id"]
    response = client.put(f"{ROOT}/job/{job_id}/retries", json={"retries": retries})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
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


# ------------------------------------------------------------------------ process jobs
# Jobs of process instances (async continuations, timers) are created by the runtime; here they
# are written straight into the job table so that the API over them is tested on its own.
HOUR_LATER = "2026-06-01T13:00:00.000+0000"


@dataclass
class ProcessJobs:
    definition_id: str
    timer: str  # a timer in process instance pi-1, activity "boundary", due in an hour
    message: str  # a failed async continuation in pi-2, activity "task2"
    timer_definition: str
    message_definition: str


def process_job_row(**values) -> dict:
    row = {"id": None, "type": "message", "job_definition_id": None, "handler_type": "test-job",
           "handler_configuration": None, "batch_id": None, "item_from": None, "item_to": None,
           "due_date": None, "create_time": T0, "retries": 3, "exception_message": None,
           "exception_stacktrace": None, "suspended": False, "priority": 0, "tenant_id": None,
           "deployment_id": None, "lock_owner": None, "lock_expiration_time": None,
           "process_instance_id": None, "process_definition_id": None,
           "process_definition_key": None, "execution_id": None, "activity_id": None,
           "exclusive": True, "repeat": None}
    return row | values


@pytest.fixture
def test_handler():
    """Job handler "test-job": succeeds, or fails with the message in ``fail``."""
    fail: list[str] = []

    def handle(session, job, settings):
        if fail:
            raise ProcessEngineError(fail[0])
        return JobOutcome()

    HANDLERS["test-job"] = handle
    yield fail
    del HANDLERS["test-job"]


@pytest.fixture
def process(api, app, test_handler) -> ProcessJobs:
    pin(T0)
    deployment = api.deploy(EXCLUSIVE)
    pd = definition_id(deployment)
    timer_jd = job_definition_id(pd, "boundary", "timer-transition", "CYCLE: R/PT1H")
    message_jd = job_definition_id(pd, "task2", "async-continuation", "async-before")
    common = {"process_definition_id": pd, "process_definition_key": EXCLUSIVE,
              "deployment_id": deployment["id"]}
    with app.engine.transaction() as session:
        session.execute(JobDefinition.__table__.insert(), [
            {"id": jd, "job_type": job_type, "job_configuration": configuration,
             "activity_id": activity, "process_definition_id": pd,
             "process_definition_key": EXCLUSIVE, "suspended": False,
             "deployment_id": deployment["id"]}
            for jd, job_type, configuration, activity in (
                (timer_jd, "timer-transition", "CYCLE: R/PT1H", "boundary"),
                (message_jd, "async-continuation", "async-before", "task2"))])
        insert_jobs(session, [
            process_job_row(id="timer-job", type="timer", job_definition_id=timer_jd,
                            handler_configuration="boundary", due_date=T0 + timedelta(hours=1),
                            process_instance_id="pi-1", execution_id="ex-1",
                            activity_id="boundary", repeat="R/2026-06-01T12:00:00/PT1H", **common),
            process_job_row(id="message-job", job_definition_id=message_jd, retries=2,
                            exception_message="boom", process_instance_id="pi-2",
                            execution_id="ex-2", activity_id="task2", **common)])
    return ProcessJobs(pd, "timer-job", "message-job", timer_jd, message_jd)


def process_job_dto(process: ProcessJobs, which: str, **changes) -> dict:
    if which == "timer":
        values = {"id": "timer-job", "jobDefinitionId": process.timer_definition,
                  "processInstanceId": "pi-1", "executionId": "ex-1", "exceptionMessage": None,
                  "failedActivityId": None, "retries": 3, "dueDate": HOUR_LATER}
    else:
        values = {"id": "message-job", "jobDefinitionId": process.message_definition,
                  "processInstanceId": "pi-2", "executionId": "ex-2", "exceptionMessage": "boom",
                  "failedActivityId": "task2", "retries": 2, "dueDate": None}
    return values | {"processDefinitionId": process.definition_id,
                     "processDefinitionKey": EXCLUSIVE, "suspended": False, "priority": 0,
                     "tenantId": None, "createTime": STAMP, "batchId": None} | changes


def test_process_jobs_render_their_process_fields(client, process):
    """JobDto shows instance, execution and definition; failedActivityId once the job failed."""
    assert get_job(client, process.timer) == process_job_dto(process, "timer")
    assert get_job(client, process.message) == process_job_dto(process, "message")


@pytest.mark.parametrize("query, expected", [
    ({}, ["message", "timer"]),
    ({"processInstanceId": "pi-1"}, ["timer"]),
    ({"processInstanceId": "pi-3"}, []),
    ({"processInstanceIds": "pi-2,pi-3"}, ["message"]),
    ({"processInstanceIds": "pi-1,pi-2"}, ["message", "timer"]),
    ({"executionId": "ex-2"}, ["message"]),
    ({"processDefinitionKey": EXCLUSIVE}, ["message", "timer"]),
    ({"processDefinitionKey": "other"}, []),
    ({"activityId": "boundary"}, ["timer"]),
    ({"failedActivityId": "task2"}, ["message"]),
    ({"failedActivityId": "boundary"}, []),
    ({"timers": "true"}, ["timer"]),
    ({"messages": "true"}, ["message"]),
    # no job is both (Camunda's 400 "Parameter timers cannot be used together with parameter
    # messages."; README, "Rules the spec states")
    ({"timers": "true", "messages": "true"}, []),
    ({"withException": "true"}, ["message"]),
    ({"executable": "true"}, ["message"]),
    ({"dueDates": f"gt_{STAMP}"}, ["timer"]),
    ({"dueDates": f"lt_{HOUR_LATER}"}, []),
    ({"jobDefinitionId": "x"}, []),
])
def test_process_job_filters(client, process, query, expected):
    """The process filters of GET/POST /job and their counts select by the job's columns."""
    kinds = {process.timer: "timer", process.message: "message"}
    for method in ("get", "post"):
        body = dict(query)
        if method == "post":
            body = {k: (v == "true" if v == "true" else v) for k, v in body.items()}
            if "processInstanceIds" in body:
                body["processInstanceIds"] = body["processInstanceIds"].split(",")
            if "dueDates" in body:
                operator, value = body["dueDates"].split("_", 1)
                body["dueDates"] = [{"operator": operator, "value": value}]
        assert sorted(kinds[i] for i in listed(client, method=method, **body)) == expected
        assert counted(client, method=method, **body) == len(expected)


def test_process_definition_id_filter(client, process):
    """processDefinitionId selects the definition's jobs."""
    assert sorted(listed(client, processDefinitionId=process.definition_id)) == [
        process.message, process.timer]
    assert listed(client, processDefinitionId="other") == []


@pytest.mark.parametrize("sort_by, order, expected", [
    ("processInstanceId", "asc", ["timer-job", "message-job"]),
    ("processInstanceId", "desc", ["message-job", "timer-job"]),
    ("executionId", "desc", ["message-job", "timer-job"]),
    ("processDefinitionId", "asc", ["message-job", "timer-job"]),
    ("processDefinitionKey", "asc", ["message-job", "timer-job"]),
])
def test_process_jobs_sort_by_process_columns(client, process, sort_by, order, expected):
    """Sorting by process instance, execution and definition uses their columns (id breaks ties)."""
    assert listed(client, sortBy=sort_by, sortOrder=order) == expected
    assert listed(client, method="post", sorting=[{"sortBy": sort_by, "sortOrder": order}]) == \
        expected


def test_a_process_jobs_incident_carries_its_process_fields(client, app, process, test_handler):
    """Running out of retries opens a failedJob incident with the job's instance and activity;
    processDefinitionKeyIn finds it."""
    test_handler.append("still failing")
    for _ in range(2):
        assert client.post(f"{ROOT}/job/{process.message}/execute").status_code == 404
    [incident] = client.get(f"{ROOT}/incident").json()
    assert incident == {
        "id": incident["id"], "processDefinitionId": process.definition_id,
        "processInstanceId": "pi-2", "executionId": "ex-2", "incidentTimestamp": STAMP,
        "incidentType": "failedJob", "activityId": "task2", "failedActivityId": "task2",
        "causeIncidentId": incident["id"], "rootCauseIncidentId": incident["id"],
        "configuration": process.message, "incidentMessage": "still failing", "tenantId": None,
        "jobDefinitionId": process.message_definition, "annotation": None}
    assert counted(client, path="/incident/count", processDefinitionKeyIn=f"x,{EXCLUSIVE}") == 1
    assert counted(client, path="/incident/count", processDefinitionKeyIn="x") == 0
    assert counted(client, path="/incident/count", processInstanceId="pi-2") == 1


# ------------------------------------------------------------------------ PUT /job/{id}/duedate
def test_set_due_date(client, process):
    """The new due date shows on the job; Camunda's date format and ISO 8601 are accepted."""
    response = client.put(f"{ROOT}/job/{process.timer}/duedate",
                          json={"duedate": "2026-06-02T08:00:00.000+0200", "cascade": False})
    assert response.status_code == 204
    assert get_job(client, process.timer)["dueDate"] == "2026-06-02T06:00:00.000+0000"
    client.put(f"{ROOT}/job/{process.timer}/duedate", json={"duedate": "2026-06-03T00:00:00Z"})
    assert get_job(client, process.timer)["dueDate"] == "2026-06-03T00:00:00.000+0000"


def test_a_null_due_date_makes_the_job_executable_now(client, process):
    """duedate null (or absent) clears it: the job is executable at once."""
    assert client.put(f"{ROOT}/job/{process.timer}/duedate", json={"duedate": None}).status_code \
        == 204
    assert get_job(client, process.timer)["dueDate"] is None
    assert listed(client, executable="true") == [process.message, process.timer]


def test_set_due_date_of_unknown_job_is_404(client):
    """Camunda's InvalidRequestException for an unknown job, as a 404 (Camunda answers 500)."""
    response = client.put(f"{ROOT}/job/nope/duedate", json={"duedate": STAMP})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException", "No job found with id 'nope'.")


def test_set_due_date_rejects_a_malformed_date(client, process):
    """A date that does not parse is a 400 before the job is touched."""
    response = client.put(f"{ROOT}/job/{process.timer}/duedate", json={"duedate": "tomorrow"})
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"
    assert get_job(client, process.timer)["dueDate"] == HOUR_LATER


def successor_due(client, process) -> str | None:
    """Execute the timer now; the due date of the job its cycle leaves behind, if any."""
    assert client.post(f"{ROOT}/job/{process.timer}/execute").status_code == 204
    rest = [job for job in client.get(f"{ROOT}/job", params={"timers": "true"}).json()]
    assert all(job["id"] != process.timer for job in rest)
    return rest[0]["dueDate"] if rest else None


def test_executing_a_cycle_timer_leaves_its_successor(client, process):
    """An hourly cycle fired at its due date schedules the next hour's job, same fields."""
    pin(T0 + timedelta(hours=1))
    assert successor_due(client, process) == "2026-06-01T14:00:00.000+0000"
    [follower] = client.get(f"{ROOT}/job", params={"timers": "true"}).json()
    assert follower == process_job_dto(process, "timer", id=follower["id"],
                                       dueDate="2026-06-01T14:00:00.000+0000",
                                       createTime="2026-06-01T13:00:00.000+0000")


def test_cascading_a_due_date_moves_the_later_repetitions(client, process):
    """cascade=true: moved 30 minutes later, the next job follows 30 minutes later as well."""
    client.put(f"{ROOT}/job/{process.timer}/duedate",
               json={"duedate": "2026-06-01T13:30:00.000+0000", "cascade": True})
    pin(T0 + timedelta(hours=1, minutes=30))
    assert successor_due(client, process) == "2026-06-01T14:30:00.000+0000"


def test_without_cascade_the_cycle_keeps_its_rhythm(client, process):
    """cascade=false: only this job moves; the next one is due on the cycle's own hour."""
    client.put(f"{ROOT}/job/{process.timer}/duedate",
               json={"duedate": "2026-06-01T13:30:00.000+0000", "cascade": False})
    pin(T0 + timedelta(hours=1, minutes=30))
    assert successor_due(client, process) == "2026-06-01T14:00:00.000+0000"


# ------------------------------------------------------------------------ PUT /job/{id}/priority
def test_set_job_priority(client, process):
    """The priority shows on the job and orders the priority filters."""
    response = client.put(f"{ROOT}/job/{process.message}/priority", json={"priority": 42})
    assert response.status_code == 204
    assert get_job(client, process.message)["priority"] == 42
    assert listed(client, priorityHigherThanOrEquals=10) == [process.message]
    client.put(f"{ROOT}/job/{process.message}/priority", json={"priority": -2**63})
    assert get_job(client, process.message)["priority"] == -2**63


def test_a_null_priority_is_400(client, process):
    """Camunda's RestException names the job."""
    response = client.put(f"{ROOT}/job/{process.message}/priority", json={"priority": None})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("RestException",
                                    "Priority for job 'message-job' cannot be null.")
    assert client.put(f"{ROOT}/job/{process.message}/priority", json={}).status_code == 400


def test_set_priority_of_unknown_job_is_404(client):
    """Camunda's NotFoundException message, as a 404 InvalidRequestException."""
    response = client.put(f"{ROOT}/job/nope/priority", json={"priority": 1})
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException",
                                    "No job found with id 'nope': job is null")


# ------------------------------------------------------------------------ job definition priority
def job_definition(client, definition_id: str) -> dict:
    response = client.get(f"{ROOT}/job-definition/{definition_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_overriding_priority_without_jobs(client, process):
    """includeJobs false: only the definition carries the priority."""
    response = client.put(f"{ROOT}/job-definition/{process.message_definition}/jobPriority",
                          json={"priority": 7})
    assert response.status_code == 204
    assert job_definition(client, process.message_definition)["overridingJobPriority"] == 7
    assert get_job(client, process.message)["priority"] == 0
    assert listed(client, path="/job-definition", withOverridingJobPriority="true") == [
        process.message_definition]


def test_overriding_priority_including_jobs(client, process):
    """includeJobs true: the definition's existing jobs get the priority too, no others."""
    client.put(f"{ROOT}/job-definition/{process.message_definition}/jobPriority",
               json={"priority": 7, "includeJobs": True})
    assert get_job(client, process.message)["priority"] == 7
    assert get_job(client, process.timer)["priority"] == 0


def test_a_null_priority_clears_the_override(client, process):
    """priority null removes the overriding priority; the jobs keep theirs."""
    path = f"{ROOT}/job-definition/{process.message_definition}/jobPriority"
    client.put(path, json={"priority": 7, "includeJobs": True})
    assert client.put(path, json={"priority": None}).status_code == 204
    assert job_definition(client, process.message_definition)["overridingJobPriority"] is None
    assert get_job(client, process.message)["priority"] == 7


def test_clearing_with_include_jobs_is_400(client, process):
    """A null priority cannot be applied to the jobs."""
    response = client.put(f"{ROOT}/job-definition/{process.message_definition}/jobPriority",
                          json={"priority": None, "includeJobs": True})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        f"Cannot reset priority for job definition {process.message_definition} with "
        "includeJobs=true")


def test_priority_of_unknown_job_definition_is_404(client):
    """Camunda's NotFoundException message, as a 404."""
    response = client.put(f"{ROOT}/job-definition/nope/jobPriority", json={"priority": 1})
    assert response.status_code == 404
    assert response.json() == error(
        "InvalidRequestException",
        "Job definition with id 'nope' does not exist: jobDefinition is null")
