"""The batch engine for ``instance-modification``: creation, seed, execution and monitor jobs.

Lifecycle (reference D): creation stores the batch, its three job definitions, its items (the
frozen instance ids, once) and a seed job. Each seed run hands out the next
``batchJobsPerSeed × invocationsPerBatchJob`` items as execution jobs, each addressing a range of
item numbers, and re-seeds itself until every item is handed out; then it creates the monitor
job. An execution job modifies its instances set-based and records each item's outcome. The
monitor completes the batch once no execution job is left; the last execution job wakes it so a
finished batch does not wait for the next poll.
"""

from __future__ import annotations

import functools
import json
import math
import traceback
from datetime import timedelta
from typing import Any, Mapping, NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from modbatch.engine import clock, history, jobs, modification, queries
from modbatch.engine.jobs import JobOutcome
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.runtime import new_id
from modbatch.errors import InvalidRequest
from modbatch.settings import Settings
from modbatch.store import bulk
from modbatch.store.database import serialises_writers
from modbatch.store.fastsql import Raw
from modbatch.store.tables import Batch, BatchItem, HistoricBatch, Incident, Job, JobDefinition

TYPE_MODIFICATION = "instance-modification"
SEED = "batch-seed-job"
MONITOR = "batch-monitor-job"
ITEM_STATUSES = ("pending", "modified", "failed")


def invocations_per_job(settings: Settings, batch_type: str) -> int:
    return max(1, settings.invocations_per_batch_job_by_type.get(
        batch_type, settings.invocations_per_batch_job))


# ---------------------------------------------------------------------------- creation
def create_modification_batch(session: Session, request: ModificationRequest, settings: Settings,
                              *, tenant_id: str | None, deployment_id: str | None) -> Batch:
    configuration = {
        "processDefinitionId": request.process_definition_id,
        "instructions": [i.to_json() for i in request.instructions],
        "skipCustomListeners": request.skip_custom_listeners,
        "skipIoMappings": request.skip_io_mappings,
        "annotation": request.annotation,
    }
    return _create(session, request.instance_ids, configuration, settings,
                   tenant_id=tenant_id, deployment_id=deployment_id,
                   instance_query=request.instance_query)


def create_single_instance_batch(session: Session, instance_id: str,
                                 instructions: list[Instruction], settings: Settings, *,
                                 skip_custom_listeners: bool, skip_io_mappings: bool,
                                 annotation: str | None, tenant_id: str | None,
                                 deployment_id: str | None) -> Batch:
    configuration = {
        "processDefinitionId": None,
        "instructions": [i.to_json() for i in instructions],
        "skipCustomListeners": skip_custom_listeners, "skipIoMappings": skip_io_mappings,
        "annotation": annotation, "single": True,
    }
    return _create(session, [instance_id], configuration, settings, tenant_id=tenant_id,
                   deployment_id=deployment_id)


def _create(session: Session, instance_ids: list[str], configuration: dict[str, Any],
            settings: Settings, *, tenant_id: str | None, deployment_id: str | None,
            instance_query: Any = None) -> Batch:
    """Store the batch: its items first (streamed to the database, or INSERT ... SELECT from
    ``instance_query``), then the batch rows that carry their count, and the seed job."""
    batch_id = new_id()
    # a set, in first-seen order; the dict goes before the database's page cache grows
    instance_ids = list(dict.fromkeys(instance_ids))
    total_items = bulk.insert_rows(
        session, BatchItem.__table__, ITEM_COLUMNS,
        ((batch_id, seq, instance_id, "pending") for seq, instance_id in enumerate(instance_ids)))
    if instance_query is not None:
        total_items += _insert_matching(session, batch_id, instance_query, first_seq=total_items)
    per_job = invocations_per_job(settings, TYPE_MODIFICATION)
    seed = jobs.create_definition(session, job_type=SEED, configuration=batch_id,
                                  tenant_id=tenant_id, deployment_id=deployment_id)
    monitor = jobs.create_definition(session, job_type=MONITOR, configuration=batch_id,
                                     tenant_id=tenant_id)
    execution = jobs.create_definition(session, job_type=TYPE_MODIFICATION,
                                       configuration=batch_id, tenant_id=tenant_id)
    now = clock.now()
    batch = Batch(
        id=batch_id, type=TYPE_MODIFICATION,
        total_jobs=math.ceil(total_items / per_job),
        batch_jobs_per_seed=settings.batch_jobs_per_seed, invocations_per_batch_job=per_job,
        seed_job_definition_id=seed.id, monitor_job_definition_id=monitor.id,
        batch_job_definition_id=execution.id, tenant_id=tenant_id, start_time=now,
        configuration=json.dumps(configuration), total_items=total_items)
    session.add(batch)
    session.add(HistoricBatch(
        id=batch_id, type=batch.type, total_jobs=batch.total_jobs,
        batch_jobs_per_seed=batch.batch_jobs_per_seed,
        invocations_per_batch_job=per_job, seed_job_definition_id=seed.id,
        monitor_job_definition_id=monitor.id, batch_job_definition_id=execution.id,
        tenant_id=tenant_id, start_time=now))
    session.flush()
    jobs.insert_jobs(session, [jobs.new_job_row(definition=seed, handler_type=SEED,
                                                configuration=batch_id, batch_id=batch_id,
                                                settings=settings)])
    return batch


ITEM_COLUMNS = ("batch_id", "seq", "process_instance_id", "status")


def _insert_matching(session: Session, batch_id: str, instance_query: Any, *,
                     first_seq: int) -> int:
    """Store the ids a SELECT returns as items numbered from ``first_seq`` in id order."""
    return bulk.insert_numbered(session, BatchItem.__table__, instance_query,
                                value_column="process_instance_id", number_column="seq",
                                constants={"batch_id": batch_id, "status": "pending"},
                                first=first_seq)


# ---------------------------------------------------------------------------- job handlers
@jobs.handler(SEED)
def run_seed_job(session: Session, job: Job, settings: Settings) -> JobOutcome:
    batch = session.get(Batch, job.handler_configuration)
    if batch is None:
        return JobOutcome()
    per_job = batch.invocations_per_batch_job
    handed_out = min(per_job * batch.batch_jobs_per_seed, batch.total_items - batch.seed_cursor)
    execution = session.get(JobDefinition, batch.batch_job_definition_id)
    rows = []
    for start in range(batch.seed_cursor, batch.seed_cursor + handed_out, per_job):
        end = min(start + per_job, batch.seed_cursor + handed_out) - 1
        rows.append(jobs.new_job_row(definition=execution, handler_type=TYPE_MODIFICATION,
                                     configuration=batch.id, batch_id=batch.id, item_from=start,
                                     item_to=end, settings=settings))
    jobs.insert_jobs(session, rows)
    cursor = batch.seed_cursor + handed_out
    session.execute(update(Batch).where(Batch.id == batch.id).values(
        seed_cursor=cursor, jobs_created=Batch.jobs_created + len(rows)))
    if cursor < batch.total_items:
        follow_up = session.get(JobDefinition, batch.seed_job_definition_id)
        handler_type = SEED
    else:
        follow_up = session.get(JobDefinition, batch.monitor_job_definition_id)
        handler_type = MONITOR
    jobs.insert_jobs(session, [jobs.new_job_row(definition=follow_up, handler_type=handler_type,
                                                configuration=batch.id, batch_id=batch.id,
                                                settings=settings)])
    return JobOutcome()


# An execution job's own statements run on the driver (``store.fastsql``): once per job, so at
# Camunda's one instance per job they are most of what the job costs.
BATCH_ROW = ("SELECT id, configuration, seed_cursor, total_items, execution_start_time, "
             "batch_job_definition_id, monitor_job_definition_id, seed_job_definition_id "
             "FROM batch WHERE id = ?")
JOB_ITEMS = ("SELECT seq, process_instance_id FROM batch_item WHERE batch_id = ? AND seq >= ? "
             "AND seq <= ? AND status <> 'modified' ORDER BY seq")
RANGE_MODIFIED = ("UPDATE batch_item SET status = 'modified', message = NULL WHERE batch_id = ? "
                  "AND seq >= ? AND seq <= ? AND status <> 'modified'")
ITEMS_MODIFIED = ("UPDATE batch_item SET status = 'modified', message = NULL "
                  "WHERE batch_id = ? AND seq {ids}")
ITEM_FAILED = "UPDATE batch_item SET status = 'failed', message = ? WHERE batch_id = ? AND seq = ?"
# the first job to modify an instance sets the batch's execution start; on PostgreSQL a job
# that finds another one setting it (row locked) leaves it to that one instead of waiting
EXECUTION_STARTED = {
    postgres: [f"UPDATE {table} SET execution_start_time = ? WHERE id IN (SELECT id FROM {table} "
               "WHERE id = ? AND execution_start_time IS NULL FOR UPDATE SKIP LOCKED)"
               if postgres else f"UPDATE {table} SET execution_start_time = ? WHERE id = ? "
               "AND execution_start_time IS NULL" for table in ("batch", "historic_batch")]
    for postgres in (False, True)}


class BatchRow(NamedTuple):
    """What an execution job reads of its batch."""

    id: str
    configuration: str
    seed_cursor: int
    total_items: int
    execution_start_time: Any
    batch_job_definition_id: str
    monitor_job_definition_id: str
    seed_job_definition_id: str


# batch id -> its parsed configuration and instructions (a batch's configuration never changes)
_configurations: dict[str, tuple[dict[str, Any], list[Instruction]]] = {}


def _configuration(batch: BatchRow) -> tuple[dict[str, Any], list[Instruction]]:
    parsed = _configurations.get(batch.id)
    if parsed is None:
        if len(_configurations) > 256:
            _configurations.clear()
        configuration = json.loads(batch.configuration)
        parsed = _configurations[batch.id] = (configuration, instructions_of(configuration))
    return parsed


@jobs.handler(TYPE_MODIFICATION)
def run_execution_job(session: Session, job: Job, settings: Settings) -> JobOutcome:
    raw = Raw.of(session)
    found = raw.rows(BATCH_ROW, (job.batch_id,))
    if not found:
        return JobOutcome()
    batch = BatchRow(*found[0])
    configuration, instructions = _configuration(batch)
    seq_of = {instance_id: seq for seq, instance_id in
              raw.rows(JOB_ITEMS, (batch.id, job.item_from, job.item_to))}
    result = modification.execute_partial(
        session, list(seq_of), instructions,
        process_definition_id=configuration.get("processDefinitionId"),
        skip_io_mappings=bool(configuration.get("skipIoMappings")),
        skip_custom_listeners=bool(configuration.get("skipCustomListeners")))
    if result.modified:
        if len(result.modified) == len(seq_of):  # the whole range: no id list to send
            raw.execute(RANGE_MODIFIED, (batch.id, job.item_from, job.item_to))
        else:
            raw.execute_in(ITEMS_MODIFIED, [seq_of[i] for i in result.modified], (batch.id,))
        if batch.execution_start_time is None:
            for statement in EXECUTION_STARTED[raw.postgres]:
                raw.execute(statement, (raw.timestamp(clock.now()), batch.id))
    if result.failed:
        raw.executemany(ITEM_FAILED, [(message, batch.id, seq_of[i])
                                      for i, message in result.failed.items()])
        first_id, first_message = next(iter(result.failed.items()))
        others = len(result.failed) - 1
        summary = first_message + (f" (and {others} more of this job's instances failed; see "
                                   f"GET /batch/{batch.id}/items?status=failed)" if others else "")
        details = "\n".join(f"{i}: {m}" for i, m in result.failed.items())
        return JobOutcome(summary, f"{details}\n\n{traceback.format_stack()[-1]}")
    return JobOutcome(after_commit=_wake_monitor_if_last(session, batch, job))


def _lock_batch(session: Session, batch_id: str) -> BatchRow | None:
    """Lock the batch row until commit (``FOR UPDATE``; SQLite's single writer needs nothing)
    and read it afresh: the "am I the last job" check and the monitor's decision take this
    lock first, so they happen one after the other, each seeing the others' commits."""
    raw = Raw.of(session)
    found = raw.rows(BATCH_ROW + (" FOR UPDATE" if raw.postgres else ""), (batch_id,))
    return BatchRow(*found[0]) if found else None


def _wake_monitor_if_last(session: Session, batch: BatchRow, job: Job):
    """The last execution job makes the monitor due at once (a null due date, whatever the
    node's clock says) instead of leaving the batch to the next poll.

    Under READ COMMITTED two last jobs committing together would each still see the other's
    row and neither would wake the monitor. So where writers run concurrently the check comes
    after the job's commit (returned as its ``after_commit``, ``wake_monitor_after_commit``):
    the later of two jobs committing together sees the earlier one gone. SQLite runs one writer
    at a time: the check runs in the job's own transaction.
    """
    if serialises_writers(session.get_bind()):
        _wake_monitor_if_no_jobs_left(session, batch.id, excluding=job.id)
        return None
    return functools.partial(wake_monitor_after_commit, batch_id=batch.id,
                             execution_definition_id=batch.batch_job_definition_id)


def wake_monitor_after_commit(engine, *, batch_id: str, execution_definition_id: str) -> None:
    """After an execution job committed: wake the monitor if no execution job is left.

    A first look takes no lock: an execution job still there commits later and looks after its
    commit, seeing this one gone; so only the last jobs lock the batch row, and only they can
    wait for each other or for the monitor. That lock makes the wake-up and the monitor's
    decision happen one after the other: a monitor re-polling meanwhile either decides after
    this wake-up or has committed its next poll (which this wake-up then moves to now)."""
    with engine.transaction() as session:
        if jobs.has_jobs(session, execution_definition_id):
            return
        _wake_monitor_if_no_jobs_left(session, batch_id)


def _wake_monitor_if_no_jobs_left(session: Session, batch_id: str, *,
                                  excluding: str | None = None) -> None:
    batch = _lock_batch(session, batch_id)
    if batch is None or batch.seed_cursor < batch.total_items:
        return
    if jobs.has_jobs(session, batch.batch_job_definition_id, excluding=excluding):
        return
    session.execute(update(Job).where(Job.job_definition_id == batch.monitor_job_definition_id)
                    .values(due_date=None))


@jobs.handler(MONITOR)
def run_monitor_job(session: Session, job: Job, settings: Settings) -> JobOutcome:
    batch = _lock_batch(session, job.handler_configuration)  # see _wake_monitor_if_last
    if batch is None:
        return JobOutcome()
    if batch.seed_cursor < batch.total_items or jobs.has_jobs(session, batch.batch_job_definition_id):
        monitor = session.get(JobDefinition, batch.monitor_job_definition_id)
        jobs.insert_jobs(session, [jobs.new_job_row(
            definition=monitor, handler_type=MONITOR, configuration=batch.id, batch_id=batch.id,
            due_date=clock.now() + timedelta(seconds=settings.batch_poll_time),
            settings=settings)])
        return JobOutcome()
    _remove_runtime(session, batch, keep_job=job.id)
    session.execute(update(HistoricBatch).where(HistoricBatch.id == batch.id)
                    .values(end_time=clock.now()))
    return JobOutcome()


def instructions_of(configuration: Mapping[str, Any]) -> list[Instruction]:
    """The stored instructions; variables are never applied by a batch (reference C.7)."""
    single = bool(configuration.get("single"))
    return [modification.parse_instruction({k: v for k, v in raw.items() if k != "variables"},
                                           single=single)
            for raw in configuration.get("instructions") or []]


# ---------------------------------------------------------------------------- management
def _definition_ids(batch: Batch) -> list[str]:
    return [batch.seed_job_definition_id, batch.monitor_job_definition_id,
            batch.batch_job_definition_id]


def _remove_runtime(session: Session, batch: Batch, *, keep_job: str | None = None) -> None:
    definition_ids = _definition_ids(batch)
    job_ids = select(Job.id).where(Job.job_definition_id.in_(definition_ids))
    history.incidents_ended(session, Incident.configuration.in_(job_ids), resolved=False)
    session.execute(delete(Incident).where(Incident.configuration.in_(job_ids)))
    condition = [Job.job_definition_id.in_(definition_ids)]
    if keep_job is not None:
        condition.append(Job.id != keep_job)  # the running job is deleted by the job executor
    session.execute(delete(Job).where(*condition))
    session.execute(delete(JobDefinition).where(JobDefinition.id.in_(definition_ids)))
    session.execute(delete(Batch).where(Batch.id == batch.id))


def get(session: Session, batch_id: str) -> Batch | None:
    return session.get(Batch, batch_id)


def delete_batch(session: Session, batch_id: str, *, cascade: bool) -> None:
    batch = _lock_batch(session, batch_id)  # first, as the jobs do: no deadlock with them
    if batch is None:
        raise InvalidRequest(f"Unable to delete batch with id '{batch_id}'", code=0, status=404)
    _remove_runtime(session, batch)
    if cascade:
        session.execute(delete(HistoricBatch).where(HistoricBatch.id == batch_id))
        session.execute(delete(BatchItem).where(BatchItem.batch_id == batch_id))
    else:
        session.execute(update(HistoricBatch).where(HistoricBatch.id == batch_id)
                        .values(end_time=clock.now()))


def set_suspended(session: Session, batch_id: str, suspended: bool) -> None:
    batch = session.get(Batch, batch_id)
    if batch is None:
        verb = "suspend" if suspended else "activate"
        raise InvalidRequest(f"Unable to {verb} batch with id '{batch_id}'", code=0, status=404)
    session.execute(update(Batch).where(Batch.id == batch_id).values(suspended=suspended))
    jobs.suspend_definitions(session, _definition_ids(batch), suspended)


def _batch_filters(stmt, table, filters: Mapping[str, Any]):
    f = filters.get
    if f("batchId") is not None:
        stmt = stmt.where(table.id == f("batchId"))
    if f("type") is not None:
        stmt = stmt.where(table.type == f("type"))
    return queries.tenant_filter(stmt, table, filters)


def batch_query(filters: Mapping[str, Any]):
    stmt = _batch_filters(select(Batch), Batch, filters)
    if filters.get("suspended") is not None:
        stmt = stmt.where(Batch.suspended.is_(bool(filters["suspended"])))
    return queries.apply_sorting(stmt, filters, {"batchId": Batch.id, "tenantId": Batch.tenant_id},
                                 Batch.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[Batch]:
    return queries.page(session, batch_query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, batch_query(filters))


_BATCH = Batch.__table__
_JOB = Job.__table__
# built once: a statement object reused as it is keeps its cache key (no re-hashing per request)
_FAILED_JOBS = select(func.count()).where(
    _JOB.c.job_definition_id == _BATCH.c.batch_job_definition_id,
    _JOB.c.retries == 0).scalar_subquery()
_STATISTICS = select(
    _BATCH,
    select(func.count()).where(_JOB.c.job_definition_id == _BATCH.c.batch_job_definition_id)
    .scalar_subquery().label("existing"),
    _FAILED_JOBS.label("failed"))
_STATISTICS_SORTING = {"batchId": _BATCH.c.id, "tenantId": _BATCH.c.tenant_id,
                       "startTime": _BATCH.c.start_time}
_STATISTICS_DEFAULT = _STATISTICS.order_by(_BATCH.c.id)
# flags that filter only when true (the spec gives them the default false)
_APPLIED_WHEN_TRUE = ("withoutTenantId", "withFailures", "withoutFailures")


def statistics_query(filters: Mapping[str, Any]):
    """Reference D.8: remaining = existing execution jobs + jobs not yet created."""
    f = filters.get
    if all(value is None or (value is False and name in _APPLIED_WHEN_TRUE)
           for name, value in filters.items()):
        return _STATISTICS_DEFAULT  # no filter, no sorting: the one prebuilt statement
    b = _BATCH.c
    stmt = _STATISTICS
    if f("batchId") is not None:
        stmt = stmt.where(b.id == f("batchId"))
    if f("type") is not None:
        stmt = stmt.where(b.type == f("type"))
    stmt = queries.tenant_filter(stmt, b, filters)
    if f("suspended") is not None:
        stmt = stmt.where(b.suspended.is_(bool(f("suspended"))))
    if f("createdBy") is not None:
        stmt = stmt.where(b.create_user_id == f("createdBy"))
    if f("startedBefore") is not None:
        stmt = stmt.where(b.start_time <= f("startedBefore"))
    if f("startedAfter") is not None:
        stmt = stmt.where(b.start_time >= f("startedAfter"))
    if f("withFailures") is True:
        stmt = stmt.where(_FAILED_JOBS > 0)
    if f("withoutFailures") is True:
        stmt = stmt.where(_FAILED_JOBS == 0)
    return queries.apply_sorting(stmt, filters, _STATISTICS_SORTING, b.id)


def statistics(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
               max_results: int | None = None) -> list[tuple[Batch, int, int, int]]:
    """(batch row, remainingJobs, completedJobs, failedJobs) per batch."""
    stmt = queries.apply_paging(statistics_query(filters), first_result, max_results)
    result = []
    for batch in session.execute(stmt).all():
        remaining = batch.existing + (batch.total_jobs - batch.jobs_created)
        result.append((batch, remaining, batch.total_jobs - remaining, batch.failed))
    return result


def count_statistics(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, statistics_query(filters))


# ---------------------------------------------------------------------------- history and items
def get_historic(session: Session, batch_id: str) -> HistoricBatch | None:
    return session.get(HistoricBatch, batch_id)


def historic_query(filters: Mapping[str, Any]):
    stmt = _batch_filters(select(HistoricBatch), HistoricBatch, filters)
    if filters.get("completed") is True:
        stmt = stmt.where(HistoricBatch.end_time.is_not(None))
    elif filters.get("completed") is False:
        stmt = stmt.where(HistoricBatch.end_time.is_(None))
    return queries.apply_sorting(stmt, filters, {
        "batchId": HistoricBatch.id, "startTime": HistoricBatch.start_time,
        "endTime": HistoricBatch.end_time, "tenantId": HistoricBatch.tenant_id}, HistoricBatch.id)


def find_historic(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
                  max_results: int | None = None) -> list[HistoricBatch]:
    return queries.page(session, historic_query(filters), first_result, max_results)


def count_historic(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, historic_query(filters))


def delete_historic(session: Session, batch_id: str) -> None:
    if session.get(HistoricBatch, batch_id) is None:
        raise InvalidRequest(f"Unable to delete historic batch with id '{batch_id}'", code=0,
                             status=404)
    session.execute(delete(HistoricBatch).where(HistoricBatch.id == batch_id))
    if session.get(Batch, batch_id) is None:
        session.execute(delete(BatchItem).where(BatchItem.batch_id == batch_id))


def item_query(batch_id: str, status: str | None):
    stmt = select(BatchItem).where(BatchItem.batch_id == batch_id)
    if status is not None:
        if status not in ITEM_STATUSES:
            raise InvalidRequest(f"Invalid batch item status '{status}'; expected one of "
                                 f"{', '.join(ITEM_STATUSES)}")
        stmt = stmt.where(BatchItem.status == status)
    return stmt.order_by(BatchItem.seq)


def require_known(session: Session, batch_id: str, *, historic: bool) -> None:
    """The items of a batch follow the batch: the runtime batch's while it runs (gone once it
    completes or is deleted, like the batch), the historic batch's as long as history keeps it."""
    if historic:
        if session.get(HistoricBatch, batch_id) is None:
            raise InvalidRequest(f"Historic batch with id '{batch_id}' does not exist", status=404)
    elif session.get(Batch, batch_id) is None:
        raise InvalidRequest(f"Batch with id '{batch_id}' does not exist", status=404)


def items(session: Session, batch_id: str, *, status: str | None,
          first_result: int | None = None, max_results: int | None = None,
          historic: bool = False) -> list[BatchItem]:
    require_known(session, batch_id, historic=historic)
    return queries.page(session, item_query(batch_id, status), first_result, max_results)


def count_items(session: Session, batch_id: str, *, status: str | None,
                historic: bool = False) -> int:
    require_known(session, batch_id, historic=historic)
    return queries.count(session, item_query(batch_id, status))

