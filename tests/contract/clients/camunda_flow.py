"""Run inside the generic-camunda-client venv: the executeAsync flow through Camunda's own client.

Usage: python camunda_flow.py BASE_URL BPMN_FILE INSTANCES
The client is used as published (no patches): whatever it cannot read from our server is a
server bug. The script exits non-zero on the first mismatch.
"""

from __future__ import annotations

import datetime
import sys
import time

import generic_camunda_client as camunda
from generic_camunda_client.rest import ApiException

KEY = "nestedOneTaskProcess"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def main(base_url: str, bpmn: str, instances: int) -> None:
    client = camunda.ApiClient(camunda.Configuration(host=base_url))
    deployments = camunda.DeploymentApi(client)
    definitions = camunda.ProcessDefinitionApi(client)
    modification = camunda.ModificationApi(client)
    batches = camunda.BatchApi(client)
    history = camunda.HistoricBatchApi(client)
    process_instances = camunda.ProcessInstanceApi(client)
    jobs = camunda.JobApi(client)

    deployment = deployments.create_deployment(deployment_name="camunda-client", data=bpmn)
    check(isinstance(deployment.deployment_time, datetime.datetime),
          f"deploymentTime {deployment.deployment_time!r}")
    [definition_id] = deployment.deployed_process_definitions
    definition = definitions.get_process_definition(definition_id)
    check(definition.key == KEY and definition.version == 1, f"definition {definition}")

    for number in range(instances):
        started = definitions.start_process_instance_by_key(
            KEY, start_process_instance_dto=camunda.StartProcessInstanceDto(
                business_key=f"camunda-{number}"))
        check(started.definition_id == definition_id, f"started {started}")

    batch = modification.execute_modification_async(modification_dto=camunda.ModificationDto(
        process_definition_id=definition_id,
        process_instance_query=camunda.ProcessInstanceQueryDto(process_definition_key=KEY),
        instructions=[
            camunda.MultipleProcessInstanceModificationInstructionDto(
                type="cancel", activity_id="innerTask"),
            camunda.MultipleProcessInstanceModificationInstructionDto(
                type="startBeforeActivity", activity_id="outerTask"),
        ]))
    check(batch.type == "instance-modification", f"batch {batch}")
    check(isinstance(batch.start_time, datetime.datetime), f"startTime {batch.start_time!r}")
    job_definitions = (batch.seed_job_definition_id, batch.monitor_job_definition_id,
                       batch.batch_job_definition_id)

    polls = 0
    jobs_seen = 0
    deadline = time.monotonic() + 120
    while True:
        statistics = batches.get_batch_statistics(batch_id=batch.id)
        if not statistics:
            break
        [row] = statistics
        check(row.remaining_jobs + row.completed_jobs == row.total_jobs, f"statistics {row}")
        for definition_of_job in job_definitions:
            for job in jobs.get_jobs(job_definition_id=definition_of_job):
                check(isinstance(job.create_time, datetime.datetime), f"job {job}")
                jobs_seen += 1
        polls += 1
        check(time.monotonic() < deadline, "the batch did not complete within 120 s")
        time.sleep(0.05)

    historic = history.get_historic_batch(batch.id)
    check(isinstance(historic.end_time, datetime.datetime), f"historic batch {historic}")
    check(historic.end_time >= historic.start_time, f"historic batch {historic}")
    try:
        batches.get_batch(batch.id)
        check(False, "the completed batch is still there")
    except ApiException as missing:
        check(missing.status == 404, f"GET /batch/{batch.id}: {missing.status}")
    for definition_of_job in job_definitions:
        left = jobs.get_jobs_count(job_definition_id=definition_of_job)
        check(left.count == 0, f"jobs left for {definition_of_job}: {left.count}")

    found = process_instances.get_process_instances(process_definition_key=KEY)
    check(len(found) == instances, f"{len(found)} instances")
    for instance in found:
        tree = process_instances.get_activity_instance_tree(instance.id)
        check(tree.activity_id == definition_id, f"root of {instance.id}: {tree.activity_id}")
        children = sorted(child.activity_id for child in tree.child_activity_instances)
        check(children == ["outerTask", "outerTask"], f"tree of {instance.id}: {children}")
        for child in tree.child_activity_instances:
            check(child.parent_activity_instance_id == tree.id and
                  child.child_activity_instances == [], f"tree of {instance.id}")
    print(f"OK: {instances} instances modified by batch {batch.id}, {polls} statistics polls, "
          f"{jobs_seen} jobs read")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
