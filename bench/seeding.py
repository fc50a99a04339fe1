"""Shared by the bench scripts: databases, a fast set-based instance seeder, a served modbatch.

``deploy_and_seed`` starts ONE instance through the engine (so its rows are exactly what the
engine writes) and then clones that template instance N times with one ``INSERT ... SELECT``
per table, every id in it replaced by a fresh id in the engine's layout generated in SQL. A million instances take
seconds instead of minutes, and the rows are identical in shape to started ones.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
from sqlalchemy import Column, Integer, MetaData, String, Table, cast, create_engine, func, insert, literal, null, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from modbatch.engine import instances, repository
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.settings import Settings
from modbatch.store import schema
from modbatch.store.tables import SQLModel

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="bench">
  <process id="bench" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="theTask"/>
    <userTask id="theTask"/><sequenceFlow id="f2" sourceRef="theTask" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# tables holding the rows of one instance, and the column naming the instance
INSTANCE_TABLES = {
    "process_instance": "id", "activity_instance": "process_instance_id",
    "task": "process_instance_id", "variable": "process_instance_id",
    "historic_process_instance": "id", "historic_activity_instance": "process_instance_id",
    "historic_variable_instance": "process_instance_id",
}


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> str:
    """p50 / p99 / max in milliseconds."""
    return (f"p50 {percentile(values, 50) * 1000:7.1f} ms  p99 {percentile(values, 99) * 1000:7.1f} ms"
            f"  max {max(values) * 1000:7.1f} ms  (n={len(values)})")


def median(values: list[float]) -> float:
    return statistics.median(values)


# ---------------------------------------------------------------------------- databases
@contextmanager
def bench_database(server_url: str | None, folder: Path, name: str) -> Iterator[str]:
    """A fresh database: a SQLite file in ``folder``, or a new database on the PostgreSQL
    server ``server_url`` (dropped afterwards)."""
    if not server_url:
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    database = f"modbatch_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
        schema_engine = create_engine(url)
        schema.upgrade(schema_engine)  # what 'modbatch db upgrade' does
        schema_engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def deploy_and_seed(url: str, count: int, *, history_level: str = "full") -> str:
    """Create the schema, deploy the bench model and seed ``count`` waiting instances; returns the
    process definition id."""
    engine = ProcessEngine(Settings(database_url=url, job_executor=False,
                                    history_level=history_level))
    install(engine)
    with engine.transaction() as session:
        [definition] = repository.deploy(session, name="bench", source=None, tenant_id=None,
                                         resources=[("bench.bpmn", MODEL)],
                                         max_resource_bytes=1 << 20).definitions
        definition_id = definition.id
    if count:
        with engine.transaction() as session:
            [template] = instances.start_many(session, definition, 1)
    engine.close()
    if count > 1:
        bulk = create_engine(url, poolclass=StaticPool)  # one connection: the pragmas hold
        if bulk.dialect.name == "sqlite":  # a bulk load: no journal, no fsync, a big cache
            with bulk.connect() as connection:
                for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY",
                               "cache_size=-2000000"):
                    connection.exec_driver_sql(f"PRAGMA {pragma}")
        clone_instance(bulk, template, count - 1)
        if bulk.dialect.name == "sqlite":
            with bulk.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        bulk.dispose()
    return definition_id


def clone_instance(engine, template: str, copies: int) -> None:
    """Copy every row of instance ``template`` ``copies`` times, set-based, with fresh ids."""
    tables = {name: SQLModel.metadata.tables[name] for name in INSTANCE_TABLES}
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        rows: dict[str, list[dict]] = {}
        for name, table in tables.items():
            key = table.c[INSTANCE_TABLES[name]]
            rows[name] = [dict(r._mapping) for r in connection.execute(
                select(table).where(key == template))]
        found: list[str] = []
        for table_rows in rows.values():
            for row in table_rows:
                for value in row.values():
                    if isinstance(value, str):
                        found += [u for u in UUID.findall(value) if u not in found]
        definition_uuid = rows["process_instance"][0]["process_definition_id"].rsplit(":", 1)[-1]
        found = [u for u in found if u != definition_uuid]
        connection.execute(text("DROP TABLE IF EXISTS clone_ids"))
        # ids in the engine's layout (engine.runtime.new_id, UUID version 7): the template's
        # millisecond, as if 4,096 instances started per millisecond, a counter, random bits
        t0 = int(template.replace("-", "")[:12], 16)
        if postgres:
            t = f"lpad(to_hex({t0} + i / 4096), 12, '0')"
            uuids = ", ".join(
                f"substr({t},1,8)||'-'||substr({t},9,4)||'-7'||lpad(to_hex(i % 4096),3,'0')||'-'||"
                f"substr('89ab',1+floor(random()*4)::int,1)||substr(md5(random()::text),1,3)||'-'||"
                f"substr(md5(random()::text),1,12) AS u{k}" for k in range(len(found)))
            connection.execute(text(
                f"CREATE TEMP TABLE clone_ids AS SELECT i, {uuids} "
                f"FROM generate_series(1, {copies}) AS i"))
        else:
            blobs = ", ".join(f"lower(hex(randomblob(8))) AS h{k}" for k in range(len(found)))
            connection.execute(text(
                f"CREATE TEMP TABLE clone_hex AS WITH RECURSIVE n(i) AS "
                f"(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies}) "
                f"SELECT i, printf('%012x', {t0} + i / 4096) AS t, printf('%03x', i % 4096) AS c, "
                f"{blobs} FROM n"))
            formatted = ", ".join(
                f"substr(t,1,8)||'-'||substr(t,9,4)||'-7'||c||'-'||"
                f"substr('89ab',1+(unicode(substr(h{k},1,1))%4),1)||substr(h{k},2,3)||'-'||"
                f"substr(h{k},5,12) AS u{k}" for k in range(len(found)))
            connection.execute(text(f"CREATE TEMP TABLE clone_ids AS SELECT i, {formatted} "
                                    f"FROM clone_hex"))
            connection.execute(text("DROP TABLE clone_hex"))
        ids = Table("clone_ids", MetaData(), Column("i", Integer),
                    *(Column(f"u{k}", String) for k in range(len(found))))
        for name, table in tables.items():
            if not rows[name]:
                continue
            started = time.perf_counter()
            # secondary indexes are dropped and rebuilt (a sort) rather than grown by random
            # inserts; rows go in primary-key order
            indexes = list(table.indexes)
            for index in indexes:
                index.drop(connection)
            for row in rows[name]:
                exprs = [_cloned(column, row[column.name], found, ids) for column in table.columns]
                key = exprs[[c.name for c in table.columns].index(table.primary_key.columns[0].name)]
                connection.execute(insert(table).from_select(
                    [c.name for c in table.columns],
                    select(*exprs).select_from(ids).order_by(key)))
            for index in indexes:
                index.create(connection)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"  {name}: {time.perf_counter() - started:.2f} s", file=sys.stderr)
        connection.execute(text("DROP TABLE clone_ids"))
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def _cloned(column, value, found: list[str], ids):
    """The column's value in a clone: template uuids replaced by the clone's, counters shifted."""
    if value is None:
        return cast(null(), column.type)
    if column.name == "sequence_counter":
        return cast(literal(value) + ids.c.i * 16, column.type)
    if isinstance(value, str) and any(u in value for u in found):
        parts = re.split(f"({'|'.join(found)})", value)
        expr = None
        for part in parts:
            if part == "":
                continue
            piece = ids.c[f"u{found.index(part)}"] if part in found else literal(part)
            expr = piece if expr is None else expr.concat(piece)
        return expr
    return literal(value, column.type)


def count_rows(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = connection.execute(select(func.count()).select_from(text(table))).scalar_one()
    engine.dispose()
    return result


# ---------------------------------------------------------------------------- a served modbatch
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``modbatch serve`` in a child process (this checkout's sources), on a free port."""

    def __init__(self, url: str, *, job_executor: bool = True, env: dict[str, str] | None = None,
                 log: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/engine-rest"
        source = str(Path(__file__).resolve().parents[1] / "src")
        environment = {**os.environ, **(env or {}),
                       "PYTHONPATH": os.pathsep.join(
                           [source, *filter(None, [os.environ.get("PYTHONPATH")])])}
        command = [sys.executable, "-m", "modbatch.cli", "serve", "--port", str(self.port),
                   "--database-url", url]
        if not job_executor:
            command.append("--no-job-executor")
        self.log = log or Path(tempfile.mkstemp(prefix="modbatch-serve-", suffix=".log")[1])
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(command, env=environment, stdout=self._log_file,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/batch/count", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"modbatch serve did not start; see {self.log}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_mb(self) -> float:
        """VmHWM: the serving process's resident-set high-water mark."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
