"""``modbatch demo``: deploy, start N instances, move every token with one batch, report."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from modbatch.engine import batches, instances, modification, repository
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.engine.variables import TypedValue
from modbatch.settings import Settings, shown_database_url
from modbatch.store.tables import BatchItem

MODEL = Path(__file__).with_name("review.bpmn")
CHUNK = 2_000


def progress(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r{label:<22} [{'#' * filled}{'.' * (width - filled)}] "
                     f"{done:>9,}/{total:,} {rate:>10,.0f}/s")
    sys.stderr.flush()


def run(settings: Settings, count: int, *, temporary: bool = False) -> dict[str, float]:
    """Run the demo and return its figures (also printed). With ``temporary`` it runs on a
    SQLite file in a new temporary folder, removed when the demo ends, fails or is interrupted."""
    if not temporary:
        return _run(settings, count)
    folder = tempfile.mkdtemp(prefix="modbatch-demo-")
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread():
        # a terminated demo cleans up like an interrupted one; Ctrl-C interrupts even when the
        # demo was started from a shell that ignores SIGINT for background commands
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _run(replace(settings, database_url=f"sqlite:///{folder}/demo.db"), count)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
        shutil.rmtree(folder, ignore_errors=True)
        print(f"modbatch demo: removed the temporary database {folder}", flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _run(settings: Settings, count: int) -> dict[str, float]:
    engine = ProcessEngine(replace(settings, job_executor=True))
    try:
        return _run_on(engine, settings, count)
    finally:
        engine.close()


def _run_on(engine: ProcessEngine, settings: Settings, count: int) -> dict[str, float]:
    install(engine)
    print(f"modbatch demo: {count:,} instances on {shown_database_url(engine.settings.database_url)}", flush=True)
    with engine.transaction() as session:
        [definition] = repository.deploy(
            session, name="modbatch-demo", source="modbatch demo", tenant_id=None,
            resources=[(MODEL.name, MODEL.read_bytes())],
            max_resource_bytes=settings.max_resource_bytes).definitions

    started = time.perf_counter()
    for offset in range(0, count, CHUNK):
        size = min(CHUNK, count - offset)
        with engine.transaction() as session:
            instances.start_many(
                session, definition, size, business_key_prefix=f"invoice-{offset}-",
                variables=lambda n: {"amount": TypedValue("Integer", (n * 37) % 5000)})
        progress("starting instances", offset + size, count, started)
    start_seconds = time.perf_counter() - started
    sys.stderr.write("\n")

    batch_started = time.perf_counter()
    with engine.transaction() as session:
        request = modification.collect_request(session, {
            "processDefinitionId": definition.id,
            "processInstanceQuery": {"processDefinitionKey": "invoiceReview",
                                     "activityIdIn": ["review"]},
            "instructions": [{"type": "cancel", "activityId": "review"},
                             {"type": "startBeforeActivity", "activityId": "approve"}],
        })
        batch = batches.create_modification_batch(
            session, request, engine.settings, tenant_id=None,
            deployment_id=definition.deployment_id)
        batch_id, total_jobs = batch.id, batch.total_jobs
    engine.start()
    while True:
        with engine.read() as session:
            stats = batches.statistics(session, {"batchId": batch_id})
        if not stats:
            progress("modifying (batch)", total_jobs, total_jobs, batch_started)
            break
        _, remaining, completed, failed = stats[0]
        progress("modifying (batch)", completed, total_jobs, batch_started)
        if failed and remaining == failed:
            break
        time.sleep(0.2)
    batch_seconds = time.perf_counter() - batch_started
    engine.close()
    sys.stderr.write("\n")

    engine = ProcessEngine(replace(settings, job_executor=False))
    with engine.transaction() as session:
        statuses = dict(session.execute(select(BatchItem.status, func.count()).where(
            BatchItem.batch_id == batch_id).group_by(BatchItem.status)).all())
        at_approve = instances.count(session, {"activityIdIn": ["approve"]})
    engine.close()
    figures = {
        "instances": count, "start_seconds": start_seconds, "batch_seconds": batch_seconds,
        "modified": statuses.get("modified", 0), "failed": statuses.get("failed", 0),
        "at_approve": at_approve,
    }
    print(f"started   {count:,} instances in {start_seconds:.2f} s "
          f"({count / start_seconds:,.0f} instances/s)")
    print(f"modified  {figures['modified']:,} instances in {batch_seconds:.2f} s "
          f"({figures['modified'] / batch_seconds:,.0f} instances/s), "
          f"{total_jobs} execution jobs of {engine.settings.invocations_per_batch_job}")
    print(f"failures  {figures['failed']:,}; instances now waiting in 'approve': {at_approve:,}")
    return figures
