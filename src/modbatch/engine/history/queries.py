"""Camunda's historic queries (process, activity and variable instances, incidents) in SQL.

Each query DTO (GET parameters or POST body, already typed by the API: lists split, dates
parsed) compiles into one SELECT, sorted and paged by ``engine.queries``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from modbatch.engine import clock, queries
from modbatch.engine.variables import from_columns
from modbatch.errors import BadUserRequest, InvalidRequest
from modbatch.store.tables import (
    HistoricActivityInstance,
    HistoricIncident,
    HistoricProcessInstance,
    HistoricVariableInstance,
)

HPI, HAI, HVI, HIN = (HistoricProcessInstance, HistoricActivityInstance, HistoricVariableInstance,
                      HistoricIncident)

STATES = {"active": "ACTIVE", "suspended": "SUSPENDED", "completed": "COMPLETED",
          "externallyTerminated": "EXTERNALLY_TERMINATED",
          "internallyTerminated": "INTERNALLY_TERMINATED"}

# ---------------------------------------------------------------------------- process instances
PROCESS_SORTING = {
    "instanceId": HPI.id, "definitionId": HPI.process_definition_id,
    "definitionKey": HPI.process_definition_key, "definitionName": HPI.process_definition_name,
    "definitionVersion": HPI.process_definition_version, "businessKey": HPI.business_key,
    "startTime": HPI.start_time, "endTime": HPI.end_time, "duration": HPI.duration_in_millis,
    "tenantId": HPI.tenant_id,
}


PROCESS_DATES = ("startedBefore", "startedAfter", "finishedBefore", "finishedAfter",
                 "executedActivityAfter", "executedActivityBefore")


def typed_process_query(filters: Mapping[str, Any]) -> dict[str, Any]:
    """A HistoricProcessInstanceQueryDto from JSON: its dates (also in orQueries) parsed."""
    typed = dict(filters)
    for name in PROCESS_DATES:
        value = typed.get(name)
        if value is not None and not isinstance(value, datetime):
            try:
                typed[name] = clock.parse_date(value)
            except (ValueError, TypeError):
                raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}': "
                                     "not a valid date") from None
    subs = typed.get("orQueries")
    if isinstance(subs, list):
        typed["orQueries"] = [typed_process_query(s) if isinstance(s, Mapping) else s for s in subs]
    return typed


def process_instance_query(filters: Mapping[str, Any], *, columns=None):
    condition = _process_conditions(filters)
    ors = []
    for sub in filters.get("orQueries") or []:
        if not isinstance(sub, Mapping):
            continue
        if sub.get("orQueries"):
            raise InvalidRequest("Invalid query: orQueries may not be nested")
        ors.append(_process_conditions(sub, or_mode=True))
    if ors:
        condition = and_(condition, *ors)
    stmt = select(*(columns or (HPI,))).where(condition)
    if columns is not None:
        return stmt.order_by(HPI.id)
    return queries.apply_sorting(stmt, filters, PROCESS_SORTING, HPI.id)


def _process_conditions(filters: Mapping[str, Any], *, or_mode: bool = False):
    f = filters.get
    parts: list[Any] = []
    equal = {"processInstanceId": HPI.id, "processDefinitionId": HPI.process_definition_id,
             "processDefinitionKey": HPI.process_definition_key,
             "processDefinitionName": HPI.process_definition_name,
             "processInstanceBusinessKey": HPI.business_key,
             "superProcessInstanceId": HPI.super_process_instance_id}
    for name, column in equal.items():
        if f(name) is not None:
            parts.append(column == f(name))
    likes = {"processDefinitionNameLike": HPI.process_definition_name,
             "processInstanceBusinessKeyLike": HPI.business_key}
    for name, column in likes.items():
        if f(name) is not None:
            parts.append(column.like(f(name)))
    within = {"processInstanceIds": HPI.id, "processDefinitionKeyIn": HPI.process_definition_key,
              "processInstanceBusinessKeyIn": HPI.business_key, "tenantIdIn": HPI.tenant_id}
    for name, column in within.items():
        if f(name):
            parts.append(column.in_(list(f(name))))
    if f("processDefinitionKeyNotIn"):
        parts.append(HPI.process_definition_key.not_in(list(f("processDefinitionKeyNotIn"))))
    if f("withoutTenantId") is True:
        parts.append(HPI.tenant_id.is_(None))
    if f("rootProcessInstances") is True:
        parts.append(HPI.super_process_instance_id.is_(None))
    if f("subProcessInstanceId") is not None:
        parts.append(HPI.id.in_(select(HPI.super_process_instance_id).where(
            HPI.id == f("subProcessInstanceId"))))
    if f("startedBy") is not None:
        parts.append(HPI.start_user_id == f("startedBy"))
    if f("finished") is True:
        parts.append(HPI.end_time.is_not(None))
    if f("unfinished") is True:
        parts.append(HPI.end_time.is_(None))
    # Several states outside orQueries select the instances in all of them: none (Camunda's 400
    # "Already querying for historic process instance with another state"; README, "Rules the
    # spec states"); inside an OR they are alternatives
    states = [state for name, state in STATES.items() if f(name) is True]
    parts += [HPI.state == state for state in states]
    bounds = (("startedBefore", HPI.start_time, "<="), ("startedAfter", HPI.start_time, ">="),
              ("finishedBefore", HPI.end_time, "<="), ("finishedAfter", HPI.end_time, ">="))
    for name, column, op in bounds:
        if f(name) is not None:
            parts.append(column <= f(name) if op == "<=" else column >= f(name))
    activity = [HAI.process_instance_id == HPI.id]
    if f("executedActivityAfter") is not None:
        activity.append(or_(HAI.start_time >= f("executedActivityAfter"),
                            HAI.end_time >= f("executedActivityAfter")))
    if f("executedActivityBefore") is not None:
        activity.append(or_(HAI.start_time <= f("executedActivityBefore"),
                            HAI.end_time <= f("executedActivityBefore")))
    if len(activity) > 1:
        parts.append(exists().where(*activity))
    if f("executedActivityIdIn"):
        parts.append(HPI.id.in_(select(HAI.process_instance_id).where(
            HAI.activity_id.in_(list(f("executedActivityIdIn"))), HAI.end_time.is_not(None))))
    if f("activeActivityIdIn"):
        parts.append(HPI.id.in_(select(HAI.process_instance_id).where(
            HAI.activity_id.in_(list(f("activeActivityIdIn"))), HAI.end_time.is_(None))))
    incident = [HIN.process_instance_id == HPI.id]
    if f("incidentType") is not None:
        incident.append(HIN.incident_type == f("incidentType"))
    if f("incidentMessage") is not None:
        incident.append(HIN.incident_message == f("incidentMessage"))
    if f("incidentMessageLike") is not None:
        incident.append(HIN.incident_message.like(f("incidentMessageLike")))
    status = f("incidentStatus")
    if status is not None:
        if status not in ("open", "resolved"):
            raise InvalidRequest(f"Cannot set query parameter 'incidentStatus' to value "
                                 f"'{status}'")
        incident.append(HIN.state == status)
    if f("withIncidents") is True or f("withRootIncidents") is True or len(incident) > 1:
        parts.append(exists().where(*incident))
    for condition in f("variables") or []:
        parts.append(_variable_condition(condition, filters))
    if not parts:
        return false() if or_mode else true()
    return or_(*parts) if or_mode else and_(*parts)


def _variable_condition(condition: Any, filters: Mapping[str, Any]):
    """A variable filter of a historic process instance query, on its historic variables."""
    return exists().where(HVI.process_instance_id == HPI.id,
                          *queries.variable_match(HVI, condition, filters))


def find_process_instances(session: Session, filters: Mapping[str, Any],
                           first_result: int | None = None, max_results: int | None = None):
    return queries.page(session, process_instance_query(filters), first_result, max_results)


def count_process_instances(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, process_instance_query(filters))


def process_instance_ids(session: Session, filters: Mapping[str, Any]) -> list[str]:
    return list(session.execute(process_instance_query(filters, columns=(HPI.id,))).scalars())


def get_process_instance(session: Session, instance_id: str):
    return session.get(HPI, instance_id)


# ---------------------------------------------------------------------------- activity instances
ACTIVITY_SORTING = {
    "activityInstanceId": HAI.id, "instanceId": HAI.process_instance_id,
    "executionId": HAI.execution_id, "activityId": HAI.activity_id,
    "activityName": HAI.activity_name, "activityType": HAI.activity_type,
    "startTime": HAI.start_time, "endTime": HAI.end_time, "duration": HAI.duration_in_millis,
    "definitionId": HAI.process_definition_id, "occurrence": HAI.sequence_counter,
    "tenantId": HAI.tenant_id,
}


def activity_instance_query(filters: Mapping[str, Any]):
    f = filters.get
    stmt = select(HAI)
    equal = {"activityInstanceId": HAI.id, "processInstanceId": HAI.process_instance_id,
             "processDefinitionId": HAI.process_definition_id, "executionId": HAI.execution_id,
             "activityId": HAI.activity_id, "activityName": HAI.activity_name,
             "activityType": HAI.activity_type, "taskAssignee": HAI.assignee}
    for name, column in equal.items():
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    if f("finished") is True:
        stmt = stmt.where(HAI.end_time.is_not(None))
    if f("unfinished") is True:
        stmt = stmt.where(HAI.end_time.is_(None))
    if f("canceled") is True:
        stmt = stmt.where(HAI.canceled.is_(True))
    if f("completeScope") is True:
        stmt = stmt.where(HAI.complete_scope.is_(True))
    stmt = _bounds(stmt, filters, HAI.start_time, HAI.end_time)
    stmt = queries.tenant_filter(stmt, HAI, filters)
    return queries.apply_sorting(stmt, filters, ACTIVITY_SORTING, HAI.id)


def _bounds(stmt, filters: Mapping[str, Any], start, end):
    f = filters.get
    if f("startedBefore") is not None:
        stmt = stmt.where(start <= f("startedBefore"))
    if f("startedAfter") is not None:
        stmt = stmt.where(start >= f("startedAfter"))
    if f("finishedBefore") is not None:
        stmt = stmt.where(end <= f("finishedBefore"))
    if f("finishedAfter") is not None:
        stmt = stmt.where(end >= f("finishedAfter"))
    return stmt


def find_activity_instances(session: Session, filters: Mapping[str, Any],
                            first_result: int | None = None, max_results: int | None = None):
    return queries.page(session, activity_instance_query(filters), first_result, max_results)


def count_activity_instances(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, activity_instance_query(filters))


def get_activity_instance(session: Session, ai_id: str):
    return session.get(HAI, ai_id)


# ---------------------------------------------------------------------------- variable instances
VARIABLE_SORTING = {"instanceId": HVI.process_instance_id, "variableName": HVI.name,
                    "tenantId": HVI.tenant_id}


def variable_instance_query(filters: Mapping[str, Any]):
    f = filters.get
    stmt = select(HVI)
    names_ic = f("variableNamesIgnoreCase") is True
    if f("variableName") is not None:
        stmt = stmt.where(func.lower(HVI.name) == str(f("variableName")).lower() if names_ic
                          else HVI.name == f("variableName"))
    if f("variableNameLike") is not None:
        stmt = stmt.where(func.lower(HVI.name).like(str(f("variableNameLike")).lower())
                          if names_ic else HVI.name.like(f("variableNameLike")))
    if "variableValue" in filters and f("variableValue") is not None:
        # without variableName: the variables of any name with that value (Camunda's 400 "Only a
        # single variable value parameter specified"; README, "Rules the spec states")
        stmt = stmt.where(and_(*queries.value_match(
            HVI, "eq", f("variableValue"), ignore_case=f("variableValuesIgnoreCase") is True)))
    equal = {"processInstanceId": HVI.process_instance_id,
             "processDefinitionId": HVI.process_definition_id,
             "processDefinitionKey": HVI.process_definition_key}
    for name, column in equal.items():
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    within = {"variableNameIn": HVI.name, "variableTypeIn": HVI.type,
              "processInstanceIdIn": HVI.process_instance_id, "executionIdIn": HVI.execution_id,
              "activityInstanceIdIn": HVI.activity_instance_id, "taskIdIn": HVI.task_id}
    for name, column in within.items():
        values = f(name)
        if values is not None:
            if name == "variableTypeIn":
                values = [_TYPE_NAMES.get(str(v).lower(), v) for v in values]
            stmt = stmt.where(column.in_(list(values)))
    if f("includeDeleted") is not True:
        stmt = stmt.where(HVI.state == "CREATED")
    stmt = queries.tenant_filter(stmt, HVI, filters)
    return queries.apply_sorting(stmt, filters, VARIABLE_SORTING, HVI.id)


# Camunda's variableTypeIn takes the value type names in any case (string, integer, ...)
_TYPE_NAMES = {name.lower(): name for name in (
    "String", "Integer", "Long", "Short", "Double", "Boolean", "Date", "Json", "Null", "Bytes",
    "Object", "File", "Xml")}


def find_variable_instances(session: Session, filters: Mapping[str, Any],
                            first_result: int | None = None, max_results: int | None = None):
    return queries.page(session, variable_instance_query(filters), first_result, max_results)


def count_variable_instances(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, variable_instance_query(filters))


def get_variable_instance(session: Session, var_id: str):
    return session.get(HVI, var_id)


def variable_value(row):
    return from_columns(row.type, row.text_value, row.long_value, row.double_value, row.value_info)


# ---------------------------------------------------------------------------- incidents
INCIDENT_SORTING = {
    "incidentId": HIN.id, "incidentMessage": HIN.incident_message,
    "createTime": HIN.create_time, "endTime": HIN.end_time, "incidentType": HIN.incident_type,
    "executionId": HIN.execution_id, "activityId": HIN.activity_id,
    "processInstanceId": HIN.process_instance_id,
    "processDefinitionId": HIN.process_definition_id,
    "processDefinitionKey": HIN.process_definition_key, "causeIncidentId": HIN.cause_incident_id,
    "rootCauseIncidentId": HIN.root_cause_incident_id, "configuration": HIN.configuration,
    "historyConfiguration": HIN.history_configuration, "tenantId": HIN.tenant_id,
    "incidentState": HIN.state,
}


def incident_query(filters: Mapping[str, Any]):
    f = filters.get
    stmt = select(HIN)
    equal = {"incidentId": HIN.id, "incidentType": HIN.incident_type,
             "incidentMessage": HIN.incident_message,
             "processDefinitionId": HIN.process_definition_id,
             "processDefinitionKey": HIN.process_definition_key,
             "processInstanceId": HIN.process_instance_id, "executionId": HIN.execution_id,
             "activityId": HIN.activity_id, "failedActivityId": HIN.failed_activity_id,
             "causeIncidentId": HIN.cause_incident_id,
             "rootCauseIncidentId": HIN.root_cause_incident_id,
             "configuration": HIN.configuration, "historyConfiguration": HIN.history_configuration}
    for name, column in equal.items():
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    if f("incidentMessageLike") is not None:
        stmt = stmt.where(HIN.incident_message.like(f("incidentMessageLike")))
    if f("processDefinitionKeyIn"):
        stmt = stmt.where(HIN.process_definition_key.in_(list(f("processDefinitionKeyIn"))))
    if f("jobDefinitionIdIn"):
        stmt = stmt.where(HIN.job_definition_id.in_(list(f("jobDefinitionIdIn"))))
    # as Camunda's HistoricIncidentQueryDto applies them: each sets the state, the last one wins
    states = [state for state in ("open", "resolved", "deleted") if f(state) is True]
    if states:
        stmt = stmt.where(HIN.state == states[-1])
    bounds = (("createTimeBefore", HIN.create_time, "<="), ("createTimeAfter", HIN.create_time, ">="),
              ("endTimeBefore", HIN.end_time, "<="), ("endTimeAfter", HIN.end_time, ">="))
    for name, column, op in bounds:
        if f(name) is not None:
            stmt = stmt.where(column <= f(name) if op == "<=" else column >= f(name))
    stmt = queries.tenant_filter(stmt, HIN, filters)
    return queries.apply_sorting(stmt, filters, INCIDENT_SORTING, HIN.id)


def find_incidents(session: Session, filters: Mapping[str, Any],
                   first_result: int | None = None, max_results: int | None = None):
    return queries.page(session, incident_query(filters), first_result, max_results)


def count_incidents(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, incident_query(filters))
