"""Message correlation and signals, as Camunda's CorrelateMessageCmd and SignalEventReceivedCmd.

A message goes first to the running executions that wait for it (message subscriptions of
receive tasks, catch events and boundary events), narrowed by process instance, business key,
process-level and local correlation keys and tenant; when none waits, it starts an instance at
the message start event of a latest definition. Without ``all`` exactly one match must exist.
A signal goes to every waiting signal subscription of that name and starts an instance of every
latest definition with a signal start event of that name.

Finding the matches is one SELECT each (waiting executions, start events); triggering and
starting go through the runtime's ``instances.trigger_subscriptions`` and ``instances.start``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from modbatch.engine import instances
from modbatch.engine.variables import TypedValue, from_columns, to_columns
from modbatch.errors import BadUserRequest, MismatchingMessageCorrelation, ProcessEngineError
from modbatch.store.tables import (
    ActivityInstance,
    EventSubscription,
    ProcessDefinition,
    ProcessInstance,
    Variable,
)

NUMBER_TYPES = ("Integer", "Long", "Short", "Double")


@dataclass
class CorrelationResult:
    """One triggered execution (``Execution``) or one started instance (``ProcessDefinition``)."""

    result_type: str
    process_instance_id: str
    tenant_id: str | None
    execution_id: str | None = None
    # the started instance (ProcessDefinition results)
    definition_id: str | None = None
    definition_key: str | None = None
    business_key: str | None = None
    suspended: bool = False
    ended: bool = False
    # the process instance's variables after the correlation, when asked for
    variables: dict[str, TypedValue] | None = None


@dataclass
class MessageCorrelation:
    """What ``POST /message`` asks for (Camunda's MessageCorrelationBuilder)."""

    message_name: str
    business_key: str | None = None
    process_instance_id: str | None = None
    correlation_keys: dict[str, TypedValue] | None = None
    local_correlation_keys: dict[str, TypedValue] | None = None
    tenant_id: str | None = None
    tenant_id_set: bool = False  # tenantId given, or withoutTenantId (tenant_id None)
    variables: dict[str, TypedValue] | None = None
    variables_local: dict[str, TypedValue] | None = None
    # correlation keys given without a type (Camunda prints them differently in its messages)
    untyped_keys: set[str] = field(default_factory=set)
    untyped_local_keys: set[str] = field(default_factory=set)


# ---------------------------------------------------------------------------- matching
def _variable_equals(scope_condition: Any, name: str, typed: TypedValue) -> Any:
    """EXISTS a variable in the scope with this name and value (numbers across number types)."""
    v = Variable
    base = [scope_condition, v.name == name]
    if typed.value is None:
        return exists().where(*base, or_(v.type == "Null", and_(
            v.text_value.is_(None), v.long_value.is_(None), v.double_value.is_(None))))
    columns = to_columns(typed)
    if typed.type in NUMBER_TYPES:
        return exists().where(*base, v.type.in_(NUMBER_TYPES),
                              v.double_value == float(typed.value))
    if typed.type in ("Boolean", "Date"):
        return exists().where(*base, v.type == typed.type, v.long_value == columns["long_value"])
    return exists().where(*base, v.type == typed.type, v.text_value == columns["text_value"])


def waiting_executions(session: Session, correlation: MessageCorrelation) -> list[EventSubscription]:
    """The message subscriptions of active executions that match, one per execution."""
    es, pi = EventSubscription, ProcessInstance
    stmt = (select(es).join(pi, pi.id == es.process_instance_id)
            .where(es.event_type == "message", es.event_name == correlation.message_name,
                   es.execution_id.is_not(None), pi.suspended.is_(False)))
    if correlation.process_instance_id is not None:
        stmt = stmt.where(pi.id == correlation.process_instance_id)
    if correlation.business_key is not None:
        stmt = stmt.where(pi.business_key == correlation.business_key)
    if correlation.tenant_id_set:
        stmt = stmt.where(pi.tenant_id.is_(None) if correlation.tenant_id is None
                          else pi.tenant_id == correlation.tenant_id)
    instance_scope = and_(Variable.process_instance_id == pi.id,
                          Variable.activity_instance_id.is_(None))
    for name, value in (correlation.correlation_keys or {}).items():
        stmt = stmt.where(_variable_equals(instance_scope, name, value))
    # the process instance owns the subscriptions of process-level event sub-processes: its
    # local variables are the process variables
    local_scope = and_(Variable.process_instance_id == es.process_instance_id, or_(
        Variable.activity_instance_id == es.activity_instance_id,
        and_(es.activity_instance_id == es.process_instance_id, Variable.activity_instance_id.is_(None))))
    for name, value in (correlation.local_correlation_keys or {}).items():
        stmt = stmt.where(_variable_equals(local_scope, name, value))
    rows = session.execute(stmt.order_by(es.execution_id, es.created, es.id)).scalars()
    by_execution: dict[str, EventSubscription] = {}
    for row in rows:
        by_execution.setdefault(row.execution_id, row)
    return list(by_execution.values())


def start_event_subscriptions(session: Session, event_type: str, name: str, *,
                              tenant_id: str | None = None, tenant_id_set: bool = False,
                              include_without_tenant: bool = False,
                              ) -> list[tuple[EventSubscription, ProcessDefinition]]:
    """Start event subscriptions of that name whose definition is active, with the definition."""
    es, pd = EventSubscription, ProcessDefinition
    stmt = (select(es, pd).join(pd, pd.id == es.process_definition_id)
            .where(es.event_type == event_type, es.event_name == name,
                   es.execution_id.is_(None), es.process_instance_id.is_(None),
                   pd.suspended.is_(False)))
    if tenant_id_set:
        stmt = stmt.where(_tenant_condition(es.tenant_id, tenant_id, include_without_tenant))
    return [(row[0], row[1]) for row in session.execute(stmt.order_by(es.created, es.id))]


def _tenant_condition(column: Any, tenant_id: str | None, include_without: bool) -> Any:
    if tenant_id is None:
        return column.is_(None)
    if include_without:
        return or_(column == tenant_id, column.is_(None))
    return column == tenant_id


# ---------------------------------------------------------------------------- messages
def correlate_message(session: Session, correlation: MessageCorrelation, *, all: bool = False,
                      with_variables: bool = False) -> list[CorrelationResult]:
    """Trigger the one match (or, with ``all``, every match) and describe what happened."""
    name = correlation.message_name
    if correlation.process_instance_id is not None and correlation.tenant_id_set:
        raise BadUserRequest("ENGINE-13028 Cannot specify a tenant-id when correlate a message "
                             "to a single process instance.")
    executions = waiting_executions(session, correlation)
    starts: list[tuple[EventSubscription, ProcessDefinition]] = []

    def message_starts() -> list[tuple[EventSubscription, ProcessDefinition]]:
        return start_event_subscriptions(session, "message", name, tenant_id=correlation.tenant_id,
                                         tenant_id_set=correlation.tenant_id_set)

    if all:
        starts = message_starts()
    elif len(executions) > 1:
        raise MismatchingMessageCorrelation(
            f"ENGINE-13031 Cannot correlate a message with name '{name}' to a single execution. "
            f"{len(executions)} executions match the correlation keys: "
            f"{correlation_set(correlation)}")
    elif not executions:
        starts = message_starts()
        if len(starts) > 1:
            raise MismatchingMessageCorrelation(
                f"ENGINE-13030 Cannot correlate a message with name '{name}' to a single process "
                f"definition. {len(starts)} process definitions match the correlations keys: "
                f"{correlation_set(correlation)}")
        if not starts:
            raise MismatchingMessageCorrelation(
                f"Cannot correlate message '{name}': No process definition or execution matches "
                "the parameters")
    results = _trigger(session, executions, variables=correlation.variables or {},
                       variables_local=correlation.variables_local, with_variables=with_variables)
    start_variables = {**(correlation.variables or {}), **(correlation.variables_local or {})}
    for subscription, definition in starts:
        results.append(_start(session, definition, subscription.activity_id,
                              business_key=correlation.business_key, variables=start_variables,
                              with_variables=with_variables))
    return results


def _instance_variables(session: Session, instance_id: str) -> dict[str, TypedValue]:
    rows = session.execute(select(Variable.__table__).where(
        Variable.process_instance_id == instance_id, Variable.activity_instance_id.is_(None))
        .order_by(Variable.name)).all()
    return {row.name: from_columns(row.type, row.text_value, row.long_value, row.double_value,
                                   row.value_info) for row in rows}


def _trigger(session: Session, subscriptions: list[EventSubscription], *,
             variables: dict[str, TypedValue], variables_local: dict[str, TypedValue] | None,
             with_variables: bool) -> list[CorrelationResult]:
    if not subscriptions:
        return []
    described = [(s.execution_id, s.process_instance_id, s.tenant_id) for s in subscriptions]
    instance_ids = list(dict.fromkeys(pid for _, pid, _ in described))
    # an instance that ends now keeps the variables it had (Camunda snapshots them at the end)
    before = {pid: _instance_variables(session, pid) for pid in instance_ids} \
        if with_variables else {}
    instances.trigger_subscriptions(session, subscriptions, variables=variables,
                                    local_variables=variables_local)
    session.flush()
    alive = set(session.execute(select(ProcessInstance.id).where(
        ProcessInstance.id.in_(instance_ids))).scalars())
    after: dict[str, dict[str, TypedValue]] = {}
    if with_variables:
        for pid in instance_ids:
            after[pid] = _instance_variables(session, pid) if pid in alive \
                else {**before[pid], **variables}
    return [CorrelationResult("Execution", process_instance_id=pid, tenant_id=tenant,
                              execution_id=execution_id, ended=pid not in alive,
                              variables=after.get(pid) if with_variables else None)
            for execution_id, pid, tenant in described]


def _start(session: Session, definition: ProcessDefinition, activity_id: str, *,
           business_key: str | None, variables: dict[str, TypedValue],
           with_variables: bool) -> CorrelationResult:
    started = instances.start(session, definition, business_key=business_key,
                              variables=variables, start_activity_id=activity_id)
    state = started.state
    result = CorrelationResult(
        "ProcessDefinition", process_instance_id=state.id, tenant_id=state.tenant_id,
        definition_id=state.process_definition_id, definition_key=state.process_definition_key,
        business_key=state.business_key, suspended=bool(state.suspended), ended=state.ended)
    if with_variables:
        result.variables = {var.name: var.value for var in state.variables.values()
                            if var.scope is None}
    return result


# ---------------------------------------------------------------------------- signals
@dataclass
class SignalTargets:
    """Where a signal goes: waiting subscriptions, and start events with their definitions."""

    catching: list[EventSubscription]
    starting: list[tuple[EventSubscription, ProcessDefinition]]


def signal_targets(session: Session, signal_name: str, *, tenant_id: str | None = None,
                   without_tenant_id: bool = False, include_without_tenant: bool = False,
                   ) -> SignalTargets:
    """Every signal subscription of that name: of active (not suspended) instances, and of the
    start events of active latest definitions. ``tenant_id`` or ``without_tenant_id`` narrow
    both; ``include_without_tenant`` adds those without a tenant to ``tenant_id``'s (what a
    throw event inside a tenant's instance reaches)."""
    es, pi = EventSubscription, ProcessInstance
    tenant_set = tenant_id is not None or without_tenant_id
    tenant = tenant_id  # Camunda's withoutTenantId() marks the tenant as set, it clears nothing
    stmt = (select(es).join(pi, pi.id == es.process_instance_id)
            .where(es.event_type == "signal", es.event_name == signal_name,
                   es.execution_id.is_not(None), pi.suspended.is_(False)))
    if tenant_set:
        stmt = stmt.where(_tenant_condition(es.tenant_id, tenant, include_without_tenant))
    catching = list(session.execute(stmt.order_by(es.created, es.id)).scalars())
    starting = start_event_subscriptions(session, "signal", signal_name, tenant_id=tenant,
                                         tenant_id_set=tenant_set,
                                         include_without_tenant=include_without_tenant)
    return SignalTargets(catching, starting)


def throw_signal(session: Session, signal_name: str, *,
                 variables: dict[str, TypedValue] | None = None, tenant_id: str | None = None,
                 without_tenant_id: bool = False, execution_id: str | None = None,
                 include_without_tenant: bool = False) -> list[str]:
    """Deliver a signal; returns the ids of the instances triggered and started.

    ``tenant_id`` wins over ``without_tenant_id`` (as in Camunda's builder). With
    ``execution_id`` only that execution's subscriptions of this name are triggered."""
    variables = variables or {}
    if execution_id is not None:
        if tenant_id is not None or without_tenant_id:
            raise BadUserRequest("ENGINE-13027 Cannot specify a tenant-id when deliver a signal "
                                 "to a single execution.")
        return _signal_execution(session, signal_name, execution_id, variables)
    targets = signal_targets(session, signal_name, tenant_id=tenant_id,
                             without_tenant_id=without_tenant_id,
                             include_without_tenant=include_without_tenant)
    touched: list[str] = []
    if targets.catching:
        touched += instances.trigger_subscriptions(session, targets.catching, variables=variables)
    for subscription, definition in targets.starting:
        started = instances.start(session, definition, business_key=None, variables=variables,
                                  start_activity_id=subscription.activity_id)
        touched.append(started.state.id)
    return touched


def _signal_execution(session: Session, signal_name: str, execution_id: str,
                      variables: dict[str, TypedValue]) -> list[str]:
    known = session.execute(select(ActivityInstance.id).where(
        ActivityInstance.execution_id == execution_id)).first() is not None or \
        session.get(ProcessInstance, execution_id) is not None
    if not known:
        raise ProcessEngineError(f"Cannot find execution with id '{execution_id}': execution is "
                                 "null", type="NullValueException", status=404)
    subscriptions = list(session.execute(select(EventSubscription).where(
        EventSubscription.event_type == "signal", EventSubscription.event_name == signal_name,
        EventSubscription.execution_id == execution_id)
        .order_by(EventSubscription.created, EventSubscription.id)).scalars())
    if not subscriptions:
        # EnsureUtil.ensureNotEmpty(variableName, collection) appends " is empty"
        raise ProcessEngineError(f"Execution '{execution_id}' has not subscribed to a signal "
                                 f"event with name '{signal_name}'. is empty", status=404)
    return instances.trigger_subscriptions(session, subscriptions, variables=variables)


# ---------------------------------------------------------------------------- Camunda's texts
def correlation_set(c: MessageCorrelation) -> str:
    """CorrelationSet.toString(), as it appears in Camunda's ENGINE-13030/13031 messages."""
    return (f"CorrelationSet [businessKey={_java(c.business_key)}, "
            f"processInstanceId={_java(c.process_instance_id)}, processDefinitionId=null, "
            f"correlationKeys={_variable_map(c.correlation_keys, c.untyped_keys)}, "
            f"localCorrelationKeys={_variable_map(c.local_correlation_keys, c.untyped_local_keys)}, "
            f"tenantId={_java(c.tenant_id)}, isTenantIdSet={_java(c.tenant_id_set)}, "
            "isExecutionsOnly=false]")


def _java(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, datetime):  # java.util.Date.toString() on a JVM in UTC
        return value.strftime("%a %b %d %H:%M:%S UTC %Y")
    return str(value)


def _java_double(value: float) -> str:
    if value == int(value) and abs(value) < 1e7:
        return f"{value:.1f}"
    return repr(value).replace("e+", "E").replace("e-", "E-")


def _variable_map(values: Mapping[str, TypedValue] | None, untyped: set[str]) -> str:
    """VariableMapImpl.toString(): one ``  name => value`` line per entry, in HashMap order."""
    if values is None:
        return "null"
    lines = []
    for name in java_hash_order(list(values)):
        typed = values[name]
        if name in untyped:
            text = f"Untyped value '{_java(typed.value)}', isTransient = false"
        elif typed.value is None:
            text = "Untyped 'null' value"
        else:
            text = (f"Value '{_java(typed.value)}' of type "
                    f"'PrimitiveValueType[{typed.type[:1].lower() + typed.type[1:]}]', "
                    "isTransient=false")
        lines.append(f"  {name} => {text}\n")
    return "{\n" + "".join(lines) + "}"


def _java_string_hash(text: str) -> int:
    h = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h


def java_hash_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap with these String keys put in this order."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(keys, key=lambda k: (bucket(k), keys.index(k)))
