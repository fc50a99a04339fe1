"""GET /health, GET /metrics and the access log, in-process and from a real `modbatch serve`
and `modbatch worker`."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from tests.api.batching import TO_TASK2, create_batch, definition_id
from tests.conftest import free_port, wait_until_serving

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def families(text: str) -> dict:
    """Prometheus text → {sample name and labels: value}, parsed by prometheus_client."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


# ---------------------------------------------------------------------------- access log
def test_every_request_gets_one_access_log_line(client, caplog):
    """One INFO line per request on modbatch.access: method, path with query, status,
    duration in ms and client, also as fields; error responses too."""
    with caplog.at_level(logging.INFO, logger="modbatch.access"):
        assert client.get("/engine-rest/batch", params={"maxResults": 1}).status_code == 200
        assert client.get("/engine-rest/batch/nope").status_code == 404
    records = [r for r in caplog.records if r.name == "modbatch.access"]
    assert [(r.levelname, r.method, r.path, r.query, r.status, r.client) for r in records] == [
        ("INFO", "GET", "/engine-rest/batch", "maxResults=1", 200, "testclient:50000"),
        ("INFO", "GET", "/engine-rest/batch/nope", "", 404, "testclient:50000")]
    for record in records:
        assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
    assert records[0].getMessage() == (
        f"GET /engine-rest/batch?maxResults=1 200 {records[0].duration_ms:.1f}ms "
        "testclient:50000")


def test_an_ignored_query_parameter_is_logged_at_debug_not_error(client, caplog):
    """A query parameter the spec does not declare is ignored (200) and said at DEBUG on
    modbatch.api.ignored; nothing is logged at ERROR."""
    with caplog.at_level(logging.DEBUG):
        response = client.get("/engine-rest/job", params={"bogus": "1", "maxResults": 2})
    assert (response.status_code, response.json()) == (200, [])
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    [ignored] = [r for r in caplog.records if r.name == "modbatch.api.ignored"]
    assert (ignored.levelname, ignored.getMessage(), ignored.parameter) == (
        "DEBUG", "ignored query parameter 'bogus': not in the specification", "bogus")


# ---------------------------------------------------------------------------- health
def test_health_is_up_when_the_database_answers(client):
    """GET /health runs SELECT 1 and answers 200 {"status": "UP", "database": "UP"}."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "UP", "database": "UP"}


def test_health_is_down_when_the_sqlite_file_cannot_be_opened(client, engine, database_url):
    """The SQLite file replaced by a folder under a running engine: 503 DOWN with the reason."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite file; a stopped PostgreSQL is the next test")
    engine.database.dispose()
    path = Path(database_url.removeprefix("sqlite:///"))
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    path.mkdir()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "DOWN", "database": "DOWN",
                               "message": "The database is not available: unable to open "
                                          "database file"}
    path.rmdir()


def test_health_is_down_when_postgresql_does_not_answer(client, engine, monkeypatch):
    """A PostgreSQL server that is not running (nothing listens on its port): 503 DOWN."""
    port = free_port()
    stopped = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                            connect_args={"connect_timeout": 2})
    monkeypatch.setattr(engine.database, "engine", stopped)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["status"], body["database"]) == ("DOWN", "DOWN")
    assert body["message"].startswith("The database is not available: connection failed: ")
    assert f"port {port} failed: Connection refused" in body["message"]
    stopped.dispose()


def test_health_and_metrics_are_outside_the_spec(client):
    """Neither path is in openapi.json (operational endpoints, not Camunda's API)."""
    spec = client.get("/engine-rest/openapi.json").json()
    assert not {"/health", "/metrics"} & set(spec["paths"])


# ---------------------------------------------------------------------------- metrics
def test_metrics_parse_and_count_a_small_batch(api, client, app):
    """GET /metrics is Prometheus text that prometheus_client parses; after a batch of two
    instances ran, executed jobs and modified items went up by as much, and the database
    gauges show the batch while it waits and not once it finished."""
    deployment = api.deploy("exclusiveGateway")
    instances = [api.start("exclusiveGateway")["id"] for _ in range(2)]
    batch = create_batch(client, definition_id(deployment), instances, TO_TASK2)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == PROMETHEUS_TEXT
    before = families(response.text)
    assert before[("modbatch_batches_active", ())] == 1
    assert before[("modbatch_jobs_executable", ())] == 1

    app.engine.job_executor.run_until_idle()

    after = families(client.get("/metrics").text)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("modbatch_jobs_executed_total", type="batch-seed") == 1
    assert grew("modbatch_jobs_executed_total", type="batch-execution") == 1  # 2 per job
    assert grew("modbatch_jobs_executed_total", type="batch-monitor") == 1
    assert grew("modbatch_jobs_failed_total", type="batch-execution") == 0
    assert grew("modbatch_jobs_acquired_total", type="batch-execution") == 1
    assert grew("modbatch_batch_items_total", outcome="modified") == 2
    assert grew("modbatch_job_acquisition_seconds_count") >= 1
    assert grew("modbatch_job_execution_seconds_count", type="batch-execution") == 1
    assert after[("modbatch_job_executor_queue_depth", ())] == 0
    assert after[("modbatch_batches_active", ())] == 0
    assert client.get(f"/engine-rest/batch/{batch['id']}").status_code == 404


def test_metrics_speak_openmetrics_when_asked(client):
    """A scraper asking for OpenMetrics gets it, as from prometheus_client's own server."""
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


# ---------------------------------------------------------------------------- real processes
def spawn(tmp_path: Path, name: str, arguments: list[str], **env: str):
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "modbatch.cli", *arguments],
                                   env={**os.environ, **env}, stdout=output,
                                   stderr=subprocess.STDOUT)
    return process, log


def stop(process) -> None:
    process.terminate()
    process.wait(timeout=30)


def test_a_served_request_is_logged_in_text(server, tmp_path):
    """`modbatch serve` writes one access line per request to stderr in the text format."""
    assert httpx.get(f"{server}/batch/count").status_code == 200
    assert httpx.get(server.replace("/engine-rest", "/health")).status_code == 200
    time.sleep(0.2)
    text = (tmp_path / "served.log").read_text()
    access = re.findall(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO modbatch\.access "
                        r"(GET \S+ \d{3}) \d+\.\dms 127\.0\.0\.1:\d+$", text, flags=re.M)
    assert "GET /engine-rest/batch/count 200" in access
    assert "GET /health 200" in access


def test_serve_with_json_logs_writes_one_object_per_line(tmp_path, database_url):
    """MODBATCH_LOG_FORMAT=json: every log line `modbatch serve` writes is a JSON object; the
    access line has method, path, status, duration_ms and client."""
    port = free_port()
    process, log = spawn(tmp_path, "json", ["serve", "--port", str(port),
                                            "--database-url", database_url],
                         MODBATCH_LOG_FORMAT="json", MODBATCH_JOB_IDLE_WAIT_MS="50")
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/health", process, log)
        assert httpx.get(f"http://127.0.0.1:{port}/engine-rest/job/count").status_code == 200
        time.sleep(0.2)
    finally:
        stop(process)
    lines = [line for line in log.read_text().splitlines() if not line.startswith("modbatch: ")]
    objects = [json.loads(line) for line in lines]  # every line is one JSON object
    [access] = [o for o in objects if o["logger"] == "modbatch.access"
                and o["path"] == "/engine-rest/job/count"]
    assert {k: access[k] for k in ("level", "method", "path", "status", "client")} == {
        "level": "INFO", "method": "GET", "path": "/engine-rest/job/count", "status": 200,
        "client": access["client"]}
    assert access["client"].startswith("127.0.0.1:")
    assert isinstance(access["duration_ms"], float)


def test_serve_with_log_level_warning_writes_no_access_lines(tmp_path, database_url):
    """MODBATCH_LOG_LEVEL=WARNING silences the INFO access log."""
    port = free_port()
    process, log = spawn(tmp_path, "quiet", ["serve", "--port", str(port),
                                             "--database-url", database_url],
                         MODBATCH_LOG_LEVEL="WARNING")
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/health", process, log)
        time.sleep(0.2)
    finally:
        stop(process)
    assert "modbatch.access" not in log.read_text()


def test_worker_serves_metrics_on_its_metrics_port(tmp_path, database_url):
    """`modbatch worker --metrics-port P` has no REST server: prometheus_client's own server
    answers /metrics with the executor's metrics and the database gauges."""
    port = free_port()
    process, log = spawn(tmp_path, "worker", ["worker", "--metrics-port", str(port),
                                              "--database-url", database_url])
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/metrics", process, log)
        response = httpx.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        stop(process)
    assert response.headers["content-type"] == PROMETHEUS_TEXT
    samples = families(response.text)
    assert samples[("modbatch_job_executor_queue_depth", ())] == 0
    assert samples[("modbatch_batches_active", ())] == 0
    assert samples[("modbatch_job_acquisition_seconds_count", ())] >= 1


def test_a_bad_log_level_is_one_line_naming_the_variable(tmp_path, database_url):
    """MODBATCH_LOG_LEVEL=LOUD: `modbatch serve` exits with one line naming the variable."""
    result = subprocess.run([sys.executable, "-m", "modbatch.cli", "serve", "--database-url",
                             database_url], env={**os.environ, "MODBATCH_LOG_LEVEL": "LOUD"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "modbatch: MODBATCH_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"]


def test_a_job_failing_on_post_execute_is_logged_with_its_ids(api, client, caplog):
    """POST /job/{id}/execute of a batch execution job whose instance is missing answers 404
    and logs the failure at WARNING with the job's id, type and batch id."""
    batch = create_batch(client, definition_id(api.deploy("exclusiveGateway")), ["missing"],
                         TO_TASK2)
    [seed] = client.get("/engine-rest/job", params={
        "jobDefinitionId": batch["seedJobDefinitionId"]}).json()
    assert client.post(f"/engine-rest/job/{seed['id']}/execute").status_code == 204
    [job] = client.get("/engine-rest/job", params={
        "jobDefinitionId": batch["batchJobDefinitionId"]}).json()
    with caplog.at_level(logging.WARNING, logger="modbatch.jobexecutor"):
        assert client.post(f"/engine-rest/job/{job['id']}/execute").status_code == 404
    [record] = [r for r in caplog.records if r.name == "modbatch.jobexecutor"]
    message = ("ENGINE-13036 Process instance 'missing' cannot be modified. The process "
               "instance does not exist")
    assert (record.levelname, record.job_id, record.job_type, record.batch_id, record.error) == (
        "WARNING", job["id"], "batch-execution", batch["id"], message)
