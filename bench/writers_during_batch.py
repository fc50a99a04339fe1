"""Do API writers starve while a batch runs? Latency of writes and of statistics, idle vs busy.

Starts ``modbatch serve`` (its job executor in the server, as by default) on a fresh database
seeded with N instances waiting in a user task, then, from this process:
- idle:   starts instances over REST at a steady rate (``POST /process-definition/key/bench/start``)
          and polls ``GET /batch/statistics`` at a steady rate, for a few seconds;
- batch:  submits one ``executeAsync`` batch over the N instances (cancel + startBeforeActivity
          theTask) and keeps the same two request streams going until the batch has completed.
Requests are sent open-loop (on schedule, from a thread pool), so a request that waits does not
slow the stream down. It prints p50 / p99 / max latency per phase, the statistics latency during
the batch as a ratio of its idle latency, and the batch's mean time per execution job: an API
write should wait at most about one job (target p99 <= 1 s; statistics <= 2x idle).

    python bench/writers_during_batch.py [--instances 20000] [--rate 10] [--database-url URL]

``--database-url`` takes a PostgreSQL server URL (a fresh database is created on it and dropped
afterwards); SQLite files in a temporary folder by default.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import httpx

from seeding import Server, bench_database, deploy_and_seed, machine, percentile, summary


class Stream:
    """One open-loop request stream: ``rate`` requests a second, each timed."""

    def __init__(self, name: str, pool: ThreadPoolExecutor, rate: float, send) -> None:
        self.name, self.pool, self.interval, self.send = name, pool, 1 / rate, send
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.phase = "idle"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        next_at = time.perf_counter()
        while not self._stop.is_set():
            self.pool.submit(self._one, self.phase)
            next_at += self.interval
            delay = next_at - time.perf_counter()
            if delay > 0:
                self._stop.wait(delay)

    def _one(self, phase: str) -> None:
        started = time.perf_counter()
        try:
            response = self.send()
        except httpx.HTTPError as error:
            self.errors.append(f"{type(error).__name__}: {error}")
            return
        elapsed = time.perf_counter() - started
        if response.status_code >= 300:
            self.errors.append(f"{response.status_code} {response.text[:200]}")
            return
        if phase == self.phase:  # a request that straddles the phase change counts for neither
            self.latencies.setdefault(phase, []).append(elapsed)


_local = threading.local()


def client() -> httpx.Client:
    if not hasattr(_local, "client"):
        _local.client = httpx.Client(timeout=120)
    return _local.client


def run(url: str, args: argparse.Namespace) -> dict:
    definition_id = deploy_and_seed(url, args.instances)
    with Server(url) as server:
        base = server.base
        pool = ThreadPoolExecutor(max_workers=32)
        writes = Stream("start instance", pool, args.rate,
                        lambda: client().post(f"{base}/process-definition/key/bench/start",
                                              json={}))
        reads = Stream("GET /batch/statistics", pool, args.stats_rate,
                       lambda: client().get(f"{base}/batch/statistics"))
        for _ in range(20):  # warm up both paths
            writes.send(), reads.send()
        writes.start(), reads.start()
        time.sleep(args.idle_seconds)
        created = time.perf_counter()
        response = client().post(f"{base}/modification/executeAsync", json={
            "processDefinitionId": definition_id,
            "processInstanceQuery": {"processDefinitionKey": "bench"},
            "instructions": [{"type": "cancel", "activityId": "theTask"},
                             {"type": "startBeforeActivity", "activityId": "theTask"}]})
        response.raise_for_status()
        submitted = time.perf_counter() - created
        batch = response.json()
        writes.phase = reads.phase = "batch"
        while True:
            history = client().get(f"{base}/history/batch/{batch['id']}").json()
            if history.get("endTime"):
                break
            if time.perf_counter() - created > args.timeout:
                raise SystemExit(f"batch did not complete within {args.timeout} s")
            time.sleep(0.2)
        duration = time.perf_counter() - created
        writes.phase = reads.phase = "after"
        writes.stop(), reads.stop()
        pool.shutdown(wait=True)
        failed = client().get(f"{base}/history/batch/{batch['id']}/items/count",
                              params={"status": "failed"}).json()["count"]
    return {"writes": writes, "reads": reads, "batch": batch, "duration": duration,
            "submitted": submitted, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=10, help="instance starts per second")
    parser.add_argument("--stats-rate", type=float, default=5,
                        help="GET /batch/statistics per second")
    parser.add_argument("--idle-seconds", type=float, default=8)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="modbatch-writers-"))
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"{args.instances:,} instances, {'PostgreSQL' if args.database_url else 'SQLite'}, "
          f"modbatch serve with its job executor; {args.rate:g} starts/s and "
          f"{args.stats_rate:g} statistics requests/s\n")
    with bench_database(args.database_url, folder, "writers") as url:
        result = run(url, args)
    batch, duration = result["batch"], result["duration"]
    per_job = duration / max(batch["totalJobs"], 1)
    print(f"batch: {batch['totalJobs']} execution jobs of {batch['invocationsPerBatchJob']}, "
          f"submitted in {result['submitted'] * 1000:.0f} ms, completed in {duration:.1f} s "
          f"({args.instances / duration:,.0f} instances/s, {per_job * 1000:.0f} ms per job), "
          f"{result['failed']} failed\n")
    for stream in (result["writes"], result["reads"]):
        for phase in ("idle", "batch"):
            values = stream.latencies.get(phase, [])
            if values:
                print(f"{stream.name:>22} {phase:>5}: {summary(values)}")
        if stream.errors:
            print(f"{stream.name:>22} errors: {len(stream.errors)}, first: {stream.errors[0]}")
    writes = result["writes"].latencies.get("batch", [])
    idle = result["reads"].latencies.get("idle", [])
    busy = result["reads"].latencies.get("batch", [])
    print()
    if writes:
        p99 = percentile(writes, 99)
        print(f"start during batch: p99 {p99 * 1000:.0f} ms = {p99 / per_job:.1f} execution jobs "
              f"(target p99 <= 1000 ms): {'met' if p99 <= 1 else 'MISSED'}")
    if idle and busy:
        ratio = percentile(busy, 50) / percentile(idle, 50)
        ratio99 = percentile(busy, 99) / percentile(idle, 99)
        print(f"statistics during batch / idle: p50 {ratio:.2f}x, p99 {ratio99:.2f}x "
              f"(target <= 2x): {'met' if ratio <= 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
