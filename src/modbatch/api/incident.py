"""/incident: failedJob incidents raised when a job runs out of retries."""

from __future__ import annotations

from typing import Any

from modbatch.api import params, render
from modbatch.engine import jobs
from modbatch.engine.process_engine import current

LISTS = ("processDefinitionKeyIn", "tenantIdIn", "jobDefinitionIdIn")
DATES = ("incidentTimestampBefore", "incidentTimestampAfter")


def get_incidents(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    with current().read() as session:
        rows = jobs.find_incidents(session, filters, kwargs.get("firstResult"),
                                   kwargs.get("maxResults"))
        return [render.incident(row) for row in rows], 200


def get_incidents_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    with current().read() as session:
        return render.count(jobs.count_incidents(session, filters)), 200
