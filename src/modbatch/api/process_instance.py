"""/process-instance: query instances, inspect their activity-instance tree, suspend, delete."""

from __future__ import annotations

from typing import Any

from modbatch.api import params, render
from modbatch.engine import instances
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest, NotFoundError

LISTS = ("processInstanceIds", "processDefinitionKeyIn", "processDefinitionKeyNotIn",
         "tenantIdIn", "activityIdIn")


def _get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    filters = params.query_filters(kwargs, lists=LISTS)
    if "variables" in filters:
        filters["variables"] = params.variable_conditions(filters["variables"])
    return filters


def _post_filters(body: Any) -> dict[str, Any]:
    return params.body_dict(body)


def get_process_instances(**kwargs: Any):
    with current().transaction() as session:
        rows = instances.find(session, _get_filters(kwargs), kwargs.get("firstResult"),
                              kwargs.get("maxResults"))
        return [render.process_instance_row(row) for row in rows], 200


def query_process_instances(body: Any = None, **kwargs: Any):
    with current().transaction() as session:
        rows = instances.find(session, _post_filters(body), kwargs.get("firstResult"),
                              kwargs.get("maxResults"))
        return [render.process_instance_row(row) for row in rows], 200


def get_process_instances_count(**kwargs: Any):
    with current().transaction() as session:
        return render.count(instances.count(session, _get_filters(kwargs))), 200


def query_process_instances_count(body: Any = None):
    with current().transaction() as session:
        return render.count(instances.count(session, _post_filters(body))), 200


def _not_found(id: str) -> InvalidRequest:
    return InvalidRequest(f"Process instance with id {id} does not exist", status=404)


def get_process_instance(id: str):
    with current().transaction() as session:
        row = instances.get(session, id)
        if row is None:
            raise _not_found(id)
        return render.process_instance_row(row), 200


def delete_process_instance(id: str, failIfNotExists: bool = True, **_: Any):
    with current().transaction() as session:
        try:
            instances.delete(session, id, fail_if_not_exists=failIfNotExists is not False)
        except NotFoundError as error:
            raise InvalidRequest(error.message, status=404, code=0) from None
    return None, 204


def update_suspension_state_by_id(id: str, body: Any = None):
    suspended = params.body_dict(body).get("suspended")
    with current().transaction() as session:
        try:
            instances.set_suspended(session, id, bool(suspended))
        except NotFoundError as error:
            raise InvalidRequest(error.message, status=404, code=0) from None
    return None, 204


def get_activity_instance_tree(id: str):
    with current().transaction() as session:
        state = instances.load_one(session, id)
        if state is None:
            raise _not_found(id)
        tree = instances.activity_tree(state)
        return render.activity_tree(tree, instance_id=state.id,
                                    definition_id=state.process_definition_id), 200


def get_process_instance_variables(id: str, **_: Any):
    with current().transaction() as session:
        if instances.get(session, id) is None:
            raise InvalidRequest(
                f"Cannot get variables for process instance {id}: process instance with id "
                f"{id} does not exist", status=404)
        return render.variables(instances.variables(session, id)), 200
