"""External tasks: query, fetch and lock, and the worker's commands (complete, failure, BPMN error,
lock, extend lock, unlock), retries with their incidents, priority and error details.

An external task row is created by the runtime when a token enters an activity with
``camunda:type="external"`` and deleted when that activity instance ends. A worker fetches tasks
of its topics (locking them for ``lockDuration`` ms) and reports back. Messages and exception
types are Camunda's (``ExternalTaskEntity`` and the commands around it); the REST layer turns a
``NotFoundError`` into its 404 and another ``BadUserRequest`` into its 400, as Camunda's
``ExternalTaskResourceImpl`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import Select, and_, delete, exists, false, or_, select, update
from sqlalchemy.orm import Session

from modbatch.engine import clock, history, instances, persistence, queries
from modbatch.engine.runtime import Runtime, new_id
from modbatch.engine.variables import TypedValue, from_columns
from modbatch.errors import BadUserRequest, NotFoundError, ProcessEngineError
from modbatch.store import external_task_locking
from modbatch.store.tables import ActivityInstance, ExternalTask, Incident, ProcessDefinition, Variable

INCIDENT_TYPE = "failedExternalTask"
MAX_ERROR_MESSAGE_LENGTH = 666  # ExternalTaskEntity.MAX_EXCEPTION_MESSAGE_LENGTH


def _null(name: str, message: str | None = None, *, status: int = 400) -> ProcessEngineError:
    """EnsureUtil.ensureNotNull's NullValueException: a 500 in Camunda's REST API, a 400 (missing
    input) or 404 (missing task) here (README)."""
    text = f"{message}: {name} is null" if message else f"{name} is null"
    return ProcessEngineError(text, type="NullValueException", status=status)


# ---------------------------------------------------------------------------- queries
SORTS = {"id": ExternalTask.id, "lockExpirationTime": ExternalTask.lock_expiration_time,
         "processInstanceId": ExternalTask.process_instance_id,
         "processDefinitionId": ExternalTask.process_definition_id,
         "processDefinitionKey": ExternalTask.process_definition_key,
         "tenantId": ExternalTask.tenant_id, "taskPriority": ExternalTask.priority,
         "createTime": ExternalTask.create_time}


def task_query(filters: Mapping[str, Any], *, columns: tuple = (ExternalTask,)) -> Select:
    """Compile Camunda's ExternalTaskQueryDto (GET parameters or POST body) into one SELECT."""
    et = ExternalTask
    f = filters.get
    now = clock.now()
    stmt = select(*columns)
    for name, column in (("externalTaskId", et.id), ("topicName", et.topic_name),
                         ("workerId", et.worker_id), ("activityId", et.activity_id),
                         ("executionId", et.execution_id),
                         ("processInstanceId", et.process_instance_id),
                         ("processDefinitionId", et.process_definition_id)):
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    for name, column in (("externalTaskIdIn", et.id), ("activityIdIn", et.activity_id),
                         ("processInstanceIdIn", et.process_instance_id)):
        if f(name):
            stmt = stmt.where(column.in_(list(f(name))))
    if f("lockExpirationBefore") is not None:
        stmt = stmt.where(et.lock_expiration_time < f("lockExpirationBefore"))
    if f("lockExpirationAfter") is not None:
        stmt = stmt.where(et.lock_expiration_time > f("lockExpirationAfter"))
    if f("locked") is True:
        stmt = stmt.where(et.lock_expiration_time.is_not(None), et.lock_expiration_time > now)
    if f("notLocked") is True:
        stmt = stmt.where(or_(et.lock_expiration_time.is_(None), et.lock_expiration_time < now))
    if f("withRetriesLeft") is True:
        stmt = stmt.where(or_(et.retries.is_(None), et.retries > 0))
    if f("noRetriesLeft") is True:
        stmt = stmt.where(et.retries == 0)
    if f("active") is True:
        stmt = stmt.where(et.suspended.is_(False))
    if f("suspended") is True:
        stmt = stmt.where(et.suspended.is_(True))
    if f("priorityHigherThanOrEquals") is not None:
        stmt = stmt.where(et.priority >= f("priorityHigherThanOrEquals"))
    if f("priorityLowerThanOrEquals") is not None:
        stmt = stmt.where(et.priority <= f("priorityLowerThanOrEquals"))
    if f("tenantIdIn"):
        stmt = stmt.where(et.tenant_id.in_(list(f("tenantIdIn"))))
    return queries.apply_sorting(stmt, filters, SORTS, et.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[ExternalTask]:
    return queries.page(session, task_query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, task_query(filters))


def get(session: Session, task_id: str) -> ExternalTask | None:
    return session.get(ExternalTask, task_id)


def topic_names(session: Session, *, with_locked_tasks: bool, with_unlocked_tasks: bool,
                with_retries_left: bool) -> list[str]:
    """GetTopicNamesCmd: the distinct topics of the tasks matching the three flags, sorted."""
    stmt = task_query({"locked": with_locked_tasks, "notLocked": with_unlocked_tasks,
                       "withRetriesLeft": with_retries_left}, columns=(ExternalTask.topic_name,))
    stmt = stmt.order_by(None).distinct().order_by(ExternalTask.topic_name)
    return list(session.execute(stmt).scalars())


# ---------------------------------------------------------------------------- fetch and lock
@dataclass
class TopicFetch:
    """One topic of a fetch-and-lock request (Camunda's TopicFetchInstruction)."""

    topic_name: str | None
    lock_duration: int | None
    variables: list[str] | None = None
    local_variables: bool = False
    business_key: str | None = None
    process_definition_id: str | None = None
    process_definition_id_in: list[str] | None = None
    process_definition_key: str | None = None
    process_definition_key_in: list[str] | None = None
    process_definition_version_tag: str | None = None
    without_tenant_id: bool = False
    tenant_id_in: list[str] | None = None
    process_variables: dict[str, Any] = field(default_factory=dict)
    include_extension_properties: bool = False


@dataclass
class FetchRequest:
    worker_id: str | None
    max_tasks: int
    topics: list[TopicFetch]
    use_priority: bool = False


@dataclass
class LockedTask:
    task: ExternalTask
    variables: dict[str, TypedValue]
    extension_properties: dict[str, str]


def validate(request: FetchRequest) -> None:
    """FetchExternalTasksCmd.validateInput, in Camunda's order and words."""
    if request.worker_id is None:
        raise _null("workerId")
    if request.max_tasks < 0:
        raise ProcessEngineError("maxResults is not greater than or equal to 0", status=400)
    for topic in request.topics:
        if topic.topic_name is None:
            raise _null("topicName")
        if topic.lock_duration is None:
            raise _null("lockTime")
        if topic.lock_duration <= 0:
            raise ProcessEngineError("lockTime is not greater than 0", status=400)


def _process_variable_matches(name: str, value: Any):
    """A process-instance variable ``name`` equal to the plain JSON ``value``."""
    v = Variable
    condition = [v.name == name, v.activity_instance_id.is_(None)]
    if value is None:
        condition.append(v.type == "Null")
    elif isinstance(value, bool):
        condition += [v.type == "Boolean", v.long_value == int(value)]
    elif isinstance(value, int):
        condition += [v.type.in_(("Integer", "Long", "Short", "Double")), v.long_value == value]
    elif isinstance(value, float):
        condition += [v.type.in_(("Integer", "Long", "Short", "Double")), v.double_value == value]
    elif isinstance(value, str):
        condition += [v.type.in_(("String", "Date")), v.text_value == value]
    else:
        return false()  # objects and lists never equal a stored value
    return and_(*condition)


def _available(topic: TopicFetch, now: datetime):
    """The conditions of selectExternalTasksForTopics for one topic."""
    et = ExternalTask
    parts = [et.topic_name == topic.topic_name,
             or_(et.lock_expiration_time.is_(None), et.lock_expiration_time <= now),
             et.suspended.is_(False), or_(et.retries.is_(None), et.retries > 0)]
    if topic.business_key is not None:
        parts.append(et.business_key == topic.business_key)
    if topic.process_definition_id is not None:
        parts.append(et.process_definition_id == topic.process_definition_id)
    if topic.process_definition_id_in:
        parts.append(et.process_definition_id.in_(topic.process_definition_id_in))
    if topic.process_definition_key is not None:
        parts.append(et.process_definition_key == topic.process_definition_key)
    if topic.process_definition_key_in:
        parts.append(et.process_definition_key.in_(topic.process_definition_key_in))
    if topic.without_tenant_id:
        parts.append(et.tenant_id.is_(None))
    elif topic.tenant_id_in:
        parts.append(et.tenant_id.in_(topic.tenant_id_in))
    if topic.process_variables:
        # Camunda: the process instance has one of the variables with that value
        parts.append(et.process_instance_id.in_(
            select(Variable.process_instance_id).where(or_(*(
                _process_variable_matches(name, value)
                for name, value in topic.process_variables.items())))))
    if topic.process_definition_version_tag is not None:
        parts.append(et.process_definition_id.in_(
            select(ProcessDefinition.id).where(
                ProcessDefinition.version_tag.like(topic.process_definition_version_tag))))
    return and_(*parts)


def _order(stmt: Select, use_priority: bool) -> Select:
    if use_priority:
        stmt = stmt.order_by(ExternalTask.priority.desc())
    return stmt.order_by(ExternalTask.create_time, ExternalTask.id)


def has_tasks(session: Session, request: FetchRequest) -> bool:
    """Whether a fetch would lock anything now: the cheap read a long poll repeats."""
    if request.max_tasks <= 0 or not request.topics:
        return False
    now = clock.now()
    return session.execute(select(exists().where(
        or_(*(_available(topic, now) for topic in request.topics))))).scalar_one()


def fetch_and_lock(session: Session, request: FetchRequest) -> list[LockedTask]:
    """Lock up to ``max_tasks`` tasks of the request's topics for its worker.

    One candidate query per topic (each limited to ``max_tasks``, claimed with ``SKIP LOCKED``
    on PostgreSQL), one update for all locks, then one query each for the scope tree and the
    variables of the tasks' process instances.
    """
    validate(request)
    if request.max_tasks == 0 or not request.topics:
        return []
    now = clock.now()
    topics = {topic.topic_name: topic for topic in request.topics}  # the last one wins
    selects = [_order(select(ExternalTask).where(_available(topic, now)), request.use_priority)
               .limit(request.max_tasks) for topic in topics.values()]
    found = external_task_locking.candidates(session, selects)
    key = (lambda t: (-t.priority, t.create_time, t.id)) if request.use_priority \
        else (lambda t: (t.create_time, t.id))
    chosen = sorted(found, key=key)[:request.max_tasks]
    locks = []
    for task in chosen:
        until = now + timedelta(milliseconds=topics[task.topic_name].lock_duration or 0)
        locks.append((task.id, request.worker_id, until))
    external_task_locking.lock(session, locks)
    for task, (_, worker, until) in zip(chosen, locks):
        session.expunge(task)  # the rows are written; keep the loaded objects as values
        task.worker_id, task.lock_expiration_time = worker, until
    values = _variables(session, chosen, topics)
    return [LockedTask(task, values[task.id], {}) for task in chosen]


def _variables(session: Session, tasks: list[ExternalTask],
               topics: Mapping[str, TopicFetch]) -> dict[str, dict[str, TypedValue]]:
    """Each task's variables: its activity instance's scope chain, the nearest scope winning."""
    result: dict[str, dict[str, TypedValue]] = {task.id: {} for task in tasks}
    wanted = [task for task in tasks if topics[task.topic_name].variables != []]
    if not wanted:
        return result
    instance_ids = sorted({task.process_instance_id for task in wanted})
    parents: dict[str, str] = {}
    by_scope: dict[tuple[str, str | None], list[Any]] = {}
    for part in persistence.chunks(instance_ids):
        for row in session.execute(select(ActivityInstance.id, ActivityInstance.parent_id)
                                   .where(ActivityInstance.process_instance_id.in_(part))):
            parents[row.id] = row.parent_id
        for row in session.execute(select(Variable.__table__)
                                   .where(Variable.process_instance_id.in_(part))
                                   .order_by(Variable.name)):
            by_scope.setdefault((row.process_instance_id, row.activity_instance_id), []).append(row)
    for task in wanted:
        topic = topics[task.topic_name]
        names = set(topic.variables) if topic.variables is not None else None
        if topic.local_variables:
            chain: list[str | None] = [task.activity_instance_id]
        else:
            chain = []
            scope = task.activity_instance_id
            while scope in parents:  # up to, not including, the process instance
                chain.append(scope)
                scope = parents[scope]
            chain.append(None)
        values = result[task.id]
        for scope in chain:
            for row in by_scope.get((task.process_instance_id, scope), []):
                if (names is None or row.name in names) and row.name not in values:
                    values[row.name] = from_columns(row.type, row.text_value, row.long_value,
                                                    row.double_value, row.value_info)
        result[task.id] = dict(sorted(values.items()))
    return result


# ---------------------------------------------------------------------------- commands
def _find(session: Session, task_id: str) -> ExternalTask:
    task = session.get(ExternalTask, task_id)
    if task is None:
        raise NotFoundError(f"Cannot find external task with id {task_id}: externalTask is null")
    return task


def _held_by(session: Session, task_id: str, worker_id: str | None,
             denied: Callable[[str], str]) -> ExternalTask:
    """HandleExternalTaskCmd: workerId given, the task exists and this worker holds it.

    ``denied(worker_id)`` is the command's getErrorMessageOnWrongWorkerAccess; Camunda appends
    ``'. It is locked by worker '<holder>'.`` to it (so the extend-lock message quotes twice).
    """
    if worker_id is None:
        raise _null("workerId")
    task = _find(session, task_id)
    if task.worker_id != worker_id:
        holder = "null" if task.worker_id is None else task.worker_id  # Java's string of null
        raise BadUserRequest(f"{denied(worker_id)}'. It is locked by worker '{holder}'.")
    return task


def _ensure_active(task: ExternalTask) -> None:
    if task.suspended:
        raise BadUserRequest(f"ENGINE-03043 ExternalTask with id '{task.id}' is suspended.",
                             type="SuspendedEntityInteractionException")


def complete(session: Session, task_id: str, *, worker_id: str | None,
             variables: dict[str, TypedValue], local_variables: dict[str, TypedValue]) -> None:
    """CompleteExternalTaskCmd: set the variables, resolve incidents, continue the instance."""
    task = _held_by(session, task_id, worker_id,
                    lambda w: f"External Task {task_id} cannot be completed by worker '{w}")
    _ensure_active(task)
    _delete_incidents(session, [task.id])
    instances.complete_external_task(session, task, variables=variables,
                                     local_variables=local_variables)


def handle_bpmn_error(session: Session, task_id: str, *, worker_id: str | None,
                      error_code: str | None, error_message: str | None,
                      variables: dict[str, TypedValue]) -> None:
    """HandleExternalTaskBpmnErrorCmd: throw the error at the task's activity."""
    if worker_id is None:
        raise _null("workerId")
    if error_code is None:
        raise _null("errorCode")
    task = _held_by(session, task_id, worker_id, lambda w: (
        f"Bpmn error of External Task {task_id} cannot be reported by worker '{w}"))
    _ensure_active(task)
    _delete_incidents(session, [task.id])
    instances.external_task_bpmn_error(session, task, error_code=error_code,
                                       error_message=error_message, variables=variables)


def handle_failure(session: Session, task_id: str, *, worker_id: str | None,
                   error_message: str | None, error_details: str | None, retries: int,
                   retry_timeout: int, variables: dict[str, TypedValue],
                   local_variables: dict[str, TypedValue]) -> None:
    """HandleExternalTaskFailureCmd: record the failure; not fetchable for ``retry_timeout`` ms.

    The worker keeps the (new) lock until then; at 0 retries a failedExternalTask incident opens.
    """
    if worker_id is None:
        raise _null("workerId")
    if retries < 0:
        raise ProcessEngineError("retries is not greater than or equal to 0", status=400)
    if retry_timeout < 0:
        raise ProcessEngineError("retryDuration is not greater than or equal to 0", status=400)
    task = _held_by(session, task_id, worker_id, lambda w: (
        f"Failure of External Task {task_id} cannot be reported by worker '{w}"))
    _ensure_active(task)
    if variables or local_variables:
        _set_variables(session, task, variables, local_variables)
    message = error_message[:MAX_ERROR_MESSAGE_LENGTH] if error_message else error_message
    values: dict[str, Any] = {"error_message": message,
                              "lock_expiration_time": clock.now() + timedelta(
                                  milliseconds=retry_timeout)}
    if error_details is not None:
        values["error_details"] = error_details
    session.execute(update(ExternalTask).where(ExternalTask.id == task.id).values(**values))
    _set_retries(session, task, retries, incident_message=message)


def _set_variables(session: Session, task: ExternalTask, variables: dict[str, TypedValue],
                   local_variables: dict[str, TypedValue]) -> None:
    state = persistence.load(session, [task.process_instance_id]).get(task.process_instance_id)
    if state is None or task.activity_instance_id not in state.activity_instances:
        raise ProcessEngineError(f"Cannot find execution with id {task.execution_id} for "
                                 f"external task {task.id}: execution is null",
                                 type="NullValueException")
    runtime = Runtime(state)
    for name, value in variables.items():
        runtime.set_variable(name, value, task.activity_instance_id)
    for name, value in local_variables.items():
        runtime.set_variable(name, value, task.activity_instance_id, local=True)
    persistence.flush(session, [state])


def lock(session: Session, task_id: str, *, worker_id: str | None, lock_duration: int) -> None:
    """LockExternalTaskCmd: lock one task by id, unless another worker holds a valid lock."""
    if worker_id is None:
        raise _null("workerId")
    if lock_duration <= 0:
        raise BadUserRequest("lockDuration is not greater than 0")
    task = _find(session, task_id)
    now = clock.now()
    if task.worker_id is not None and task.worker_id != worker_id and \
            task.lock_expiration_time is not None and not now > task.lock_expiration_time:
        raise BadUserRequest(f"External Task {task_id} cannot be locked by worker '{worker_id}'. "
                             f"It is locked by worker '{task.worker_id}'.")
    external_task_locking.lock(session, [(task.id, worker_id,
                                          now + timedelta(milliseconds=lock_duration))])


def extend_lock(session: Session, task_id: str, *, worker_id: str | None,
                new_duration: int) -> None:
    """ExtendLockOnExternalTaskCmd: a worker prolongs its still valid lock."""
    if new_duration <= 0:  # checked in the command's constructor, before anything else
        raise BadUserRequest("lockTime is not greater than 0")
    task = _held_by(session, task_id, worker_id, lambda w: (
        f"The lock of the External Task {task_id} cannot be extended by worker '{w}'"))
    now = clock.now()
    expires = task.lock_expiration_time
    if expires is None or expires < now:
        millis = int((now - datetime(1970, 1, 1)).total_seconds() * 1000)
        raise BadUserRequest(f"Cannot extend a lock that expired: lockExpirationTime is not "
                             f"greater than or equal to {millis}")
    _ensure_active(task)
    session.execute(update(ExternalTask).where(ExternalTask.id == task.id).values(
        lock_expiration_time=now + timedelta(milliseconds=new_duration)))


def unlock(session: Session, task_id: str) -> None:
    """UnlockExternalTaskCmd: anyone may unlock; the task can be fetched at once."""
    task = _find(session, task_id)
    session.execute(update(ExternalTask).where(ExternalTask.id == task.id).values(
        worker_id=None, lock_expiration_time=None))


def set_priority(session: Session, task_id: str, priority: int) -> None:
    task = _find(session, task_id)
    session.execute(update(ExternalTask).where(ExternalTask.id == task.id)
                    .values(priority=priority))


def set_retries(session: Session, task_id: str, retries: int) -> None:
    """SetExternalTaskRetriesCmd: 0 opens a failedExternalTask incident, more resolves it."""
    if retries < 0:
        raise BadUserRequest("The number of retries cannot be negative: retries is not greater "
                             "than or equal to 0")
    _set_retries(session, _find(session, task_id), retries)


def set_retries_many(session: Session, retries: int, *, external_task_ids: Iterable[str] = (),
                     process_instance_ids: Iterable[str] = (),
                     external_task_query: Mapping[str, Any] | None = None,
                     process_instance_query: Mapping[str, Any] | None = None) -> int:
    """SetExternalTasksRetriesCmd: the union of the tasks chosen each way; unknown ids are
    skipped. Returns how many tasks were updated."""
    ids = [task_id for task_id in external_task_ids]
    if any(task_id is None for task_id in ids):
        raise BadUserRequest("External task id cannot be null: externalTaskIds contains null value")
    chosen: set[str] = set()
    if ids:
        chosen.update(session.execute(select(ExternalTask.id).where(
            ExternalTask.id.in_(ids))).scalars())
    if external_task_query is not None:
        chosen.update(session.execute(task_query(external_task_query,
                                                 columns=(ExternalTask.id,))).scalars())
    instance_ids = set(process_instance_ids)
    if process_instance_query is not None:
        instance_ids.update(session.execute(instances.instance_query(
            process_instance_query, columns=(instances.ProcessInstance.id,))).scalars())
    if instance_ids:
        chosen.update(session.execute(select(ExternalTask.id).where(
            ExternalTask.process_instance_id.in_(sorted(instance_ids)))).scalars())
    if not chosen:
        raise BadUserRequest("externalTaskIds is empty")
    if retries < 0:
        raise BadUserRequest("The number of retries cannot be negative: retries is not greater "
                             "than or equal to 0")
    tasks = list(session.execute(select(ExternalTask).where(
        ExternalTask.id.in_(sorted(chosen)))).scalars())
    for task in tasks:
        _set_retries(session, task, retries)
    return len(tasks)


def _set_retries(session: Session, task: ExternalTask, retries: int, *,
                 incident_message: Any = ...) -> None:
    """ExternalTaskEntity.setRetriesAndManageIncidents."""
    retries_left = task.retries is None or task.retries > 0
    message = task.error_message if incident_message is ... else incident_message
    if retries_left and retries <= 0:
        incident = Incident(id=new_id(), incident_timestamp=clock.now(),
                            incident_type=INCIDENT_TYPE, incident_message=message,
                            configuration=task.id,
                            process_definition_id=task.process_definition_id,
                            process_instance_id=task.process_instance_id,
                            execution_id=task.execution_id, activity_id=task.activity_id,
                            tenant_id=task.tenant_id)
        session.add(incident)
        history.incident_created(session, incident, task.process_definition_key)
    elif not retries_left and retries > 0:
        _delete_incidents(session, [task.id])
    session.execute(update(ExternalTask).where(ExternalTask.id == task.id)
                    .values(retries=retries))


def _delete_incidents(session: Session, task_ids: list[str]) -> None:
    """Completion, a BPMN error or new retries resolve the task's incident."""
    history.incidents_ended(session, Incident.configuration.in_(task_ids),
                            Incident.incident_type == INCIDENT_TYPE, resolved=True)
    session.execute(delete(Incident).where(Incident.configuration.in_(task_ids),
                                           Incident.incident_type == INCIDENT_TYPE))


def error_details(session: Session, task_id: str) -> str | None:
    """GetExternalTaskErrorDetailsCmd (its unknown-id failure is a NullValueException)."""
    task = session.get(ExternalTask, task_id)
    if task is None:
        raise _null("externalTask", f"No external task found with id {task_id}", status=404)
    return task.error_details
