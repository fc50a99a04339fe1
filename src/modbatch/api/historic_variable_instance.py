"""/history/variable-instance: variables with their last value, of running and ended instances."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.engine.clock import format_date
from modbatch.engine.history import queries
from modbatch.engine.process_engine import current
from modbatch.engine.variables import to_dto
from modbatch.errors import InvalidRequest

LISTS = ("variableNameIn", "variableTypeIn", "processInstanceIdIn", "executionIdIn",
         "activityInstanceIdIn", "taskIdIn", "tenantIdIn")


def render(row) -> dict[str, Any]:
    value = to_dto(queries.variable_value(row))
    return {"id": row.id, "name": row.name, "processDefinitionKey": row.process_definition_key,
            "processDefinitionId": row.process_definition_id,
            "processInstanceId": row.process_instance_id, "executionId": row.execution_id,
            "activityInstanceId": row.activity_instance_id, "caseDefinitionKey": None,
            "caseDefinitionId": None, "caseInstanceId": None, "caseExecutionId": None,
            "taskId": row.task_id, "tenantId": row.tenant_id, "errorMessage": None,
            "state": row.state, "createTime": format_date(row.create_time),
            "removalTime": format_date(row.removal_time),
            "rootProcessInstanceId": row.root_process_instance_id,
            "value": value["value"], "type": value["type"], "valueInfo": value["valueInfo"]}


def _get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    filters = params.query_filters(kwargs, lists=LISTS)
    filters.pop("deserializeValues", None)
    if filters.get("variableValue") is not None:
        # Camunda reads a GET value as JSON when it can (a number, true/false), else as a string
        filters["variableValue"] = params.resolve_value(_literal(filters["variableValue"]))
    return filters


def _literal(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def _body_filters(body: Any) -> dict[str, Any]:
    filters = params.body_dict(body)
    if filters.get("variableValue") is not None:
        filters["variableValue"] = params.resolve_value(filters["variableValue"])
    return filters


def get_historic_variable_instances(**kwargs: Any):
    return listing.page(queries.find_variable_instances, render, _get_filters(kwargs), kwargs)


def query_historic_variable_instances(body: Any = None, **kwargs: Any):
    return listing.page(queries.find_variable_instances, render, _body_filters(body), kwargs)


def get_historic_variable_instances_count(**kwargs: Any):
    return listing.count(queries.count_variable_instances, _get_filters(kwargs))


def query_historic_variable_instances_count(body: Any = None):
    return listing.count(queries.count_variable_instances, _body_filters(body))


def get_historic_variable_instance(id: str, **_: Any):
    with current().read() as session:
        row = queries.get_variable_instance(session, id)
        if row is None:
            raise InvalidRequest(f"Historic variable instance with Id '{id}' does not exist.",
                                 status=404)
        return render(row), 200
