"""/message: correlate a message to waiting executions or message start events."""

from __future__ import annotations

from typing import Any

from modbatch.api import params, render
from modbatch.engine.events import correlation
from modbatch.engine.process_engine import current
from modbatch.engine.variables import TypedValue, to_dto
from modbatch.errors import InvalidRequest, MismatchingMessageCorrelation, ModbatchError, RestError


def _variables(raw: Any) -> dict[str, TypedValue] | None:
    return None if raw is None else params.typed_variables(raw)


def _untyped(raw: Any) -> set[str]:
    return {name for name, value in (raw or {}).items()
            if isinstance(value, dict) and value.get("type") is None}


def result(item: correlation.CorrelationResult, with_variables: bool) -> dict[str, Any]:
    """Camunda's MessageCorrelationResultDto (WithVariableDto when variables were asked for)."""
    rendered: dict[str, Any] = {"resultType": item.result_type, "execution": None,
                                "processInstance": None}
    if item.result_type == "Execution":
        rendered["execution"] = {"id": item.execution_id,
                                 "processInstanceId": item.process_instance_id,
                                 "ended": item.ended, "tenantId": item.tenant_id}
    else:
        rendered["processInstance"] = render.process_instance(
            id=item.process_instance_id, definition_id=item.definition_id or "",
            definition_key=item.definition_key, business_key=item.business_key,
            tenant_id=item.tenant_id, suspended=item.suspended, ended=item.ended)
    if with_variables:
        rendered["variables"] = {name: to_dto(value)
                                 for name, value in (item.variables or {}).items()}
    return rendered


def deliver_message(body: Any = None):
    dto = params.body_dict(body)
    name = dto.get("messageName")
    if name is None:
        raise InvalidRequest("No message name supplied")
    tenant_id, without_tenant = dto.get("tenantId"), dto.get("withoutTenantId") is True
    if tenant_id is not None and without_tenant:
        raise InvalidRequest(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.")
    result_enabled = dto.get("resultEnabled") is True
    with_variables = dto.get("variablesInResultEnabled") is True
    if with_variables and not result_enabled:
        raise InvalidRequest("Parameter 'variablesInResultEnabled' cannot be used without "
                             "'resultEnabled' set to true.")
    try:
        message = correlation.MessageCorrelation(
            message_name=name, business_key=dto.get("businessKey"),
            process_instance_id=dto.get("processInstanceId"),
            correlation_keys=_variables(dto.get("correlationKeys")) or None,
            local_correlation_keys=_variables(dto.get("localCorrelationKeys")) or None,
            tenant_id=tenant_id, tenant_id_set=tenant_id is not None or without_tenant,
            variables=_variables(dto.get("processVariables")),
            variables_local=_variables(dto.get("processVariablesLocal")),
            untyped_keys=_untyped(dto.get("correlationKeys")),
            untyped_local_keys=_untyped(dto.get("localCorrelationKeys")))
    except ModbatchError as error:
        raise InvalidRequest(f"Cannot deliver message: {error.message}") from None
    with current().transaction() as session:
        try:
            results = correlation.correlate_message(session, message, all=dto.get("all") is True,
                                                    with_variables=with_variables)
        except MismatchingMessageCorrelation as error:
            # Camunda wraps it in a RestException whose message is the cause's toString()
            raise RestError(f"{error.JAVA_CLASS}: {error.message}", status=400,
                            code=error.code) from None
    if not result_enabled:
        return None, 204
    return [result(item, with_variables) for item in results], 200
