"""Batch creation: executeAsync with many ids against a raw baseline, a query over a million
instances, and the serving process's peak memory for a million-id request.

Seeds N instances (default 1,000,000; one started through the engine, the rest cloned from it
set-based, see seeding.py), then against ``modbatch serve --no-job-executor`` (so no batch starts
running) measures, each repeated and reported as the median:
- ids:       POST /modification/executeAsync with 100,000 processInstanceIds (wall time of the
             request, body serialized beforehand), and beside it in the same run the raw
             baseline: parse the same JSON body, check that the ids exist (a temporary table
             joined to process_instance) and store them with one insert, with the database
             driver directly (sqlite3 executemany; psycopg COPY on PostgreSQL). modbatch checks
             no existence at creation (as Camunda, an unknown instance fails in its execution
             job), so the baseline does more than modbatch. Target <= 1.5x the baseline.
- query:     POST /modification/executeAsync with a processInstanceQuery selecting all N
             instances. Target <= 5 s.
- memory:    on a fresh server, one executeAsync with 1,000,000 processInstanceIds; the server's
             resident-set high-water mark (VmHWM) before and after. Target peak <= 400 MB.

    python bench/batch_creation.py [--instances 1000000] [--ids 100000] [--repeat 3]
                                   [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from seeding import Server, bench_database, deploy_and_seed, machine

INSTRUCTIONS = [{"type": "cancel", "activityId": "theTask"},
                {"type": "startBeforeActivity", "activityId": "theTask"}]


def instance_ids(url: str, limit: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        ids = list(connection.execute(text("SELECT id FROM process_instance LIMIT :n"),
                                      {"n": limit}).scalars())
    engine.dispose()
    return ids


def body_of(definition_id: str, ids: list[str]) -> bytes:
    return json.dumps({"processDefinitionId": definition_id, "processInstanceIds": ids,
                       "instructions": INSTRUCTIONS}).encode()


def post(base: str, body: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    response = httpx.post(f"{base}/modification/executeAsync", content=body,
                          headers={"Content-Type": "application/json"}, timeout=600)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"executeAsync answered {response.status_code}: {response.text[:300]}")
    return elapsed, response.json()


# ---------------------------------------------------------------------------- raw baseline
RAW_ITEMS = ("CREATE TABLE IF NOT EXISTS raw_batch_item (batch_id VARCHAR(64) NOT NULL, "
             "seq INTEGER NOT NULL, process_instance_id VARCHAR(64) NOT NULL, "
             "status VARCHAR NOT NULL, message TEXT, PRIMARY KEY (batch_id, seq))")


def raw_sqlite(path: str, body: bytes) -> float:
    """Parse, check existence (temp table join), one executemany insert; one transaction."""
    import sqlite3

    started = time.perf_counter()
    ids = json.loads(body)["processInstanceIds"]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("BEGIN IMMEDIATE")
    db.execute(RAW_ITEMS)
    db.execute("CREATE TEMP TABLE raw_ids (seq INTEGER PRIMARY KEY, id TEXT NOT NULL)")
    db.executemany("INSERT INTO raw_ids (seq, id) VALUES (?, ?)", enumerate(ids))
    missing = db.execute("SELECT count(*) FROM raw_ids LEFT JOIN process_instance p "
                         "ON p.id = raw_ids.id WHERE p.id IS NULL").fetchone()[0]
    batch_id = str(uuid.uuid4())
    db.executemany("INSERT INTO raw_batch_item VALUES (?, ?, ?, 'pending', NULL)",
                   ((batch_id, seq, i) for seq, i in enumerate(ids)))
    db.execute("DROP TABLE raw_ids")
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    assert missing == 0, missing
    return elapsed


def raw_postgres(url: str, body: bytes) -> float:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    ids = json.loads(body)["processInstanceIds"]
    with psycopg.connect(dsn) as db, db.cursor() as cursor:
        cursor.execute(RAW_ITEMS)
        cursor.execute("CREATE TEMP TABLE raw_ids (seq INTEGER PRIMARY KEY, id TEXT NOT NULL) "
                       "ON COMMIT DROP")
        with cursor.copy("COPY raw_ids (seq, id) FROM STDIN") as copy:
            for seq, i in enumerate(ids):
                copy.write_row((seq, i))
        cursor.execute("SELECT count(*) FROM raw_ids LEFT JOIN process_instance p "
                       "ON p.id = raw_ids.id WHERE p.id IS NULL")
        missing = cursor.fetchone()[0]
        batch_id = str(uuid.uuid4())
        with cursor.copy("COPY raw_batch_item (batch_id, seq, process_instance_id, status) "
                         "FROM STDIN") as copy:
            for seq, i in enumerate(ids):
                copy.write_row((batch_id, seq, i, "pending"))
    elapsed = time.perf_counter() - started
    assert missing == 0, missing
    return elapsed


def raw_rate(url: str, body: bytes) -> float:
    if url.startswith("sqlite"):
        return raw_sqlite(make_url(url).database, body)
    return raw_postgres(url, body)


# ---------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--ids", type=int, default=100_000,
                        help="processInstanceIds in the timed requests")
    parser.add_argument("--memory-ids", type=int, default=1_000_000,
                        help="processInstanceIds in the memory request")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="modbatch-creation-"))
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"{database}, {args.instances:,} instances, modbatch serve --no-job-executor\n")
    with bench_database(args.database_url, folder, "creation") as url:
        started = time.perf_counter()
        definition_id = deploy_and_seed(url, args.instances)
        print(f"seeded {args.instances:,} instances in {time.perf_counter() - started:.0f} s")
        ids = instance_ids(url, max(args.ids, args.memory_ids))
        small = body_of(definition_id, ids[:args.ids])
        large = body_of(definition_id, ids[:args.memory_ids])

        # memory first, on a fresh server: VmHWM only ever grows
        with Server(url, job_executor=False) as server:
            post(server.base, body_of(definition_id, ids[:10]))  # warm up the path
            idle = server.peak_rss_mb()
            elapsed, batch = post(server.base, large)
            peak = server.peak_rss_mb()
        print(f"memory: executeAsync with {len(ids[:args.memory_ids]):,} ids "
              f"({len(large) / 1e6:.0f} MB body) took {elapsed:.2f} s; serving process "
              f"VmHWM {idle:.0f} MB before, {peak:.0f} MB after "
              f"(target <= 400 MB): {'met' if peak <= 400 else 'MISSED'}\n")

        with Server(url, job_executor=False) as server:
            post(server.base, body_of(definition_id, ids[:10]))
            modbatch, raw = [], []
            for _ in range(args.repeat):
                raw.append(raw_rate(url, small))
                modbatch.append(post(server.base, small)[0])
            print(f"{'round':>6} {'raw baseline':>13} {'executeAsync':>13} {'ratio':>6}")
            for number, (r, m) in enumerate(zip(raw, modbatch), 1):
                print(f"{number:>6} {r * 1000:>10.0f} ms {m * 1000:>10.0f} ms {m / r:>6.2f}")
            ratios = [m / r for r, m in zip(raw, modbatch)]
            ratio = statistics.median(ratios)
            print(f"{'median':>6} {statistics.median(raw) * 1000:>10.0f} ms "
                  f"{statistics.median(modbatch) * 1000:>10.0f} ms {ratio:>6.2f}")
            print(f"ids: executeAsync with {args.ids:,} processInstanceIds = {ratio:.2f}x the raw "
                  f"baseline (target <= 1.5x): {'met' if ratio <= 1.5 else 'MISSED'}\n")

            query = json.dumps({"processDefinitionId": definition_id,
                                "processInstanceQuery": {"processDefinitionKey": "bench"},
                                "instructions": INSTRUCTIONS}).encode()
            times = []
            for _ in range(args.repeat):
                elapsed, batch = post(server.base, query)
                assert batch["totalJobs"] * batch["invocationsPerBatchJob"] >= args.instances
                times.append(elapsed)
            median = statistics.median(times)
            print(f"query: executeAsync with a processInstanceQuery over {args.instances:,} "
                  f"instances: {', '.join(f'{t:.2f}' for t in times)} s, median {median:.2f} s "
                  f"(target <= 5 s): {'met' if median <= 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
