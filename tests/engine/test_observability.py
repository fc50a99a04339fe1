"""Observability of the engine: job failures logged with their ids, job executor metrics, the
log settings and the JSON log format."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from modbatch import logs
from modbatch.engine import clock
from modbatch.engine.jobs import metrics, rounds
from modbatch.engine.jobs.executor import JobExecutor
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.settings import Settings
from tests.engine.test_batches import create_batch, deploy_one_task, job_ids, run_job
from tests.engine.test_runtime import start


@pytest.fixture
def one_per_job(settings):
    """An engine with one instance per execution job and one retry per job."""
    engine = ProcessEngine(replace(settings, invocations_per_batch_job=1, default_retries=1))
    install(engine)
    yield engine
    engine.close()
    clock.pin(None)


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# ---------------------------------------------------------------------------- failure logs
@pytest.mark.parametrize("per_round", [True, False], ids=["one-transaction-per-round",
                                                          "one-transaction-per-job"])
def test_a_failing_batch_job_is_logged_with_its_ids(one_per_job, caplog, per_round):
    """A batch execution job whose instance is missing is logged at WARNING with its job id,
    job type, batch id and the failure message, as message and as fields."""
    definition = deploy_one_task(one_per_job)
    batch_id = create_batch(one_per_job, definition, ["missing"])
    [seed] = job_ids(one_per_job, batch_id, "batch-seed-job")
    assert run_job(one_per_job, seed).ok
    [job_id] = job_ids(one_per_job, batch_id, "instance-modification")
    executor = one_per_job.job_executor
    executor.one_transaction_per_round = per_round
    with caplog.at_level(logging.INFO, logger="modbatch.jobexecutor"):
        executor.run_until_idle()
    failures = [r for r in caplog.records if getattr(r, "job_id", None) == job_id]
    [record] = failures  # one retry: one failure
    message = ("ENGINE-13036 Process instance 'missing' cannot be modified. The process "
               "instance does not exist")
    assert record.levelname == "WARNING"
    assert (record.job_id, record.job_type, record.batch_id, record.error) == (
        job_id, "batch-execution", batch_id, message)
    assert record.getMessage() == (f"job {job_id} of batch {batch_id} failed (batch-execution): "
                                   f"{message}")


def test_the_json_log_line_of_a_job_failure_carries_its_ids(one_per_job):
    """Formatted as JSON, the failure record is one object with time, level, logger, message,
    job_id, job_type, batch_id and error."""
    definition = deploy_one_task(one_per_job)
    batch_id = create_batch(one_per_job, definition, ["missing"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("modbatch.jobexecutor")
    logger.addHandler(handler)
    try:
        one_per_job.job_executor.run_until_idle()
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [failure] = [line for line in lines if line.get("job_type") == "batch-execution"]
    assert set(failure) == {"time", "level", "logger", "message", "job_id", "job_type",
                            "batch_id", "process_instance_id", "error"}
    assert (failure["level"], failure["logger"], failure["batch_id"]) == (
        "WARNING", "modbatch.jobexecutor", batch_id)
    assert failure["message"] == (f"job {failure['job_id']} of batch {batch_id} failed "
                                  f"(batch-execution): {failure['error']}")
    assert failure["time"].endswith("Z") and len(failure["time"]) == 24


# ---------------------------------------------------------------------------- metrics
def test_metrics_count_a_batch_per_job_and_item(one_per_job):
    """Two instances and one missing id, one instance per job: the seed, two execution jobs and
    the monitor succeed, one execution job fails once (one retry); items counted by outcome;
    each acquisition and job run is timed; no job is left queued."""
    definition = deploy_one_task(one_per_job)
    instance_ids = [start(one_per_job, definition) for _ in range(2)]
    create_batch(one_per_job, definition, [*instance_ids, "missing"])
    names = {"executed": "modbatch_jobs_executed_total", "failed": "modbatch_jobs_failed_total",
             "acquired": "modbatch_jobs_acquired_total"}
    kinds = ("batch-seed", "batch-execution", "batch-monitor")
    before = {(n, k): sample(name, type=k) for n, name in names.items() for k in kinds}
    items = {o: sample("modbatch_batch_items_total", outcome=o) for o in ("modified", "failed")}
    rounds = sample("modbatch_job_acquisition_seconds_count")
    runs = sample("modbatch_job_execution_seconds_count", type="batch-execution")

    one_per_job.job_executor.run_until_idle()

    after = {(n, k): sample(name, type=k) for n, name in names.items() for k in kinds}
    assert {key: after[key] - before[key] for key in after} == {
        ("executed", "batch-seed"): 1, ("executed", "batch-execution"): 2,
        ("executed", "batch-monitor"): 1,
        ("failed", "batch-seed"): 0, ("failed", "batch-execution"): 1,
        ("failed", "batch-monitor"): 0,
        ("acquired", "batch-seed"): 1, ("acquired", "batch-execution"): 3,
        ("acquired", "batch-monitor"): 1}
    assert {o: sample("modbatch_batch_items_total", outcome=o) - items[o] for o in items} == {
        "modified": 2, "failed": 1}
    assert sample("modbatch_job_acquisition_seconds_count") > rounds
    assert sample("modbatch_job_execution_seconds_count", type="batch-execution") - runs == 3
    assert sample("modbatch_job_executor_queue_depth") == 0


def test_the_database_gauges_show_active_batches_and_executable_jobs(one_per_job):
    """modbatch_batches_active and modbatch_jobs_executable are read from the engine's
    database when scraped: one batch with its seed job, then none once it ran."""
    definition = deploy_one_task(one_per_job)
    create_batch(one_per_job, definition, [start(one_per_job, definition)])
    assert (sample("modbatch_batches_active"), sample("modbatch_jobs_executable")) == (1, 1)
    one_per_job.job_executor.run_until_idle()
    assert (sample("modbatch_batches_active"), sample("modbatch_jobs_executable")) == (0, 0)


@pytest.mark.parametrize("job, label", [
    (dict(handler_type="batch-seed-job", batch_id="b", type="message"), "batch-seed"),
    (dict(handler_type="batch-monitor-job", batch_id="b", type="message"), "batch-monitor"),
    (dict(handler_type="instance-modification", batch_id="b", type="message"),
     "batch-execution"),
    (dict(handler_type="timer-intermediate-transition", batch_id=None, type="timer"), "timer"),
    (dict(handler_type="timer-start-event", batch_id=None, type="timer"), "timer"),
    (dict(handler_type="async-continuation", batch_id=None, type="message"),
     "async-continuation"),
])
def test_job_type_labels(job, label):
    """Jobs are labelled batch-seed, batch-execution, batch-monitor, timer or
    async-continuation."""
    assert metrics.job_type(SimpleNamespace(**job)) == label


# ---------------------------------------------------------------------------- settings
def test_log_settings_default_to_info_text_and_no_metrics_port(monkeypatch):
    """Unset, the log level is INFO, the format text and the worker serves no metrics."""
    for name in ("MODBATCH_LOG_LEVEL", "MODBATCH_LOG_FORMAT", "MODBATCH_METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert (settings.log_level, settings.log_format, settings.metrics_port) == ("INFO", "text", 0)


def test_log_settings_are_read_in_any_case(monkeypatch):
    """MODBATCH_LOG_LEVEL=debug, MODBATCH_LOG_FORMAT=JSON and MODBATCH_METRICS_PORT=9102."""
    monkeypatch.setenv("MODBATCH_LOG_LEVEL", "debug")
    monkeypatch.setenv("MODBATCH_LOG_FORMAT", "JSON")
    monkeypatch.setenv("MODBATCH_METRICS_PORT", "9102")
    settings = Settings.from_env()
    assert (settings.log_level, settings.log_format, settings.metrics_port) == (
        "DEBUG", "json", 9102)


@pytest.mark.parametrize("name, value, message", [
    ("MODBATCH_LOG_LEVEL", "LOUD", "MODBATCH_LOG_LEVEL must be one of DEBUG, INFO, WARNING, "
                                   "ERROR"),
    ("MODBATCH_LOG_LEVEL", "TRACE", "MODBATCH_LOG_LEVEL must be one of DEBUG, INFO, WARNING, "
                                    "ERROR"),
    ("MODBATCH_LOG_FORMAT", "xml", "MODBATCH_LOG_FORMAT must be text or json"),
    ("MODBATCH_METRICS_PORT", "70000", "MODBATCH_METRICS_PORT must be between 0 and 65535"),
])
def test_bad_log_settings_name_the_variable(monkeypatch, name, value, message):
    """An unknown level or format, or a port out of range, is refused naming the variable."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError) as refused:
        Settings.from_env()
    assert str(refused.value) == message


# ---------------------------------------------------------------------------- log set-up
def test_configure_sets_level_and_format_and_replaces_its_handler():
    """configure installs one root handler in the chosen format at the chosen level; a second
    call replaces it rather than adding one."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    first, second = io.StringIO(), io.StringIO()
    try:
        logs.configure(Settings(log_level="WARNING"), stream=first)
        logs.configure(Settings(log_level="ERROR", log_format="json"), stream=second)
        assert root.level == logging.ERROR
        assert len(root.handlers) == len(handlers) + 1
        logging.getLogger("modbatch.test").error("disk %s", "full", extra={"batch_id": "b1"})
        logging.getLogger("modbatch.test").warning("not shown")
    finally:
        for handler in root.handlers[len(handlers):]:
            root.removeHandler(handler)
        root.setLevel(level)
        logging.captureWarnings(False)
    assert first.getvalue() == ""
    [line] = second.getvalue().splitlines()
    record = json.loads(line)
    assert {k: record[k] for k in ("level", "logger", "message", "batch_id")} == {
        "level": "ERROR", "logger": "modbatch.test", "message": "disk full", "batch_id": "b1"}


def test_json_lines_carry_the_exception():
    """A record with exc_info has its traceback under "exception"."""
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.getLogger("modbatch.test").makeRecord(
            "modbatch.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "failed" and line["level"] == "ERROR"
    assert line["exception"].startswith("Traceback") and "RuntimeError: boom" in line["exception"]


# ---------------------------------------------------------------------------- database away
def test_an_unavailable_database_is_logged_once_until_it_answers(one_per_job, monkeypatch,
                                                                  caplog):
    """While acquisitions fail because the database is away, the executor says so once at
    WARNING (no traceback per idle wait), then once more when it answers again."""
    executor = JobExecutor(one_per_job, owner="executor")
    executor.settings = replace(executor.settings, job_idle_wait_ms=10)
    calls = []
    real_acquire = rounds.acquire

    def acquire(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 5:
            raise OperationalError("SELECT job ...", {}, Exception("server closed the "
                                   "connection unexpectedly"), connection_invalidated=True)
        return real_acquire(*args, **kwargs) if args or "session" in kwargs else []

    monkeypatch.setattr(rounds, "acquire", acquire)
    monkeypatch.setattr(executor, "acquire", lambda: acquire())
    with caplog.at_level(logging.INFO, logger="modbatch.jobexecutor"):
        executor.start()
        deadline = time.monotonic() + 30
        while len(calls) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        executor.stop()
    assert len(calls) >= 8
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == [
        ("WARNING", "job acquisition failed, database unavailable (trying again every 0.01 s): "
                    "(builtins.Exception) server closed the connection unexpectedly", None),
        ("WARNING", "job acquisition works again: the database answers", None)]
