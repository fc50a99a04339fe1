"""Message and signal subscriptions: the query, and the start event subscriptions of deployments.

A waiting activity's subscription (``execution_id`` and ``process_instance_id`` set) belongs to
the runtime, which creates it on entering the activity and removes it on leaving. A start event's
subscription (both null) belongs to the latest version of its process definition, as in
Camunda's BpmnDeployer: deploying a new version replaces the previous version's start
subscriptions with its own, and deleting the latest version gives them back to the version that
is latest again.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from modbatch.engine import clock, queries
from modbatch.engine.bpmn.model import ProcessModel
from modbatch.engine.runtime import new_id
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import EventSubscription, ProcessDefinition

# start event type -> the subscription's event type
START_EVENT_TYPES = {"messageStartEvent": "message", "signalStartEvent": "signal"}


# ---------------------------------------------------------------------------- query
def subscription_query(filters: Mapping[str, Any]):
    """Camunda's EventSubscriptionQueryDto as one SELECT."""
    es = EventSubscription
    f = filters.get
    stmt = select(es)
    for name, column in (("eventSubscriptionId", es.id), ("eventName", es.event_name),
                         ("eventType", es.event_type), ("executionId", es.execution_id),
                         ("processInstanceId", es.process_instance_id),
                         ("activityId", es.activity_id)):
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    stmt = queries.tenant_filter(stmt, es, filters, "includeEventSubscriptionsWithoutTenantId")
    return queries.apply_sorting(stmt, filters, {"created": es.created, "tenantId": es.tenant_id},
                                 es.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[EventSubscription]:
    return queries.page(session, subscription_query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, subscription_query(filters))


# ---------------------------------------------------------------------------- start events
def start_declarations(model: ProcessModel) -> list[tuple[str, str, str]]:
    """(event type, event name, activity id) of the process's message and signal start events.

    Start events of event sub-processes are not among them: those subscribe when their scope
    is entered."""
    found = []
    for activity in model.activities.values():
        event_type = START_EVENT_TYPES.get(activity.type)
        name = getattr(activity, "event_name", None)
        if event_type is not None and activity.scope_id == model.id and name is not None:
            found.append((event_type, name, activity.id))
    return found


def _same_tenant(column: Any, tenant_id: str | None) -> Any:
    return column.is_(None) if tenant_id is None else column == tenant_id


def start_subscriptions_of(session: Session, definition_ids: Iterable[str]) -> list[EventSubscription]:
    ids = list(definition_ids)
    if not ids:
        return []
    return list(session.execute(select(EventSubscription).where(
        EventSubscription.process_definition_id.in_(ids),
        EventSubscription.execution_id.is_(None),
        EventSubscription.process_instance_id.is_(None))
        .order_by(EventSubscription.created, EventSubscription.id)).scalars())


def remove_start_subscriptions(session: Session, definition_ids: Iterable[str]) -> None:
    ids = list(definition_ids)
    if ids:
        session.execute(delete(EventSubscription).where(
            EventSubscription.process_definition_id.in_(ids),
            EventSubscription.execution_id.is_(None),
            EventSubscription.process_instance_id.is_(None)))


def add_start_subscriptions(session: Session, definition: ProcessDefinition,
                            model: ProcessModel) -> list[EventSubscription]:
    """One subscription per message and signal start event of ``definition``.

    A message start event's name must be free among the other start subscriptions of the same
    tenant (Camunda's ENGINE-01011); signal start events may share names."""
    created = []
    for event_type, name, activity_id in start_declarations(model):
        if event_type == "message":
            taken = session.execute(select(EventSubscription.id).where(
                EventSubscription.event_type == "message", EventSubscription.event_name == name,
                EventSubscription.execution_id.is_(None),
                EventSubscription.process_instance_id.is_(None),
                _same_tenant(EventSubscription.tenant_id, definition.tenant_id)).limit(1)).first()
            if taken is not None:
                raise ProcessEngineError(
                    f"ENGINE-01011 Cannot deploy process definition '{definition.resource_name}': "
                    f"there already is a message event subscription for the message with name "
                    f"'{name}'.")
        subscription = EventSubscription(
            id=new_id(), event_type=event_type, event_name=name, process_instance_id=None,
            execution_id=None, activity_id=activity_id, process_definition_id=definition.id,
            tenant_id=definition.tenant_id, created=clock.now())
        session.add(subscription)
        session.flush()  # the next start event's name check must see this one
        created.append(subscription)
    return created


def previous_version(session: Session, definition: ProcessDefinition) -> ProcessDefinition | None:
    """The version ``definition`` replaces as latest: the highest lower version (same tenant)."""
    return session.execute(select(ProcessDefinition).where(
        ProcessDefinition.key == definition.key,
        _same_tenant(ProcessDefinition.tenant_id, definition.tenant_id),
        ProcessDefinition.version < definition.version)
        .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()


def adjust_on_deploy(session: Session, definition: ProcessDefinition, model: ProcessModel) -> None:
    """A new latest version: drop the previous version's start subscriptions, add its own."""
    previous = previous_version(session, definition)
    if previous is not None:
        remove_start_subscriptions(session, [previous.id])
    add_start_subscriptions(session, definition, model)


def latest_after_delete(session: Session,
                        deleted: list[ProcessDefinition]) -> list[ProcessDefinition]:
    """After ``deleted`` are gone: the definitions that became latest again because the latest
    version of their key and tenant was among them (Camunda restores their start events)."""
    restored = []
    groups = {(d.key, d.tenant_id) for d in deleted}
    deleted_ids = {d.id for d in deleted}
    for key, tenant_id in sorted(groups, key=lambda g: (g[0], g[1] or "")):
        versions = list(session.execute(select(ProcessDefinition).where(
            ProcessDefinition.key == key, _same_tenant(ProcessDefinition.tenant_id, tenant_id))
            .order_by(ProcessDefinition.version.desc())).scalars())
        if not versions or versions[0].id not in deleted_ids:
            continue  # the latest version stays, and with it its subscriptions
        remaining = [v for v in versions if v.id not in deleted_ids]
        if remaining:
            restored.append(remaining[0])
    return restored


def remove_for_definitions(session: Session, definition_ids: Iterable[str]) -> None:
    """Every subscription of these definitions, start events and waiting instances alike."""
    ids = list(definition_ids)
    if ids:
        session.execute(delete(EventSubscription).where(
            EventSubscription.process_definition_id.in_(ids)))
