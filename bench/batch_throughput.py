"""Batch modification throughput, with a raw-SQL floor measured in the same run.

For each K (instances per execution job) it measures:
- floor:    hand-written set-based SQL doing the same row changes per job of K instances
            (claim job, delete activity instance + task, insert new ones, bump revision,
            delete job; one transaction per job), the best an engine could do;
- modbatch: a real executeAsync batch (cancel theTask, startBeforeActivity theTask) run by
            the job executor, seed and monitor jobs included.
It prints instances/s and the ratio modbatch/floor, modbatch's speed-up over K=1 (Camunda's
default invocationsPerBatchJob) and the CPU time each spends per instance.

On SQLite (the default) both run in this process, one job executor thread. With
``--database-url`` of a PostgreSQL server (an admin URL: each run creates and drops its own
database) the floor runs the same statements with psycopg in W processes (inserting with COPY,
as modbatch does there) and modbatch runs as W ``modbatch worker`` processes, for each W of
``--workers``; it adds the workers' CPU per
instance (their own CPU time, from /proc) and the database's lock waits during the run
(pg_locks sampled every 20 ms, and pg_stat_database deadlocks).

    python bench/batch_throughput.py [--instances 10000] [--ks 1,10,100]
    python bench/batch_throughput.py --database-url postgresql+psycopg://postgres@127.0.0.1:5544/postgres \
        --ks 100 --workers 1,2,4
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

from modbatch.engine import batches, instances, modification, repository
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.settings import Settings

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="bench">
  <process id="bench" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="theTask"/>
    <userTask id="theTask"/><sequenceFlow id="f2" sourceRef="theTask" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""
INSTRUCTIONS = [{"type": "cancel", "activityId": "theTask"},
                {"type": "startBeforeActivity", "activityId": "theTask"}]


def prepare(settings: Settings, count: int) -> tuple[ProcessEngine, object]:
    """A fresh engine with the bench model deployed and ``count`` instances waiting in theTask."""
    engine = ProcessEngine(settings)
    install(engine)
    with engine.transaction() as session:
        [definition] = repository.deploy(session, name="bench", source=None, tenant_id=None,
                                         resources=[("bench.bpmn", MODEL)],
                                         max_resource_bytes=1 << 20).definitions
    for offset in range(0, count, 5000):
        with engine.transaction() as session:
            instances.start_many(session, definition, min(5000, count - offset))
    return engine, definition


def create_batch(engine: ProcessEngine, definition, settings: Settings) -> str:
    with engine.transaction() as session:
        request = modification.collect_request(session, {
            "processDefinitionId": definition.id,
            "processInstanceQuery": {"processDefinitionKey": "bench"},
            "instructions": INSTRUCTIONS})
        return batches.create_modification_batch(session, request, replace(settings), tenant_id=None,
                                                 deployment_id=definition.deployment_id).id


def modbatch_rate(folder: Path, count: int, k: int, history_level: str = "full") -> tuple[float, float]:
    """SQLite, one job executor thread in this process: (instances/s, CPU seconds per instance)."""
    settings = Settings(database_url=f"sqlite:///{folder}/modbatch-{k}.db", job_executor=False,
                        invocations_per_batch_job=k, history_level=history_level)
    engine, definition = prepare(settings, count)
    started, cpu = time.perf_counter(), time.process_time()
    create_batch(engine, definition, settings)
    engine.job_executor.run_until_idle()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    with engine.read() as session:
        assert instances.count(session, {"activityIdIn": ["theTask"]}) == count
    engine.close()
    return count / elapsed, cpu / count


def floor_rate(folder: Path, count: int, k: int) -> tuple[float, float]:
    """The same row changes in hand-written SQL, K instances per job, one transaction per job."""
    db = sqlite3.connect(folder / f"floor-{k}.db", isolation_level=None)
    db.executescript("""
        PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
        PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192;
        CREATE TABLE pi (id TEXT PRIMARY KEY, rev INTEGER);
        CREATE TABLE ai (id TEXT PRIMARY KEY, pi TEXT, activity TEXT);
        CREATE INDEX ai_pi ON ai(pi);
        CREATE TABLE task (id TEXT PRIMARY KEY, pi TEXT, ai TEXT);
        CREATE INDEX task_pi ON task(pi);
        CREATE TABLE job (id TEXT PRIMARY KEY, lo INTEGER, hi INTEGER, lock TEXT);
        CREATE TABLE item (seq INTEGER PRIMARY KEY, pi TEXT);""")
    ids = [str(uuid.uuid4()) for _ in range(count)]
    db.execute("BEGIN")
    db.executemany("INSERT INTO pi VALUES (?, 1)", [(i,) for i in ids])
    db.executemany("INSERT INTO item VALUES (?, ?)", list(enumerate(ids)))
    rows = [(f"theTask:{uuid.uuid4()}", i) for i in ids]
    db.executemany("INSERT INTO ai VALUES (?, ?, 'theTask')", [(a, i) for a, i in rows])
    db.executemany("INSERT INTO task VALUES (?, ?, ?)", [(str(uuid.uuid4()), i, a) for a, i in rows])
    db.executemany("INSERT INTO job VALUES (?, ?, ?, NULL)",
                   [(str(uuid.uuid4()), lo, min(lo + k, count) - 1) for lo in range(0, count, k)])
    db.execute("COMMIT")
    started, cpu = time.perf_counter(), time.process_time()
    while True:
        db.execute("BEGIN IMMEDIATE")
        job = db.execute("SELECT id, lo, hi FROM job WHERE lock IS NULL LIMIT 1").fetchone()
        if job is None:
            db.execute("COMMIT")
            break
        job_id, lo, hi = job
        db.execute("UPDATE job SET lock = 'me' WHERE id = ?", (job_id,))
        batch = [row[0] for row in db.execute("SELECT pi FROM item WHERE seq BETWEEN ? AND ?", (lo, hi))]
        marks = ",".join("?" * len(batch))
        db.execute(f"SELECT * FROM ai WHERE pi IN ({marks})", batch).fetchall()
        db.execute(f"DELETE FROM task WHERE pi IN ({marks})", batch)
        db.execute(f"DELETE FROM ai WHERE pi IN ({marks})", batch)
        new = [(f"theTask:{uuid.uuid4()}", i) for i in batch]
        db.executemany("INSERT INTO ai VALUES (?, ?, 'theTask')", new)
        db.executemany("INSERT INTO task VALUES (?, ?, ?)", [(str(uuid.uuid4()), i, a) for a, i in new])
        db.execute(f"UPDATE pi SET rev = rev + 1 WHERE id IN ({marks})", batch)
        db.execute("DELETE FROM job WHERE id = ?", (job_id,))
        db.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.close()
    return count / elapsed, cpu / count


# ---------------------------------------------------------------------------- PostgreSQL
class Server:
    """A PostgreSQL server given by an admin URL; hands out fresh databases and drops them."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        self.prefix = f"mbbench_{os.getpid()}"
        self.created: list[str] = []

    def admin(self):
        import psycopg

        return psycopg.connect(self.conninfo(self.url.database or "postgres"), autocommit=True)

    def conninfo(self, database: str) -> str:
        u = self.url
        parts = [f"dbname={database}", f"host={u.host or 'localhost'}", f"port={u.port or 5432}",
                 f"user={u.username or 'postgres'}"]
        if u.password:
            parts.append(f"password={u.password}")
        return " ".join(parts)

    def fresh(self, label: str) -> str:
        name = f"{self.prefix}_{label}_{len(self.created)}"
        with self.admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
            db.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def sqlalchemy_url(self, database: str) -> str:
        return self.url.set(drivername="postgresql+psycopg", database=database) \
            .render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin() as db:
            for name in self.created:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def _pg_floor_worker(conninfo: str, go, done) -> None:
    """One floor worker: claim a job (SKIP LOCKED), change its K instances, delete it; commit."""
    import psycopg

    db = psycopg.connect(conninfo)
    [(backend,)] = db.execute("SELECT pg_backend_pid()").fetchall()
    db.commit()
    go.wait()
    cpu, server = time.process_time(), _cpu_seconds(backend)
    while True:
        with db.transaction():
            job = db.execute("SELECT id, lo, hi FROM job WHERE lock IS NULL LIMIT 1 "
                             "FOR UPDATE SKIP LOCKED").fetchone()
            if job is None:
                break
            job_id, lo, hi = job
            db.execute("UPDATE job SET lock = 'me' WHERE id = %s", (job_id,))
            batch = [row[0] for row in db.execute("SELECT pi FROM item WHERE seq BETWEEN %s AND %s",
                                                  (lo, hi))]
            db.execute("SELECT * FROM ai WHERE pi = ANY(%s)", (batch,)).fetchall()
            db.execute("DELETE FROM task WHERE pi = ANY(%s)", (batch,))
            db.execute("DELETE FROM ai WHERE pi = ANY(%s)", (batch,))
            new = [(f"theTask:{uuid.uuid4()}", i) for i in batch]
            with db.cursor() as cursor:  # COPY: PostgreSQL's cheapest insert of many rows
                with cursor.copy("COPY ai (id, pi, activity) FROM STDIN") as copy:
                    for a, i in new:
                        copy.write_row((a, i, "theTask"))
                with cursor.copy("COPY task (id, pi, ai) FROM STDIN") as copy:
                    for a, i in new:
                        copy.write_row((str(uuid.uuid4()), i, a))
            db.execute("UPDATE pi SET rev = rev + 1 WHERE id = ANY(%s)", (batch,))
            db.execute("DELETE FROM job WHERE id = %s", (job_id,))
    done.put((time.process_time() - cpu, _cpu_seconds(backend) - server))
    db.close()


def pg_floor_rate(server: Server, count: int, k: int, workers: int) -> tuple[float, float, float]:
    """The floor on PostgreSQL in ``workers`` processes: (instances/s, worker CPU s/instance,
    server CPU s/instance)."""
    import psycopg

    conninfo = server.conninfo(server.fresh(f"floor{k}w{workers}"))
    with psycopg.connect(conninfo) as db:
        db.execute("""
            CREATE TABLE pi (id TEXT PRIMARY KEY, rev INTEGER);
            CREATE TABLE ai (id TEXT PRIMARY KEY, pi TEXT, activity TEXT);
            CREATE INDEX ai_pi ON ai(pi);
            CREATE TABLE task (id TEXT PRIMARY KEY, pi TEXT, ai TEXT);
            CREATE INDEX task_pi ON task(pi);
            CREATE TABLE job (id TEXT PRIMARY KEY, lo INTEGER, hi INTEGER, lock TEXT);
            CREATE TABLE item (seq INTEGER PRIMARY KEY, pi TEXT);""")
        ids = [str(uuid.uuid4()) for _ in range(count)]
        rows = [(f"theTask:{uuid.uuid4()}", i) for i in ids]
        with db.cursor() as cursor:
            cursor.executemany("INSERT INTO pi VALUES (%s, 1)", [(i,) for i in ids])
            cursor.executemany("INSERT INTO item VALUES (%s, %s)", list(enumerate(ids)))
            cursor.executemany("INSERT INTO ai VALUES (%s, %s, 'theTask')", rows)
            cursor.executemany("INSERT INTO task VALUES (%s, %s, %s)",
                               [(str(uuid.uuid4()), i, a) for a, i in rows])
            cursor.executemany("INSERT INTO job VALUES (%s, %s, %s, NULL)",
                               [(str(uuid.uuid4()), lo, min(lo + k, count) - 1)
                                for lo in range(0, count, k)])
        db.execute("ANALYZE")
    context = multiprocessing.get_context("fork")
    go, done = context.Event(), context.Queue()
    processes = [context.Process(target=_pg_floor_worker, args=(conninfo, go, done))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    time.sleep(0.5)  # connected and waiting
    started = time.perf_counter()
    go.set()
    spent = [done.get() for _ in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    return count / elapsed, sum(c for c, _ in spent) / count, sum(s for _, s in spent) / count


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends(db) -> dict[int, float]:
    """CPU seconds of the server processes serving this database, by pid (a local server)."""
    result = {}
    for (pid,) in db.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                             "AND pid <> pg_backend_pid()").fetchall():
        try:
            result[pid] = _cpu_seconds(pid)
        except OSError:  # ended meanwhile, or a server on another machine
            pass
    return result


class LockWatch(threading.Thread):
    """Samples pg_locks for ungranted locks of one database every 20 ms."""

    def __init__(self, conninfo: str) -> None:
        super().__init__(daemon=True)
        self.conninfo, self.samples, self.waiting, self.peak = conninfo, 0, 0, 0
        self.halt = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as db:
            while not self.halt.is_set():
                [(waiting,)] = db.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                    "WHERE NOT l.granted AND a.datname = current_database()").fetchall()
                self.samples += 1
                self.waiting += bool(waiting)
                self.peak = max(self.peak, waiting)
                self.halt.wait(0.02)


def pg_modbatch_rate(server: Server, count: int, k: int, workers: int,
                     history_level: str) -> dict[str, float]:
    """modbatch on PostgreSQL with ``workers`` ``modbatch worker`` processes."""
    import psycopg

    database = server.fresh(f"modbatch{k}w{workers}")
    url = server.sqlalchemy_url(database)
    settings = Settings(database_url=url, job_executor=False, invocations_per_batch_job=k,
                        history_level=history_level)
    from sqlalchemy import create_engine

    from modbatch.store import schema

    built = create_engine(url)
    schema.upgrade(built)  # what `modbatch db upgrade` does
    built.dispose()
    engine, definition = prepare(settings, count)
    with psycopg.connect(server.conninfo(database), autocommit=True) as db:
        db.execute("ANALYZE")
    env = {**os.environ, "MODBATCH_HISTORY_LEVEL": history_level,
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    logs, processes = [], []
    for number in range(workers):
        log = tempfile.TemporaryFile()
        logs.append(log)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "modbatch.cli", "worker", "--database-url", url],
            env=env, stdout=subprocess.PIPE, stderr=log, text=True))
    for process in processes:
        process.stdout.readline()  # "modbatch worker ...: executing jobs from ..."
    cpu = [_cpu_seconds(p.pid) for p in processes]
    with psycopg.connect(server.conninfo(database), autocommit=True) as db:
        backends = _backends(db)
        [(deadlocks,)] = db.execute("SELECT deadlocks FROM pg_stat_database "
                                    "WHERE datname = current_database()").fetchall()
        watch = LockWatch(server.conninfo(database))
        watch.start()
        started = time.perf_counter()
        batch_id = create_batch(engine, definition, settings)
        while not db.execute("SELECT 1 FROM historic_batch WHERE id = %s AND end_time IS NOT NULL",
                             (batch_id,)).fetchall():
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        cpu = sum(_cpu_seconds(p.pid) - before for p, before in zip(processes, cpu))
        server_cpu = sum(spent - backends.get(pid, 0.0) for pid, spent in _backends(db).items())
        watch.halt.set()
        watch.join()
        [(deadlocks_after,)] = db.execute("SELECT deadlocks FROM pg_stat_database "
                                          "WHERE datname = current_database()").fetchall()
    for process in processes:
        process.terminate()
    failures = 0
    for process, log in zip(processes, logs):
        process.wait(timeout=60)
        log.seek(0)
        failures += sum(b" failed" in line for line in log)
    with engine.read() as session:
        assert instances.count(session, {"activityIdIn": ["theTask"]}) == count
    engine.close()
    return {"rate": count / elapsed, "cpu": cpu / count, "server_cpu": server_cpu / count,
            "lock_samples": watch.samples,
            "lock_waiting": watch.waiting, "lock_peak": watch.peak,
            "deadlocks": deadlocks_after - deadlocks, "failed_runs": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--ks", default="1,10,100")
    parser.add_argument("--history-level", default="full",
                        choices=["none", "activity", "audit", "full"],
                        help="modbatch's history level (the floor writes no history)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server's admin URL (postgresql+psycopg://...); "
                             "SQLite files in a temporary folder when unset")
    parser.add_argument("--workers", default="1,2,4",
                        help="PostgreSQL: worker processes, one run per number (default 1,2,4)")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    if args.database_url:
        postgres(args, ks)
        return
    folder = Path(tempfile.mkdtemp(prefix="modbatch-bench-"))
    print(f"{args.instances:,} instances per run, SQLite, one job executor thread, "
          f"history level {args.history_level}\n")
    print(f"{'K':>6} {'floor inst/s':>14} {'modbatch inst/s':>16} {'modbatch/floor':>15} "
          f"{'vs K=1':>8} {'floor CPU us/inst':>18} {'modbatch CPU us/inst':>21}")
    base = None
    for k in ks:
        count = min(args.instances, 2_000) if k == 1 else args.instances
        floor, floor_cpu = floor_rate(folder, count, k)
        rate, cpu = modbatch_rate(folder, count, k, args.history_level)
        base = base or rate
        print(f"{k:>6} {floor:>14,.0f} {rate:>16,.0f} {rate / floor:>15.2f} {rate / base:>8.1f}x "
              f"{floor_cpu * 1e6:>18,.0f} {cpu * 1e6:>21,.0f}")


def postgres(args, ks: list[int]) -> None:
    server = Server(args.database_url)
    workers = [int(w) for w in args.workers.split(",")]
    print(f"{args.instances:,} instances per run, PostgreSQL at {server.url.host}:{server.url.port}, "
          f"history level {args.history_level}; W floor processes / W 'modbatch worker' processes\n")
    print("CPU in us per instance: 'client' = the floor's or modbatch's worker processes, "
          "'server' = their PostgreSQL backends\n")
    print(f"{'K':>6} {'W':>3} {'floor inst/s':>14} {'modbatch inst/s':>16} {'modbatch/floor':>15} "
          f"{'floor client':>13} {'floor server':>13} {'modbatch client':>16} "
          f"{'modbatch server':>16} {'lock waits':>11} {'deadlocks':>10} {'failed runs':>12}")
    try:
        for k in ks:
            count = min(args.instances, 2_000) if k == 1 else args.instances
            for w in workers:
                floor, floor_cpu, floor_server = pg_floor_rate(server, count, k, w)
                result = pg_modbatch_rate(server, count, k, w, args.history_level)
                waits = f"{result['lock_waiting']}/{result['lock_samples']}"
                print(f"{k:>6} {w:>3} {floor:>14,.0f} {result['rate']:>16,.0f} "
                      f"{result['rate'] / floor:>15.2f} {floor_cpu * 1e6:>13,.0f} "
                      f"{floor_server * 1e6:>13,.0f} {result['cpu'] * 1e6:>16,.0f} "
                      f"{result['server_cpu'] * 1e6:>16,.0f} {waits:>11} {result['deadlocks']:>10} "
                      f"{result['failed_runs']:>12}", flush=True)
                server.drop_all()
    finally:
        server.drop_all()


if __name__ == "__main__":
    main()
