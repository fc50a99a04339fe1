"""POST /modification/execute and /modification/executeAsync: modifying many instances over REST."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest

from tests.api.batching import (
    UNKNOWN_ELEMENTS,
    EXCLUSIVE, NESTED, ROOT, TO_TASK2, batch_dto, create_batch, definition_id, delete_instance,
    execute_async, jobs_of, pin, shape, statistics,
)
from tests.api.conftest import DATE, UUID, error

ENDPOINTS = ["execute", "executeAsync"]


@pytest.fixture
def settings(settings):
    """One job per acquisition round, so statistics can be read between any two jobs."""
    return replace(settings, job_acquisition_size=1)


@pytest.fixture
def exclusive(api) -> str:
    return definition_id(api.deploy(EXCLUSIVE))


def post(client, endpoint: str, body):
    return client.post(f"{ROOT}/modification/{endpoint}", json=body)


def start(api, key: str, count: int) -> list[str]:
    return [api.start(key)["id"] for _ in range(count)]


def shapes(api, instance_ids) -> list:
    return [shape(api.tree(i)) for i in instance_ids]


# ------------------------------------------------------------------- request validation (B.2)
CANCEL_TASK1 = {"type": "cancel", "activityId": "task1"}


def validation_cases(pd: str):
    """(body, message) pairs in Camunda's checking order; later problems are present but lose."""
    unknown = "unknownDefinition:1:x"
    return [
        ({}, "processDefinitionId is null"),
        # openapi.yaml declares processDefinitionId a required string: an explicit null fails the
        # schema before Camunda's check
        ({"processDefinitionId": None, "instructions": [{"type": "cancel"}],
          "processInstanceIds": [None]}, "None is not of type 'string' - 'processDefinitionId'"),
        ({"processDefinitionId": unknown, "instructions": [{"type": "cancel"}]},
         "For instruction type 'cancel': 'activityId' must be set"),
        ({"processDefinitionId": unknown, "instructions": [{"type": "startBeforeActivity"}]},
         "For instruction type 'startBeforeActivity': 'activityId' must be set"),
        ({"processDefinitionId": unknown, "instructions": [{"type": "startAfterActivity"}]},
         "For instruction type 'startAfterActivity': 'activityId' must be set"),
        ({"processDefinitionId": unknown,
          "instructions": [{"type": "startTransition", "activityId": "task1"}]},
         "For instruction type 'startTransition': 'transitionId' must be set"),
        # the multi-instance endpoints only know cancel by activityId
        ({"processDefinitionId": pd, "processInstanceIds": ["a"],
          "instructions": [{"type": "cancel", "activityInstanceId": "task1:1"}]},
         "For instruction type 'cancel': 'activityId' must be set"),
        # the first incomplete instruction is reported
        ({"processDefinitionId": pd, "processInstanceIds": ["a"],
          "instructions": [CANCEL_TASK1, {"type": "startAfterActivity", "activityId": ""},
                           {"type": "startTransition"}]},
         "For instruction type 'startAfterActivity': 'activityId' must be set"),
        ({"processDefinitionId": unknown, "processInstanceIds": [None]},
         "Modification instructions cannot be empty is empty"),
        ({"processDefinitionId": unknown, "instructions": [], "processInstanceIds": []},
         "Modification instructions cannot be empty is empty"),
        ({"processDefinitionId": unknown, "instructions": [CANCEL_TASK1]},
         "Process instance ids cannot be empty: Process instance ids is empty"),
        ({"processDefinitionId": unknown, "instructions": [CANCEL_TASK1],
          "processInstanceIds": []},
         "Process instance ids cannot be empty: Process instance ids is empty"),
        ({"processDefinitionId": unknown, "instructions": [CANCEL_TASK1],
          "processInstanceQuery": {"processDefinitionKey": "noSuchKey"}},
         "Process instance ids cannot be empty: Process instance ids is empty"),
        ({"processDefinitionId": unknown, "instructions": [CANCEL_TASK1],
          "processInstanceIds": ["a", None]},
         "Process instance ids cannot be null: Process instance ids contains null value"),
    ]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_validation_messages_in_camundas_order(client, exclusive, endpoint):
    """Each problem is a 400 InvalidRequestException (code null); the earliest check wins."""
    for body, message in validation_cases(exclusive):
        response = post(client, endpoint, body)
        assert (response.status_code, response.json()) == (
            400, error("InvalidRequestException", message)), body
    assert client.get(f"{ROOT}/batch/count").json() == {"count": 0}
    assert client.get(f"{ROOT}/history/batch/count").json() == {"count": 0}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_unknown_definition_is_404(client, exclusive, endpoint):
    """A processDefinitionId naming no definition: Camunda's InvalidRequestException and message,
    as a 404 (Camunda answers 400), once the request itself passed the checks."""
    unknown = "unknownDefinition:1:x"
    response = post(client, endpoint, {"processDefinitionId": unknown,
                                       "instructions": [CANCEL_TASK1], "processInstanceIds": ["a"]})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "InvalidRequestException",
        f"no deployed process definition found with id '{unknown}': processDefinition is null")
    assert client.get(f"{ROOT}/batch/count").json() == {"count": 0}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_query_that_matches_nothing_leaves_no_ids(api, client, exclusive, endpoint):
    """A processInstanceQuery without matches is the empty-ids error, whatever else runs."""
    start(api, EXCLUSIVE, 2)
    response = post(client, endpoint, {
        "processDefinitionId": exclusive, "instructions": TO_TASK2,
        "processInstanceQuery": {"businessKey": "nobody"}})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        "Process instance ids cannot be empty: Process instance ids is empty")


# ------------------------------------------------------------------------ synchronous execute
def test_execute_modifies_ids_and_query_matches_and_answers_204(api, client, exclusive):
    """Ids and query results are modified in one go; instances outside the selection are not."""
    a, b, c, untouched = start(api, EXCLUSIVE, 4)
    response = post(client, "execute", {
        "processDefinitionId": exclusive, "instructions": TO_TASK2,
        "processInstanceIds": [a, b],
        "processInstanceQuery": {"processInstanceIds": [b, c]}})
    assert response.status_code == 204 and response.content == b""
    assert shapes(api, [a, b, c]) == [[("task2", [])]] * 3
    assert shapes(api, [untouched]) == [[("task1", [])]]


def test_execute_runs_instructions_in_order_on_the_nested_model(api, client):
    """cancel outerTask, startBefore innerTask: a second innerTask in the running sub-process."""
    pd = definition_id(api.deploy(NESTED))
    [pid] = start(api, "nestedOneTaskProcess", 1)
    response = post(client, "execute", {
        "processDefinitionId": pd, "processInstanceIds": [pid],
        "instructions": [{"type": "cancel", "activityId": "outerTask"},
                         {"type": "startBeforeActivity", "activityId": "innerTask"}]})
    assert response.status_code == 204
    assert shape(api.tree(pid)) == [("subProcess", [("innerTask", []), ("innerTask", [])])]


@pytest.mark.parametrize("instruction, message", UNKNOWN_ELEMENTS)
def test_execute_with_an_unknown_element_is_400_and_changes_nothing(api, client, exclusive,
                                                                    instruction, message):
    """A NotValidException from an instruction is rewrapped as 400 InvalidRequestException."""
    pids = start(api, EXCLUSIVE, 2)
    response = post(client, "execute", {"processDefinitionId": exclusive,
                                        "processInstanceIds": pids,
                                        "instructions": [CANCEL_TASK1, instruction]})
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException", message.format(pd=exclusive))
    assert shapes(api, pids) == [[("task1", [])]] * 2


def test_execute_with_a_missing_instance_is_404_and_all_or_nothing(api, client, exclusive):
    """ENGINE-13036 for one instance (a 404 here, Camunda's 500) rolls back the instances already
    modified before it."""
    a, b = start(api, EXCLUSIVE, 2)
    response = post(client, "execute", {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                                        "processInstanceIds": [a, "missing", b]})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "ProcessEngineException",
        "ENGINE-13036 Process instance 'missing' cannot be modified. The process instance does "
        "not exist", 0)
    assert shapes(api, [a, b]) == [[("task1", [])]] * 2


def test_execute_on_an_instance_of_another_definition_is_400(api, client, exclusive):
    """ENGINE-13037 names the instance's own definition and the requested one (Camunda: 500)."""
    nested = definition_id(api.deploy(NESTED))
    [pid] = start(api, "nestedOneTaskProcess", 1)
    response = post(client, "execute", {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                                        "processInstanceIds": [pid]})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "ProcessEngineException",
        f"ENGINE-13037 Process instance '{pid}' cannot be modified. Its process definition "
        f"'{nested}' does not match given process definition '{exclusive}'", 0)


def test_start_after_a_fork_with_two_flows_is_400(api, client):
    """startAfterActivity needs a single outgoing flow: the engine's ProcessEngineException, as a
    400 (Camunda answers 500)."""
    pd = definition_id(api.deploy(NESTED))
    [pid] = start(api, "nestedOneTaskProcess", 1)
    response = post(client, "execute", {
        "processDefinitionId": pd, "processInstanceIds": [pid],
        "instructions": [{"type": "startAfterActivity", "activityId": "fork"}]})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "ProcessEngineException",
        "Cannot start after activity fork; activity has more than one outgoing sequence flow", 0)


def test_cancelling_an_activity_without_instances_is_a_no_op(api, client, exclusive):
    """cancel of an inactive or unknown activity id cancels nothing and is no error."""
    [pid] = start(api, EXCLUSIVE, 1)
    response = post(client, "execute", {
        "processDefinitionId": exclusive, "processInstanceIds": [pid],
        "instructions": [{"type": "cancel", "activityId": "task2"},
                         {"type": "cancel", "activityId": "noSuchActivity"}]})
    assert response.status_code == 204
    assert shape(api.tree(pid)) == [("task1", [])]


def test_single_instance_fields_are_ignored_by_the_multi_instance_endpoint(api, client, exclusive):
    """variables and ancestorActivityInstanceId on /modification/execute are ignored."""
    [pid] = start(api, EXCLUSIVE, 1)
    response = post(client, "execute", {
        "processDefinitionId": exclusive, "processInstanceIds": [pid],
        "instructions": [{"type": "startBeforeActivity", "activityId": "task2",
                          "ancestorActivityInstanceId": "noSuchInstance",
                          "variables": {"x": {"value": 1, "type": "Integer"}}}]})
    assert response.status_code == 204
    assert shape(api.tree(pid)) == [("task1", []), ("task2", [])]
    assert client.get(f"{ROOT}/process-instance/{pid}/variables").json() == {}


def test_cancelling_everything_ends_the_instance(api, client, exclusive):
    """An instance left without activity instances after the last instruction is gone."""
    [pid] = start(api, EXCLUSIVE, 1)
    response = post(client, "execute", {"processDefinitionId": exclusive,
                                        "processInstanceIds": [pid],
                                        "instructions": [CANCEL_TASK1]})
    assert response.status_code == 204
    assert client.get(f"{ROOT}/process-instance/{pid}").status_code == 404


# ---------------------------------------------------------------------- asynchronous (batch)
@pytest.mark.parametrize("instances, total_jobs", [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_execute_async_answers_the_new_batch(client, exclusive, instances, total_jobs):
    """executeAsync returns the full BatchDto: totalJobs = ceil(n / 100), nothing run yet."""
    started = pin(datetime(2026, 1, 2, 3, 4, 5, 678000))
    batch = create_batch(client, exclusive, [f"pi-{n}" for n in range(instances)])
    assert re.fullmatch(UUID, batch["id"])
    assert batch == {
        "id": batch["id"], "type": "instance-modification", "totalJobs": total_jobs,
        "jobsCreated": 0, "batchJobsPerSeed": 100, "invocationsPerBatchJob": 100,
        "seedJobDefinitionId": batch["seedJobDefinitionId"],
        "monitorJobDefinitionId": batch["monitorJobDefinitionId"],
        "batchJobDefinitionId": batch["batchJobDefinitionId"],
        "suspended": False, "tenantId": None, "createUserId": None, "startTime": started,
        "executionStartTime": None}
    assert client.get(f"{ROOT}/batch/{batch['id']}").json() == batch


def test_the_batch_has_three_job_definitions_and_a_seed_job(api, client):
    """Seed, monitor and execution job definitions carry the batch id; one seed job waits."""
    deployment = api.deploy(EXCLUSIVE)
    batch = create_batch(client, definition_id(deployment), ["a", "b"])
    response = client.get(f"{ROOT}/job-definition",
                          params={"jobConfiguration": batch["id"], "sortBy": "jobType",
                                  "sortOrder": "asc"})
    assert response.status_code == 200

    def definition(kind: str, job_type: str, deployment_id=None) -> dict:
        return {"id": batch[f"{kind}JobDefinitionId"], "processDefinitionId": None,
                "processDefinitionKey": None, "jobType": job_type,
                "jobConfiguration": batch["id"], "activityId": None, "suspended": False,
                "overridingJobPriority": None, "tenantId": None, "deploymentId": deployment_id}

    assert response.json() == [definition("monitor", "batch-monitor-job"),
                                definition("seed", "batch-seed-job", deployment["id"]),
                                definition("batch", "instance-modification")]
    [seed] = jobs_of(client, batch, "seed")
    assert (seed["batchId"], seed["retries"], seed["dueDate"]) == (batch["id"], 3, None)
    assert jobs_of(client, batch, "monitor") == jobs_of(client, batch, "batch") == []


def test_execute_async_validates_neither_instances_nor_activities(api, client, exclusive):
    """Unknown instances and activity ids are accepted at creation; the jobs fail later."""
    batch = execute_async(client, {
        "processDefinitionId": exclusive, "processInstanceIds": ["missing"],
        "instructions": [{"type": "startBeforeActivity", "activityId": "nope"}]})
    assert batch["totalJobs"] == 1


def test_ids_and_query_are_united_without_duplicates_and_frozen(api, client, app, exclusive):
    """A batch holds ids ∪ query results at creation; later instances stay untouched."""
    a, b, c = start(api, EXCLUSIVE, 3)
    batch = execute_async(client, {
        "processDefinitionId": exclusive, "instructions": TO_TASK2,
        "processInstanceIds": [a, b, a],
        "processInstanceQuery": {"processDefinitionId": exclusive}})
    late = api.start(EXCLUSIVE)["id"]
    items = client.get(f"{ROOT}/batch/{batch['id']}/items").json()
    assert sorted(item["processInstanceId"] for item in items) == sorted([a, b, c])
    assert app.engine.job_executor.run_until_idle() > 0
    assert shapes(api, [a, b, c]) == [[("task2", [])]] * 3
    assert shape(api.tree(late)) == [("task1", [])]
    assert client.get(f"{ROOT}/history/batch/{batch['id']}/items/count",
                      params={"status": "modified"}).json() == {"count": 3}


def test_user_story_300_instances_through_a_batch(api, client, app):
    """Deploy, start 300, executeAsync by query, watch the statistics drain, find it in history."""
    pd = definition_id(api.deploy(NESTED))
    pids = start(api, "nestedOneTaskProcess", 300)
    assert shape(api.tree(pids[0])) == [("outerTask", []), ("subProcess", [("innerTask", [])])]
    batch = execute_async(client, {
        "processDefinitionId": pd,
        "processInstanceQuery": {"processDefinitionKey": "nestedOneTaskProcess"},
        "instructions": [{"type": "cancel", "activityId": "outerTask"},
                         {"type": "startBeforeActivity", "activityId": "innerTask"}]})
    assert (batch["totalJobs"], batch["jobsCreated"]) == (3, 0)
    assert statistics(client, batch["id"]) == [
        batch_dto(batch) | {"remainingJobs": 3, "completedJobs": 0, "failedJobs": 0}]

    readings = []
    for _ in range(20):  # seed + 3 execution jobs + monitor polls; far fewer than 20 rounds
        current = statistics(client, batch["id"])
        if not current:
            break
        [row] = current
        reading = (row["jobsCreated"], row["remainingJobs"], row["completedJobs"],
                   row["failedJobs"])
        if not readings or readings[-1] != reading:
            readings.append(reading)
        assert app.engine.job_executor.run_once() == 1
    assert readings == [(0, 3, 0, 0), (3, 3, 0, 0), (3, 2, 1, 0), (3, 1, 2, 0), (3, 0, 3, 0)]

    assert client.get(f"{ROOT}/batch").json() == []
    assert client.get(f"{ROOT}/batch/statistics").json() == []
    assert client.get(f"{ROOT}/batch/{batch['id']}").status_code == 404
    assert client.get(f"{ROOT}/job", params={"batchId": batch["id"]}).json() == []
    assert client.get(f"{ROOT}/job-definition",
                      params={"jobConfiguration": batch["id"]}).json() == []
    historic = client.get(f"{ROOT}/history/batch/{batch['id']}").json()
    assert DATE.match(historic["endTime"]) and DATE.match(historic["executionStartTime"])
    assert historic == {
        "id": batch["id"], "type": "instance-modification", "totalJobs": 3,
        "batchJobsPerSeed": 100, "invocationsPerBatchJob": 100,
        "seedJobDefinitionId": batch["seedJobDefinitionId"],
        "monitorJobDefinitionId": batch["monitorJobDefinitionId"],
        "batchJobDefinitionId": batch["batchJobDefinitionId"], "tenantId": None,
        "createUserId": None, "startTime": batch["startTime"], "endTime": historic["endTime"],
        "removalTime": None, "executionStartTime": historic["executionStartTime"]}
    assert client.get(f"{ROOT}/history/batch/{batch['id']}/items/count",
                      params={"status": "modified"}).json() == {"count": 300}
    expected = [("subProcess", [("innerTask", []), ("innerTask", [])])]
    assert shapes(api, pids) == [expected] * 300


def test_a_batch_job_meets_an_instance_deleted_after_creation(api, client, app, exclusive):
    """Instances are not re-checked at creation: a deleted one fails its job, the others succeed."""
    a, gone = start(api, EXCLUSIVE, 2)
    batch = execute_async(client, {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                                   "processInstanceIds": [a, gone]})
    delete_instance(client, gone)
    app.engine.job_executor.run_until_idle()
    [job] = jobs_of(client, batch, "batch")
    assert (job["retries"], job["exceptionMessage"]) == (
        0, f"ENGINE-13036 Process instance '{gone}' cannot be modified. The process instance "
           "does not exist")
    assert shape(api.tree(a)) == [("task2", [])]
    [row] = statistics(client, batch["id"])
    assert (row["remainingJobs"], row["completedJobs"], row["failedJobs"]) == (1, 0, 1)
