"""Helpers for the batch-related API tests: definitions, batches, their jobs, tree shapes.

Everything goes through the REST API; only the job executor is stepped directly, since it does
not run in API tests.
"""

from __future__ import annotations

from datetime import datetime

from modbatch.engine import clock

EXCLUSIVE = "exclusiveGateway"
NESTED = "nestedParallelOneTaskProcess"
ROOT = "/engine-rest"

# cancel the waiting task1 and start task2 instead: exclusiveGateway's "other branch"
TO_TASK2 = [{"type": "cancel", "activityId": "task1"},
            {"type": "startBeforeActivity", "activityId": "task2"}]


def definition_id(deployment: dict) -> str:
    [only] = deployment["deployedProcessDefinitions"]
    return only


def pin(moment: datetime) -> str:
    """Freeze the engine clock and return the instant in Camunda's date format."""
    clock.pin(moment)
    return clock.format_date(moment)


def execute_async(client, body: dict) -> dict:
    response = client.post(f"{ROOT}/modification/executeAsync", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def create_batch(client, process_definition_id: str, instance_ids: list, instructions=None) -> dict:
    """An instance-modification batch over the given ids (creation does not check they exist)."""
    return execute_async(client, {"processDefinitionId": process_definition_id,
                                  "instructions": instructions or TO_TASK2,
                                  "processInstanceIds": instance_ids})


def batch_dto(batch: dict, **changes) -> dict:
    """The BatchDto a freshly created batch shows, with ``changes`` applied."""
    return {key: batch[key] for key in (
        "id", "type", "totalJobs", "jobsCreated", "batchJobsPerSeed", "invocationsPerBatchJob",
        "seedJobDefinitionId", "monitorJobDefinitionId", "batchJobDefinitionId", "suspended",
        "tenantId", "createUserId", "startTime", "executionStartTime")} | changes


def jobs_of(client, batch: dict, kind: str) -> list[dict]:
    """The batch's jobs of one kind: ``seed``, ``monitor`` or ``batch`` (execution)."""
    response = client.get(f"{ROOT}/job",
                          params={"jobDefinitionId": batch[f"{kind}JobDefinitionId"]})
    assert response.status_code == 200, response.text
    return response.json()


def the_job(client, batch: dict, kind: str) -> dict:
    [job] = jobs_of(client, batch, kind)
    return job


def statistics(client, batch_id: str) -> list[dict]:
    response = client.get(f"{ROOT}/batch/statistics", params={"batchId": batch_id})
    assert response.status_code == 200, response.text
    return response.json()


def shape(tree: dict) -> list:
    """An activity-instance tree as sorted (activityId, children) pairs, ids left out."""
    return sorted((child["activityId"], shape(child)) for child in tree["childActivityInstances"])


def delete_instance(client, instance_id: str) -> None:
    response = client.delete(f"{ROOT}/process-instance/{instance_id}")
    assert response.status_code == 204, response.text


# (instruction, NotValid message with {pd} for the definition id) for unknown start targets
UNKNOWN_ELEMENTS = [
    ({"type": "startBeforeActivity", "activityId": "nope"},
     "Cannot perform instruction: Start before activity 'nope'; Element 'nope' does not exist in "
     "process '{pd}': element is null"),
    ({"type": "startTransition", "transitionId": "nope"},
     "Cannot perform instruction: Start transition 'nope'; Element 'nope' does not exist in "
     "process '{pd}': element is null"),
    ({"type": "startAfterActivity", "activityId": "nope"},
     "Cannot perform instruction: Start after activity 'nope'; Activity 'nope' does not exist: "
     "activity is null"),
]
