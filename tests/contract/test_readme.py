"""The README stays true: CI runs its test command, and it documents every setting."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    """.ci/run contains the README's test command verbatim."""
    [command] = [line for block in _shell_blocks(README) for line in block.splitlines()
                 if "scripts/test" in line and "pip install" in line]
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    """Each MODBATCH_* variable that settings.py reads has a row in the README."""
    settings = (ROOT / "src" / "modbatch" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'"(MODBATCH_[A-Z_]+)"', settings))
    assert variables, "settings.py reads no MODBATCH_* variable"
    missing = sorted(v for v in variables if v not in README)
    assert missing == []


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_ci_installs_the_packages_the_readme_names():
    """Every Debian package of the README's `apt-get install` line is installed by .ci/run."""
    [line] = [line for block in _shell_blocks(_section("Set up")) for line in block.splitlines()
              if line.startswith("sudo apt-get install")]
    packages = [word for word in line.split()[3:] if not word.startswith("-")]
    assert packages
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [p for p in packages if not re.search(rf"\b{re.escape(p)}\b", ci)] == []


def test_the_curl_session_runs_as_written(server):
    """The README's curl session, run by bash against a real server, prints the ids it reuses,
    watches its batch to the end and shows the instance moved."""
    from tests.conftest import SHARED

    [block] = _shell_blocks(_section("A first session with curl"))
    assert block.startswith("B=http://127.0.0.1:8080/engine-rest\n")
    script = block.replace("http://127.0.0.1:8080/engine-rest", server, 1)
    script = script.replace("../shared/", f"{SHARED}/")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout
    definition = re.search(r"^process definition: (\S+)$", output, re.M).group(1)
    instance = re.search(r"^process instance: (\S+)$", output, re.M).group(1)
    batch = re.search(r"^batch: (\S+)$", output, re.M).group(1)
    assert definition.startswith("nestedOneTaskProcess:")
    trees = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    before, after = trees[0], trees[-1]
    assert before["processInstanceId"] == after["processInstanceId"] == instance
    assert sorted(c["activityId"] for c in before["childActivityInstances"]) == [
        "outerTask", "subProcess"]
    assert [c["activityId"] for c in after["childActivityInstances"]] == ["outerTask", "outerTask"]
    history = httpx.get(f"{server}/history/batch/{batch}").json()
    assert history["endTime"] is not None and history["endTime"] in output
