"""/history/process-instance: process instances as history recorded them, running or ended."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.engine.clock import format_date
from modbatch.engine.history import queries
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest

LISTS = ("processInstanceIds", "processDefinitionKeyIn", "processDefinitionKeyNotIn",
         "processInstanceBusinessKeyIn", "tenantIdIn", "executedActivityIdIn",
         "activeActivityIdIn")
DATES = ("startedBefore", "startedAfter", "finishedBefore", "finishedAfter",
         "executedActivityAfter", "executedActivityBefore")


def render(row) -> dict[str, Any]:
    return {"id": row.id, "rootProcessInstanceId": row.root_process_instance_id or row.id,
            "superProcessInstanceId": row.super_process_instance_id,
            "superCaseInstanceId": None, "caseInstanceId": None,
            "processDefinitionName": row.process_definition_name,
            "processDefinitionKey": row.process_definition_key,
            "processDefinitionVersion": row.process_definition_version,
            "processDefinitionId": row.process_definition_id, "businessKey": row.business_key,
            "startTime": format_date(row.start_time), "endTime": format_date(row.end_time),
            "removalTime": format_date(row.removal_time),
            "durationInMillis": row.duration_in_millis, "startUserId": row.start_user_id,
            "startActivityId": row.start_activity_id, "deleteReason": row.delete_reason,
            "tenantId": row.tenant_id, "state": row.state}


def get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    if "variables" in filters:
        filters["variables"] = params.variable_conditions(filters["variables"])
    return params.resolve_variable_values(filters)


def body_filters(body: Any) -> dict[str, Any]:
    return params.resolve_variable_values(queries.typed_process_query(params.body_dict(body)))


def get_historic_process_instances(**kwargs: Any):
    return listing.page(queries.find_process_instances, render, get_filters(kwargs), kwargs)


def query_historic_process_instances(body: Any = None, **kwargs: Any):
    return listing.page(queries.find_process_instances, render, body_filters(body), kwargs)


def get_historic_process_instances_count(**kwargs: Any):
    return listing.count(queries.count_process_instances, get_filters(kwargs))


def query_historic_process_instances_count(body: Any = None):
    return listing.count(queries.count_process_instances, body_filters(body))


def get_historic_process_instance(id: str):
    with current().read() as session:
        row = queries.get_process_instance(session, id)
        if row is None:
            raise InvalidRequest(f"Historic process instance with id {id} does not exist",
                                 status=404)
        return render(row), 200
