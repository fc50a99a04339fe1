"""Run inside the openapi-generator venv: the executeAsync flow through the `python` client that
openapi-generator made from openapi.yaml (package `modbatch_client`).

Usage: python openapi_generator_flow.py BASE_URL BPMN_FILE INSTANCES
Every response is deserialized into the generated pydantic models (a missing required key or a
wrong type raises); the script exits non-zero on the first mismatch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from modbatch_client import (
    ActivityInstanceDto,
    ApiClient,
    BatchApi,
    BatchDto,
    BatchStatisticsDto,
    Configuration,
    DeploymentApi,
    DeploymentWithDefinitionsDto,
    HistoricBatchApi,
    JobApi,
    ModificationApi,
    ModificationDto,
    MultipleProcessInstanceModificationInstructionDto,
    ProcessDefinitionApi,
    ProcessInstanceApi,
    ProcessInstanceWithVariablesDto,
    StartProcessInstanceDto,
    VariableValueInputDto,
)
from modbatch_client.exceptions import NotFoundException

KEY = "nestedOneTaskProcess"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def main(base_url: str, bpmn: Path, instances: int) -> None:
    client = ApiClient(Configuration(host=base_url))
    batches, jobs = BatchApi(client), JobApi(client)
    process_instances = ProcessInstanceApi(client)

    deployment = DeploymentApi(client).create_deployment(
        deployment_name="openapi-generator", data=[(bpmn.name, bpmn.read_bytes())])
    check(isinstance(deployment, DeploymentWithDefinitionsDto), f"deployment: {deployment!r}")
    [definition_id] = deployment.deployed_process_definitions
    check(definition_id.startswith(f"{KEY}:1:"), f"definition id {definition_id}")

    started = []
    for number in range(instances):
        instance = ProcessDefinitionApi(client).start_process_instance_by_key(
            KEY, StartProcessInstanceDto(business_key=f"generator-{number}", variables={
                # Camunda's type names in either case
                "number": VariableValueInputDto(value=number, type="Integer"),
                "label": VariableValueInputDto(value=f"n{number}", type="string")}))
        check(isinstance(instance, ProcessInstanceWithVariablesDto), f"start: {instance!r}")
        check(instance.definition_id == definition_id, f"started in {instance.definition_id}")
        started.append(instance.id)

    batch = ModificationApi(client).execute_modification_async(ModificationDto(
        process_definition_id=definition_id, process_instance_ids=started, instructions=[
            MultipleProcessInstanceModificationInstructionDto(type="cancel",
                                                              activity_id="innerTask"),
            MultipleProcessInstanceModificationInstructionDto(type="startBeforeActivity",
                                                              activity_id="outerTask"),
        ], annotation="openapi-generator"))
    check(isinstance(batch, BatchDto), f"executeModificationAsync: {batch!r}")
    check(batch.type == "instance-modification", f"batch type {batch.type}")

    polls = 0
    deadline = time.monotonic() + 120
    while True:
        statistics = batches.get_batch_statistics(batch_id=batch.id)
        if not statistics:
            break
        [row] = statistics
        check(isinstance(row, BatchStatisticsDto), f"statistics row: {row!r}")
        check(row.remaining_jobs + row.completed_jobs == row.total_jobs,
              f"remaining + completed != total: {row!r}")
        check(row.failed_jobs == 0, f"failed jobs: {row!r}")
        polls += 1
        check(time.monotonic() < deadline, "the batch did not complete within 120 s")
        time.sleep(0.05)

    historic = HistoricBatchApi(client).get_historic_batch(batch.id)
    check(historic.end_time is not None, f"historic batch: {historic!r}")
    try:
        batches.get_batch(batch.id)
    except NotFoundException as gone:
        check(gone.status == 404, f"GET /batch/{batch.id} after completion: {gone.status}")
    else:
        check(False, f"GET /batch/{batch.id} still answers after completion")
    for definition in (batch.seed_job_definition_id, batch.monitor_job_definition_id,
                       batch.batch_job_definition_id):
        left = jobs.get_jobs_count(job_definition_id=definition)
        check(left.count == 0, f"jobs left for job definition {definition}: {left.count}")

    found = process_instances.get_process_instances(process_definition_key=KEY)
    check(sorted(instance.id for instance in found) == sorted(started), f"instances: {found!r}")
    for instance_id in started:
        tree = process_instances.get_activity_instance_tree(instance_id)
        check(isinstance(tree, ActivityInstanceDto), f"tree: {tree!r}")
        check(tree.activity_id == definition_id and tree.parent_activity_instance_id is None,
              f"root of {instance_id}: {tree.activity_id}")
        children = sorted(child.activity_id for child in tree.child_activity_instances)
        check(children == ["outerTask", "outerTask"], f"tree of {instance_id}: {children}")
        check(all(child.child_activity_instances == [] and
                  child.parent_activity_instance_id == tree.id
                  for child in tree.child_activity_instances), f"tree of {instance_id}")
    print(f"OK: {instances} instances modified by batch {batch.id}, {polls} statistics polls")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
