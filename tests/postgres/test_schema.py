"""The schema under several processes: migrations, `modbatch db upgrade` run by many nodes at
once, and two servers deploying one model at the same time. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import warnings

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import BigInteger, Integer, inspect, text
from sqlmodel import SQLModel

from modbatch.store import schema
from modbatch.store.database import database_engine
from tests.conftest import model_path
from tests.postgres.processes import Cluster, environment

def _modbatch(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modbatch.cli", *args, "--database-url", url],
                          env=environment(url), capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def empty_url(databases, tmp_path):
    url = databases.empty(tmp_path)
    yield url
    databases.drop(url)


def _migrate(url: str, revision: str) -> None:
    engine = database_engine(url)
    with engine.begin() as connection:
        config = schema._config(connection)
        command.upgrade(config, revision)
    engine.dispose()


def _integer_widening(difference) -> bool:
    return (isinstance(difference, list) and difference[0][0] == "modify_type"
            and isinstance(difference[0][5], Integer) and isinstance(difference[0][6], BigInteger))


def test_the_migrations_build_exactly_the_schema_the_code_declares(empty_url):
    """Running every migration from an empty database leaves no difference to the tables in code."""
    _migrate(empty_url, "head")
    engine = database_engine(empty_url)
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection cannot read the expression index on (key, version, tenant)
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        revision = MigrationContext.configure(connection).get_current_revision()
        if connection.dialect.name == "sqlite":  # INTEGER is 64-bit there: nothing to widen
            differences = [d for d in differences if not _integer_widening(d)]
    engine.dispose()
    assert differences == []
    assert revision == schema.head()


def test_a_database_from_before_migrations_is_upgraded_and_keeps_its_rows(empty_url):
    """A schema created by an older modbatch (no revision table) is adopted, migrated, and keeps
    its data; Long columns then take 64-bit values."""
    _migrate(empty_url, schema.FIRST_REVISION)
    engine = database_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text(
            "INSERT INTO deployment (id, name, deployment_time) VALUES ('d1', 'old', "
            "'2026-01-01 00:00:00')"))
    engine.dispose()

    result = _modbatch(empty_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"modbatch db: schema at revision {schema.head()} (upgraded from unversioned)")
    engine = database_engine(empty_url)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT name FROM deployment")).scalars().all() == ["old"]
        connection.execute(text(
            "INSERT INTO job (id, type, handler_type, create_time, retries, suspended, priority, "
            "exclusive) VALUES ('j1', 'message', 'h', '2026-01-01 00:00:00', 1, false, "
            ":priority, true)"), {"priority": 2**63 - 1})
        assert connection.execute(text("SELECT priority FROM job")).scalar_one() == 2**63 - 1
    engine.dispose()
    again = _modbatch(empty_url, "db", "upgrade")
    assert again.stdout.strip() == f"modbatch db: schema at revision {schema.head()} (unchanged)"


def test_several_nodes_upgrading_at_once_all_succeed(empty_url):
    """Four `modbatch db upgrade` processes started together on an empty database: one creates
    the schema, the others find it done; none fails."""
    processes = [subprocess.Popen(
        [sys.executable, "-m", "modbatch.cli", "db", "upgrade", "--database-url", empty_url],
        env=environment(empty_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], outputs
    changes = sorted(out.strip().rsplit("(", 1)[1] for out, _ in outputs)
    assert changes == ["created)", "unchanged)", "unchanged)", "unchanged)"]
    engine = database_engine(empty_url)
    assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_a_worker_refuses_a_postgresql_database_without_the_schema(databases, empty_url):
    """On PostgreSQL nothing but `modbatch db upgrade` changes the schema: a worker started on an
    empty database stops at once with one line naming that command."""
    if not databases.postgres:
        pytest.skip("on SQLite the server creates and upgrades its schema by itself")
    result = _modbatch(empty_url, "worker", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"modbatch: the database has no modbatch schema, this modbatch needs {schema.head()}: "
        f"run 'modbatch db upgrade' (with the same MODBATCH_DATABASE_URL) first")


def test_two_servers_deploying_one_model_at_once_give_distinct_versions(database_url, tmp_path):
    """Twenty deployments of one model through two servers at the same time: every one
    succeeds, and the versions are 1 to 20, each once."""
    folders = [tmp_path / f"node{i}" for i in range(2)]
    for folder in folders:
        folder.mkdir()
    clusters = [Cluster(folder) for folder in folders]
    try:
        for cluster in clusters:
            cluster.launch(database_url, workers=0)
        bases = [cluster.ready()[0] for cluster in clusters]
        xml = model_path("oneTaskProcess.bpmn20.xml").read_bytes()

        def deploy(n: int) -> int:
            base = bases[n % 2]
            response = httpx.post(f"{base}/deployment/create", timeout=60,
                                  files={"data": ("one.bpmn", xml, "text/xml")},
                                  data={"deployment-name": f"d{n}"})
            return response.status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(deploy, range(20)))
        assert statuses == [200] * 20
        definitions = httpx.get(f"{bases[0]}/process-definition",
                                params={"key": "oneTaskProcess", "sortBy": "version",
                                        "sortOrder": "asc"}).json()
        assert [d["version"] for d in definitions] == list(range(1, 21))
        latest = httpx.get(f"{bases[1]}/process-definition/key/oneTaskProcess").json()
        assert latest["version"] == 20
    finally:
        for cluster in clusters:
            cluster.close()


def test_postgresql_connections_carry_the_configured_timeouts(databases, database_url):
    """Every pooled connection sets the statement, lock and idle-in-transaction timeouts, so a
    stalled node cannot keep row locks for longer than configured."""
    if not databases.postgres:
        pytest.skip("server-side timeouts are PostgreSQL settings")
    from modbatch.engine.process_engine import ProcessEngine
    from modbatch.settings import Settings

    engine = ProcessEngine(Settings(
        database_url=database_url, job_executor=False, db_pool_size=2,
        db_statement_timeout_ms=4321, db_lock_timeout_ms=1234,
        db_idle_in_transaction_timeout_ms=5678))
    try:
        with engine.read() as session:
            shown = [session.execute(text(f"SHOW {name}")).scalar_one() for name in (
                "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")]
        assert shown == ["4321ms", "1234ms", "5678ms"]
        assert engine.database.engine.pool.size() == 2
    finally:
        engine.close()
