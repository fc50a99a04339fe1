"""Engine values to Camunda DTOs. Every documented key is always present, null when unknown."""

from __future__ import annotations

from typing import Any

from modbatch.engine.clock import format_date
from modbatch.engine.instances import TreeNode
from modbatch.engine.variables import TypedValue, to_dto


def deployment(row) -> dict[str, Any]:
    return {"links": [], "id": row.id, "name": row.name, "source": row.source,
            "deploymentTime": format_date(row.deployment_time), "tenantId": row.tenant_id}


def process_definition(row) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "category": row.category,
            "description": row.description, "name": row.name, "version": row.version,
            "resource": row.resource_name, "deploymentId": row.deployment_id, "diagram": None,
            "suspended": bool(row.suspended), "tenantId": row.tenant_id,
            "versionTag": row.version_tag, "historyTimeToLive": row.history_time_to_live,
            "startableInTasklist": True}


def process_instance(*, id: str, definition_id: str, definition_key: str | None,
                     business_key: str | None, tenant_id: str | None, suspended: bool,
                     ended: bool, links: list | None = None) -> dict[str, Any]:
    return {"links": links or [], "id": id, "definitionId": definition_id,
            "definitionKey": definition_key, "businessKey": business_key, "caseInstanceId": None,
            "ended": ended, "suspended": suspended, "tenantId": tenant_id}


def process_instance_row(row) -> dict[str, Any]:
    return process_instance(id=row.id, definition_id=row.process_definition_id,
                            definition_key=row.process_definition_key,
                            business_key=row.business_key, tenant_id=row.tenant_id,
                            suspended=bool(row.suspended), ended=False)


def task(row, definition_key: str | None = None) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "assignee": row.assignee, "owner": None,
            "created": format_date(row.created), "lastUpdated": None, "due": None,
            "followUp": None, "delegationState": None, "description": None,
            "executionId": row.execution_id, "parentTaskId": None, "priority": row.priority,
            "processDefinitionId": row.process_definition_id,
            "processInstanceId": row.process_instance_id, "caseExecutionId": None,
            "caseDefinitionId": None, "caseInstanceId": None,
            "taskDefinitionKey": row.task_definition_key, "suspended": bool(row.suspended),
            "formKey": None, "camundaFormRef": None, "tenantId": row.tenant_id,
            "taskState": "Created"}


def activity_tree(node: TreeNode, *, instance_id: str, definition_id: str) -> dict[str, Any]:
    return {
        "id": node.id, "parentActivityInstanceId": node.parent_id, "activityId": node.activity_id,
        "activityType": node.activity_type, "processInstanceId": instance_id,
        "processDefinitionId": definition_id,
        "childActivityInstances": [activity_tree(child, instance_id=instance_id,
                                                 definition_id=definition_id)
                                   for child in node.children if not child.transition],
        "childTransitionInstances": [transition_instance(child, instance_id=instance_id,
                                                         definition_id=definition_id)
                                     for child in node.children if child.transition],
        "executionIds": node.execution_ids,
        "activityName": node.activity_name, "name": node.activity_name,
        **_incidents(node),
    }


def transition_instance(node: TreeNode, *, instance_id: str, definition_id: str) -> dict[str, Any]:
    return {
        "id": node.id, "parentActivityInstanceId": node.parent_id, "activityId": node.activity_id,
        "activityName": node.activity_name, "activityType": node.activity_type,
        "processInstanceId": instance_id, "processDefinitionId": definition_id,
        "executionId": node.execution_ids[0], **_incidents(node),
    }


def _incidents(node: TreeNode) -> dict[str, Any]:
    return {"incidentIds": [i for i, _ in node.incidents],
            "incidents": [{"id": i, "activityId": a} for i, a in node.incidents]}


def variables(values: dict[str, TypedValue]) -> dict[str, Any]:
    return {name: to_dto(value) for name, value in values.items()}


def count(value: int) -> dict[str, int]:
    return {"count": value}


def batch(row) -> dict[str, Any]:
    return {"id": row.id, "type": row.type, "totalJobs": row.total_jobs,
            "jobsCreated": row.jobs_created, "batchJobsPerSeed": row.batch_jobs_per_seed,
            "invocationsPerBatchJob": row.invocations_per_batch_job,
            "seedJobDefinitionId": row.seed_job_definition_id,
            "monitorJobDefinitionId": row.monitor_job_definition_id,
            "batchJobDefinitionId": row.batch_job_definition_id,
            "suspended": bool(row.suspended), "tenantId": row.tenant_id,
            "createUserId": row.create_user_id, "startTime": format_date(row.start_time),
            "executionStartTime": format_date(row.execution_start_time)}


def batch_statistics(row, remaining: int, completed: int, failed: int) -> dict[str, Any]:
    return {**batch(row), "remainingJobs": remaining, "completedJobs": completed,
            "failedJobs": failed}


def historic_batch(row) -> dict[str, Any]:
    return {"id": row.id, "type": row.type, "totalJobs": row.total_jobs,
            "batchJobsPerSeed": row.batch_jobs_per_seed,
            "invocationsPerBatchJob": row.invocations_per_batch_job,
            "seedJobDefinitionId": row.seed_job_definition_id,
            "monitorJobDefinitionId": row.monitor_job_definition_id,
            "batchJobDefinitionId": row.batch_job_definition_id, "tenantId": row.tenant_id,
            "createUserId": row.create_user_id, "startTime": format_date(row.start_time),
            "endTime": format_date(row.end_time), "removalTime": format_date(row.removal_time),
            "executionStartTime": format_date(row.execution_start_time)}


def batch_item(row) -> dict[str, Any]:
    return {"processInstanceId": row.process_instance_id, "status": row.status,
            "message": row.message}


def job(row) -> dict[str, Any]:
    # the activity a job failed in is the activity it was created for
    failed_activity_id = row.activity_id if row.exception_message is not None else None
    return {"id": row.id, "jobDefinitionId": row.job_definition_id,
            "processInstanceId": row.process_instance_id,
            "processDefinitionId": row.process_definition_id,
            "processDefinitionKey": row.process_definition_key, "executionId": row.execution_id,
            "exceptionMessage": row.exception_message, "failedActivityId": failed_activity_id,
            "retries": row.retries, "dueDate": format_date(row.due_date),
            "suspended": bool(row.suspended), "priority": row.priority,
            "tenantId": row.tenant_id, "createTime": format_date(row.create_time),
            "batchId": row.batch_id}


def job_definition(row) -> dict[str, Any]:
    return {"id": row.id, "processDefinitionId": row.process_definition_id,
            "processDefinitionKey": row.process_definition_key, "jobType": row.job_type,
            "jobConfiguration": row.job_configuration, "activityId": row.activity_id,
            "suspended": bool(row.suspended), "overridingJobPriority": row.overriding_job_priority,
            "tenantId": row.tenant_id, "deploymentId": row.deployment_id}


def incident(row) -> dict[str, Any]:
    return {"id": row.id, "processDefinitionId": row.process_definition_id,
            "processInstanceId": row.process_instance_id, "executionId": row.execution_id,
            "incidentTimestamp": format_date(row.incident_timestamp),
            "incidentType": row.incident_type, "activityId": row.activity_id,
            "failedActivityId": row.failed_activity_id, "causeIncidentId": row.id,
            "rootCauseIncidentId": row.id, "configuration": row.configuration,
            "incidentMessage": row.incident_message, "tenantId": row.tenant_id,
            "jobDefinitionId": row.job_definition_id, "annotation": row.annotation}


def external_task(row) -> dict[str, Any]:
    return {"activityId": row.activity_id, "activityInstanceId": row.activity_instance_id,
            "errorMessage": row.error_message, "executionId": row.execution_id, "id": row.id,
            "lockExpirationTime": format_date(row.lock_expiration_time),
            "createTime": format_date(row.create_time),
            "processDefinitionId": row.process_definition_id,
            "processDefinitionKey": row.process_definition_key,
            "processDefinitionVersionTag": row.process_definition_version_tag,
            "processInstanceId": row.process_instance_id, "retries": row.retries,
            "suspended": bool(row.suspended), "workerId": row.worker_id,
            "topicName": row.topic_name, "tenantId": row.tenant_id, "priority": row.priority,
            "businessKey": row.business_key}


def locked_external_task(locked) -> dict[str, Any]:
    """LockedExternalTaskDto: Camunda never sets its ``suspended`` (a fetched task is active)."""
    return {**external_task(locked.task), "suspended": False,
            "errorDetails": locked.task.error_details, "variables": variables(locked.variables),
            "extensionProperties": dict(locked.extension_properties)}


def decision_definition(row) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "category": row.category, "name": row.name,
            "version": row.version, "resource": row.resource_name,
            "deploymentId": row.deployment_id, "tenantId": row.tenant_id,
            "decisionRequirementsDefinitionId": None, "decisionRequirementsDefinitionKey": None,
            "historyTimeToLive": row.history_time_to_live, "versionTag": row.version_tag}
