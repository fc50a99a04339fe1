"""/history/batch: batches as history keeps them, with their end time once completed or deleted."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import batches
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest


def get_historic_batches(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=("tenantIdIn",))
    return listing.page(batches.find_historic, render.historic_batch, filters, kwargs)


def get_historic_batches_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=("tenantIdIn",))
    return listing.count(batches.count_historic, filters)


def get_historic_batch(id: str):
    with current().read() as session:
        row = batches.get_historic(session, id)
        if row is None:
            raise InvalidRequest(f"Historic batch with id '{id}' does not exist", status=404)
        return render.historic_batch(row), 200


def delete_historic_batch(id: str):
    with current().transaction() as session:
        batches.delete_historic(session, id)
    return None, 204


def get_historic_batch_items(id: str, **kwargs: Any):
    """Extension: the items of a batch as history keeps them, also after it completed."""
    with current().read() as session:
        rows = batches.items(session, id, status=kwargs.get("status"),
                             first_result=kwargs.get("firstResult"),
                             max_results=kwargs.get("maxResults"), historic=True)
        return [render.batch_item(row) for row in rows], 200


def get_historic_batch_items_count(id: str, **kwargs: Any):
    with current().read() as session:
        return render.count(batches.count_items(session, id, status=kwargs.get("status"),
                                                historic=True)), 200
