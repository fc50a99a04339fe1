"""Real `modbatch serve --no-job-executor` and `modbatch worker` processes for tests.

Each process runs the sources under test (their folder leads PYTHONPATH, as an absolute path)
and writes its output to a file: a pipe nobody reads would stall it once full.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import modbatch
from tests.conftest import free_port

SRC = Path(modbatch.__file__).resolve().parents[1]
WORKER_STARTED = re.compile(r"^modbatch worker (.+): executing jobs from ", re.MULTILINE)


def environment(database_url: str, **variables: str) -> dict[str, str]:
    paths = [str(SRC), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths),
            "MODBATCH_DATABASE_URL": database_url, **variables}


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    owner: str | None = None  # a worker's lock owner

    def send(self, signum: int) -> None:
        os.kill(self.popen.pid, signum)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: list[Process] = []
        self.port = 0

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as output:
            popen = subprocess.Popen([sys.executable, "-m", "modbatch.cli", *args], env=env,
                                     stdout=output, stderr=subprocess.STDOUT)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def _fail(self, process: Process, why: str) -> None:
        raise RuntimeError(f"{process.name} {why}:\n{process.output()[-4000:]}")

    def launch(self, database_url: str, *, workers: int, **variables: str) -> None:
        """Start `modbatch serve --no-job-executor` and ``workers`` `modbatch worker` processes
        without waiting for them (``ready`` does): they start up while the test seeds."""
        env = environment(database_url, **variables)
        self.port = free_port()
        self._start("serve", ["serve", "--no-job-executor", "--port", str(self.port)], env)
        for number in range(workers):
            self._start(f"worker-{number}", ["worker"], env)

    def ready(self) -> tuple[str, list[Process]]:
        """Wait until the server answers and every worker runs; the REST base URL and the
        workers, each with its lock owner."""
        serve, *workers = self.processes
        base = f"http://127.0.0.1:{self.port}/engine-rest"
        deadline = time.monotonic() + 90
        while True:
            for process in self.processes:
                if process.popen.poll() is not None:
                    self._fail(process, "ended")
            for worker in workers:
                started = worker.owner or WORKER_STARTED.search(worker.output())
                if started and not worker.owner:
                    worker.owner = started.group(1)
            try:
                answers = httpx.get(f"{base}/deployment/count", timeout=2).status_code == 200
            except httpx.TransportError:
                answers = False
            if answers and all(worker.owner for worker in workers):
                return base, workers
            if time.monotonic() > deadline:
                self._fail(serve if not answers else workers[0], "did not start within 90 s")
            time.sleep(0.1)

    def stop(self, process: Process) -> int:
        """SIGTERM (after SIGCONT, should it be paused); returns the exit code."""
        if process.popen.poll() is None:
            process.send(signal.SIGCONT)
            process.popen.terminate()
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=30)
        return process.popen.returncode

    def close(self) -> None:
        for process in self.processes:
            self.stop(process)
        for process in self.processes:  # shown with the report of a failed test
            print(f"----- {process.name} (exit {process.popen.returncode}) -----")
            print(process.output()[-3000:])
        self.processes = []
