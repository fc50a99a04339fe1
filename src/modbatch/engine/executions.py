"""Executions (Camunda's ExecutionQuery): the process instance itself plus the execution of every
activity (and transition) instance, the ids the activity-instance tree shows as executionIds.

One UNION ALL of the two tables, filtered and sorted in SQL.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import and_, exists, literal, null, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from modbatch.engine import instances, queries
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import (
    ActivityInstance,
    EventSubscription,
    Incident,
    ProcessInstance,
    Variable,
)


def _executions():
    """(id, process_instance_id, scope_id, activity_id): scope_id is the activity instance an
    execution runs (null for the process instance), activity_id its activity if it is a leaf."""
    ai, child = ActivityInstance, aliased(ActivityInstance)
    leaf = ~exists().where(child.parent_id == ai.id)
    roots = select(ProcessInstance.id.label("id"),
                   ProcessInstance.id.label("process_instance_id"),
                   null().label("scope_id"), null().label("activity_id"),
                   literal(False).label("leaf"))
    scopes = select(ai.execution_id.label("id"), ai.process_instance_id.label("process_instance_id"),
                    ai.id.label("scope_id"), ai.activity_id.label("activity_id"),
                    leaf.label("leaf"))
    return union_all(roots, scopes).subquery("execution")


def execution_query(filters: Mapping[str, Any]):
    """Compile Camunda's ExecutionQueryDto (GET params or POST body) into one SELECT."""
    ex = _executions()
    pi = ProcessInstance
    f = filters.get
    stmt = (select(ex.c.id, ex.c.process_instance_id, pi.tenant_id)
            .join(pi, pi.id == ex.c.process_instance_id))
    for name, column in (("executionId", ex.c.id), ("processInstanceId", ex.c.process_instance_id),
                         ("businessKey", pi.business_key),
                         ("processDefinitionId", pi.process_definition_id),
                         ("processDefinitionKey", pi.process_definition_key)):
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    if f("activityId") is not None:
        # an execution is at the activity it runs, never at an entered scope
        stmt = stmt.where(ex.c.activity_id == f("activityId"), ex.c.leaf.is_(True))
    if f("active") is True:
        stmt = stmt.where(pi.suspended.is_(False))
    if f("suspended") is True:
        stmt = stmt.where(pi.suspended.is_(True))
    for name, event_type in (("signalEventSubscriptionName", "signal"),
                             ("messageEventSubscriptionName", "message")):
        if f(name) is not None:
            es = EventSubscription
            stmt = stmt.where(exists().where(es.execution_id == ex.c.id, es.event_type == event_type,
                                             es.event_name == f(name)))
    incident = [Incident.execution_id == ex.c.id]
    for name, column in (("incidentId", Incident.id), ("incidentType", Incident.incident_type),
                         ("incidentMessage", Incident.incident_message)):
        if f(name) is not None:
            incident.append(column == f(name))
    if f("incidentMessageLike") is not None:
        incident.append(Incident.incident_message.like(queries.like(f("incidentMessageLike"))))
    if len(incident) > 1:
        stmt = stmt.where(exists().where(*incident))
    stmt = queries.tenant_filter(stmt, pi, filters)
    for condition in f("variables") or []:
        # the execution's own variables: the process instance's, or its activity instance's
        v = aliased(Variable)
        own = or_(and_(ex.c.scope_id.is_(None), v.activity_instance_id.is_(None)),
                  v.activity_instance_id == ex.c.scope_id)
        stmt = stmt.where(exists().where(v.process_instance_id == ex.c.process_instance_id, own,
                                         *queries.variable_match(v, condition, filters)))
    for condition in f("processVariables") or []:
        v = aliased(Variable)
        stmt = stmt.where(exists().where(v.process_instance_id == ex.c.process_instance_id,
                                         v.activity_instance_id.is_(None),
                                         *queries.variable_match(v, condition, filters)))
    return queries.apply_sorting(stmt, filters, {
        "instanceId": ex.c.process_instance_id,
        "definitionKey": pi.process_definition_key,
        "definitionId": pi.process_definition_id,
        "tenantId": pi.tenant_id,
    }, ex.c.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[Any]:
    stmt = queries.apply_paging(execution_query(filters), first_result, max_results)
    return list(session.execute(stmt).all())


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, execution_query(filters))


def get(session: Session, execution_id: str) -> Any | None:
    return session.execute(execution_query({"executionId": execution_id})).first()


def message_subscription(session: Session, execution_id: str,
                         message_name: str) -> EventSubscription | None:
    """The message subscription an execution holds under ``message_name`` (one at most)."""
    es = EventSubscription
    return session.execute(select(es).where(
        es.execution_id == execution_id, es.event_type == "message",
        es.event_name == message_name).order_by(es.created, es.id)).scalars().first()


def message_event_received(session: Session, execution_id: str, message_name: str, *,
                           variables: dict[str, TypedValue]) -> None:
    """Camunda's messageEventReceived: the execution's subscription to the message fires."""
    subscription = message_subscription(session, execution_id, message_name)
    if subscription is None:
        # EnsureUtil.ensureNotEmpty appends ": <variable> is empty"
        raise ProcessEngineError(
            f"Execution with id '{execution_id}' does not have a subscription to a message event "
            f"with name '{message_name}': eventSubscriptions is empty", status=404)
    instances.trigger_subscriptions(session, [subscription], variables=variables)
