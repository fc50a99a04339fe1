"""Fixtures shared by every layer: a fresh database per test, the app, and the shared BPMN models."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import Databases

from modbatch.engine import clock, repository
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MODBATCH_SHARED", ROOT.parent / "shared"))
BPMN = SHARED / "bpmn"
CAMUNDA_TESTS = BPMN / "camunda-tests"
REAL_WORLD = BPMN / "real-world"


def model_path(name: str) -> Path:
    """A shared model by file name; the camunda-tests prefix may be left out."""
    for folder in (CAMUNDA_TESTS, REAL_WORLD):
        for candidate in (folder / name, folder / f"ProcessInstanceModificationTest.{name}.bpmn20.xml"):
            if candidate.exists():
                return candidate
    raise FileNotFoundError(name)


def pytest_addoption(parser):
    parser.addoption(
        "--database-url", default=os.environ.get("MODBATCH_TEST_DATABASE_URL") or None,
        help="run every test on a fresh database of this PostgreSQL server (an admin URL such as "
             "postgresql+psycopg://postgres@127.0.0.1:5544/postgres; MODBATCH_TEST_DATABASE_URL); "
             "SQLite files when unset")


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory) -> Databases:
    server = Databases(request.config.getoption("--database-url"), tmp_path_factory)
    yield server
    server.close()


@pytest.fixture
def database_url(databases, tmp_path: Path) -> str:
    """A fresh, empty database for this test: a SQLite file, or a PostgreSQL database."""
    url = databases.fresh(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, job_executor=False)


@pytest.fixture
def engine(settings: Settings):
    """A process engine on its own SQLite file; the model cache is shared but keyed by uuid ids."""
    process_engine = ProcessEngine(settings)
    install(process_engine)
    yield process_engine
    process_engine.close()
    clock.pin(None)


@pytest.fixture
def deploy(engine):
    """Deploy shared models by name and return {process key: definition}."""

    def _deploy(*names: str, deployment_name: str = "test"):
        resources = [(model_path(n).name, model_path(n).read_bytes()) for n in names]
        with engine.transaction() as session:
            result = repository.deploy(session, name=deployment_name, source=None,
                                       tenant_id=None, resources=resources,
                                       max_resource_bytes=10 * 1024 * 1024)
            return {d.key: d for d in result.definitions or []}

    return _deploy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process, log: Path) -> None:
    """Wait until ``url`` answers 200; if the process dies or a minute passes, raise with its log."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=30)
            raise RuntimeError(log.read_text(errors="replace"))
        time.sleep(0.1)


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra environment of the `server` process; a test module overrides it to change settings."""
    return {}


@pytest.fixture
def server(tmp_path, database_url, server_env):
    """Start `modbatch serve` (job executor included) and yield its base URL."""
    port = free_port()
    env = {**os.environ, "MODBATCH_JOB_IDLE_WAIT_MS": "50", **server_env}
    log = tmp_path / "served.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "modbatch.cli", "serve", "--port", str(port),
             "--database-url", database_url],
            env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/engine-rest"
    wait_until_serving(f"{base}/deployment/count", process, log)
    yield base
    process.terminate()
    process.wait(timeout=30)
