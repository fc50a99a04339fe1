"""/history/incident: incidents, open or ended (resolved or deleted)."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.engine.clock import format_date
from modbatch.engine.history import queries

LISTS = ("processDefinitionKeyIn", "tenantIdIn", "jobDefinitionIdIn")
DATES = ("createTimeBefore", "createTimeAfter", "endTimeBefore", "endTimeAfter")


def render(row) -> dict[str, Any]:
    return {"id": row.id, "processDefinitionKey": row.process_definition_key,
            "processDefinitionId": row.process_definition_id,
            "processInstanceId": row.process_instance_id, "executionId": row.execution_id,
            "rootProcessInstanceId": row.root_process_instance_id,
            "createTime": format_date(row.create_time), "endTime": format_date(row.end_time),
            "removalTime": format_date(row.removal_time), "incidentType": row.incident_type,
            "activityId": row.activity_id, "failedActivityId": row.failed_activity_id,
            "causeIncidentId": row.cause_incident_id,
            "rootCauseIncidentId": row.root_cause_incident_id,
            "configuration": row.configuration, "historyConfiguration": row.history_configuration,
            "incidentMessage": row.incident_message, "tenantId": row.tenant_id,
            "jobDefinitionId": row.job_definition_id, "open": row.state == "open",
            "deleted": row.state == "deleted", "resolved": row.state == "resolved",
            "annotation": row.annotation}


def get_historic_incidents(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.page(queries.find_incidents, render, filters, kwargs)


def get_historic_incidents_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.count(queries.count_incidents, filters)
