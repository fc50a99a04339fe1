"""/modification/execute and /modification/executeAsync: modify many process instances."""

from __future__ import annotations

from typing import Any

from modbatch.api import params, render
from modbatch.engine import batches, modification, repository
from modbatch.engine.process_engine import current
from modbatch.errors import BadUserRequest, InvalidRequest


def execute_modification(body: Any = None):
    dto = params.body_dict(body)
    with current().transaction() as session:
        request = modification.collect_request(session, dto)
        try:
            modification.execute_sync(session, request)
        except BadUserRequest as error:  # NotValid and friends: Camunda rewraps them as 400
            raise InvalidRequest(error.message) from None
    return None, 204


def execute_modification_async(body: Any = None):
    dto = params.body_dict(body)
    engine = current()
    with engine.transaction() as session:
        request = modification.collect_request(session, dto, set_based_query=True)
        definition = repository.require_definition(session, request.process_definition_id)
        batch = batches.create_modification_batch(
            session, request, engine.settings, tenant_id=definition.tenant_id,
            deployment_id=definition.deployment_id)
        result = render.batch(batch)
    engine.wake_job_executor()
    return result, 200
