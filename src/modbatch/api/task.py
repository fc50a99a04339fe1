"""/task: find user tasks and complete them."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import tasks
from modbatch.engine.process_engine import current
from modbatch.engine.variables import to_dto
from modbatch.errors import InvalidRequest, ModbatchError, RestError

LISTS = ("processInstanceIdIn", "taskDefinitionKeyIn", "activityInstanceIdIn", "tenantIdIn")


def get_tasks(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.page(tasks.find, render.task, filters, kwargs)


def get_tasks_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.count(tasks.count, filters)


def get_task(id: str):
    with current().read() as session:
        row = tasks.get(session, id)
        if row is None:
            raise InvalidRequest(f"No matching task with id {id}", status=404)
        return render.task(row), 200


def complete(id: str, body: Any = None):
    dto = params.body_dict(body)
    prefix = f"Cannot complete task {id}: "
    variables = params.typed_variables(dto.get("variables") or None, prefix=prefix)
    with current().transaction() as session:
        try:
            returned = tasks.complete(session, id, variables)
        except ModbatchError as error:
            # Camunda's RestException is a 500; a missing resource keeps its 404 (README)
            raise RestError(prefix + error.message,
                            status=404 if error.status == 404 else 500) from None
    if dto.get("withVariablesInReturn"):
        return {name: to_dto(value) for name, value in returned.items()}, 200
    return None, 204
