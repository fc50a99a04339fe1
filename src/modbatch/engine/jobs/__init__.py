"""Jobs and job definitions: running one job, recording failures, retries, incidents, queries.

Job handlers register themselves by type in ``HANDLERS``. Running a job is one transaction:
the handler works inside a savepoint; on success the job row is deleted, on failure the
savepoint is rolled back and the failure (message, stack trace, one retry less, an incident at
zero) is written instead.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from modbatch.engine import clock, history, queries
from modbatch.engine.bpmn import timers
from modbatch.engine.jobs import metrics
from modbatch.engine.runtime import new_id
from modbatch.engine.runtime.job_definitions import job_definition_id  # noqa: F401  (re-exported)
from modbatch.errors import InvalidRequest, ModbatchError, ProcessEngineError, RestError
from modbatch.settings import Settings
from modbatch.store import database
from modbatch.store.fastsql import Raw
from modbatch.store.tables import ActivityInstance, Incident, Job, JobDefinition, ProcessDefinition


@dataclass
class JobOutcome:
    """What a handler reports. A failure may still have committed part of the work."""

    failure: str | None = None
    stacktrace: str | None = None
    # work for once the job's transaction committed, given the engine (the last execution job's
    # monitor wake-up where writers run concurrently, see engine.batches); whoever commits the
    # job's transaction calls ``committed``
    after_commit: Callable[[Any], None] | None = None
    # a batch execution job's items by outcome (metrics); the job run and how long it took
    # (set by ``run``)
    items_modified: int = 0
    items_failed: int = 0
    job: Any = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None

    def committed(self, engine) -> None:
        """The job's transaction committed: run ``after_commit``. Its failure is not the job's
        (the job is done); it is logged. Counts the job (``metrics``), logs its failure."""
        if self.job is not None:
            metrics.committed(self.job, ok=self.ok, seconds=self.seconds,
                              items_modified=self.items_modified,
                              items_failed=self.items_failed, failure=self.failure)
        if self.after_commit is not None:
            try:
                self.after_commit(engine)
            except Exception:
                log.exception("the step after a job's commit failed")


log = logging.getLogger("modbatch.jobexecutor")
Handler = Callable[[Session, Job, Settings], JobOutcome]
HANDLERS: dict[str, Handler] = {}


def handler(handler_type: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[handler_type] = function
        return function
    return register


class JobFailed(ModbatchError):
    """A job ran and failed; carries the engine message the job now shows."""

    status = 404
    type = "InvalidRequestException"
    code = None


# ---------------------------------------------------------------------------- creation
def create_definition(session: Session, *, job_type: str, configuration: str,
                      tenant_id: str | None = None, deployment_id: str | None = None,
                      suspended: bool = False) -> JobDefinition:
    definition = JobDefinition(id=new_id(), job_type=job_type, job_configuration=configuration,
                               tenant_id=tenant_id, deployment_id=deployment_id,
                               suspended=suspended)
    session.add(definition)
    return definition


def new_job_row(*, definition: JobDefinition, handler_type: str, settings: Settings,
                configuration: str | None = None, batch_id: str | None = None,
                due_date: datetime | None = None, item_from: int | None = None,
                item_to: int | None = None) -> dict[str, Any]:
    """A job row as a dict, ready for one executemany insert of many jobs."""
    return {"id": new_id(), "type": "message", "job_definition_id": definition.id,
            "handler_type": handler_type, "handler_configuration": configuration,
            "batch_id": batch_id, "item_from": item_from, "item_to": item_to,
            "due_date": due_date, "create_time": clock.now(), "retries": settings.default_retries,
            "suspended": definition.suspended, "priority": 0, "tenant_id": definition.tenant_id,
            "deployment_id": definition.deployment_id, "exception_message": None,
            "exception_stacktrace": None, "lock_owner": None, "lock_expiration_time": None}


def insert_jobs(session: Session, rows: list[dict[str, Any]]) -> None:
    """One executemany on the driver (a seed job inserts a hundred at a time); columns a row
    leaves out get their column defaults, as SQLAlchemy's insert would give them."""
    if not rows:
        return
    names = list(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        session.execute(Job.__table__.insert(), rows)
        return
    defaults = {column.name: column.default.arg for column in Job.__table__.c
                if column.name not in rows[0] and column.default is not None
                and column.default.is_scalar}
    raw = Raw.of(session)
    extra = tuple(defaults.values())
    raw.insert(Job.__table__, tuple(names + list(defaults)), [
        tuple(raw.timestamp(row[name]) if isinstance(row[name], datetime) else row[name]
              for name in names) + extra for row in rows])


# ---------------------------------------------------------------------------- execution
# on the driver: every job run ends with the delete, and has_jobs runs once per execution job
DELETE_JOB = "DELETE FROM job WHERE id = ?"
_HAS_JOBS = "SELECT 1 FROM job WHERE job_definition_id = ? LIMIT 1"
_HAS_OTHER_JOBS = "SELECT 1 FROM job WHERE job_definition_id = ? AND id <> ? LIMIT 1"


def run(session: Session, job: Job, settings: Settings) -> JobOutcome:
    """Run ``job`` inside the caller's transaction and settle it: delete or record the failure.

    A timer with a cycle (``Job.repeat``) first schedules its successor, outside the handler's
    savepoint: as in Camunda, the next job exists whether this run succeeds or fails.
    A concurrent change (``is_conflict``) or a lost database connection is not the job's
    failure: it propagates, the caller's transaction rolls back and no retry is spent.
    """
    started = time.perf_counter()
    if job.type == "timer" and job.repeat:
        schedule_successor(session, job)
    function = HANDLERS.get(job.handler_type)
    try:
        with session.begin_nested():
            if function is None:
                raise ProcessEngineError(f"No job handler for type '{job.handler_type}'")
            outcome = function(session, job, settings)
    except Exception as error:  # a bug or a database failure: the job keeps its retries logic
        if is_conflict(error) or database.is_unavailable(error):
            raise  # not the job's fault: its executor runs it again without spending a retry
        message = error.message if isinstance(error, ModbatchError) else \
            str(error) or type(error).__name__
        outcome = JobOutcome(message, traceback.format_exc())
    if outcome.ok:
        Raw.of(session).execute(DELETE_JOB, (job.id,))
        if job.retries == 0:  # only a job without retries can have an open incident
            history.incidents_ended(session, Incident.configuration == job.id, resolved=True)
            session.execute(delete(Incident).where(Incident.configuration == job.id))
    else:
        record_failure(session, job, outcome.failure or "", outcome.stacktrace)
    outcome.job, outcome.seconds = job, time.perf_counter() - started
    return outcome


def is_conflict(error: BaseException) -> bool:
    """A concurrent transaction got in the way (Camunda's OptimisticLockingException, a
    deadlock, a lock or busy timeout): running the job again is expected to succeed."""
    # imported here: persistence imports the repository, which imports this module
    from modbatch.engine.persistence import OptimisticLockingError

    return isinstance(error, OptimisticLockingError) or database.is_conflict(error)


def schedule_successor(session: Session, job: Job) -> Job | None:
    """Create the next job of a cycle timer firing now; the fired job keeps no repeat, so that a
    retry after a failure does not schedule a second one (Camunda's ``followUpJobCreated``).
    A job whose owning activity instance is gone gets no successor."""
    due_date = timers.successor(job.repeat, clock.now())
    owner_gone = job.activity_instance_id is not None and \
        job.activity_instance_id != job.process_instance_id and \
        session.get(ActivityInstance, job.activity_instance_id) is None
    follower = None
    if due_date is not None and not owner_gone:
        follower = Job(
            id=new_id(), type=job.type, job_definition_id=job.job_definition_id,
            handler_type=job.handler_type, handler_configuration=job.handler_configuration,
            due_date=due_date, create_time=clock.now(), retries=job.retries,
            suspended=job.suspended, priority=job.priority, tenant_id=job.tenant_id,
            deployment_id=job.deployment_id, process_instance_id=job.process_instance_id,
            process_definition_id=job.process_definition_id,
            process_definition_key=job.process_definition_key, execution_id=job.execution_id,
            activity_instance_id=job.activity_instance_id, activity_id=job.activity_id,
            exclusive=job.exclusive, repeat=job.repeat)
        session.add(follower)
    session.execute(update(Job).where(Job.id == job.id).values(repeat=None))
    session.flush()
    return follower


def record_failure(session: Session, job: Job, message: str, stacktrace: str | None) -> None:
    retries = max(job.retries - 1, 0)
    values = dict(retries=retries, exception_message=message, exception_stacktrace=stacktrace,
                  lock_owner=None, lock_expiration_time=None)
    wait = _retry_wait(session, job)
    if wait is not None and retries > 0:
        values["due_date"] = wait.add_to(clock.now())
    session.execute(update(Job).where(Job.id == job.id).values(**values))
    if retries == 0:
        _open_incident(session, job, message)


def _retry_wait(session: Session, job: Job):
    """camunda:failedJobRetryTimeCycle (R3/PT5M): how long a failed process job waits to retry."""
    if job.process_definition_id is None or job.activity_id is None \
            or session.get(ProcessDefinition, job.process_definition_id) is None:
        return None
    from modbatch.engine import repository
    from modbatch.engine.bpmn.timers import parse_duration

    try:
        model = repository.model_for_id(session, job.process_definition_id)
    except ModbatchError:
        return None
    activity = model.activities.get(job.activity_id)
    cycle = activity.retry_time_cycle if activity is not None else None
    if not cycle:
        return None
    intervals = [part.strip() for part in cycle.split("/", 1)[1].split(",")]
    return parse_duration(intervals[0])


def _open_incident(session: Session, job: Job, message: str | None) -> None:
    already = session.execute(select(Incident.id).where(Incident.configuration == job.id)).first()
    if already is None:
        incident = Incident(id=new_id(), incident_timestamp=clock.now(),
                            incident_type="failedJob", incident_message=message,
                            configuration=job.id, job_definition_id=job.job_definition_id,
                            tenant_id=job.tenant_id, process_instance_id=job.process_instance_id,
                            process_definition_id=job.process_definition_id,
                            execution_id=job.execution_id, activity_id=job.activity_id,
                            failed_activity_id=job.activity_id)
        session.add(incident)
        history.incident_created(session, incident, job.process_definition_key)


def execute(engine, job_id: str) -> None:
    """POST /job/{id}/execute: run now, whatever its lock, suspension or due date."""
    with engine.transaction() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise InvalidRequest(f"ENGINE-14026 No job found with id '{job_id}'", status=404)
        outcome = run(session, job, engine.settings)
    outcome.committed(engine)
    if not outcome.ok:
        raise JobFailed(outcome.failure or "")


# ---------------------------------------------------------------------------- management
def get(session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def set_retries(session: Session, job_id: str, retries: Any, due_date: Any = ...) -> None:
    if not isinstance(retries, int) or isinstance(retries, bool):
        raise InvalidRequest("retries must be an integer", status=400)
    if retries < 0:  # checked by Camunda's command constructor, before the job is looked up
        # Camunda's 500; a 400 here, as the spec states `minimum: 0` (README, "Rules the spec
        # states")
        raise InvalidRequest(f"ENGINE-13054 The number of job retries must be a non-negative "
                             f"Integer, but '{retries}' has been provided.", status=400)
    job = session.get(Job, job_id)
    if job is None:
        raise InvalidRequest(f"ENGINE-13053 No job found with id '{job_id}'.'", status=404)
    previous = job.retries  # read before the update refreshes the loaded job
    values: dict[str, Any] = {"retries": retries}
    if due_date is not ...:
        values["due_date"] = due_date
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    if retries > 0:
        history.incidents_ended(session, Incident.configuration == job_id, resolved=True)
        session.execute(delete(Incident).where(Incident.configuration == job_id))
    elif previous > 0:
        # the incident message is the job's last exception message, null if it never failed
        _open_incident(session, job, job.exception_message)


def delete_job(session: Session, job_id: str) -> None:
    job = session.get(Job, job_id)
    if job is None:
        raise InvalidRequest(f"No job found with id '{job_id}': job is null", status=404)
    if job.lock_owner is not None and job.lock_expiration_time and \
            job.lock_expiration_time > clock.now():
        raise RestError("Cannot delete job when the job is being executed. Try again later.",
                        code=None)
    history.incidents_ended(session, Incident.configuration == job_id, resolved=False)
    session.execute(delete(Incident).where(Incident.configuration == job_id))
    session.execute(delete(Job).where(Job.id == job_id))


def set_due_date(session: Session, job_id: str, due_date: datetime | None, *,
                 cascade: bool = False) -> None:
    """PUT /job/{id}/duedate. With ``cascade``, a cycle timer's later jobs move by as much
    (Camunda's repeat offset); a null due date makes the job due at once."""
    job = session.get(Job, job_id)
    if job is None:
        raise InvalidRequest(f"No job found with id '{job_id}'.", status=404)
    values: dict[str, Any] = {"due_date": due_date}
    if cascade and due_date is not None and job.type == "timer" and job.repeat \
            and job.due_date is not None:
        values["repeat"] = timers.shift_repeat(job.repeat, due_date - job.due_date)
    session.execute(update(Job).where(Job.id == job_id).values(**values))


def set_priority(session: Session, job_id: str, priority: Any) -> None:
    """PUT /job/{id}/priority."""
    if priority is None:
        raise RestError(f"Priority for job '{job_id}' cannot be null.", status=400, code=None)
    job = session.get(Job, job_id)
    if job is None:
        raise InvalidRequest(f"No job found with id '{job_id}': job is null", status=404)
    session.execute(update(Job).where(Job.id == job_id).values(priority=priority))


def set_definition_priority(session: Session, definition_id: str, priority: Any, *,
                            include_jobs: bool = False) -> None:
    """PUT /job-definition/{id}/jobPriority: set (or with null clear) the overriding priority;
    ``includeJobs`` also sets it on the definition's existing jobs."""
    if priority is None and include_jobs:
        raise InvalidRequest(f"Cannot reset priority for job definition {definition_id} with "
                             "includeJobs=true")
    if session.get(JobDefinition, definition_id) is None:
        raise InvalidRequest(f"Job definition with id '{definition_id}' does not exist: "
                             "jobDefinition is null", status=404)
    session.execute(update(JobDefinition).where(JobDefinition.id == definition_id)
                    .values(overriding_job_priority=priority))
    if include_jobs:
        session.execute(update(Job).where(Job.job_definition_id == definition_id)
                        .values(priority=priority))


def set_suspended(session: Session, job_id: str, suspended: bool) -> None:
    """Unknown ids are a silent no-op, as in Camunda."""
    session.execute(update(Job).where(Job.id == job_id).values(suspended=suspended))


def delete_for_process_definitions(session: Session, definition_ids: list[str]) -> None:
    """Remove the jobs (timer start jobs, jobs of instances), their incidents and the job
    definitions of process definitions that are being deleted."""
    if not definition_ids:
        return
    doomed = select(Job.id).where(Job.process_definition_id.in_(definition_ids))
    history.incidents_ended(session, Incident.configuration.in_(doomed), resolved=False)
    session.execute(delete(Incident).where(Incident.configuration.in_(doomed)))
    session.execute(delete(Job).where(Job.process_definition_id.in_(definition_ids)))
    session.execute(delete(JobDefinition).where(
        JobDefinition.process_definition_id.in_(definition_ids)))


def suspend_definitions(session: Session, definition_ids: list[str], suspended: bool) -> None:
    """Suspend job definitions and their jobs; jobs created later inherit the state."""
    session.execute(update(JobDefinition).where(JobDefinition.id.in_(definition_ids))
                    .values(suspended=suspended))
    session.execute(update(Job).where(Job.job_definition_id.in_(definition_ids))
                    .values(suspended=suspended))


# ---------------------------------------------------------------------------- queries
JOB_SORTS = {"jobId": Job.id, "executionId": Job.execution_id,
             "processInstanceId": Job.process_instance_id,
             "processDefinitionId": Job.process_definition_id,
             "processDefinitionKey": Job.process_definition_key, "jobRetries": Job.retries, "jobDueDate": Job.due_date, "jobPriority": Job.priority,
             "tenantId": Job.tenant_id}


def job_query(filters: Mapping[str, Any]):
    f = filters.get
    stmt = select(Job)
    # timers and messages together select the jobs that are both: none (Camunda's 400 "Parameter
    # timers cannot be used together with parameter messages."; README, "Rules the spec states")
    if f("jobId") is not None:
        stmt = stmt.where(Job.id == f("jobId"))
    if f("jobIds"):
        stmt = stmt.where(Job.id.in_(f("jobIds")))
    if f("jobDefinitionId") is not None:
        stmt = stmt.where(Job.job_definition_id == f("jobDefinitionId"))
    if f("batchId") is not None:
        stmt = stmt.where(Job.batch_id == f("batchId"))
    for name, column in (("processInstanceId", Job.process_instance_id),
                         ("executionId", Job.execution_id),
                         ("processDefinitionId", Job.process_definition_id),
                         ("processDefinitionKey", Job.process_definition_key),
                         ("activityId", Job.activity_id)):
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    if f("processInstanceIds"):
        stmt = stmt.where(Job.process_instance_id.in_(f("processInstanceIds")))
    if f("failedActivityId") is not None:
        stmt = stmt.where(Job.activity_id == f("failedActivityId"),
                          Job.exception_message.is_not(None))
    if f("timers") is True:
        stmt = stmt.where(Job.type == "timer")
    if f("messages") is True:
        stmt = stmt.where(Job.type == "message")
    if f("withRetriesLeft") is True:
        stmt = stmt.where(Job.retries > 0)
    if f("noRetriesLeft") is True:
        stmt = stmt.where(Job.retries == 0)
    if f("executable") is True:
        stmt = stmt.where(Job.retries > 0, or_(Job.due_date.is_(None), Job.due_date <= clock.now()))
    if f("withException") is True:
        stmt = stmt.where(Job.exception_message.is_not(None))
    if f("exceptionMessage") is not None:
        stmt = stmt.where(Job.exception_message == f("exceptionMessage"))
    if f("active") is True:
        stmt = stmt.where(Job.suspended.is_(False))
    if f("suspended") is True:
        stmt = stmt.where(Job.suspended.is_(True))
    if f("acquired") is True:
        stmt = stmt.where(Job.lock_expiration_time.is_not(None))
    if f("priorityLowerThanOrEquals") is not None:
        stmt = stmt.where(Job.priority <= f("priorityLowerThanOrEquals"))
    if f("priorityHigherThanOrEquals") is not None:
        stmt = stmt.where(Job.priority >= f("priorityHigherThanOrEquals"))
    for name, column, label in (("dueDates", Job.due_date, "due date"),
                                ("createTimes", Job.create_time, "create time")):
        for condition in f(name) or []:
            operator, value = condition
            if operator not in ("gt", "lt"):
                raise InvalidRequest(f"Invalid {label} comparator specified: {operator}")
            stmt = stmt.where(column > value if operator == "gt" else column < value)
    stmt = queries.tenant_filter(stmt, Job, filters, "includeJobsWithoutTenantId")
    return queries.apply_sorting(stmt, filters, JOB_SORTS, Job.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[Job]:
    return queries.page(session, job_query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, job_query(filters))


def definition_query(filters: Mapping[str, Any]):
    f = filters.get
    jd = JobDefinition
    stmt = select(jd)
    for name, column in (("jobDefinitionId", jd.id), ("jobType", jd.job_type),
                         ("jobConfiguration", jd.job_configuration),
                         ("processDefinitionId", jd.process_definition_id),
                         ("processDefinitionKey", jd.process_definition_key)):
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    if f("activityIdIn"):
        stmt = stmt.where(jd.activity_id.in_(f("activityIdIn")))
    if f("active") is True:
        stmt = stmt.where(jd.suspended.is_(False))
    if f("suspended") is True:
        stmt = stmt.where(jd.suspended.is_(True))
    if f("withOverridingJobPriority") is True:
        stmt = stmt.where(jd.overriding_job_priority.is_not(None))
    stmt = queries.tenant_filter(stmt, jd, filters, "includeJobDefinitionsWithoutTenantId")
    return queries.apply_sorting(stmt, filters, {
        "jobDefinitionId": jd.id, "activityId": jd.activity_id,
        "processDefinitionId": jd.process_definition_id,
        "processDefinitionKey": jd.process_definition_key, "jobType": jd.job_type,
        "jobConfiguration": jd.job_configuration, "tenantId": jd.tenant_id}, jd.id)


def find_definitions(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
                     max_results: int | None = None) -> list[JobDefinition]:
    return queries.page(session, definition_query(filters), first_result, max_results)


def count_definitions(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, definition_query(filters))


def incident_query(filters: Mapping[str, Any]):
    f = filters.get
    i = Incident
    stmt = select(i)
    for name, column in (("incidentId", i.id), ("incidentType", i.incident_type),
                         ("incidentMessage", i.incident_message),
                         ("processDefinitionId", i.process_definition_id),
                         ("processInstanceId", i.process_instance_id),
                         ("executionId", i.execution_id), ("activityId", i.activity_id),
                         ("failedActivityId", i.failed_activity_id),
                         ("causeIncidentId", i.id), ("rootCauseIncidentId", i.id),
                         ("configuration", i.configuration)):
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    if f("incidentMessageLike") is not None:
        stmt = stmt.where(i.incident_message.like(f("incidentMessageLike")))
    if f("processDefinitionKeyIn"):
        stmt = stmt.where(i.process_definition_id.in_(
            select(ProcessDefinition.id).where(ProcessDefinition.key.in_(f("processDefinitionKeyIn")))))
    if f("tenantIdIn"):
        stmt = stmt.where(i.tenant_id.in_(f("tenantIdIn")))
    if f("jobDefinitionIdIn"):
        stmt = stmt.where(i.job_definition_id.in_(f("jobDefinitionIdIn")))
    if f("incidentTimestampBefore") is not None:
        stmt = stmt.where(i.incident_timestamp < f("incidentTimestampBefore"))
    if f("incidentTimestampAfter") is not None:
        stmt = stmt.where(i.incident_timestamp > f("incidentTimestampAfter"))
    return queries.apply_sorting(stmt, filters, {
        "incidentId": i.id, "incidentMessage": i.incident_message,
        "incidentTimestamp": i.incident_timestamp, "incidentType": i.incident_type,
        "executionId": i.execution_id, "activityId": i.activity_id,
        "processInstanceId": i.process_instance_id,
        "processDefinitionId": i.process_definition_id, "causeIncidentId": i.id,
        "rootCauseIncidentId": i.id, "configuration": i.configuration,
        "tenantId": i.tenant_id}, i.id)


def find_incidents(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
                   max_results: int | None = None) -> list[Incident]:
    return queries.page(session, incident_query(filters), first_result, max_results)


def count_incidents(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, incident_query(filters))


def has_jobs(session: Session, definition_id: str, *, excluding: str | None = None) -> bool:
    if excluding is None:
        return bool(Raw.of(session).rows(_HAS_JOBS, (definition_id,)))
    return bool(Raw.of(session).rows(_HAS_OTHER_JOBS, (definition_id, excluding)))
