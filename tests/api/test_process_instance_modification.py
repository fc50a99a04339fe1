"""POST /process-instance/{id}/modification and /process-instance/{id}/modification-async."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.batching import (
    UNKNOWN_ELEMENTS,
    EXCLUSIVE, NESTED, ROOT, TO_TASK2, delete_instance, jobs_of, pin, shape,
)
from tests.api.conftest import error

NOT_FOUND = ("ENGINE-13036 Process instance '{id}' cannot be modified. The process instance does "
             "not exist")


def modify(client, instance_id: str, body, *, asynchronous: bool = False):
    suffix = "modification-async" if asynchronous else "modification"
    return client.post(f"{ROOT}/process-instance/{instance_id}/{suffix}", json=body)


@pytest.fixture
def exclusive(api) -> dict:
    """A running exclusiveGateway instance, waiting in task1."""
    api.deploy(EXCLUSIVE)
    return api.start(EXCLUSIVE)


@pytest.fixture
def nested(api) -> dict:
    """A running nestedOneTaskProcess instance: outerTask beside subProcess[innerTask]."""
    api.deploy(NESTED)
    return api.start("nestedOneTaskProcess")


def child(tree: dict, activity_id: str) -> dict:
    [found] = [c for c in tree["childActivityInstances"] if c["activityId"] == activity_id]
    return found


# ------------------------------------------------------------------------------ synchronous
def test_modification_answers_204_and_changes_the_tree(api, client, exclusive):
    """cancel task1 + startBefore task2 runs at once; the instance now waits in task2 only."""
    response = modify(client, exclusive["id"], {"instructions": TO_TASK2})
    assert response.status_code == 204 and response.content == b""
    assert shape(api.tree(exclusive["id"])) == [("task2", [])]
    [task] = api.tasks(processInstanceId=exclusive["id"])
    assert task["taskDefinitionKey"] == "task2"


@pytest.mark.parametrize("body", [{}, {"instructions": []}, {"instructions": None},
                                  {"instructions": [], "skipCustomListeners": True}])
def test_empty_instructions_are_a_no_op(api, client, exclusive, body):
    """Without instructions nothing happens, and the answer is still 204."""
    response = modify(client, exclusive["id"], body)
    assert response.status_code == 204
    assert shape(api.tree(exclusive["id"])) == [("task1", [])]


def test_empty_instructions_do_not_look_the_instance_up(client):
    """Camunda returns before calling the engine, so even an unknown instance answers 204."""
    assert modify(client, "noSuchInstance", {"instructions": []}).status_code == 204


@pytest.mark.parametrize("fields", [
    {}, {"activityId": "task1", "activityInstanceId": "task1:x"},
    {"activityId": "task1", "transitionInstanceId": "t"},
    {"activityInstanceId": "task1:x", "transitionInstanceId": "t"},
    {"activityId": "task1", "activityInstanceId": "task1:x", "transitionInstanceId": "t"},
])
def test_cancel_needs_exactly_one_target(api, client, exclusive, fields):
    """A cancel names one of activityId, activityInstanceId, transitionInstanceId, never 0 or 2+."""
    response = modify(client, exclusive["id"], {"instructions": [{"type": "cancel", **fields}]})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException",
        "For instruction type 'cancel': exactly one, 'activityId', 'activityInstanceId', or "
        "'transitionInstanceId', is required")
    assert shape(api.tree(exclusive["id"])) == [("task1", [])]


@pytest.mark.parametrize("instruction, message", [
    ({"type": "startBeforeActivity"},
     "For instruction type 'startBeforeActivity': 'activityId' must be set"),
    ({"type": "startAfterActivity", "transitionId": "flow3"},
     "For instruction type 'startAfterActivity': 'activityId' must be set"),
    ({"type": "startTransition", "activityId": "task1"},
     "For instruction type 'startTransition': 'transitionId' must be set"),
])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_start_instructions_need_their_target(client, exclusive, instruction, message,
                                              asynchronous):
    """Start instructions without activityId / transitionId are 400 on both endpoints."""
    response = modify(client, exclusive["id"], {"instructions": [instruction]},
                      asynchronous=asynchronous)
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException", message)


def test_cancel_one_activity_instance_by_its_id(api, client, nested):
    """activityInstanceId cancels exactly that instance; its empty sub-process goes with it."""
    tree = api.tree(nested["id"])
    inner = child(child(tree, "subProcess"), "innerTask")
    response = modify(client, nested["id"], {
        "instructions": [{"type": "cancel", "activityInstanceId": inner["id"]}]})
    assert response.status_code == 204
    assert shape(api.tree(nested["id"])) == [("outerTask", [])]


def test_cancel_unknown_activity_instance_is_not_valid(api, client, nested):
    """An activity instance id not in the tree is 400 NotValidException with code 0."""
    response = modify(client, nested["id"], {
        "instructions": [{"type": "cancel", "activityInstanceId": "innerTask:nope"}]})
    assert response.status_code == 400
    assert response.json() == error(
        "NotValidException",
        "Cannot perform instruction: Cancel activity instance 'innerTask:nope'; Activity instance "
        "'innerTask:nope' does not exist: activityInstance is null", 0)


def test_cancel_unknown_transition_instance_is_not_valid(client, nested):
    """A transition instance id that does not exist is 400 NotValidException."""
    response = modify(client, nested["id"], {
        "instructions": [{"type": "cancel", "transitionInstanceId": "nope"}]})
    assert response.status_code == 400
    assert response.json() == error(
        "NotValidException",
        "Cannot perform instruction: Cancel transition instance 'nope'; Transition instance "
        "'nope' does not exist: transitionInstance is null", 0)


@pytest.mark.parametrize("instruction, message", UNKNOWN_ELEMENTS)
def test_unknown_element_is_400_not_valid_and_nothing_changes(api, client, exclusive, instruction,
                                                              message):
    """The NotValidException reaches the client unwrapped (type NotValidException, code 0)."""
    response = modify(client, exclusive["id"], {
        "instructions": [{"type": "cancel", "activityId": "task1"}, instruction]})
    assert response.status_code == 400
    assert response.json() == error("NotValidException",
                                    message.format(pd=exclusive["definitionId"]), 0)
    assert shape(api.tree(exclusive["id"])) == [("task1", [])]


def test_unknown_instance_is_404(client, exclusive):
    """A missing instance is the engine's ENGINE-13036 ProcessEngineException, as a 404 (Camunda: 500)."""
    response = modify(client, "noSuchInstance", {"instructions": TO_TASK2})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("ProcessEngineException",
                                    NOT_FOUND.format(id="noSuchInstance"), 0)


def test_start_variables_land_by_their_local_flag(api, client, exclusive):
    """Non-local variables go to the process instance; local ones stay on the new activity."""
    response = modify(client, exclusive["id"], {"instructions": [{
        "type": "startBeforeActivity", "activityId": "task2",
        "variables": {"globalVar": {"value": "g", "type": "String", "local": False},
                      "implicitVar": {"value": 7, "type": "Integer"},
                      "localVar": {"value": "l", "type": "String", "local": True}}}]})
    assert response.status_code == 204
    assert shape(api.tree(exclusive["id"])) == [("task1", []), ("task2", [])]
    variables = client.get(f"{ROOT}/process-instance/{exclusive['id']}/variables")
    assert variables.status_code == 200
    assert variables.json() == {
        "globalVar": {"type": "String", "value": "g", "valueInfo": {}},
        "implicitVar": {"type": "Integer", "value": 7, "valueInfo": {}}}


def test_without_ancestor_the_existing_sub_process_is_reused(api, client, nested):
    """startBefore innerTask joins the one running sub-process instance."""
    response = modify(client, nested["id"], {
        "instructions": [{"type": "startBeforeActivity", "activityId": "innerTask"}]})
    assert response.status_code == 204
    assert shape(api.tree(nested["id"])) == [
        ("outerTask", []), ("subProcess", [("innerTask", []), ("innerTask", [])])]


def test_ancestor_activity_instance_picks_the_parent_scope(api, client, nested):
    """With the process instance as ancestor, innerTask gets a new sub-process instance."""
    response = modify(client, nested["id"], {"instructions": [{
        "type": "startBeforeActivity", "activityId": "innerTask",
        "ancestorActivityInstanceId": nested["id"]}]})
    assert response.status_code == 204
    assert shape(api.tree(nested["id"])) == [
        ("outerTask", []), ("subProcess", [("innerTask", [])]), ("subProcess", [("innerTask", [])])]


def test_ambiguous_parent_scope_needs_an_ancestor(api, client, nested):
    """Two sub-process instances and no ancestor: 400 (Camunda: 500); naming one of them as
    ancestor works."""
    modify(client, nested["id"], {"instructions": [{
        "type": "startBeforeActivity", "activityId": "subProcess"}]})
    response = modify(client, nested["id"], {
        "instructions": [{"type": "startBeforeActivity", "activityId": "innerTask"}]})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "ProcessEngineException",
        "Ancestor activity execution is ambiguous for activity Activity(subProcess)", 0)
    chosen, other = [c for c in api.tree(nested["id"])["childActivityInstances"]
                     if c["activityId"] == "subProcess"]
    response = modify(client, nested["id"], {"instructions": [{
        "type": "startBeforeActivity", "activityId": "innerTask",
        "ancestorActivityInstanceId": chosen["id"]}]})
    assert response.status_code == 204
    after = {c["id"]: shape(c) for c in api.tree(nested["id"])["childActivityInstances"]}
    assert after[chosen["id"]] == [("innerTask", []), ("innerTask", [])]
    assert after[other["id"]] == [("innerTask", [])]


@pytest.mark.parametrize("ancestor, message", [
    ("subProcess:nope",
     "Cannot perform instruction: Start before activity 'innerTask' with ancestor activity "
     "instance 'subProcess:nope'; Ancestor activity instance 'subProcess:nope' does not exist: "
     "ancestorInstance is null"),
    ("outer",
     "Cannot perform instruction: Start before activity 'innerTask' with ancestor activity "
     "instance '{outer}'; Scope execution for '{outer}' cannot be found in parent hierarchy of "
     "flow element 'innerTask'"),
])
def test_bad_ancestor_is_not_valid(api, client, nested, ancestor, message):
    """An unknown ancestor, or one outside the target's scope chain, is 400 NotValidException."""
    outer = child(api.tree(nested["id"]), "outerTask")["id"]
    ancestor = outer if ancestor == "outer" else ancestor
    response = modify(client, nested["id"], {"instructions": [{
        "type": "startBeforeActivity", "activityId": "innerTask",
        "ancestorActivityInstanceId": ancestor}]})
    assert response.status_code == 400
    assert response.json() == error("NotValidException", message.format(outer=outer), 0)


def test_cancelling_everything_ends_the_instance(client, exclusive):
    """Cancelling the only activity instance removes the process instance."""
    response = modify(client, exclusive["id"], {
        "instructions": [{"type": "cancel", "activityId": "task1"}]})
    assert response.status_code == 204
    assert client.get(f"{ROOT}/process-instance/{exclusive['id']}").status_code == 404


# ----------------------------------------------------------------------------- asynchronous
def test_async_answers_a_one_job_batch(client, exclusive):
    """modification-async returns the BatchDto of a one-job instance-modification batch."""
    started = pin(datetime(2026, 3, 4, 5, 6, 7, 89000))
    response = modify(client, exclusive["id"], {"instructions": TO_TASK2}, asynchronous=True)
    assert response.status_code == 200
    batch = response.json()
    assert batch == {
        "id": batch["id"], "type": "instance-modification", "totalJobs": 1, "jobsCreated": 0,
        "batchJobsPerSeed": 100, "invocationsPerBatchJob": 100,
        "seedJobDefinitionId": batch["seedJobDefinitionId"],
        "monitorJobDefinitionId": batch["monitorJobDefinitionId"],
        "batchJobDefinitionId": batch["batchJobDefinitionId"], "suspended": False,
        "tenantId": None, "createUserId": None, "startTime": started, "executionStartTime": None}
    assert len({batch["seedJobDefinitionId"], batch["monitorJobDefinitionId"],
                batch["batchJobDefinitionId"]}) == 3
    assert client.get(f"{ROOT}/batch/{batch['id']}").json() == batch


@pytest.mark.parametrize("body", [{}, {"instructions": []}, {"instructions": None}])
def test_async_without_instructions_is_400(client, exclusive, body):
    """The async twin refuses an empty list with Camunda's message, typo included."""
    response = modify(client, exclusive["id"], body, asynchronous=True)
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException",
                                    "The provided instuctions are invalid.")
    assert client.get(f"{ROOT}/batch/count").json() == {"count": 0}


def test_async_unknown_instance_is_404_at_creation(client, exclusive):
    """Unlike /modification/executeAsync, the instance is checked when the batch is created
    (ENGINE-13036 as a 404; Camunda answers 500)."""
    response = modify(client, "noSuchInstance", {"instructions": TO_TASK2}, asynchronous=True)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("ProcessEngineException",
                                    NOT_FOUND.format(id="noSuchInstance"), 0)
    assert client.get(f"{ROOT}/batch/count").json() == {"count": 0}


def test_async_modifies_the_instance_once_the_jobs_ran(api, client, app, exclusive):
    """Nothing changes until the executor runs the batch; then the tree is modified, batch done."""
    batch = modify(client, exclusive["id"], {"instructions": TO_TASK2}, asynchronous=True).json()
    assert shape(api.tree(exclusive["id"])) == [("task1", [])]
    assert app.engine.job_executor.run_until_idle() >= 3  # seed, execution, monitor
    assert shape(api.tree(exclusive["id"])) == [("task2", [])]
    assert client.get(f"{ROOT}/batch/{batch['id']}").status_code == 404
    assert client.get(f"{ROOT}/history/batch/{batch['id']}").json()["endTime"] is not None


def test_async_keeps_the_ancestor_but_drops_variables(api, client, app, nested):
    """The batch applies ancestorActivityInstanceId; instruction variables are not applied."""
    modify(client, nested["id"], {"instructions": [{
        "type": "startBeforeActivity", "activityId": "innerTask",
        "ancestorActivityInstanceId": nested["id"],
        "variables": {"dropped": {"value": "x", "type": "String"}}}]}, asynchronous=True)
    app.engine.job_executor.run_until_idle()
    assert shape(api.tree(nested["id"])) == [
        ("outerTask", []), ("subProcess", [("innerTask", [])]), ("subProcess", [("innerTask", [])])]
    assert client.get(f"{ROOT}/process-instance/{nested['id']}/variables").json() == {}


def test_async_job_fails_when_the_instance_is_gone(api, client, app, exclusive):
    """An instance deleted after creation makes the execution job fail with ENGINE-13036."""
    batch = modify(client, exclusive["id"], {"instructions": TO_TASK2}, asynchronous=True).json()
    delete_instance(client, exclusive["id"])
    app.engine.job_executor.run_until_idle()
    [job] = jobs_of(client, batch, "batch")
    assert (job["retries"], job["exceptionMessage"]) == (0, NOT_FOUND.format(id=exclusive["id"]))


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_cancel_with_an_invalid_variable_is_refused(api, client, exclusive, asynchronous):
    """A cancel sets no variable, but a variable of an unknown type is still Camunda's 400 and
    nothing is cancelled."""
    response = modify(client, exclusive["id"], {"instructions": [
        {"type": "cancel", "activityId": "task1",
         "variables": {"x": {"value": None, "type": "AAA"}}}]}, asynchronous=asynchronous)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["type"] == "InvalidRequestException" and "AAA" in body["message"]
    assert shape(api.tree(exclusive["id"])) == [("task1", [])]
