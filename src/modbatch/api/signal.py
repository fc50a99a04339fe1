"""/signal: deliver a signal to waiting executions and signal start events."""

from __future__ import annotations

from typing import Any

from modbatch.api import params
from modbatch.engine.events import correlation
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest, RestError


def throw_signal(body: Any = None):
    dto = params.body_dict(body)
    name = dto.get("name")
    if name is None:
        raise InvalidRequest("No signal name given")
    try:
        variables = params.typed_variables(dto.get("variables"))
    except InvalidRequest as error:
        if error.message.startswith("Unsupported value type"):
            # Camunda raises this one as a plain RestException (400, no code)
            raise RestError(error.message, status=400, code=None) from None
        raise
    with current().transaction() as session:
        correlation.throw_signal(session, name, variables=variables,
                                 tenant_id=dto.get("tenantId"),
                                 without_tenant_id=dto.get("withoutTenantId") is True,
                                 execution_id=dto.get("executionId"))
    return None, 204
