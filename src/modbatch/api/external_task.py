"""/external-task: query external tasks, fetch and lock them (with long polling), and the
worker's commands: complete, failure, BPMN error, lock, extend lock, unlock; retries, priority,
error details and topic names."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from connexion import request
from starlette.concurrency import run_in_threadpool

from modbatch.api import listing, params, render
from modbatch.engine import external_tasks
from modbatch.engine.process_engine import current
from modbatch.engine.variables import TypedValue
from modbatch.errors import BadUserRequest, InvalidRequest, NotFoundError, RestError

LISTS = ("externalTaskIdIn", "activityIdIn", "processInstanceIdIn", "tenantIdIn")
DATES = ("lockExpirationAfter", "lockExpirationBefore")
# FetchAndLockHandlerImpl.MAX_REQUEST_TIMEOUT: 30 minutes
MAX_ASYNC_RESPONSE_TIMEOUT_MS = 1_800_000
# how often a waiting fetch looks for tasks again (a read; the lock is taken only when one shows)
LONG_POLL_INTERVAL_S = 0.15


def _body_filters(body: Any) -> dict[str, Any]:
    filters = params.body_dict(body)
    for name in DATES:
        if filters.get(name) is not None:
            filters[name] = params.parse_date(filters[name], name)
    return filters


def get_external_tasks(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.page(external_tasks.find, render.external_task, filters, kwargs)


def query_external_tasks(body: Any = None, **kwargs: Any):
    return listing.page(external_tasks.find, render.external_task, _body_filters(body), kwargs)


def get_external_tasks_count(**kwargs: Any):
    return listing.count(external_tasks.count,
                         params.query_filters(kwargs, lists=LISTS, dates=DATES))


def query_external_tasks_count(body: Any = None):
    return listing.count(external_tasks.count, _body_filters(body))


def get_external_task(id: str):
    with current().read() as session:
        row = external_tasks.get(session, id)
        if row is None:
            raise RestError(f"External task with id {id} does not exist", status=404, code=None)
        return render.external_task(row), 200


def get_topic_names(withLockedTasks: bool = False, withUnlockedTasks: bool = False,
                    withRetriesLeft: bool = False):
    with current().read() as session:
        return external_tasks.topic_names(
            session, with_locked_tasks=withLockedTasks is True,
            with_unlocked_tasks=withUnlockedTasks is True,
            with_retries_left=withRetriesLeft is True), 200


def get_external_task_error_details(id: str):
    with current().read() as session:
        details = external_tasks.error_details(session, id)
    if details is None:  # Camunda's null entity
        return None, 204, {"Content-Type": "text/plain"}
    return details, 200, {"Content-Type": "text/plain"}


# ---------------------------------------------------------------------------- fetch and lock
def _topic(raw: Any) -> external_tasks.TopicFetch:
    raw = raw if isinstance(raw, dict) else {}
    return external_tasks.TopicFetch(
        topic_name=raw.get("topicName"), lock_duration=raw.get("lockDuration") or 0,
        variables=raw.get("variables"), local_variables=raw.get("localVariables") is True,
        business_key=raw.get("businessKey"),
        process_definition_id=raw.get("processDefinitionId"),
        process_definition_id_in=raw.get("processDefinitionIdIn"),
        process_definition_key=raw.get("processDefinitionKey"),
        process_definition_key_in=raw.get("processDefinitionKeyIn"),
        process_definition_version_tag=raw.get("processDefinitionVersionTag"),
        without_tenant_id=raw.get("withoutTenantId") is True,
        tenant_id_in=raw.get("tenantIdIn"), process_variables=raw.get("processVariables") or {},
        include_extension_properties=raw.get("includeExtensionProperties") is True)


def _fetch_once(request: external_tasks.FetchRequest) -> list[dict[str, Any]]:
    with current().transaction() as session:
        return [render.locked_external_task(locked)
                for locked in external_tasks.fetch_and_lock(session, request)]


def _has_tasks(request: external_tasks.FetchRequest) -> bool:
    with current().read() as session:
        return external_tasks.has_tasks(session, request)


async def _disconnected() -> bool:
    try:
        return bool(await request.is_disconnected())
    except Exception:  # not every transport can tell; then the timeout ends the wait
        return False


async def fetch_and_lock(body: Any = None):
    """Fetch at once; with asyncResponseTimeout wait (cheap reads in a worker thread, never
    blocking the event loop) until tasks show up, the client leaves or the timeout passes."""
    dto = params.body_dict(body)
    timeout = dto.get("asyncResponseTimeout")
    if timeout is not None and timeout > MAX_ASYNC_RESPONSE_TIMEOUT_MS:
        raise InvalidRequest("The asynchronous response timeout cannot be set to a value greater "
                             f"than {MAX_ASYNC_RESPONSE_TIMEOUT_MS} milliseconds")
    request = external_tasks.FetchRequest(
        worker_id=dto.get("workerId"), max_tasks=dto.get("maxTasks") or 0,
        use_priority=dto.get("usePriority") is True,
        topics=[_topic(topic) for topic in dto.get("topics") or []])
    deadline = time.monotonic() + (timeout or 0) / 1000
    while True:
        locked = await run_in_threadpool(_fetch_once, request)
        if locked or timeout is None:
            return locked, 200
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or await _disconnected():
                return [], 200
            await asyncio.sleep(min(LONG_POLL_INTERVAL_S, remaining))
            if await run_in_threadpool(_has_tasks, request):
                break  # try to lock them; another worker may be quicker, then wait on


# ---------------------------------------------------------------------------- commands
def _variables(dto: dict[str, Any], name: str) -> dict[str, TypedValue]:
    return params.typed_variables(dto.get(name) or None, name=name)


def _command(task_id: str, command, **arguments: Any) -> None:
    """Run one engine command; Camunda's resource turns its NotFound into 404 and another
    BadUserRequest into a 400 RestException with the engine's message."""
    with current().transaction() as session:
        try:
            command(session, task_id, **arguments)
        except NotFoundError:
            raise RestError(f"External task with id {task_id} does not exist",
                            status=404) from None
        except BadUserRequest as error:
            raise RestError(error.message, status=400, code=error.code) from None


def complete_external_task_resource(id: str, body: Any = None):
    dto = params.body_dict(body)
    _command(id, external_tasks.complete, worker_id=dto.get("workerId"),
             variables=_variables(dto, "variables"),
             local_variables=_variables(dto, "localVariables"))
    return None, 204


def handle_failure(id: str, body: Any = None):
    dto = params.body_dict(body)
    _command(id, external_tasks.handle_failure, worker_id=dto.get("workerId"),
             error_message=dto.get("errorMessage"), error_details=dto.get("errorDetails"),
             retries=dto.get("retries") or 0, retry_timeout=dto.get("retryTimeout") or 0,
             variables=_variables(dto, "variables"),
             local_variables=_variables(dto, "localVariables"))
    return None, 204


def handle_external_task_bpmn_error(id: str, body: Any = None):
    dto = params.body_dict(body)
    _command(id, external_tasks.handle_bpmn_error, worker_id=dto.get("workerId"),
             error_code=dto.get("errorCode"), error_message=dto.get("errorMessage"),
             variables=_variables(dto, "variables"))
    return None, 204


def lock(id: str, body: Any = None):
    dto = params.body_dict(body)
    _command(id, external_tasks.lock, worker_id=dto.get("workerId"),
             lock_duration=dto.get("lockDuration") or 0)
    return None, 204


def extend_lock(id: str, body: Any = None):
    dto = params.body_dict(body)
    _command(id, external_tasks.extend_lock, worker_id=dto.get("workerId"),
             new_duration=dto.get("newDuration") or 0)
    return None, 204


def unlock(id: str):
    _command(id, external_tasks.unlock)
    return None, 204


def set_external_task_resource_priority(id: str, body: Any = None):
    _command(id, external_tasks.set_priority,
             priority=params.body_dict(body).get("priority") or 0)
    return None, 204


def set_external_task_resource_retries(id: str, body: Any = None):
    retries = params.body_dict(body).get("retries")
    if retries is None:
        raise InvalidRequest("The number of retries cannot be null.")
    with current().transaction() as session:
        try:
            external_tasks.set_retries(session, id, retries)
        except NotFoundError:
            raise RestError(f"External task with id {id} does not exist", status=404) from None
    return None, 204


def set_external_task_retries(body: Any = None):
    dto = params.body_dict(body)
    retries = dto.get("retries")
    if retries is None:
        raise InvalidRequest("The number of retries cannot be null.")
    query = dto.get("externalTaskQuery")
    if query is not None:
        query = _body_filters(query)
    instance_query = dto.get("processInstanceQuery")
    if instance_query is not None:
        instance_query = params.resolve_variable_values(params.body_dict(instance_query))
    with current().transaction() as session:
        try:
            external_tasks.set_retries_many(
                session, retries, external_task_ids=dto.get("externalTaskIds") or [],
                process_instance_ids=dto.get("processInstanceIds") or [],
                external_task_query=query, process_instance_query=instance_query)
        except BadUserRequest as error:  # Camunda answers these as InvalidRequestException
            raise InvalidRequest(error.message) from None
    return None, 204
