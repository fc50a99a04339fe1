"""/incident: failedJob incidents raised when a job runs out of retries."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import jobs

LISTS = ("processDefinitionKeyIn", "tenantIdIn", "jobDefinitionIdIn")
DATES = ("incidentTimestampBefore", "incidentTimestampAfter")


def get_incidents(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.page(jobs.find_incidents, render.incident, filters, kwargs)


def get_incidents_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.count(jobs.count_incidents, filters)
