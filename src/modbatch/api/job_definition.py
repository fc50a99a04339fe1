"""/job-definition: the definitions behind jobs; a batch has three (seed, monitor, execution)."""

from __future__ import annotations

from typing import Any

from modbatch.api import params, render
from modbatch.engine import jobs
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest

LISTS = ("activityIdIn", "tenantIdIn")


def get_job_definitions(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    with current().read() as session:
        rows = jobs.find_definitions(session, filters, kwargs.get("firstResult"),
                                     kwargs.get("maxResults"))
        return [render.job_definition(row) for row in rows], 200


def get_job_definitions_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    with current().read() as session:
        return render.count(jobs.count_definitions(session, filters)), 200


def get_job_definition(id: str):
    with current().read() as session:
        rows = jobs.find_definitions(session, {"jobDefinitionId": id})
        if not rows:
            raise InvalidRequest(f"Job Definition with id {id} does not exist", status=404)
        return render.job_definition(rows[0]), 200
