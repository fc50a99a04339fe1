"""Loading instance states from rows and writing their changes back, a set at a time.

``load`` reads any number of instances with one query per table; ``flush`` writes the
difference with one executemany or ``IN`` statement per kind of change, so the number of
statements does not grow with the number of instances.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from modbatch.engine import clock, decisions, history, repository
from modbatch.engine.runtime import (
    ActivityInstanceState,
    ExternalTaskState,
    InstanceState,
    JobState,
    SubscriptionState,
    TaskState,
    VariableState,
)
from modbatch.engine.variables import from_columns, to_columns
from modbatch.errors import ProcessEngineError
from modbatch.store.database import serialises_writers
from modbatch.store.fastsql import Raw
from modbatch.store.tables import (
    ActivityInstance,
    EventSubscription,
    ExternalTask,
    Incident,
    Job,
    ProcessInstance,
    Task,
    Variable,
)

# SQLite accepts at most 32766 bound parameters per statement; stay well below for IN lists.
CHUNK = 900


class OptimisticLockingError(ProcessEngineError):
    """Another transaction changed the instance since it was loaded (Camunda's code 1)."""

    code = 1


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_IDS = bindparam("ids", expanding=True)
# The hot statements, built once: an execution job runs them for every chunk of instances.
LOAD_INSTANCES = select(ProcessInstance.__table__).where(ProcessInstance.id.in_(_IDS))
LOAD_ACTIVITY_INSTANCES = select(ActivityInstance.__table__).where(
    ActivityInstance.process_instance_id.in_(_IDS))
LOAD_TASKS = select(Task.__table__).where(Task.process_instance_id.in_(_IDS))
LOAD_VARIABLES = select(Variable.__table__).where(Variable.process_instance_id.in_(_IDS))
LOAD_JOBS = select(Job.__table__).where(Job.process_instance_id.in_(_IDS))
LOAD_SUBSCRIPTIONS = select(EventSubscription.__table__).where(
    EventSubscription.process_instance_id.in_(_IDS))
LOAD_EXTERNAL_TASKS = select(ExternalTask.__table__).where(
    ExternalTask.process_instance_id.in_(_IDS))
BUMP_REVISION = (update(ProcessInstance.__table__)
                 .where(ProcessInstance.id == bindparam("b_id"),
                        ProcessInstance.revision == bindparam("b_rev"))
                 .values(revision=bindparam("b_new")))
DELETE_INCIDENTS_OF = delete(Incident.__table__).where(Incident.configuration.in_(_IDS))
UPDATE_VARIABLE = (update(Variable.__table__).where(Variable.id == bindparam("b_id")).values(
    type=bindparam("type"), text_value=bindparam("text_value"),
    long_value=bindparam("long_value"), double_value=bindparam("double_value"),
    value_info=bindparam("value_info")))
_OWNED = (Task, Variable, ActivityInstance, Job, EventSubscription, ExternalTask, Incident)
DELETE_BY_ID = {table: delete(table.__table__).where(table.__table__.c.id.in_(_IDS))
                for table in (ActivityInstance, Task, Variable, ProcessInstance, Job,
                              EventSubscription, ExternalTask)}
DELETE_BY_INSTANCE = {table: delete(table.__table__).where(
    table.__table__.c.process_instance_id.in_(_IDS)) for table in _OWNED}


def load(session: Session, instance_ids: Iterable[str]) -> dict[str, InstanceState]:
    """Load the instances that exist; missing ids are simply absent from the result."""
    ids = list(dict.fromkeys(instance_ids))
    states: dict[str, InstanceState] = {}
    conn = session.connection()
    for part in chunks(ids):
        rows = conn.execute(LOAD_INSTANCES, {"ids": list(part)}).all()
        for row in rows:
            states[row.id] = InstanceState(
                id=row.id, model=repository.model_for_id(session, row.process_definition_id),
                process_definition_id=row.process_definition_id,
                process_definition_key=row.process_definition_key, business_key=row.business_key,
                tenant_id=row.tenant_id, suspended=row.suspended, start_time=row.start_time,
                revision=row.revision, super_process_instance_id=row.super_process_instance_id,
                super_activity_instance_id=row.super_activity_instance_id,
                root_process_instance_id=row.root_process_instance_id)
        present = {"ids": [row.id for row in rows]}
        if not rows:
            continue
        for ai in conn.execute(LOAD_ACTIVITY_INSTANCES, present).all():
            states[ai.process_instance_id].activity_instances[ai.id] = ActivityInstanceState(
                ai.id, ai.activity_id, ai.parent_id, ai.activity_type, ai.activity_name,
                ai.execution_id, ai.seq, ai.async_phase, ai.compensating_for)
        for task in conn.execute(LOAD_TASKS, present).all():
            states[task.process_instance_id].tasks[task.id] = TaskState(
                task.id, task.activity_instance_id, task.execution_id, task.task_definition_key,
                task.name, task.created, task.priority, task.suspended, task.assignee)
        for var in conn.execute(LOAD_VARIABLES, present).all():
            states[var.process_instance_id].variables[var.id] = VariableState(
                var.id, var.name, var.activity_instance_id,
                from_columns(var.type, var.text_value, var.long_value, var.double_value,
                             var.value_info))
        owning = [row.id for row in rows if states[row.id].model.creates_jobs_or_subscriptions]
        if not owning:
            continue
        present = {"ids": owning}
        for job in conn.execute(LOAD_JOBS, present).all():
            states[job.process_instance_id].jobs[job.id] = JobState(
                job.id, job.activity_instance_id, job.activity_id, job.type, job.handler_type,
                job.handler_configuration, job.due_date, job.exclusive, job.repeat, job.retries,
                job.job_definition_id, job.priority)
        for sub in conn.execute(LOAD_SUBSCRIPTIONS, present).all():
            states[sub.process_instance_id].subscriptions[sub.id] = SubscriptionState(
                sub.id, sub.activity_instance_id, sub.activity_id, sub.event_type, sub.event_name,
                sub.created, sub.configuration, sub.seq)
        for ext in conn.execute(LOAD_EXTERNAL_TASKS, present).all():
            states[ext.process_instance_id].external_tasks[ext.id] = ExternalTaskState(
                ext.id, ext.activity_instance_id, ext.activity_id, ext.execution_id,
                ext.topic_name, ext.priority, ext.create_time)
    for state in states.values():
        state.mark_loaded()
    decisions.hand_to(session, states.values())
    return states


def flush(session: Session, states: Iterable[InstanceState]) -> None:
    """Write every change of ``states`` with a bounded number of statements."""
    changed = [s for s in states if s.changed]
    if not changed:
        return
    conn = session.connection()
    now = clock.now()
    new = [s for s in changed if s.is_new and not s.ended]
    existing = [s for s in changed if not s.is_new]
    ended = [s for s in existing if s.ended]

    # optimistic locking: one UPDATE for all touched instances, then compare the row count;
    # not on SQLite, whose one writer at a time loads what it flushes in its own transaction
    if not serialises_writers(conn.engine):
        for part_states in _chunked_states(existing):
            result = conn.execute(BUMP_REVISION, [
                {"b_id": s.id, "b_rev": s.revision, "b_new": s.revision + 1} for s in part_states])
            if result.rowcount != len(part_states):
                raise OptimisticLockingError(
                    "ENGINE-03005 Execution of 'UPDATE ProcessInstance' failed. Entity was updated "
                    "by another transaction concurrently.")
        for s in existing:
            s.revision += 1

    raw = Raw(conn)
    if new:
        raw.insert_dicts(ProcessInstance.__table__, [{
            "id": s.id, "process_definition_id": s.process_definition_id,
            "process_definition_key": s.process_definition_key, "business_key": s.business_key,
            "tenant_id": s.tenant_id, "suspended": s.suspended, "start_time": s.start_time,
            "revision": 1, "super_process_instance_id": s.super_process_instance_id,
            "super_activity_instance_id": s.super_activity_instance_id,
            "root_process_instance_id": s.root_process_instance_id or s.id} for s in new])
        for s in new:
            s.revision = 1
    history.write(conn, changed, now)

    if ended:
        ended_ids = [s.id for s in ended]
        owning_ids = [s.id for s in ended if s.model.creates_jobs_or_subscriptions]
        for table in _OWNED:
            for part in chunks(ended_ids if table in (Task, Variable, ActivityInstance) else owning_ids):
                if table is Incident:
                    history.incidents_ended(conn, Incident.process_instance_id.in_(list(part)),
                                            resolved=False)
                conn.execute(DELETE_BY_INSTANCE[table], {"ids": list(part)})
        _delete(conn, ProcessInstance, ended_ids)

    rows = [s for s in changed if not s.ended]
    _delete(conn, ActivityInstance, [i for s in rows for i in s.loaded_activity_instances
                                     if i not in s.activity_instances])
    _delete(conn, Task, [i for s in rows for i in s.loaded_tasks if i not in s.tasks])
    _delete(conn, Variable, [i for s in rows for i in s.loaded_variables if i not in s.variables])
    gone_jobs = [i for s in rows for i in s.loaded_jobs if i not in s.jobs]
    gone_external = [i for s in rows for i in s.loaded_external_tasks if i not in s.external_tasks]
    _delete(conn, Job, gone_jobs)
    _delete(conn, ExternalTask, gone_external)
    for part in chunks(gone_jobs + gone_external):
        history.incidents_ended(conn, Incident.configuration.in_(list(part)), resolved=False)
        conn.execute(DELETE_INCIDENTS_OF, {"ids": list(part)})
    _delete(conn, EventSubscription, [i for s in rows for i in s.loaded_subscriptions
                                      if i not in s.subscriptions])

    ai_rows = [{"id": ai.id, "process_instance_id": s.id, "parent_id": ai.parent_id,
                "activity_id": ai.activity_id, "activity_type": ai.activity_type,
                "activity_name": ai.activity_name, "execution_id": ai.execution_id, "seq": ai.seq,
                "async_phase": ai.async_phase, "compensating_for": ai.compensating_for}
               for s in rows for ai in s.activity_instances.values()
               if ai.id not in s.loaded_activity_instances]
    raw.insert_dicts(ActivityInstance.__table__, ai_rows)
    task_rows = [{"id": t.id, "process_instance_id": s.id,
                  "activity_instance_id": t.activity_instance_id, "execution_id": t.execution_id,
                  "process_definition_id": s.process_definition_id,
                  "task_definition_key": t.task_definition_key, "name": t.name,
                  "tenant_id": s.tenant_id, "created": t.created, "priority": t.priority,
                  "suspended": s.suspended, "assignee": t.assignee}
                 for s in rows for t in s.tasks.values() if t.id not in s.loaded_tasks]
    raw.insert_dicts(Task.__table__, task_rows)
    var_rows = [{"id": v.id, "process_instance_id": s.id, "activity_instance_id": v.scope,
                 "name": v.name, **to_columns(v.value)}
                for s in rows for v in s.variables.values() if v.id not in s.loaded_variables]
    raw.insert_dicts(Variable.__table__, var_rows)
    dirty = [{"b_id": v.id, **to_columns(v.value)} for s in rows
             for v in s.variables.values() if v.id in s.dirty_variables and v.id in s.loaded_variables]
    if dirty:
        conn.execute(UPDATE_VARIABLE, dirty)
    job_rows = [_job_row(s, j, now) for s in rows for j in s.jobs.values() if j.id not in s.loaded_jobs]
    raw.insert_dicts(Job.__table__, job_rows)
    sub_rows = [{"id": e.id, "event_type": e.event_type, "event_name": e.event_name,
                 "process_instance_id": s.id, "activity_instance_id": e.owner,
                 "execution_id": _execution_of(s, e.owner), "activity_id": e.activity_id,
                 "process_definition_id": s.process_definition_id, "tenant_id": s.tenant_id,
                 "created": e.created, "configuration": e.configuration, "seq": e.seq}
                for s in rows for e in s.subscriptions.values() if e.id not in s.loaded_subscriptions]
    raw.insert_dicts(EventSubscription.__table__, sub_rows)
    ext_rows = [{"id": t.id, "topic_name": t.topic_name, "worker_id": None,
                 "lock_expiration_time": None, "retries": None, "error_message": None,
                 "error_details": None, "priority": t.priority, "suspended": s.suspended,
                 "activity_id": t.activity_id, "activity_instance_id": t.owner,
                 "execution_id": t.execution_id, "process_instance_id": s.id,
                 "process_definition_id": s.process_definition_id,
                 "process_definition_key": s.process_definition_key,
                 "process_definition_version_tag": s.model.version_tag, "tenant_id": s.tenant_id,
                 "business_key": s.business_key, "create_time": t.created}
                for s in rows for t in s.external_tasks.values() if t.id not in s.loaded_external_tasks]
    raw.insert_dicts(ExternalTask.__table__, ext_rows)
    for s in changed:
        s.is_new = False
        if not s.ended:
            s.mark_loaded()


def _job_row(s: InstanceState, job: JobState, now) -> dict:
    return {"id": job.id, "type": job.type, "job_definition_id": job.job_definition_id,
            "handler_type": job.handler_type, "handler_configuration": job.handler_configuration,
            "batch_id": None, "item_from": None, "item_to": None, "due_date": job.due_date,
            "create_time": now, "retries": job.retries, "exception_message": None,
            "exception_stacktrace": None, "suspended": s.suspended, "priority": job.priority,
            "tenant_id": s.tenant_id, "deployment_id": None, "lock_owner": None,
            "lock_expiration_time": None, "process_instance_id": s.id,
            "process_definition_id": s.process_definition_id,
            "process_definition_key": s.process_definition_key, "activity_instance_id": job.owner,
            "execution_id": _execution_of(s, job.owner),
            "activity_id": job.activity_id, "exclusive": job.exclusive, "repeat": job.repeat}


def _execution_of(s: InstanceState, owner: str) -> str:
    """The owner's execution id; the process instance (owner of event sub-process starts at
    process level) and a completed sub-process's event scope (which owns its compensate
    subscriptions) are their own executions, as in Camunda."""
    ai = s.activity_instances.get(owner)
    return ai.execution_id if ai is not None else owner


def _chunked_states(states: list[InstanceState]) -> Iterable[list[InstanceState]]:
    for start in range(0, len(states), CHUNK):
        yield states[start:start + CHUNK]


def _delete(conn, table, ids: list[str]) -> None:
    for part in chunks(ids):
        conn.execute(DELETE_BY_ID[table], {"ids": list(part)})
