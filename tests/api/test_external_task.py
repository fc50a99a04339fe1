"""/external-task: fetch and lock (topics, variables, priority, long polling), complete, failure
with retries and incidents, BPMN errors, locks, retries, priority, error details and queries,
on process instances started through the REST API."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from modbatch.engine import clock
from tests.api.batching import pin
from tests.api.conftest import DATE, error

ROOT = "/engine-rest"
T0 = datetime(2026, 6, 1, 12, 0, 0)
STAMP = "2026-06-01T12:00:00.000+0000"
PARALLEL = "camunda-external-task-client-python3__parallel_steps_example.bpmn"
BPMN_ERROR = "camunda-external-task-client-python3__bpmn_error_example.bpmn"

SCOPES = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="scopes" isExecutable="true" camunda:versionTag="v7">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="sub"/>
    <subProcess id="sub">
      <extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="shadowed">sub</camunda:inputParameter>
        <camunda:inputParameter name="subOnly">inner</camunda:inputParameter>
      </camunda:inputOutput></extensionElements>
      <startEvent id="subStart"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="work"/>
      <serviceTask id="work" camunda:type="external" camunda:topic="work">
        <extensionElements><camunda:inputOutput>
          <camunda:inputParameter name="local">mine</camunda:inputParameter>
        </camunda:inputOutput></extensionElements>
      </serviceTask>
      <sequenceFlow id="s2" sourceRef="work" targetRef="subEnd"/>
      <endEvent id="subEnd"/>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="sub" targetRef="review"/>
    <userTask id="review"/>
    <sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def post(client, path: str, body: dict | None = None):
    return client.post(f"{ROOT}{path}", json=body if body is not None else {})


def fetch(client, worker: str = "w1", topics=("work",), max_tasks: int = 10, **extra) -> list:
    body = {"workerId": worker, "maxTasks": max_tasks,
            "topics": [{"topicName": t, "lockDuration": 10_000} if isinstance(t, str) else t
                       for t in topics], **extra}
    response = post(client, "/external-task/fetchAndLock", body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def get_task(client, task_id: str) -> dict:
    response = client.get(f"{ROOT}/external-task/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()


def tasks_of(client, **query) -> list[dict]:
    response = client.get(f"{ROOT}/external-task", params=query)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response, status: int, type_: str, message: str, code=0) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(type_, message, code)


@pytest.fixture
def scopes(api, client):
    """One instance of the inline model, its external task waiting inside the sub-process."""
    pin(T0)
    response = api.deploy_xml(SCOPES)
    assert response.status_code == 200, response.text
    definition = next(iter(response.json()["deployedProcessDefinitions"].values()))
    instance = api.start("scopes", businessKey="order-1", variables={
        "shadowed": {"value": "process"}, "amount": {"value": 42, "type": "Long"}})
    return definition, instance


@pytest.fixture
def parallel(api, client):
    pin(T0)
    api.deploy(PARALLEL)
    instances = [api.start("PARALLEL_STEPS_EXAMPLE", businessKey=f"b{i}")["id"] for i in range(2)]
    return instances


# ------------------------------------------------------------------ fetch and lock
def test_fetch_locks_the_task_and_answers_the_full_dto(client, scopes):
    """fetchAndLock answers LockedExternalTaskDto with every key and locks for lockDuration."""
    definition, instance = scopes
    [locked] = fetch(client, variables=None, topics=[
        {"topicName": "work", "lockDuration": 60_000, "variables": ["amount"]}])
    assert locked == {
        "activityId": "work", "activityInstanceId": locked["activityInstanceId"],
        "errorMessage": None, "errorDetails": None, "executionId": locked["executionId"],
        "id": locked["id"], "lockExpirationTime": "2026-06-01T12:01:00.000+0000",
        "createTime": STAMP, "processDefinitionId": definition["id"],
        "processDefinitionKey": "scopes", "processDefinitionVersionTag": "v7",
        "processInstanceId": instance["id"], "retries": None, "suspended": False,
        "workerId": "w1", "topicName": "work", "tenantId": None, "priority": 0,
        "businessKey": "order-1",
        "variables": {"amount": {"type": "Long", "value": 42, "valueInfo": {}}},
        "extensionProperties": {}}
    assert locked["activityInstanceId"].startswith("work:")
    assert get_task(client, locked["id"]) == {
        key: value for key, value in locked.items()
        if key not in ("errorDetails", "variables", "extensionProperties")}
    assert fetch(client, worker="w2") == []  # locked: nobody else gets it
    pin(T0 + timedelta(seconds=61))
    [again] = fetch(client, worker="w2")  # the lock expired
    assert (again["id"], again["workerId"]) == (locked["id"], "w2")


def test_fetch_variables_walk_the_scope_chain_nearest_first(client, scopes):
    """All variables by default, the nearest scope winning; localVariables: the activity's own;
    an empty name list: none."""
    [locked] = fetch(client)
    assert {name: v["value"] for name, v in locked["variables"].items()} == {
        "amount": 42, "local": "mine", "shadowed": "sub", "subOnly": "inner"}
    client.post(f"{ROOT}/external-task/{locked['id']}/unlock")
    [local] = fetch(client, topics=[{"topicName": "work", "lockDuration": 1000,
                                     "localVariables": True}])
    assert local["variables"] == {"local": {"type": "String", "value": "mine", "valueInfo": {}}}
    client.post(f"{ROOT}/external-task/{locked['id']}/unlock")
    [none] = fetch(client, topics=[{"topicName": "work", "lockDuration": 1000, "variables": []}])
    assert none["variables"] == {}


def test_fetch_honours_max_tasks_topics_priority_and_filters(client, parallel):
    """maxTasks caps the total over topics; usePriority puts higher priorities first; topic
    filters (businessKey, processDefinitionKey, processVariables) narrow per topic."""
    first, second = parallel
    [step2_of_second] = tasks_of(client, processInstanceId=second, activityId="PARALLEL_STEP_2")
    response = client.put(f"{ROOT}/external-task/{step2_of_second['id']}/priority",
                          json={"priority": 9})
    assert response.status_code == 204
    [top] = fetch(client, topics=("PARALLEL_STEP_1", "PARALLEL_STEP_2"), max_tasks=1,
                  usePriority=True)
    assert (top["id"], top["priority"]) == (step2_of_second["id"], 9)
    only_b0 = fetch(client, topics=[{"topicName": "PARALLEL_STEP_1", "lockDuration": 1000,
                                     "businessKey": "b0",
                                     "processDefinitionKey": "PARALLEL_STEPS_EXAMPLE"}])
    assert [t["processInstanceId"] for t in only_b0] == [first]
    assert fetch(client, topics=[{"topicName": "PARALLEL_STEP_1", "lockDuration": 1000,
                                  "processVariables": {"missing": 1}}]) == []
    rest = fetch(client, topics=("PARALLEL_STEP_1", "PARALLEL_STEP_2"))
    assert sorted((t["processInstanceId"], t["activityId"]) for t in rest) == sorted(
        [(first, "PARALLEL_STEP_2"), (second, "PARALLEL_STEP_1")])


@pytest.mark.parametrize("body, status, type_, message", [
    ({"maxTasks": 1, "topics": []}, 400, "NullValueException", "workerId is null"),
    ({"workerId": "w", "maxTasks": -1}, 400, "ProcessEngineException",
     "maxResults is not greater than or equal to 0"),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"lockDuration": 5}]}, 400,
     "NullValueException", "topicName is null"),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t"}]}, 400,
     "ProcessEngineException", "lockTime is not greater than 0"),
    ({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 1_800_001}, 400,
     "InvalidRequestException", "The asynchronous response timeout cannot be set to a value "
     "greater than 1800000 milliseconds"),
])
def test_fetch_rejects_what_camunda_rejects(client, body, status, type_, message):
    """Invalid fetch requests answer 400 with Camunda's types and messages (the engine's
    exceptions are Camunda's 500s)."""
    response = post(client, "/external-task/fetchAndLock", body)
    assert_error(response, status, type_, message,
                 None if type_ == "InvalidRequestException" else 0)


def test_long_polling_waits_for_the_timeout_when_nothing_comes(client, api):
    """asyncResponseTimeout: an empty answer only once the timeout has passed."""
    started = time.monotonic()
    assert fetch(client, asyncResponseTimeout=600) == []
    assert time.monotonic() - started >= 0.6


def test_long_polling_answers_as_soon_as_a_task_appears(client, api):
    """A waiting fetch returns the task that a process instance creates meanwhile."""
    api.deploy(PARALLEL)

    def start_later():
        time.sleep(0.4)
        api.start("PARALLEL_STEPS_EXAMPLE")

    starter = threading.Thread(target=start_later)
    started = time.monotonic()
    starter.start()
    locked = fetch(client, topics=("PARALLEL_STEP_1",), asyncResponseTimeout=20_000)
    starter.join()
    assert [t["activityId"] for t in locked] == ["PARALLEL_STEP_1"]
    assert time.monotonic() - started < 10


# ------------------------------------------------------------------ complete
def test_complete_moves_the_instance_on_with_variables(client, api, scopes):
    """complete sets variables (where they exist, else on the instance) and leaves the task."""
    _, instance = scopes
    [locked] = fetch(client)
    response = post(client, f"/external-task/{locked['id']}/complete", {
        "workerId": "w1", "variables": {"amount": {"value": 7, "type": "Long"},
                                        "approved": {"value": True}},
        "localVariables": {"note": {"value": "done"}}})
    assert response.status_code == 204, response.text
    assert tasks_of(client) == []
    [review] = api.tasks(processInstanceId=instance["id"])
    assert review["taskDefinitionKey"] == "review"
    variables = client.get(f"{ROOT}/process-instance/{instance['id']}/variables").json()
    assert {name: v["value"] for name, v in variables.items()} == {
        "amount": 7, "approved": True, "shadowed": "process"}


def test_complete_by_another_worker_or_unlocked_is_a_400(client, scopes):
    """Only the worker holding the lock may complete; Camunda's message names both workers."""
    [locked] = fetch(client)
    task_id = locked["id"]
    response = post(client, f"/external-task/{task_id}/complete", {"workerId": "w2"})
    assert_error(response, 400, "RestException", f"External Task {task_id} cannot be completed "
                 "by worker 'w2'. It is locked by worker 'w1'.")
    post(client, f"/external-task/{task_id}/unlock")
    response = post(client, f"/external-task/{task_id}/complete", {"workerId": "w1"})
    assert_error(response, 400, "RestException", f"External Task {task_id} cannot be completed "
                 "by worker 'w1'. It is locked by worker 'null'.")


@pytest.mark.parametrize("command", ["complete", "failure", "bpmnError", "extendLock", "lock",
                                     "unlock"])
def test_commands_on_an_unknown_task_are_404(client, command):
    """Every command on an unknown task answers 404 `External task with id X does not exist`."""
    body = {"workerId": "w1", "errorCode": "E", "newDuration": 1000, "lockDuration": 1000}
    response = post(client, f"/external-task/nope/{command}", body)
    assert_error(response, 404, "RestException", "External task with id nope does not exist")


def test_get_unknown_task_is_404(client):
    """GET /external-task/{id} of an unknown id: 404 RestException without code."""
    response = client.get(f"{ROOT}/external-task/nope")
    assert_error(response, 404, "RestException", "External task with id nope does not exist",
                 None)


def test_commands_without_worker_id_are_engine_errors(client, scopes):
    """workerId missing: the engine's NullValueException, a 400 (Camunda answers 500)."""
    [locked] = fetch(client)
    for command in ("complete", "failure", "bpmnError"):
        response = post(client, f"/external-task/{locked['id']}/{command}", {"errorCode": "E"})
        assert_error(response, 400, "NullValueException", "workerId is null")
    response = post(client, f"/external-task/{locked['id']}/bpmnError", {"workerId": "w1"})
    assert_error(response, 400, "NullValueException", "errorCode is null")


def test_suspended_task_cannot_be_completed(client, scopes):
    """A suspended instance's task is suspended: not fetched, not completed (ENGINE-03043)."""
    _, instance = scopes
    [locked] = fetch(client)
    response = client.put(f"{ROOT}/process-instance/{instance['id']}/suspended",
                          json={"suspended": True})
    assert response.status_code == 204
    assert get_task(client, locked["id"])["suspended"] is True
    response = post(client, f"/external-task/{locked['id']}/complete", {"workerId": "w1"})
    assert_error(response, 400, "RestException",
                 f"ENGINE-03043 ExternalTask with id '{locked['id']}' is suspended.")
    post(client, f"/external-task/{locked['id']}/unlock")
    assert fetch(client) == []
    assert tasks_of(client, suspended="true")[0]["id"] == locked["id"]


# ------------------------------------------------------------------ failure, retries, incidents
def test_failure_with_retries_waits_out_the_retry_timeout(client, scopes):
    """failure stores message, details and retries; the task is locked until the retry timeout."""
    [locked] = fetch(client)
    task_id = locked["id"]
    response = post(client, f"/external-task/{task_id}/failure", {
        "workerId": "w1", "errorMessage": "service down", "errorDetails": "Traceback ...",
        "retries": 2, "retryTimeout": 30_000})
    assert response.status_code == 204, response.text
    task = get_task(client, task_id)
    assert (task["errorMessage"], task["retries"], task["workerId"],
            task["lockExpirationTime"]) == ("service down", 2, "w1",
                                            "2026-06-01T12:00:30.000+0000")
    details = client.get(f"{ROOT}/external-task/{task_id}/errorDetails")
    assert details.status_code == 200
    assert details.headers["content-type"].startswith("text/plain")
    assert details.text == "Traceback ..."
    assert fetch(client, worker="w2") == []
    assert client.get(f"{ROOT}/incident").json() == []
    pin(T0 + timedelta(seconds=31))
    [again] = fetch(client, worker="w2")
    assert (again["retries"], again["errorMessage"], again["errorDetails"]) == (
        2, "service down", "Traceback ...")


def test_failure_without_retries_opens_an_incident_that_retries_resolve(client, scopes):
    """retries 0: a failedExternalTask incident with the message; PUT retries > 0 resolves it."""
    definition, instance = scopes
    [locked] = fetch(client)
    task_id = locked["id"]
    post(client, f"/external-task/{task_id}/failure", {"workerId": "w1",
                                                      "errorMessage": "gave up"})
    [incident] = client.get(f"{ROOT}/incident", params={"processInstanceId": instance["id"]}).json()
    assert incident == {
        "id": incident["id"], "processDefinitionId": definition["id"],
        "processInstanceId": instance["id"], "executionId": locked["executionId"],
        "incidentTimestamp": STAMP, "incidentType": "failedExternalTask", "activityId": "work",
        "failedActivityId": None, "causeIncidentId": incident["id"],
        "rootCauseIncidentId": incident["id"], "configuration": task_id,
        "incidentMessage": "gave up", "tenantId": None, "jobDefinitionId": None,
        "annotation": None}
    assert fetch(client) == []
    assert [t["id"] for t in tasks_of(client, noRetriesLeft="true")] == [task_id]
    response = client.put(f"{ROOT}/external-task/{task_id}/retries", json={"retries": 1})
    assert response.status_code == 204
    assert client.get(f"{ROOT}/incident").json() == []
    assert [t["id"] for t in fetch(client)] == [task_id]


def test_set_retries_errors(client, scopes):
    """Null retries 400 InvalidRequest; negative 400 BadUserRequest; unknown task 404."""
    [task] = tasks_of(client)
    response = client.put(f"{ROOT}/external-task/{task['id']}/retries", json={})
    assert_error(response, 400, "InvalidRequestException", "The number of retries cannot be null.",
                 None)
    response = client.put(f"{ROOT}/external-task/{task['id']}/retries", json={"retries": -1})
    assert_error(response, 400, "BadUserRequestException", "The number of retries cannot be "
                 "negative: retries is not greater than or equal to 0")
    response = client.put(f"{ROOT}/external-task/nope/retries", json={"retries": 1})
    assert_error(response, 404, "RestException", "External task with id nope does not exist")


def test_set_retries_of_many_tasks(client, parallel):
    """PUT /external-task/retries: the union of ids, instances and queries; zero opens
    incidents; nothing chosen is a 400."""
    first, _ = parallel
    response = client.put(f"{ROOT}/external-task/retries", json={
        "retries": 0, "processInstanceIds": [first],
        "externalTaskQuery": {"activityId": "PARALLEL_STEP_1"}})
    assert response.status_code == 204, response.text
    assert len(client.get(f"{ROOT}/incident").json()) == 3
    assert len(tasks_of(client, noRetriesLeft="true")) == 3
    response = client.put(f"{ROOT}/external-task/retries",
                          json={"retries": 1, "externalTaskIds": ["nope"]})
    assert_error(response, 400, "InvalidRequestException", "externalTaskIds is empty", None)


def test_error_details_of_unknown_task_and_of_a_task_without_failure(client, scopes):
    """No details yet: 204 without body; unknown task: the engine's NullValueException, a 404
    (Camunda answers 500)."""
    [task] = tasks_of(client)
    response = client.get(f"{ROOT}/external-task/{task['id']}/errorDetails")
    assert response.status_code == 204
    assert response.content == b""
    response = client.get(f"{ROOT}/external-task/nope/errorDetails")
    assert_error(response, 404, "NullValueException",
                 "No external task found with id nope: externalTask is null")


# ------------------------------------------------------------------ BPMN error
def test_bpmn_error_is_caught_by_the_matching_boundary_event(client, api):
    """bpmnError INVALID_IMAGE leaves VALIDATE_IMAGE through the INVALID_IMAGE boundary event."""
    pin(T0)
    api.deploy(BPMN_ERROR)
    instance = api.start("BPMN_ERROR_EXAMPLE")
    [locked] = fetch(client, topics=("VALIDATE_IMAGE",))
    response = post(client, f"/external-task/{locked['id']}/bpmnError", {
        "workerId": "w1", "errorCode": "INVALID_IMAGE", "errorMessage": "not a JPEG",
        "variables": {"checked": {"value": True}}})
    assert response.status_code == 204, response.text
    assert [t["activityId"] for t in tasks_of(client, processInstanceId=instance["id"])] == [
        "REJECT_IMAGE"]
    variables = client.get(f"{ROOT}/process-instance/{instance['id']}/variables").json()
    assert {name: v["value"] for name, v in variables.items()} == {
        "checked": True, "rejection_code": "INVALID_IMAGE", "rejection_reason": "not a JPEG"}


def test_bpmn_error_by_another_worker_is_a_400(client, scopes):
    """Only the lock holder may report a BPMN error."""
    [locked] = fetch(client)
    response = post(client, f"/external-task/{locked['id']}/bpmnError",
                    {"workerId": "w2", "errorCode": "E"})
    assert_error(response, 400, "RestException", f"Bpmn error of External Task {locked['id']} "
                 "cannot be reported by worker 'w2'. It is locked by worker 'w1'.")


# ------------------------------------------------------------------ locks
def test_lock_extend_lock_and_unlock(client, scopes):
    """lock by id, extendLock from now by its holder only, unlock by anyone."""
    [task] = tasks_of(client)
    task_id = task["id"]
    response = post(client, f"/external-task/{task_id}/lock",
                    {"workerId": "w1", "lockDuration": 5000})
    assert response.status_code == 204, response.text
    assert get_task(client, task_id)["lockExpirationTime"] == "2026-06-01T12:00:05.000+0000"
    response = post(client, f"/external-task/{task_id}/lock",
                    {"workerId": "w2", "lockDuration": 5000})
    assert_error(response, 400, "RestException", f"External Task {task_id} cannot be locked by "
                 "worker 'w2'. It is locked by worker 'w1'.")
    response = post(client, f"/external-task/{task_id}/extendLock",
                    {"workerId": "w2", "newDuration": 1000})
    assert_error(response, 400, "RestException", f"The lock of the External Task {task_id} cannot "
                 "be extended by worker 'w2''. It is locked by worker 'w1'.")
    response = post(client, f"/external-task/{task_id}/extendLock",
                    {"workerId": "w1", "newDuration": 0})
    assert_error(response, 400, "RestException", "lockTime is not greater than 0")
    pin(T0 + timedelta(seconds=2))
    response = post(client, f"/external-task/{task_id}/extendLock",
                    {"workerId": "w1", "newDuration": 60_000})
    assert response.status_code == 204
    assert get_task(client, task_id)["lockExpirationTime"] == "2026-06-01T12:01:02.000+0000"
    pin(T0 + timedelta(minutes=5))
    response = post(client, f"/external-task/{task_id}/extendLock",
                    {"workerId": "w1", "newDuration": 1000})
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "Cannot extend a lock that expired: lockExpirationTime is not greater than or equal to ")
    assert post(client, f"/external-task/{task_id}/unlock").status_code == 204
    task = get_task(client, task_id)
    assert (task["workerId"], task["lockExpirationTime"]) == (None, None)


# ------------------------------------------------------------------ queries
def test_queries_filter_sort_page_and_count(client, parallel):
    """GET/POST /external-task and their counts: filters, sorting, paging, one SQL query."""
    first, second = parallel
    assert len(tasks_of(client)) == 4
    assert all(DATE.match(t["createTime"]) for t in tasks_of(client))
    fetch(client, topics=("PARALLEL_STEP_1",), max_tasks=1)
    locked = tasks_of(client, locked="true")
    assert [t["workerId"] for t in locked] == ["w1"]
    assert len(tasks_of(client, notLocked="true")) == 3
    assert len(tasks_of(client, workerId="w1", topicName="PARALLEL_STEP_1")) == 1
    assert {t["processInstanceId"] for t in tasks_of(client, processInstanceIdIn=f"{first},x")} \
        == {first}
    assert len(tasks_of(client, activityIdIn="PARALLEL_STEP_2", withRetriesLeft="true")) == 2
    assert len(tasks_of(client, lockExpirationAfter="2026-06-01T11:00:00.000+0000")) == 1
    ordered = tasks_of(client, sortBy="processInstanceId", sortOrder="desc", maxResults=2)
    assert [t["processInstanceId"] for t in ordered] == [max(first, second)] * 2
    response = client.post(f"{ROOT}/external-task", params={"firstResult": 1}, json={
        "activityIdIn": ["PARALLEL_STEP_1", "PARALLEL_STEP_2"],
        "sorting": [{"sortBy": "id", "sortOrder": "asc"}]})
    assert response.status_code == 200
    ids = sorted(t["id"] for t in tasks_of(client))
    assert [t["id"] for t in response.json()] == ids[1:]
    assert client.get(f"{ROOT}/external-task/count", params={"locked": "true"}).json() == {
        "count": 1}
    assert client.post(f"{ROOT}/external-task/count", json={"topicName": "PARALLEL_STEP_2"}
                       ).json() == {"count": 2}
    response = client.get(f"{ROOT}/external-task", params={"sortBy": "nope", "sortOrder": "asc"})
    assert_error(response, 400, "InvalidRequestException",
                 "Cannot set query parameter 'sortBy' to value 'nope'", None)


def test_topic_names(client, parallel):
    """GET /external-task/topic-names: distinct, sorted, filtered by lock and retries."""
    response = client.get(f"{ROOT}/external-task/topic-names")
    assert response.status_code == 200
    assert response.json() == ["PARALLEL_STEP_1", "PARALLEL_STEP_2"]
    fetch(client, topics=("PARALLEL_STEP_2",), max_tasks=2)
    assert client.get(f"{ROOT}/external-task/topic-names",
                      params={"withLockedTasks": "true"}).json() == ["PARALLEL_STEP_2"]
    assert client.get(f"{ROOT}/external-task/topic-names",
                      params={"withUnlockedTasks": "true"}).json() == ["PARALLEL_STEP_1"]


def test_parallel_steps_run_to_the_end(client, app, parallel):
    """Both parallel steps, then the combine step, completed by a worker: the instance ends."""
    first, _ = parallel
    for topics in (("PARALLEL_STEP_1", "PARALLEL_STEP_2"), ("COMBINE_STEP",)):
        app.engine.job_executor.run_until_idle()  # the join's asyncAfter, once supported
        for task in fetch(client, topics=[{"topicName": t, "lockDuration": 1000,
                                           "processDefinitionKey": "PARALLEL_STEPS_EXAMPLE",
                                           "businessKey": "b0"} for t in topics]):
            response = post(client, f"/external-task/{task['id']}/complete", {"workerId": "w1"})
            assert response.status_code == 204, response.text
    app.engine.job_executor.run_until_idle()
    response = client.get(f"{ROOT}/process-instance/{first}")
    assert response.status_code == 404
    assert clock.now() == T0
