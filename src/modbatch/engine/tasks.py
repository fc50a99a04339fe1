"""User tasks: query them and complete them, which moves the instance on to its next wait state."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modbatch.engine import instances, persistence, queries
from modbatch.engine.runtime import Runtime
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import ProcessDefinition, Task


def task_query(filters: Mapping[str, Any]):
    t = Task
    stmt = select(t)
    f = filters.get
    equal = {"processInstanceId": t.process_instance_id,
             "processDefinitionId": t.process_definition_id,
             "taskDefinitionKey": t.task_definition_key, "name": t.name, "taskId": t.id}
    for name, column in equal.items():
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    lists = {"processInstanceIdIn": t.process_instance_id,
             "taskDefinitionKeyIn": t.task_definition_key,
             "activityInstanceIdIn": t.activity_instance_id, "tenantIdIn": t.tenant_id}
    for name, column in lists.items():
        if f(name):
            stmt = stmt.where(column.in_(f(name)))
    if f("processDefinitionKey") is not None:
        stmt = stmt.where(t.process_definition_id.in_(
            select(ProcessDefinition.id).where(ProcessDefinition.key == f("processDefinitionKey"))))
    if f("assignee") is not None:
        stmt = stmt.where(t.assignee == f("assignee"))
    if f("active") is True:
        stmt = stmt.where(t.suspended.is_(False))
    if f("suspended") is True:
        stmt = stmt.where(t.suspended.is_(True))
    # Camunda's sortBy values; properties modbatch never sets (all null) keep the order as is
    return queries.apply_sorting(stmt, filters, {
        "instanceId": t.process_instance_id, "id": t.id, "name": t.name,
        "nameCaseInsensitive": func.lower(t.name), "created": t.created,
        "priority": t.priority, "executionId": t.execution_id, "tenantId": t.tenant_id,
        "assignee": t.assignee,
        **dict.fromkeys(("caseInstanceId", "caseExecutionId", "dueDate", "followUpDate",
                         "lastUpdated", "description"))}, t.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[Task]:
    return queries.page(session, task_query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, task_query(filters))


def get(session: Session, task_id: str) -> Task | None:
    return session.get(Task, task_id)


def complete(session: Session, task_id: str,
             variables: dict[str, TypedValue]) -> dict[str, TypedValue]:
    """Complete a task; returns the process instance's variables afterwards (CompleteTaskCmd)."""
    task = session.get(Task, task_id)
    if task is None:
        raise ProcessEngineError(f"Cannot find task with id {task_id}: task is null",
                                 type="NullValueException", status=404)
    if task.suspended:
        raise ProcessEngineError(f"ENGINE-03043 task with id '{task_id}' is suspended.",
                                 type="SuspendedEntityInteractionException")
    state = persistence.load(session, [task.process_instance_id])[task.process_instance_id]
    Runtime(state).complete_task(task_id, variables)
    instances.save(session, [state])
    return {var.name: var.value for var in sorted(state.variables.values(), key=lambda v: v.name)
            if var.scope is None}
