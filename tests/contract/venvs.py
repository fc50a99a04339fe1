"""Throw-away virtual environments for third-party clients, cached under `<repo>/.cache/`.

A client under test (a generator, Camunda's own Python client) lives in its own venv so that
its dependencies never touch the project's. A venv is built once per requirement list and
reused while its stamp matches; building it needs the package index, and a build that fails
(no network, an unknown version) fails the test with pip's own words rather than skipping it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
SCRIPTS = Path(__file__).with_name("clients")

PIP_TIMEOUT_S = 600
STAMP = "modbatch-requirements.txt"


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(command: list[str | Path], *, timeout: float, what: str,
        env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a command to completion within `timeout` seconds; fail the test if it does not."""
    try:
        result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                                timeout=timeout, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"") + (expired.stderr or b"")
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        pytest.fail(f"{what}: still running after {timeout:.0f} s\n{_tail(output)}",
                    pytrace=False)
    if result.returncode != 0:
        pytest.fail(f"{what}: exit code {result.returncode}\n"
                    f"{_tail(result.stdout + result.stderr)}", pytrace=False)
    return result.stdout + result.stderr


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def cached_venv(name: str, requirements: list[str]) -> Path:
    """`<repo>/.cache/<name>/venv` with exactly `requirements` installed (built when missing)."""
    venv = CACHE / name / "venv"
    wanted = "\n".join(requirements) + "\n"
    stamp = venv / STAMP
    if python_of(venv).exists() and stamp.exists() and stamp.read_text() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "venv", venv], timeout=120, what=f"python -m venv {venv}")
    try:
        run([python_of(venv), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
             "--timeout", "30", "--retries", "2", *requirements],
            timeout=PIP_TIMEOUT_S, env={**os.environ, "PIP_NO_INPUT": "1"},
            what=f"installing {' '.join(requirements)} into {venv} from the package index "
                 f"(is PyPI reachable from this machine?)")
    except BaseException:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    stamp.write_text(wanted)
    return venv


def run_script(venv: Path, script: str, *arguments: str | Path, timeout: float) -> str:
    """Run `clients/<script>` with the venv's Python; its output is returned (or shown on failure)."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return run([python_of(venv), SCRIPTS / script, *arguments], timeout=timeout,
               what=f"{script} in {venv}", env=environment)


def readme_commands(section: str, program: str) -> list[list[str]]:
    """The command lines of README.md's `## <section>` shell blocks that run `program` (each
    split as the shell would, comments dropped), so that a test runs what the README shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n## {section}\n")
    end = readme.find("\n## ", start + 1)
    found = []
    for block in re.findall(r"```sh\n(.*?)```", readme[start:end if end > 0 else None], re.S):
        for line in block.splitlines():
            for command in re.split(r"\s*&&\s*", line):
                words = shlex.split(command, comments=True)
                if words and words[0] == program:
                    found.append(words)
    if not found:
        pytest.fail(f"README.md, section {section!r}, shows no `{program}` command", pytrace=False)
    return found
