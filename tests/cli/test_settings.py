"""Bad settings and arguments: one line naming the variable or flag, exit status 2, no traceback."""

from __future__ import annotations

import os
from importlib import metadata

import pytest

from modbatch.settings import Settings, SettingError
from tests.cli.conftest import modbatch, one_line


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("MODBATCH_PORT", "abc", "MODBATCH_PORT must be an integer, not 'abc'"),
    ("MODBATCH_PORT", "99999", "MODBATCH_PORT must be a port number from 1 to 65535, not 99999"),
    ("MODBATCH_PORT", "0", "MODBATCH_PORT must be a port number from 1 to 65535, not 0"),
    ("MODBATCH_HOST", "nosuch.invalid",
     "MODBATCH_HOST must be an IP address or a host name that resolves, not 'nosuch.invalid'"),
    ("MODBATCH_JOB_EXECUTOR", "no", "MODBATCH_JOB_EXECUTOR must be true or false, not 'no'"),
    ("MODBATCH_JOB_EXECUTOR", "1", "MODBATCH_JOB_EXECUTOR must be true or false, not '1'"),
    ("MODBATCH_DATABASE_URL", "modbatch.db",
     "MODBATCH_DATABASE_URL is not a database URL: 'modbatch.db' (expected sqlite:///FILE or "
     "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB)"),
    ("MODBATCH_DATABASE_URL", "mysql://db/modbatch",
     "MODBATCH_DATABASE_URL names database 'mysql'; modbatch runs on SQLite and PostgreSQL "
     "(sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB)"),
    ("MODBATCH_DATABASE_URL", "postgresql+nosuch://db/modbatch",
     "MODBATCH_DATABASE_URL names driver 'nosuch', which SQLAlchemy does not know "
     "(sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB)"),
    ("MODBATCH_DATABASE_URL", "sqlite:////no/such/folder/modbatch.db",
     "MODBATCH_DATABASE_URL names a SQLite file in '/no/such/folder', a folder that does not "
     "exist"),
    ("MODBATCH_DEFAULT_RETRIES", "-1", "MODBATCH_DEFAULT_RETRIES must not be negative"),
    ("MODBATCH_JOB_LOCK_TIME_MS", "5m", "MODBATCH_JOB_LOCK_TIME_MS must be an integer, not '5m'"),
    ("MODBATCH_BATCH_POLL_TIME", "1.5", "MODBATCH_BATCH_POLL_TIME must be an integer, not '1.5'"),
    ("MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE", "instance-modification",
     "MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE needs TYPE=NUMBER pairs separated by commas, "
     "not 'instance-modification'"),
    ("MODBATCH_HISTORY_LEVEL", "most",
     "MODBATCH_HISTORY_LEVEL must be one of none, activity, audit, full"),
])
def test_a_bad_variable_is_one_line_naming_it(tmp_path, variable, value, message):
    """serve refuses a bad MODBATCH_* value before starting anything."""
    environment = {"MODBATCH_DATABASE_URL": f"sqlite:///{tmp_path}/unused.db", variable: value}
    result = modbatch("serve", env=environment)
    assert result.returncode == 2
    assert one_line(result) == f"modbatch: {message}"
    assert not (tmp_path / "unused.db").exists()


@pytest.mark.parametrize("command", ["worker", "demo", "db upgrade"])
def test_every_server_command_checks_the_settings(tmp_path, command):
    """worker, demo and db upgrade refuse bad settings the same way."""
    result = modbatch(*command.split(), env={"MODBATCH_JOB_EXECUTOR": "off"})
    assert result.returncode == 2
    assert one_line(result) == "modbatch: MODBATCH_JOB_EXECUTOR must be true or false, not 'off'"


@pytest.mark.parametrize(("args", "message"), [
    (["serve", "--port", "99999"],
     "modbatch serve: argument --port: must be a port number from 1 to 65535, not 99999"),
    (["serve", "--port", "http"],
     "modbatch serve: argument --port: must be an integer, not 'http'"),
    (["serve", "--database-url", "postgres://db/modbatch"],
     "modbatch serve: argument --database-url: names database 'postgres'; modbatch runs on SQLite "
     "and PostgreSQL (sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB)"),
    (["demo", "-n", "0"], "modbatch demo: argument -n/--instances: must be at least 1, not 0"),
    (["demo", "-n", "10k"],
     "modbatch demo: argument -n/--instances: must be an integer, not '10k'"),
    (["batch", "watch", "b1", "--interval", "0"],
     "modbatch batch watch: argument --interval: must be between 0.05 and 3600 seconds, not 0"),
    (["batch", "retry", "b1", "--retries", "-3"],
     "modbatch batch retry: argument --retries: must be at least 1, not -3"),
])
def test_a_bad_flag_is_one_line_naming_it(args, message):
    """Flags are checked by the parser: one line naming the flag, exit status 2."""
    result = modbatch(*args)
    assert result.returncode == 2
    command = message.split(":", 1)[0]
    assert one_line(result) == f"{message} (see {command} --help)"


def test_an_unknown_command_is_one_line():
    """A command that does not exist: one line listing the commands, exit status 2."""
    result = modbatch("batch", "frobnicate")
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("modbatch batch: argument COMMAND: invalid choice: 'frobnicate'")
    assert "retry" in line and line.endswith("(see modbatch batch --help)")


def test_a_missing_postgresql_driver_names_the_extra(tmp_path):
    """postgresql+psycopg without psycopg installed: install the postgres extra."""
    blocker = tmp_path / "site" / "psycopg"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('psycopg is not installed')\n")
    path = os.pathsep.join(filter(None, [str(tmp_path / "site"), os.environ.get("PYTHONPATH")]))
    result = modbatch("worker", env={
        "PYTHONPATH": path,
        "MODBATCH_DATABASE_URL": "postgresql+psycopg://modbatch@db.invalid/modbatch"})
    assert result.returncode == 2
    assert one_line(result) == (
        "modbatch: MODBATCH_DATABASE_URL needs the PostgreSQL driver psycopg 3, which is not "
        "installed: pip install '.[postgres]' (the postgres extra)")


def test_a_bad_server_url_is_one_line():
    """MODBATCH_URL that is no http(s) URL: one line naming it, exit status 2."""
    result = modbatch("batch", "list", env={"MODBATCH_URL": "127.0.0.1:8080"})
    assert result.returncode == 2
    assert one_line(result) == ("modbatch: MODBATCH_URL must be an http:// or https:// URL such "
                                "as http://127.0.0.1:8080/engine-rest, not '127.0.0.1:8080'")


def test_an_unreachable_database_is_one_line(tmp_path):
    """A database that cannot be opened: one line naming it and the setting, no traceback."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = modbatch("worker", env={"MODBATCH_DATABASE_URL": f"sqlite:///{folder}"})
    assert result.returncode == 1
    assert one_line(result).startswith(f"modbatch: cannot use the database sqlite:///{folder} "
                                       "(--database-url, MODBATCH_DATABASE_URL): ")


def test_version_prints_the_package_version():
    """`modbatch --version` prints the installed distribution's version."""
    result = modbatch("--version")
    assert (result.returncode, result.stdout) == (0, f"modbatch {metadata.version('modbatch')}\n")


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), (" False ", False), ("false", False), ("", True)])
def test_booleans_take_true_and_false_in_any_case(monkeypatch, value, expected):
    """MODBATCH_JOB_EXECUTOR accepts the words true and false in any case; empty is unset."""
    monkeypatch.setenv("MODBATCH_JOB_EXECUTOR", value)
    assert Settings.from_env().job_executor is expected


@pytest.mark.parametrize("value", ["no", "off", "0", "yes", "enabled"])
def test_booleans_refuse_other_words(monkeypatch, value):
    """Anything but true or false is refused rather than guessed."""
    monkeypatch.setenv("MODBATCH_JOB_EXECUTOR", value)
    with pytest.raises(SettingError) as refused:
        Settings.from_env()
    assert str(refused.value) == f"MODBATCH_JOB_EXECUTOR must be true or false, not {value!r}"


def test_a_port_out_of_range_is_refused_in_settings_too():
    """Settings built in code check the port range like the environment does."""
    with pytest.raises(SettingError) as refused:
        Settings(port=70000)
    assert str(refused.value) == "MODBATCH_PORT must be a port number from 1 to 65535, not 70000"
