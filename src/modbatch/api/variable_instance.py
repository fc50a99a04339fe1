"""/variable-instance: the variables of running process instances, with their scopes."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.engine import variable_instances
from modbatch.engine.process_engine import current
from modbatch.engine.variables import to_dto
from modbatch.errors import InvalidRequest

LISTS = ("processInstanceIdIn", "executionIdIn", "activityInstanceIdIn", "taskIdIn",
         "caseInstanceIdIn", "caseExecutionIdIn", "batchIdIn", "variableScopeIdIn", "tenantIdIn")


def variable_instance(row) -> dict[str, Any]:
    """Camunda's VariableInstanceDto (values of the types modbatch stores need no deserializing)."""
    value = to_dto(variable_instances.typed_value(row))
    return {"id": row.id, "name": row.name, "type": value["type"], "value": value["value"],
            "valueInfo": value["valueInfo"], "processDefinitionId": row.process_definition_id,
            "processInstanceId": row.process_instance_id, "executionId": row.execution_id,
            "caseInstanceId": None, "caseExecutionId": None, "taskId": None, "batchId": None,
            "activityInstanceId": row.activity_instance_id, "tenantId": row.tenant_id,
            "errorMessage": None}


def _resolve(filters: dict[str, Any]) -> dict[str, Any]:
    """Camunda's resolveValue on every variableValues condition (a date string is a date)."""
    for condition in filters.get("variableValues") or []:
        if isinstance(condition, dict) and condition.get("operator") != "like":
            condition["value"] = params.resolve_value(condition.get("value"))
    return filters


def _get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    filters = params.query_filters(kwargs, lists=LISTS)
    filters.pop("deserializeValues", None)
    if "variableValues" in filters:
        filters["variableValues"] = params.variable_conditions(filters["variableValues"],
                                                               "variableValues")
    return _resolve(filters)


def _post_filters(body: Any) -> dict[str, Any]:
    filters = params.body_dict(body)
    if filters.get("variableValues") is not None and not isinstance(filters["variableValues"], list):
        raise InvalidRequest("variableValues must be a list of {name, operator, value}")
    return _resolve(filters)


def get_variable_instances(**kwargs: Any):
    return listing.page(variable_instances.find, variable_instance, _get_filters(kwargs), kwargs)


def query_variable_instances(body: Any = None, **kwargs: Any):
    return listing.page(variable_instances.find, variable_instance, _post_filters(body), kwargs)


def get_variable_instances_count(**kwargs: Any):
    return listing.count(variable_instances.count, _get_filters(kwargs))


def query_variable_instances_count(body: Any = None):
    return listing.count(variable_instances.count, _post_filters(body))


def _not_found(id: str) -> InvalidRequest:
    return InvalidRequest(f"Variable instance with Id '{id}' does not exist.", status=404)


def get_variable_instance(id: str, **_: Any):
    with current().read() as session:
        row = variable_instances.get(session, id)
        if row is None:
            raise _not_found(id)
        return variable_instance(row), 200


def get_variable_instance_binary(id: str):
    """Only Bytes and File values have binary data; modbatch stores neither, so an existing
    variable answers Camunda's 400 for a non-binary value."""
    with current().read() as session:
        if variable_instances.get(session, id) is None:
            raise _not_found(id)
    raise InvalidRequest(f"Value of variable with id {id} is not a binary value.")
