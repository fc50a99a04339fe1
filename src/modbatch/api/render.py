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
    return {"id": row.id, "name": row.name, "assignee": None, "owner": None,
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
                                   for child in node.children],
        "childTransitionInstances": [], "executionIds": node.execution_ids,
        "activityName": node.activity_name, "name": node.activity_name,
        "incidentIds": [], "incidents": [],
    }


def variables(values: dict[str, TypedValue]) -> dict[str, Any]:
    return {name: to_dto(value) for name, value in values.items()}


def count(value: int) -> dict[str, int]:
    return {"count": value}
