"""/execution: the executions of running process instances and their message subscriptions."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.api.event_subscription import event_subscription
from modbatch.engine import executions
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest, ModbatchError, RestError

LISTS = ("tenantIdIn",)
CONDITIONS = ("variables", "processVariables")


def execution(row) -> dict[str, Any]:
    """Camunda's ExecutionDto: only running executions are stored, so none has ended."""
    return {"id": row.id, "processInstanceId": row.process_instance_id, "ended": False,
            "tenantId": row.tenant_id}


def _resolve(filters: dict[str, Any]) -> dict[str, Any]:
    for name in CONDITIONS:
        for condition in filters.get(name) or []:
            if isinstance(condition, dict) and condition.get("operator") != "like":
                condition["value"] = params.resolve_value(condition.get("value"))
    return filters


def _get_filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    filters = params.query_filters(kwargs, lists=LISTS)
    for name in CONDITIONS:
        if name in filters:
            filters[name] = params.variable_conditions(filters[name], name)
    return _resolve(filters)


def _post_filters(body: Any) -> dict[str, Any]:
    filters = params.body_dict(body)
    for name in CONDITIONS:
        if filters.get(name) is not None and not isinstance(filters[name], list):
            raise InvalidRequest(f"{name} must be a list of {{name, operator, value}}")
    return _resolve(filters)


def get_executions(**kwargs: Any):
    return listing.page(executions.find, execution, _get_filters(kwargs), kwargs)


def query_executions(body: Any = None, **kwargs: Any):
    return listing.page(executions.find, execution, _post_filters(body), kwargs)


def get_executions_count(**kwargs: Any):
    return listing.count(executions.count, _get_filters(kwargs))


def query_executions_count(body: Any = None):
    return listing.count(executions.count, _post_filters(body))


def get_execution(id: str):
    with current().read() as session:
        row = executions.get(session, id)
        if row is None:
            raise InvalidRequest(f"Execution with id {id} does not exist", status=404)
        return execution(row), 200


def get_message_event_subscription(id: str, messageName: str):
    with current().read() as session:
        row = executions.message_subscription(session, id, messageName)
        if row is None:
            raise InvalidRequest(f"Message event subscription for execution {id} named "
                                 f"{messageName} does not exist", status=404)
        return event_subscription(row), 200


def trigger_event(id: str, messageName: str, body: Any = None):
    """Camunda's messageEventReceived: the execution's subscription to the message fires."""
    prefix = f"Cannot trigger message {messageName} for execution {id}: "
    variables = params.typed_variables(params.body_dict(body).get("variables"), prefix=prefix)
    engine = current()
    with engine.transaction() as session:
        try:
            executions.message_event_received(session, id, messageName, variables=variables)
        except InvalidRequest as error:  # Camunda's RestException branch keeps the status
            raise InvalidRequest(prefix + error.message, status=error.status) from None
        except ModbatchError as error:
            # Camunda's RestException is a 500; a missing resource keeps its 404 (README)
            raise RestError(prefix + error.message,
                            status=404 if error.status == 404 else 500) from None
    engine.wake_job_executor()
    return None, 204
