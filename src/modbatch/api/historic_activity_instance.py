"""/history/activity-instance: every activity a token passed through, running or ended."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.engine.clock import format_date
from modbatch.engine.history import queries
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest

LISTS = ("tenantIdIn",)
DATES = ("startedBefore", "startedAfter", "finishedBefore", "finishedAfter")


def render(row) -> dict[str, Any]:
    return {"id": row.id, "parentActivityInstanceId": row.parent_activity_instance_id,
            "activityId": row.activity_id, "activityName": row.activity_name,
            "activityType": row.activity_type,
            "processDefinitionKey": row.process_definition_key,
            "processDefinitionId": row.process_definition_id,
            "processInstanceId": row.process_instance_id, "executionId": row.execution_id,
            "taskId": row.task_id, "assignee": row.assignee,
            "calledProcessInstanceId": row.called_process_instance_id,
            "calledCaseInstanceId": None, "startTime": format_date(row.start_time),
            "endTime": format_date(row.end_time), "durationInMillis": row.duration_in_millis,
            "canceled": bool(row.canceled), "completeScope": bool(row.complete_scope),
            "tenantId": row.tenant_id, "removalTime": format_date(row.removal_time),
            "rootProcessInstanceId": row.root_process_instance_id}


def _get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    return params.query_filters(kwargs, lists=LISTS, dates=DATES)


def _body_filters(body: Any) -> dict[str, Any]:
    filters = params.body_dict(body)
    for name in DATES:
        if filters.get(name) is not None:
            filters[name] = params.parse_date(filters[name], name)
    return filters


def get_historic_activity_instances(**kwargs: Any):
    return listing.page(queries.find_activity_instances, render, _get_filters(kwargs), kwargs)


def query_historic_activity_instances(body: Any = None, **kwargs: Any):
    return listing.page(queries.find_activity_instances, render, _body_filters(body), kwargs)


def get_historic_activity_instances_count(**kwargs: Any):
    return listing.count(queries.count_activity_instances, _get_filters(kwargs))


def query_historic_activity_instances_count(body: Any = None):
    return listing.count(queries.count_activity_instances, _body_filters(body))


def get_historic_activity_instance(id: str):
    with current().read() as session:
        row = queries.get_activity_instance(session, id)
        if row is None:
            raise InvalidRequest(f"Historic activity instance with id {id} does not exist",
                                 status=404)
        return render(row), 200
