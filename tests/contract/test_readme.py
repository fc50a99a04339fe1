"""The README stays true: CI runs its test command, and it documents every setting."""

from __future__ import annotations

import re
from pathlib import Path

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
