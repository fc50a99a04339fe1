"""/batch: runtime batches, their statistics, suspension, deletion and per-instance items."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import batches
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest

LISTS = ("tenantIdIn",)
DATES = ("startedBefore", "startedAfter")


def get_batches(**kwargs: Any):
    # createdBy, startedBefore/After and with(out)Failures are statistics-only filters:
    # Camunda's BatchQueryDto does not read them, so they are not even parsed here
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.page(batches.find, render.batch, filters, kwargs)


def get_batches_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.count(batches.count, filters)


def get_batch(id: str):
    with current().read() as session:
        row = batches.get(session, id)
        if row is None:
            raise InvalidRequest(f"Batch with id '{id}' does not exist", status=404)
        return render.batch(row), 200


def delete_batch(id: str, cascade: bool = False, **_: Any):
    with current().transaction() as session:
        batches.delete_batch(session, id, cascade=cascade is True)
    return None, 204


def update_batch_suspension_state(id: str, body: Any = None):
    suspended = params.body_dict(body).get("suspended") is True
    engine = current()
    with engine.transaction() as session:
        batches.set_suspended(session, id, suspended)
    engine.wake_job_executor()
    return None, 204


def get_batch_statistics(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    with current().read() as session:
        rows = batches.statistics(session, filters, kwargs.get("firstResult"),
                                  kwargs.get("maxResults"))
        return [render.batch_statistics(*row) for row in rows], 200


def get_batch_statistics_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.count(batches.count_statistics, filters)


def get_batch_items(id: str, **kwargs: Any):
    with current().read() as session:
        rows = batches.items(session, id, status=kwargs.get("status"),
                             first_result=kwargs.get("firstResult"),
                             max_results=kwargs.get("maxResults"))
        return [render.batch_item(row) for row in rows], 200


def get_batch_items_count(id: str, **kwargs: Any):
    with current().read() as session:
        return render.count(batches.count_items(session, id, status=kwargs.get("status"))), 200
