"""/modification/execute and /modification/executeAsync: modify many process instances."""

from __future__ import annotations

from typing import Any

from modbatch.api import params, render
from modbatch.engine import batches, modification, modification_dry_run, repository
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


def dry_run_modification(body: Any = None, **kwargs: Any):
    """modbatch extension: what executeAsync would select and change, writing nothing."""
    dto = params.body_dict(body)
    with current().read() as session:
        result = modification_dry_run.dry_run(
            session, dto, first_result=_int(kwargs.get("firstResult"), 0),
            max_results=_int(kwargs.get("maxResults"), 100),
            sample_size=_int(kwargs.get("sampleSize"), 5))
    return {
        "instanceCount": result.instance_count,
        "processInstanceIds": result.process_instance_ids,
        "sample": [{
            "processInstanceId": item.process_instance_id,
            "cancelledActivityInstances": [
                {"id": c.id, "activityId": c.activity_id, "activityName": c.activity_name}
                for c in item.cancelled],
            "startedActivityInstances": [
                {"id": s.id, "activityId": s.activity_id, "activityName": s.activity_name,
                 "parentActivityInstanceId": s.parent_activity_instance_id}
                for s in item.started],
            "error": (None if item.error is None
                      else {"type": item.error[0], "message": item.error[1]}),
        } for item in result.sample],
    }, 200


def _int(value: Any, default: int) -> int:
    return default if value is None else int(value)
