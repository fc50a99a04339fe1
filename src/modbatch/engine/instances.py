"""Process instances: start, query (compiled to one SQL statement), suspend, delete, inspect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sqlalchemy import Row, and_, bindparam, exists, false, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from modbatch.engine import calls, decisions, history, persistence, queries, repository
from modbatch.engine.runtime import InstanceState, Runtime, new_instance
from modbatch.engine.variables import TypedValue, from_columns
from modbatch.errors import BadUserRequest, InvalidRequest, NotFoundError, ProcessEngineError
from modbatch.store.tables import (
    ActivityInstance,
    EventSubscription,
    ExternalTask,
    Incident,
    Job,
    ProcessDefinition,
    ProcessInstance,
    Task,
    Variable,
)



@dataclass
class StartedInstance:
    state: InstanceState
    definition: ProcessDefinition


def start(session: Session, definition: ProcessDefinition, *, business_key: str | None,
          variables: dict[str, TypedValue], skip_io_mappings: bool = False,
          start_activity_id: str | None = None) -> StartedInstance:
    """Start at the initial activity, or at ``start_activity_id`` (a message, signal or timer start)."""
    model = repository.model_for(session, definition)
    if definition.suspended:
        raise BadUserRequest(
            f"Cannot start process instance. Process definition {definition.name or definition.key}"
            f" (id = {definition.id}) is suspended")
    state = new_instance(model, process_definition_id=definition.id, business_key=business_key,
                         tenant_id=definition.tenant_id)
    decisions.hand_to(session, [state])
    Runtime(state, skip_io_mappings=skip_io_mappings).start(variables,
                                                            start_activity_id=start_activity_id)
    save(session, [state])
    return StartedInstance(state, definition)


def save(session: Session, states: list[InstanceState], *, settled: bool = False) -> None:
    """Write the instances, then deliver the signals their signal throw events sent."""
    if not settled:  # called instances: start, end, cancel, errors (``settled``: done already)
        states = calls.settle(session, states)
    persistence.flush(session, states)
    thrown = [(state.tenant_id, signal) for state in states for signal in state.thrown_signals]
    for state in states:
        state.thrown_signals.clear()
    if not thrown:
        return
    from modbatch.engine.events import correlation  # it starts and triggers instances through this module

    if _SIGNAL_DEPTH[0] > 20:
        raise ProcessEngineError("Signals keep triggering signal throw events; stopped after 20 rounds")
    _SIGNAL_DEPTH[0] += 1
    try:
        for tenant_id, (name, signal_variables) in thrown:
            # a throw inside an instance reaches its own tenant and the untenanted, as in Camunda
            correlation.throw_signal(session, name, variables=signal_variables, tenant_id=tenant_id,
                                     without_tenant_id=tenant_id is None, include_without_tenant=True)
    finally:
        _SIGNAL_DEPTH[0] -= 1


_SIGNAL_DEPTH = [0]


def trigger_subscriptions(session: Session, subscriptions: list[EventSubscription], *,
                          variables: dict[str, TypedValue],
                          local_variables: dict[str, TypedValue] | None = None) -> list[str]:
    """Trigger message or signal subscriptions of running instances: one load, one flush."""
    ids = list(dict.fromkeys(s.process_instance_id for s in subscriptions if s.process_instance_id))
    states = persistence.load(session, ids)
    touched = []
    for sub in subscriptions:
        state = states.get(sub.process_instance_id or "")
        if state is None or sub.id not in state.subscriptions:
            continue  # an earlier trigger in this call removed it
        Runtime(state).trigger(sub.activity_instance_id or "", sub.activity_id, variables,
                               local_variables)
        touched.append(state)
    save(session, list({s.id: s for s in touched}.values()))
    return list(dict.fromkeys(s.id for s in touched))


def _owner_state(session: Session, instance_id: str) -> InstanceState:
    state = load_one(session, instance_id)
    if state is None:
        raise NotFoundError(f"Process instance '{instance_id}' does not exist")
    return state


def complete_external_task(session: Session, task: ExternalTask, *,
                           variables: dict[str, TypedValue],
                           local_variables: dict[str, TypedValue]) -> None:
    """The worker is done: the activity instance waiting for the task leaves."""
    state = _owner_state(session, task.process_instance_id)
    Runtime(state).complete_activity(task.activity_instance_id, variables, local_variables)
    save(session, [state])


def external_task_bpmn_error(session: Session, task: ExternalTask, *, error_code: str,
                             error_message: str | None,
                             variables: dict[str, TypedValue]) -> None:
    """The worker reports a BPMN error: caught by the nearest matching error boundary event."""
    state = _owner_state(session, task.process_instance_id)
    Runtime(state).throw_bpmn_error(task.activity_instance_id, error_code, error_message, variables)
    save(session, [state])


def fire_job(session: Session, job) -> None:
    """Run an async continuation or a timer job of a process instance."""
    state = load_one(session, job.process_instance_id)
    if state is None:
        return
    Runtime(state).fire_job(job.id)
    save(session, [state])


def start_many(session: Session, definition: ProcessDefinition, count: int, *,
               business_key_prefix: str | None = None,
               variables: Callable[[int], dict[str, TypedValue]] | None = None) -> list[str]:
    """Start ``count`` instances with one flush: the set-based twin of ``start``."""
    model = repository.model_for(session, definition)
    states = []
    for number in range(count):
        key = f"{business_key_prefix}{number}" if business_key_prefix is not None else None
        state = new_instance(model, process_definition_id=definition.id, business_key=key,
                             tenant_id=definition.tenant_id)
        decisions.hand_to(session, [state])
        Runtime(state).start(variables(number) if variables else None)
        states.append(state)
    save(session, states)
    return [state.id for state in states]


_BY_ID = select(ProcessInstance.__table__).where(ProcessInstance.__table__.c.id == bindparam("id"))


def get(session: Session, instance_id: str) -> Row | None:
    """The instance's row, read-only (a plain Core row: no ORM identity map per request)."""
    return session.execute(_BY_ID, {"id": instance_id}).first()


def load_one(session: Session, instance_id: str) -> InstanceState | None:
    return persistence.load(session, [instance_id]).get(instance_id)


# ---------------------------------------------------------------------------- query
def instance_query(filters: Mapping[str, Any], *, columns=None):
    """Compile Camunda's ProcessInstanceQueryDto (GET params or POST body) into one SELECT."""
    stmt = select(*(columns or (ProcessInstance,)))
    condition = _conditions(filters)
    or_queries = filters.get("orQueries") or []
    if or_queries:
        ors = []
        for sub in or_queries:
            if not isinstance(sub, Mapping):
                continue
            if sub.get("orQueries"):
                raise InvalidRequest("Invalid query: orQueries may not be nested")
            ors.append(_conditions(sub, or_mode=True))
        if ors:
            condition = and_(condition, *ors)
    stmt = stmt.where(condition)
    if columns is not None:
        return stmt.order_by(ProcessInstance.id)
    return queries.apply_sorting(stmt, filters, {
        "instanceId": ProcessInstance.id,
        "definitionKey": ProcessInstance.process_definition_key,
        "definitionId": ProcessInstance.process_definition_id,
        "tenantId": ProcessInstance.tenant_id,
        "businessKey": ProcessInstance.business_key,
    }, ProcessInstance.id)


def _conditions(filters: Mapping[str, Any], *, or_mode: bool = False):
    pi = ProcessInstance
    f = filters.get
    parts = []
    if f("processInstanceIds") is not None:
        parts.append(pi.id.in_(list(f("processInstanceIds"))))
    equal = {"businessKey": pi.business_key, "processDefinitionId": pi.process_definition_id,
             "processDefinitionKey": pi.process_definition_key}
    for name, column in equal.items():
        if f(name) is not None:
            parts.append(column == f(name))
    if f("businessKeyLike") is not None:
        parts.append(pi.business_key.like(f("businessKeyLike")))
    if f("processDefinitionKeyIn"):
        parts.append(pi.process_definition_key.in_(f("processDefinitionKeyIn")))
    if f("processDefinitionKeyNotIn"):
        parts.append(pi.process_definition_key.not_in(f("processDefinitionKeyNotIn")))
    if f("deploymentId") is not None:
        parts.append(pi.process_definition_id.in_(
            select(ProcessDefinition.id).where(ProcessDefinition.deployment_id == f("deploymentId"))))
    if f("active") is True:
        parts.append(pi.suspended.is_(False))
    if f("suspended") is True:
        parts.append(pi.suspended.is_(True))
    if f("tenantIdIn"):
        parts.append(pi.tenant_id.in_(f("tenantIdIn")))
    if f("withoutTenantId") is True:
        parts.append(pi.tenant_id.is_(None))
    if f("processDefinitionWithoutTenantId") is True:
        parts.append(pi.process_definition_id.in_(
            select(ProcessDefinition.id).where(ProcessDefinition.tenant_id.is_(None))))
    if f("activityIdIn"):
        # Camunda matches the executions' current activities: leaves, never an entered scope
        # an uncorrelated IN (...) is evaluated once, not once per instance
        child = aliased(ActivityInstance)
        parts.append(pi.id.in_(
            select(ActivityInstance.process_instance_id).where(
                ActivityInstance.activity_id.in_(f("activityIdIn")),
                ~exists().where(child.parent_id == ActivityInstance.id))))
    if f("rootProcessInstances") is True:
        parts.append(pi.super_process_instance_id.is_(None))
    if f("leafProcessInstances") is True:
        called = aliased(ProcessInstance)
        parts.append(~exists().where(called.super_process_instance_id == pi.id))
    if f("superProcessInstance") is not None:  # the instances it called
        parts.append(pi.super_process_instance_id == f("superProcessInstance"))
    if f("subProcessInstance") is not None:  # the instance that called it
        called = aliased(ProcessInstance)
        parts.append(pi.id.in_(select(called.super_process_instance_id).where(
            called.id == f("subProcessInstance"))))
    if f("caseInstanceId") is not None:
        parts.append(false())
    incident_filters = [Incident.process_instance_id == pi.id]
    for name, column in (("incidentId", Incident.id), ("incidentType", Incident.incident_type),
                         ("incidentMessage", Incident.incident_message)):
        if f(name) is not None:
            incident_filters.append(column == f(name))
    if f("incidentMessageLike") is not None:
        incident_filters.append(Incident.incident_message.like(f("incidentMessageLike")))
    if f("withIncident") is True or len(incident_filters) > 1:
        parts.append(exists().where(*incident_filters))
    for condition in f("variables") or []:
        parts.append(_variable_condition(condition, filters))
    if not parts:
        return false() if or_mode else true()
    return or_(*parts) if or_mode else and_(*parts)


def _variable_condition(condition: Any, filters: Mapping[str, Any]):
    v = Variable
    base = [v.process_instance_id == ProcessInstance.id, v.activity_instance_id.is_(None)]
    return exists().where(*base, *queries.variable_match(v, condition, filters))


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[ProcessInstance]:
    return queries.page(session, instance_query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, instance_query(filters))


def ids_matching(session: Session, filters: Mapping[str, Any]) -> list[str]:
    """The ids a query matches, straight from SQL (a batch freezes them at creation)."""
    return list(session.execute(ids_query(filters)).scalars())


def ids_query(filters: Mapping[str, Any]):
    """The SELECT of the ids a query matches, ordered by id (for a set-based INSERT ... SELECT)."""
    return instance_query(filters, columns=(ProcessInstance.id,))


# ---------------------------------------------------------------------------- commands
def delete(session: Session, instance_id: str, *, fail_if_not_exists: bool = True,
           skip_subprocesses: bool = False) -> None:
    """Delete an instance and, unless ``skip_subprocesses``, the instances it called."""
    state = load_one(session, instance_id)
    if state is None:
        if fail_if_not_exists:
            raise NotFoundError(
                f"No process instance found for id '{instance_id}': processInstance is null")
        return
    if skip_subprocesses:  # the called instances stay, no longer linked to a caller
        calls.unlink_called(session, instance_id)
    state.end_state = "EXTERNALLY_TERMINATED"
    state.clear()
    save(session, [state])


def set_suspended(session: Session, instance_id: str, suspended: bool) -> None:
    """Like Camunda's UPDATE ... WHERE PROC_INST_ID_ = ?: an unknown id changes nothing."""
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                    .values(suspended=suspended))
    for table in (Task, Job, ExternalTask):
        session.execute(update(table).where(table.process_instance_id == instance_id)
                        .values(suspended=suspended))
    history.set_suspended(session, [instance_id], suspended)


def variables(session: Session, instance_id: str) -> dict[str, TypedValue]:
    """The process instance's own (global) variables (GetExecutionVariablesCmd)."""
    if get(session, instance_id) is None:
        raise ProcessEngineError(
            f"execution {instance_id} doesn't exist: execution is null", type="NullValueException",
            status=404)
    rows = session.execute(select(Variable.__table__).where(
        Variable.process_instance_id == instance_id, Variable.activity_instance_id.is_(None))
        .order_by(Variable.name)).all()
    return {row.name: from_columns(row.type, row.text_value, row.long_value, row.double_value,
                                   row.value_info) for row in rows}



@dataclass
class TreeNode:
    """A node of the activity-instance tree, as Camunda's GetActivityInstanceCmd builds it."""

    id: str
    parent_id: str | None
    activity_id: str
    activity_type: str
    activity_name: str | None
    execution_ids: list[str]
    children: list["TreeNode"]
    transition: bool = False
    # (incident id, activity id) of the incidents raised in this node's execution
    incidents: list[tuple[str, str]] = field(default_factory=list)


def incidents_by_execution(session: Session, instance_id: str) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for row in session.execute(select(Incident.id, Incident.execution_id, Incident.activity_id).where(
            Incident.process_instance_id == instance_id).order_by(Incident.incident_timestamp)):
        found.setdefault(row.execution_id, []).append((row.id, row.activity_id))
    return found


def activity_tree(state: InstanceState,
                  incidents: Mapping[str, list[tuple[str, str]]] | None = None) -> TreeNode:
    incidents = incidents or {}

    def build(parent_id: str) -> list[TreeNode]:
        return [TreeNode(ai.id, parent_id, ai.activity_id, ai.activity_type, ai.activity_name,
                         [ai.execution_id], build(ai.id), ai.is_transition,
                         list(incidents.get(ai.execution_id, ())))
                for ai in state.children(parent_id)]

    # the process instance's own incidents (a failed job it owns: an event sub-process timer)
    return TreeNode(state.id, None, state.process_definition_id, "processDefinition",
                    state.model.name, [state.id], build(state.id),
                    incidents=list(incidents.get(state.id, ())))
