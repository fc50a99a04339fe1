"""Run inside the SDK venv: the executeAsync flow through the client generated from openapi.yaml.

Usage: python sdk_flow.py BASE_URL BPMN_FILE INSTANCES
Every response goes through the generated models (`from_dict` raises on a missing required key);
the script exits non-zero on the first mismatch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from modbatch_client import Client
from modbatch_client.api.batch import get_batch, get_batch_statistics
from modbatch_client.api.deployment import create_deployment
from modbatch_client.api.historic_batch import get_historic_batch
from modbatch_client.api.job import get_jobs_count
from modbatch_client.api.modification import execute_modification_async
from modbatch_client.api.process_definition import start_process_instance_by_key
from modbatch_client.api.process_instance import get_activity_instance_tree, get_process_instances
from modbatch_client.models import (
    ActivityInstanceDto,
    BatchDto,
    BatchStatisticsDto,
    DeploymentWithDefinitionsDto,
    HistoricBatchDto,
    ModificationDto,
    MultiFormDeploymentDto,
    MultipleProcessInstanceModificationInstructionDto,
    MultipleProcessInstanceModificationInstructionDtoType,
    ProcessInstanceDto,
    ProcessInstanceQueryDto,
    ProcessInstanceWithVariablesDto,
    StartProcessInstanceDto,
    StartProcessInstanceDtoVariablesType0,
    VariableValueInputDto,
)
from modbatch_client.types import File

KEY = "nestedOneTaskProcess"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def variables(number: int) -> StartProcessInstanceDtoVariablesType0:
    """Typed variables, with Camunda's type names in either case (a plain `str` in the client)."""
    typed = StartProcessInstanceDtoVariablesType0()
    typed["number"] = VariableValueInputDto(value=number, type_="Integer")
    typed["label"] = VariableValueInputDto(value=f"n{number}", type_="string")
    return typed


def main(base_url: str, bpmn: Path, instances: int) -> None:
    client = Client(base_url=base_url, raise_on_unexpected_status=True,
                    timeout=httpx.Timeout(30.0))

    deployment = create_deployment.sync(client=client, body=MultiFormDeploymentDto(
        deployment_name="sdk", data=[File(payload=bpmn.open("rb"), file_name=bpmn.name,
                                          mime_type="text/xml")]))
    check(isinstance(deployment, DeploymentWithDefinitionsDto), f"deployment: {deployment!r}")
    [definition_id] = deployment.deployed_process_definitions.additional_properties
    check(definition_id.startswith(f"{KEY}:1:"), f"definition id {definition_id}")

    for number in range(instances):
        started = start_process_instance_by_key.sync(
            KEY, client=client, body=StartProcessInstanceDto(
                business_key=f"sdk-{number}", variables=variables(number)))
        check(isinstance(started, ProcessInstanceWithVariablesDto), f"start: {started!r}")

    batch = execute_modification_async.sync(client=client, body=ModificationDto(
        process_definition_id=definition_id,
        process_instance_query=ProcessInstanceQueryDto(process_definition_key=KEY),
        instructions=[
            MultipleProcessInstanceModificationInstructionDto(
                type_=MultipleProcessInstanceModificationInstructionDtoType.CANCEL,
                activity_id="innerTask"),
            MultipleProcessInstanceModificationInstructionDto(
                type_=MultipleProcessInstanceModificationInstructionDtoType.STARTBEFOREACTIVITY,
                activity_id="outerTask"),
        ]))
    check(isinstance(batch, BatchDto), f"executeModificationAsync: {batch!r}")
    check(batch.type_ == "instance-modification", f"batch type {batch.type_}")

    polls = 0
    deadline = time.monotonic() + 120
    while True:
        statistics = get_batch_statistics.sync(client=client, batch_id=batch.id)
        check(isinstance(statistics, list), f"statistics: {statistics!r}")
        if not statistics:
            break
        [row] = statistics
        check(isinstance(row, BatchStatisticsDto), f"statistics row: {row!r}")
        check(row.remaining_jobs + row.completed_jobs == row.total_jobs,
              f"remaining + completed != total: {row!r}")
        polls += 1
        check(time.monotonic() < deadline, "the batch did not complete within 120 s")
        time.sleep(0.05)

    historic = get_historic_batch.sync(batch.id, client=client)
    check(isinstance(historic, HistoricBatchDto) and historic.end_time is not None,
          f"historic batch: {historic!r}")
    gone = get_batch.sync_detailed(batch.id, client=client)
    check(gone.status_code == 404, f"GET /batch/{batch.id} after completion: {gone.status_code}")
    for definition in (batch.seed_job_definition_id, batch.monitor_job_definition_id,
                       batch.batch_job_definition_id):
        left = get_jobs_count.sync(client=client, job_definition_id=definition)
        check(left.count == 0, f"jobs left for job definition {definition}: {left.count}")

    found = get_process_instances.sync(client=client, process_definition_key=KEY)
    check(isinstance(found, list) and len(found) == instances, f"instances: {found!r}")
    for instance in found:
        check(isinstance(instance, ProcessInstanceDto), f"instance: {instance!r}")
        tree = get_activity_instance_tree.sync(instance.id, client=client)
        check(isinstance(tree, ActivityInstanceDto), f"tree: {tree!r}")
        check(tree.activity_id == definition_id and tree.parent_activity_instance_id is None,
              f"root of {instance.id}: {tree.activity_id}")
        children = sorted(child.activity_id for child in tree.child_activity_instances)
        check(children == ["outerTask", "outerTask"], f"tree of {instance.id}: {children}")
        check(all(child.child_activity_instances == [] and
                  child.parent_activity_instance_id == tree.id
                  for child in tree.child_activity_instances), f"tree of {instance.id}")
    check(tree.additional_properties == {}, f"undeclared keys in a tree: {tree.additional_properties}")
    print(f"OK: {instances} instances modified by batch {batch.id}, {polls} statistics polls")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
