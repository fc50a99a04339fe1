"""`modbatch demo` cleans up the temporary database it made, however it ends."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

from tests.cli.conftest import ROOT, modbatch, modbatch_command

TEMPORARY = re.compile(r"^modbatch demo: [\d,]+ instances on sqlite:///(.+)/demo\.db$", re.M)


def test_demo_removes_its_temporary_database():
    """A finished demo deletes the temporary folder of its SQLite database and says so."""
    result = modbatch("demo", "-n", "30", env={"MODBATCH_DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr
    folder = TEMPORARY.search(result.stdout).group(1)
    assert "modified  30 instances" in result.stdout
    assert result.stdout.splitlines()[-1] == (f"modbatch demo: removed the temporary database "
                                              f"{folder}")
    assert not Path(folder).exists()


def test_an_interrupted_demo_removes_its_temporary_database():
    """Ctrl-C while instances start: one line, exit status 130, the folder is gone."""
    demo = subprocess.Popen([*modbatch_command(), "demo", "-n", "1000000"], cwd=ROOT,
                            env={**os.environ, "MODBATCH_DATABASE_URL": ""},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = demo.stdout.readline()
    folder = TEMPORARY.match(first.strip()).group(1)
    assert Path(folder).exists()
    demo.send_signal(signal.SIGINT)
    output, errors = demo.communicate(timeout=120)
    assert demo.returncode == 130
    assert "Traceback" not in errors
    assert errors.strip().splitlines()[-1] == "modbatch demo: interrupted"
    assert output.splitlines()[-1] == f"modbatch demo: removed the temporary database {folder}"
    assert not Path(folder).exists()


def test_a_terminated_demo_removes_its_temporary_database():
    """SIGTERM cleans up like Ctrl-C."""
    demo = subprocess.Popen([*modbatch_command(), "demo", "-n", "1000000"], cwd=ROOT,
                            env={**os.environ, "MODBATCH_DATABASE_URL": ""},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = TEMPORARY.match(demo.stdout.readline().strip()).group(1)
    demo.terminate()
    output, errors = demo.communicate(timeout=120)
    assert demo.returncode == 130 and "Traceback" not in errors
    assert not Path(folder).exists()


def test_a_named_database_is_kept(tmp_path):
    """With --database-url the demo leaves the database to its owner."""
    database = tmp_path / "kept.db"
    result = modbatch("demo", "-n", "10", "--database-url", f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    assert "removed" not in result.stdout
    assert database.exists()
