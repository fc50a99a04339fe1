"""/job: inspect, execute, retry, suspend and delete jobs (batch jobs among them)."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import jobs
from modbatch.engine.clock import parse_date
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest

LISTS = ("jobIds", "processInstanceIds", "tenantIdIn")


def _date_conditions(raw: Any, label: str) -> list[tuple[str, Any]] | None:
    """``gt_2026-...,lt_...`` (GET) or ``[{operator, value}]`` (POST) → [(operator, date)]."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [
        {"operator": part.split("_", 1)[0], "value": part.split("_", 1)[1] if "_" in part else ""}
        for part in str(raw).split(",")]
    conditions = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidRequest(f"Invalid {label} comparison: expected {{operator, value}}")
        operator, value = item.get("operator"), item.get("value")
        if operator not in ("gt", "lt"):
            raise InvalidRequest(f"Invalid {label} comparator specified: {operator}")
        try:
            conditions.append((operator, parse_date(value)))
        except (ValueError, TypeError):
            raise InvalidRequest(f"Invalid {label} format: Cannot convert value \"{value}\" to "
                                 "java type java.util.Date") from None
    return conditions


def _filters(raw: dict[str, Any], *, from_query: bool) -> dict[str, Any]:
    filters = params.query_filters(raw, lists=LISTS) if from_query else dict(raw)
    filters["dueDates"] = _date_conditions(filters.get("dueDates"), "due date")
    filters["createTimes"] = _date_conditions(filters.get("createTimes"), "create time")
    return filters


def get_jobs(**kwargs: Any):
    return listing.page(jobs.find, render.job, _filters(kwargs, from_query=True), kwargs)


def query_jobs(body: Any = None, **kwargs: Any):
    return listing.page(jobs.find, render.job, _filters(params.body_dict(body), from_query=False),
                        kwargs)


def get_jobs_count(**kwargs: Any):
    return listing.count(jobs.count, _filters(kwargs, from_query=True))


def query_jobs_count(body: Any = None):
    return listing.count(jobs.count, _filters(params.body_dict(body), from_query=False))


def get_job(id: str):
    with current().read() as session:
        row = jobs.get(session, id)
        if row is None:
            raise InvalidRequest(f"Job with id {id} does not exist", status=404)
        return render.job(row), 200


def set_job_retries(id: str, body: Any = None):
    dto = params.body_dict(body)
    due_date: Any = ...
    if "dueDate" in dto:
        due_date = None if dto["dueDate"] is None else params.parse_date(dto["dueDate"], "dueDate")
    engine = current()
    with engine.transaction() as session:
        jobs.set_retries(session, id, dto.get("retries"), due_date)
    engine.wake_job_executor()
    return None, 204


def set_job_duedate(id: str, body: Any = None):
    dto = params.body_dict(body)
    due_date = dto.get("duedate")
    if due_date is not None:
        due_date = params.parse_date(due_date, "duedate")
    engine = current()
    with engine.transaction() as session:
        jobs.set_due_date(session, id, due_date, cascade=dto.get("cascade") is True)
    engine.wake_job_executor()
    return None, 204


def set_job_priority(id: str, body: Any = None):
    with current().transaction() as session:
        jobs.set_priority(session, id, params.body_dict(body).get("priority"))
    return None, 204


def execute_job(id: str):
    jobs.execute(current(), id)
    return None, 204


def delete_job(id: str):
    with current().transaction() as session:
        jobs.delete_job(session, id)
    return None, 204


def get_stacktrace(id: str):
    with current().read() as session:
        row = jobs.get(session, id)
        if row is None:
            raise InvalidRequest(f"No job found with id {id}: job is null", status=404)
        if row.exception_stacktrace is None:
            # Camunda returns a null entity (204); the content type tells Connexion which of
            # the operation's media types this answer is
            return None, 204, {"Content-Type": "text/plain"}
        return row.exception_stacktrace, 200, {"Content-Type": "text/plain"}


def update_job_suspension_state(id: str, body: Any = None):
    suspended = params.body_dict(body).get("suspended") is True
    engine = current()
    with engine.transaction() as session:
        jobs.set_suspended(session, id, suspended)
    engine.wake_job_executor()
    return None, 204
