"""Batch modification throughput on SQLite, with a raw-SQL floor measured in the same run.

For each K (instances per execution job) it measures:
- floor:    hand-written set-based SQL doing the same row changes per job of K instances
            (claim job, delete activity instance + task, insert new ones, bump revision,
            delete job; one transaction per job), the best an engine could do;
- modbatch: a real executeAsync batch (cancel theTask, startBeforeActivity theTask) run by
            the job executor, seed and monitor jobs included.
It prints instances/s and the ratio modbatch/floor, and modbatch's speed-up over K=1
(Camunda's default invocationsPerBatchJob).

    python bench/batch_throughput.py [--instances 10000] [--ks 1,10,100]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
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


def modbatch_rate(folder: Path, count: int, k: int, history_level: str = "full") -> float:
    settings = Settings(database_url=f"sqlite:///{folder}/modbatch-{k}.db", job_executor=False,
                        invocations_per_batch_job=k, history_level=history_level)
    engine = ProcessEngine(settings)
    install(engine)
    with engine.transaction() as session:
        [definition] = repository.deploy(session, name="bench", source=None, tenant_id=None,
                                         resources=[("bench.bpmn", MODEL)],
                                         max_resource_bytes=1 << 20).definitions
    for offset in range(0, count, 5000):
        with engine.transaction() as session:
            instances.start_many(session, definition, min(5000, count - offset))
    started = time.perf_counter()
    with engine.transaction() as session:
        request = modification.collect_request(session, {
            "processDefinitionId": definition.id,
            "processInstanceQuery": {"processDefinitionKey": "bench"},
            "instructions": [{"type": "cancel", "activityId": "theTask"},
                             {"type": "startBeforeActivity", "activityId": "theTask"}]})
        batches.create_modification_batch(session, request, replace(settings), tenant_id=None,
                                          deployment_id=definition.deployment_id)
    engine.job_executor.run_until_idle()
    elapsed = time.perf_counter() - started
    with engine.read() as session:
        assert instances.count(session, {"activityIdIn": ["theTask"]}) == count
    engine.close()
    return count / elapsed


def floor_rate(folder: Path, count: int, k: int) -> float:
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
    started = time.perf_counter()
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
    elapsed = time.perf_counter() - started
    db.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--ks", default="1,10,100")
    parser.add_argument("--history-level", default="full",
                        choices=["none", "activity", "audit", "full"],
                        help="modbatch's history level (the floor writes no history)")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="modbatch-bench-"))
    print(f"{args.instances:,} instances per run, SQLite, one job executor thread, "
          f"history level {args.history_level}\n")
    print(f"{'K':>6} {'floor inst/s':>14} {'modbatch inst/s':>16} {'modbatch/floor':>15} "
          f"{'vs K=1':>8}")
    base = None
    for k in ks:
        count = min(args.instances, 2_000) if k == 1 else args.instances
        floor = floor_rate(folder, count, k)
        rate = modbatch_rate(folder, count, k, args.history_level)
        base = base or rate
        print(f"{k:>6} {floor:>14,.0f} {rate:>16,.0f} {rate / floor:>15.2f} {rate / base:>8.1f}x")


if __name__ == "__main__":
    main()
