"""/job-definition: the definitions behind jobs; a batch has three (seed, monitor, execution),
a process definition one per async continuation and timer."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import jobs
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest

LISTS = ("activityIdIn", "tenantIdIn")


def get_job_definitions(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.page(jobs.find_definitions, render.job_definition, filters, kwargs)


def get_job_definitions_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.count(jobs.count_definitions, filters)


def get_job_definition(id: str):
    with current().read() as session:
        rows = jobs.find_definitions(session, {"jobDefinitionId": id})
        if not rows:
            raise InvalidRequest(f"Job Definition with id {id} does not exist", status=404)
        return render.job_definition(rows[0]), 200


def set_job_priority_job_definition(id: str, body: Any = None):
    dto = params.body_dict(body)
    with current().transaction() as session:
        jobs.set_definition_priority(session, id, dto.get("priority"),
                                     include_jobs=dto.get("includeJobs") is True)
    return None, 204
