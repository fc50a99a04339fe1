"""The operator CLI run as a user runs it: the installed ``modbatch`` command in a subprocess,
against a real ``modbatch serve``. The server has no job executor: a test starts a ``modbatch
worker`` when it wants the batch to run, so every state a batch passes through can be seen."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

# two user tasks: instances wait in review; modifications move them to approve
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="cli-tests"
             targetNamespace="https://modbatch.invalid/cli-tests">
  <process id="cliReview" name="CLI review" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="toReview" sourceRef="start" targetRef="review"/>
    <userTask id="review" name="Review"/>
    <sequenceFlow id="toApprove" sourceRef="review" targetRef="approve"/>
    <userTask id="approve" name="Approve"/>
    <sequenceFlow id="toEnd" sourceRef="approve" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def modbatch_command() -> list[str]:
    """The console script pip installed beside this Python, as a user would type it."""
    script = Path(sys.executable).with_name("modbatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "modbatch.cli"]


def modbatch(*args: str, url: str | None = None, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    if url is not None:
        environment["MODBATCH_URL"] = url
    return subprocess.run([*modbatch_command(), *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def one_line(result: subprocess.CompletedProcess) -> str:
    """The single stderr line of a refused command (no traceback, no usage block)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def server_env() -> dict[str, str]:
    """The CLI's server runs no jobs by itself: tests start a worker when they want progress."""
    return {"MODBATCH_JOB_EXECUTOR": "false"}


@pytest.fixture
def cli(server):
    """Run ``modbatch ARGS`` against the test's server (MODBATCH_URL)."""

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return modbatch(*args, url=server, **kwargs)

    return run


@pytest.fixture
def rest(server):
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


class Workers:
    """`modbatch worker` processes on the test's database, stopped at the end of the test."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.database_url = database_url
        self.folder = folder
        self.running: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = (self.folder / f"worker-{len(self.running)}.log").open("wb")
        process = subprocess.Popen(
            [*modbatch_command(), "worker", "--database-url", self.database_url], cwd=ROOT,
            env={**os.environ, "MODBATCH_JOB_IDLE_WAIT_MS": "50"}, stdout=log,
            stderr=subprocess.STDOUT)
        log.close()
        self.running.append(process)
        return process

    def stop(self) -> None:
        for process in self.running:
            process.terminate()
        for process in self.running:
            process.wait(timeout=60)
        self.running.clear()


@pytest.fixture
def workers(database_url, tmp_path):
    pool = Workers(database_url, tmp_path)
    yield pool
    pool.stop()


@pytest.fixture
def review(rest) -> dict:
    """The review model deployed; its process definition."""
    response = rest.post("/deployment/create", data={"deployment-name": "cli"},
                         files={"model": ("review.bpmn", MODEL.encode(), "text/xml")})
    assert response.status_code == 200, response.text
    [definition] = response.json()["deployedProcessDefinitions"].values()
    return definition


def start(rest, count: int, *, first: int = 0) -> list[str]:
    """Start instances order-<n> with variable amount = 10 n; they wait in review."""
    ids = []
    for number in range(first, first + count):
        response = rest.post("/process-definition/key/cliReview/start", json={
            "businessKey": f"order-{number}",
            "variables": {"amount": {"value": 10 * number, "type": "Integer"}}})
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


def execute_async(rest, definition: dict, ids: list[str], *, to: str = "approve") -> dict:
    """A batch moving these instances from review to ``to``, created over REST."""
    response = rest.post("/modification/executeAsync", json={
        "processDefinitionId": definition["id"], "processInstanceIds": ids,
        "instructions": [{"type": "cancel", "activityId": "review"},
                         {"type": "startBeforeActivity", "activityId": to}]})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(condition, *, timeout: float = 120, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def statistics(rest, batch_id: str) -> dict | None:
    found = rest.get("/batch/statistics", params={"batchId": batch_id}).json()
    return found[0] if found else None


@pytest.fixture
def free_url() -> str:
    """A URL where nothing listens."""
    from tests.conftest import free_port

    return f"http://127.0.0.1:{free_port()}/engine-rest"
