"""/process-instance: query instances, inspect their activity-instance tree, suspend, delete."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import batches, instances, modification, repository
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest, NotFoundError

LISTS = ("processInstanceIds", "processDefinitionKeyIn", "processDefinitionKeyNotIn",
         "tenantIdIn", "activityIdIn")


def _get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    filters = params.query_filters(kwargs, lists=LISTS)
    if "variables" in filters:
        filters["variables"] = params.variable_conditions(filters["variables"])
    return params.resolve_variable_values(filters)


def _post_filters(body: Any) -> dict[str, Any]:
    return params.resolve_variable_values(params.body_dict(body))


def get_process_instances(**kwargs: Any):
    return listing.page(instances.find, render.process_instance_row, _get_filters(kwargs), kwargs)


def query_process_instances(body: Any = None, **kwargs: Any):
    return listing.page(instances.find, render.process_instance_row, _post_filters(body), kwargs)


def get_process_instances_count(**kwargs: Any):
    return listing.count(instances.count, _get_filters(kwargs))


def query_process_instances_count(body: Any = None):
    return listing.count(instances.count, _post_filters(body))


def _not_found(id: str) -> InvalidRequest:
    return InvalidRequest(f"Process instance with id {id} does not exist", status=404)


def get_process_instance(id: str):
    with current().read() as session:
        row = instances.get(session, id)
        if row is None:
            raise _not_found(id)
        return render.process_instance_row(row), 200


def delete_process_instance(id: str, failIfNotExists: bool = True, skipSubprocesses: bool = False,
                            **_: Any):
    with current().transaction() as session:
        try:
            instances.delete(session, id, fail_if_not_exists=failIfNotExists is not False,
                             skip_subprocesses=skipSubprocesses is True)
        except NotFoundError as error:
            raise InvalidRequest(error.message, status=404, code=0) from None
    return None, 204


def update_suspension_state_by_id(id: str, body: Any = None):
    """Camunda updates by id without looking the instance up: an unknown id is a silent no-op."""
    suspended = params.body_dict(body).get("suspended")
    with current().transaction() as session:
        instances.set_suspended(session, id, suspended is True)
    return None, 204


def get_activity_instance_tree(id: str):
    with current().read() as session:
        state = instances.load_one(session, id)
        if state is None:
            raise _not_found(id)
        tree = instances.activity_tree(state, instances.incidents_by_execution(session, id))
        return render.activity_tree(tree, instance_id=state.id,
                                    definition_id=state.process_definition_id), 200


def get_process_instance_variables(id: str, **_: Any):
    """Camunda does not wrap the engine's NullValueException here (its 500); modbatch answers
    that unknown id with 404 and the same type and message (README)."""
    with current().read() as session:
        return render.variables(instances.variables(session, id)), 200


def modify_process_instance(id: str, body: Any = None):
    dto = params.body_dict(body)
    instructions = modification.parse_instructions(dto.get("instructions"), single=True)
    if not instructions:
        return None, 204
    with current().transaction() as session:
        modification.modify_single(session, id, instructions,
                                   skip_io_mappings=dto.get("skipIoMappings") is True,
                                   skip_custom_listeners=dto.get("skipCustomListeners") is True)
    return None, 204


def modify_process_instance_async_operation(id: str, body: Any = None):
    dto = params.body_dict(body)
    instructions = modification.parse_instructions(dto.get("instructions"), single=True)
    if not instructions:
        raise InvalidRequest("The provided instuctions are invalid.")
    engine = current()
    with engine.transaction() as session:
        state = modification.check_instance(instances.load_one(session, id), id, None)
        definition = repository.get_definition(session, state.process_definition_id)
        batch = batches.create_single_instance_batch(
            session, id, instructions, engine.settings,
            skip_custom_listeners=dto.get("skipCustomListeners") is True,
            skip_io_mappings=dto.get("skipIoMappings") is True,
            annotation=dto.get("annotation") if isinstance(dto.get("annotation"), str) else None,
            tenant_id=state.tenant_id, deployment_id=definition.deployment_id)
        result = render.batch(batch)
    engine.wake_job_executor()
    return result, 200
