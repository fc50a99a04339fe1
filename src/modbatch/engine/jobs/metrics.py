"""Prometheus metrics of the job executor, in prometheus_client's default registry.

Counted per acquisition round and per job, never per row: a batch execution job adds its items'
outcomes in one step. Everything is counted once the work committed (``JobOutcome.committed``),
so a round rolled back and run again is not counted twice. ``GET /metrics`` (``modbatch serve``)
and ``modbatch worker --metrics-port`` expose the registry.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, or_, select

from modbatch.engine import clock
from modbatch.store.tables import Batch, Job

log = logging.getLogger("modbatch.jobexecutor")

ACQUIRED = Counter("modbatch_jobs_acquired", "Jobs acquired by this process's job executor "
                   "(counted when loaded for execution)", ["type"])
EXECUTED = Counter("modbatch_jobs_executed", "Jobs run to success and committed", ["type"])
FAILED = Counter("modbatch_jobs_failed", "Job runs that failed (a retry spent or an incident)",
                 ["type"])
BATCH_ITEMS = Counter("modbatch_batch_items", "Batch items (process instances) done by "
                      "execution jobs, by outcome", ["outcome"])
ACQUISITION_SECONDS = Histogram(
    "modbatch_job_acquisition_seconds", "Time one acquisition statement (select and lock) took",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
EXECUTION_SECONDS = Histogram(
    "modbatch_job_execution_seconds", "Time one job's handler took, by job type", ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
QUEUE_DEPTH = Gauge("modbatch_job_executor_queue_depth",
                    "Jobs this process acquired and has not started yet")


class _PerType:
    """The labelled children of one job type, looked up once (``labels()`` costs more than the
    increment itself)."""

    __slots__ = ("acquired", "executed", "failed", "seconds")

    def __init__(self, kind: str) -> None:
        self.acquired, self.executed = ACQUIRED.labels(kind), EXECUTED.labels(kind)
        self.failed, self.seconds = FAILED.labels(kind), EXECUTION_SECONDS.labels(kind)


_per_type: dict[str, _PerType] = {}
_ITEMS_MODIFIED, _ITEMS_FAILED = BATCH_ITEMS.labels("modified"), BATCH_ITEMS.labels("failed")


def _of(kind: str) -> _PerType:
    children = _per_type.get(kind)
    if children is None:
        children = _per_type[kind] = _PerType(kind)
    return children


def job_type(job: Any) -> str:
    """The ``type`` label and log field: batch-seed, batch-execution, batch-monitor, timer,
    async-continuation, or the handler type of any other job."""
    handler = job.handler_type
    if handler == "batch-seed-job":
        return "batch-seed"
    if handler == "batch-monitor-job":
        return "batch-monitor"
    if job.batch_id is not None:
        return "batch-execution"
    if job.type == "timer":
        return "timer"
    return handler or job.type or "unknown"


def job_fields(job: Any, kind: str | None = None, *, job_id: str | None = None
               ) -> dict[str, Any]:
    """A job's ids as structured log fields (``extra=``); only ``job_id`` when not loaded."""
    if job is None:
        return {"job_id": job_id, "job_type": kind or "unknown", "batch_id": None}
    return {"job_id": job.id, "job_type": kind or job_type(job), "batch_id": job.batch_id,
            "process_instance_id": getattr(job, "process_instance_id", None)}


def acquisition(seconds: float, count: int) -> None:
    ACQUISITION_SECONDS.observe(seconds)
    QUEUE_DEPTH.set(count)


def acquired(jobs: Any) -> None:
    for job in jobs:
        _of(job_type(job)).acquired.inc()


def committed(job: Any, *, ok: bool, seconds: float, items_modified: int = 0,
              items_failed: int = 0, failure: str | None = None) -> None:
    """One job's run committed: count it, and log its failure with its ids."""
    kind = job_type(job)
    children = _of(kind)
    (children.executed if ok else children.failed).inc()
    children.seconds.observe(seconds)
    if items_modified:
        _ITEMS_MODIFIED.inc(items_modified)
    if items_failed:
        _ITEMS_FAILED.inc(items_failed)
    if not ok:
        log.warning("%s failed (%s): %s", describe(job.id, job.batch_id), kind,
                    failure, extra={**job_fields(job, kind), "error": failure})


def failed(job: Any | None, job_id: str, error: BaseException) -> None:
    """An error escaped a job's transaction (it is recorded on the job afterwards)."""
    kind = job_type(job) if job is not None else "unknown"
    _of(kind).failed.inc()
    fields = job_fields(job, kind, job_id=job_id)
    log.error("execution of %s failed (%s): %s", describe(job_id, fields["batch_id"]), kind,
              first_line(error), exc_info=error, extra={**fields, "error": first_line(error)})


def describe(job_id: str, batch_id: str | None) -> str:
    return f"job {job_id}" + (f" of batch {batch_id}" if batch_id else "")


def first_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0]


# ---------------------------------------------------------------------------- database gauges
class DatabaseCollector:
    """Gauges read from the database when scraped: active batches and executable jobs. The
    engine last created is the one asked; a database that does not answer yields no sample."""

    def __init__(self) -> None:
        self.engine: weakref.ReferenceType | None = None

    def describe(self):
        return []

    def collect(self):
        engine = self.engine() if self.engine is not None else None
        if engine is None:
            return
        try:
            with engine.read() as session:
                batches = session.execute(select(func.count()).select_from(Batch)).scalar_one()
                due = session.execute(select(func.count()).select_from(Job).where(
                    Job.retries > 0, Job.suspended.is_(False),
                    or_(Job.due_date.is_(None), Job.due_date <= clock.now()))).scalar_one()
        except Exception as error:  # the scrape still answers with the in-process metrics
            log.debug("metrics: database gauges unavailable: %s", first_line(error))
            return
        yield GaugeMetricFamily("modbatch_batches_active", "Batches not finished yet (runtime "
                                "batch rows, suspended ones included)", value=batches)
        yield GaugeMetricFamily("modbatch_jobs_executable", "Jobs due, with retries left and "
                                "not suspended, locked or not (the database's job queue)",
                                value=due)


DATABASE = DatabaseCollector()
REGISTRY.register(DATABASE)


def watch(engine: Any) -> None:
    """Let the database gauges read through ``engine`` (a ProcessEngine)."""
    DATABASE.engine = weakref.ref(engine)
