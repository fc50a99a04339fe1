"""Runtime variable instances (Camunda's VariableInstanceQuery), one SELECT per query.

A variable belongs to the process instance (``activity_instance_id`` null) or to an activity
instance's scope. As in Camunda, a process variable's execution and activity instance are the
process instance itself; a local variable's are its scope's execution and activity instance.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session, aliased

from modbatch.engine import queries
from modbatch.engine.variables import TypedValue, from_columns
from modbatch.store.tables import ActivityInstance, ProcessInstance, Variable

_SCOPE = aliased(ActivityInstance)
EXECUTION_ID = func.coalesce(_SCOPE.execution_id, Variable.process_instance_id)
ACTIVITY_INSTANCE_ID = func.coalesce(Variable.activity_instance_id, Variable.process_instance_id)


def variable_query(filters: Mapping[str, Any]):
    """Compile Camunda's VariableInstanceQueryDto (GET params or POST body)."""
    v, pi = Variable, ProcessInstance
    f = filters.get
    stmt = (select(v.id, v.name, v.type, v.text_value, v.long_value, v.double_value,
                   v.value_info, v.process_instance_id, pi.process_definition_id, pi.tenant_id,
                   EXECUTION_ID.label("execution_id"),
                   ACTIVITY_INSTANCE_ID.label("activity_instance_id"))
            .join(pi, pi.id == v.process_instance_id)
            .outerjoin(_SCOPE, _SCOPE.id == v.activity_instance_id))
    if f("variableId") is not None:
        stmt = stmt.where(v.id == f("variableId"))
    if f("variableName") is not None:
        stmt = stmt.where(v.name == f("variableName"))
    if f("variableNameLike") is not None:
        stmt = stmt.where(v.name.like(queries.like(f("variableNameLike"))))
    for name, column in (("processInstanceIdIn", v.process_instance_id),
                         ("executionIdIn", EXECUTION_ID),
                         ("activityInstanceIdIn", ACTIVITY_INSTANCE_ID),
                         ("variableScopeIdIn", EXECUTION_ID)):
        values = queries.non_empty(f(name))
        if values:
            stmt = stmt.where(column.in_(values))
    # no task, case or batch owns a variable here: asking for one finds nothing
    for name in ("taskIdIn", "caseInstanceIdIn", "caseExecutionIdIn", "batchIdIn"):
        if queries.non_empty(f(name)):
            stmt = stmt.where(false())
    stmt = queries.tenant_filter(stmt, pi, filters)
    for condition in f("variableValues") or []:
        stmt = stmt.where(and_(*queries.variable_match(v, condition, filters)))
    return queries.apply_sorting(stmt, filters, {
        "variableName": v.name,
        "variableType": v.type,
        "activityInstanceId": ACTIVITY_INSTANCE_ID,
        "tenantId": pi.tenant_id,
    }, v.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[Any]:
    stmt = queries.apply_paging(variable_query(filters), first_result, max_results)
    return list(session.execute(stmt).all())


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, variable_query(filters))


def get(session: Session, variable_id: str) -> Any | None:
    return session.execute(variable_query({"variableId": variable_id})).first()


def typed_value(row: Any) -> TypedValue:
    return from_columns(row.type, row.text_value, row.long_value, row.double_value,
                        row.value_info)
