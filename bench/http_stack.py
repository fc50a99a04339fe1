"""What the HTTP stack leaves for the handlers: real operations against a stub, side by side.

Serves modbatch's real app (``create_app``: Connexion AsyncApp from openapi.yaml, the same
middleware, request validation from the spec, error handlers, uvicorn as ``modbatch serve`` runs
it, the job executor idling in the background) in a child process, with ONE change made only
here: ``GET /process-instance/{id}/variables`` is resolved to a stub that returns a constant
(``{"id": id}``), a sync function like every real handler. Routing, parameter validation and
response rendering are the stack's, so the stub measures the stack alone.

A load generator in another process (asyncio, raw HTTP/1.1 keep-alive connections, cheap per
request; ``--wrk`` uses wrk instead when it is installed) drives, in rounds, each of:
- stub:        GET /process-instance/{id}/variables    (the stub)
- instance:    GET /process-instance/{id}               (a real read of one instance)
- statistics:  GET /batch/statistics                    (a real read, one batch present)
and prints requests/s per round, the medians, and each real handler's rate as a ratio of the
stub's (target >= 0.5).

    python bench/http_stack.py [--seconds 5] [--rounds 3] [--connections 8] [--wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from seeding import bench_database, deploy_and_seed, free_port, machine

STUB_OPERATION = "getProcessInstanceVariables"


# ---------------------------------------------------------------------------- server side
def serve(url: str, port: int) -> None:
    """The real app, one operation resolved to the stub; run as ``modbatch serve`` runs it."""
    import uvicorn
    from connexion.resolver import Resolution

    from modbatch import app as application
    from modbatch.settings import Settings

    def stub(id: str, **_):
        return {"id": id}, 200

    class StubResolver(application.OperationResolver):
        def resolve(self, operation) -> Resolution:
            if operation.operation_id == STUB_OPERATION:
                return Resolution(stub, STUB_OPERATION)
            return super().resolve(operation)

    application.OperationResolver = StubResolver  # type: ignore[misc]
    settings = Settings.from_env(port=port, database_url=url)
    uvicorn.run(application.create_app(settings), host=settings.host, port=port,
                log_level="warning")


def suspended_batch(url: str, definition_id: str) -> None:
    """One suspended batch, so that the statistics have a row to compute and render."""
    from modbatch.engine import batches, modification
    from modbatch.engine.process_engine import ProcessEngine, install
    from modbatch.settings import Settings

    settings = Settings(database_url=url, job_executor=False)
    engine = ProcessEngine(settings)
    install(engine)
    with engine.transaction() as session:
        request = modification.collect_request(session, {
            "processDefinitionId": definition_id,
            "processInstanceQuery": {"processDefinitionKey": "bench"},
            "instructions": [{"type": "cancel", "activityId": "theTask"},
                             {"type": "startBeforeActivity", "activityId": "theTask"}]})
        batch = batches.create_modification_batch(session, request, settings, tenant_id=None,
                                                  deployment_id=None)
        batches.set_suspended(session, batch.id, True)
    engine.close()


# ---------------------------------------------------------------------------- load side
async def _connection(host: str, port: int, request: bytes, stop: asyncio.Event,
                      counts: list[int]) -> None:
    """One keep-alive connection sending requests back to back; counts 200s, fails on others."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not stop.is_set():
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if status != b"200":
                raise RuntimeError(f"HTTP {status.decode()}: {head[:200]!r}")
            counts[0] += 1
    finally:
        writer.close()


async def _drive_async(url: str, seconds: float, connections: int) -> float:
    parsed = httpx.URL(url)
    target = parsed.raw_path.decode()
    request = (f"GET {target} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
               f"Accept: application/json\r\n\r\n").encode()
    stop, counts = asyncio.Event(), [0]
    tasks = [asyncio.create_task(_connection(parsed.host, parsed.port, request, stop, counts))
             for _ in range(connections)]
    await asyncio.sleep(0.5)  # warm up
    before, started = counts[0], time.perf_counter()
    await asyncio.sleep(seconds)
    done, elapsed = counts[0] - before, time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks)
    return done / elapsed


def _drive(url: str, seconds: float, connections: int, queue) -> None:
    queue.put(asyncio.run(_drive_async(url, seconds, connections)))


def rate_python(url: str, seconds: float, connections: int) -> float:
    """The load generator: another process, asyncio, raw HTTP/1.1 keep-alive connections (a
    client that costs far less per request than the server, so the server is what is measured)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_drive, args=(url, seconds, connections, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"the load generator failed on {url}")
    return queue.get()


def rate_wrk(url: str, seconds: float, connections: int) -> float:
    output = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", url],
                            check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    return float(next(line.split()[1] for line in output.splitlines()
                      if line.startswith("Requests/sec")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk", action="store_true", help="drive with wrk (must be installed)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL (default: SQLite in a temporary folder)")
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    folder = Path(tempfile.mkdtemp(prefix="modbatch-http-"))
    driver = "wrk" if args.wrk else "asyncio raw HTTP/1.1"
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"{'PostgreSQL' if args.database_url else 'SQLite'}; load: {driver}, {args.connections} "
          f"connections, {args.seconds:g} s per measurement, {args.rounds} rounds\n")
    with bench_database(args.database_url, folder, "http") as url:
        suspended_batch(url, deploy_and_seed(url, 1000))
        port = free_port()
        source = str(Path(__file__).resolve().parents[1] / "src")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [source, *filter(None, [os.environ.get("PYTHONPATH")])])}
        log = (folder / "serve.log").open("wb")
        server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/engine-rest"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/batch/count").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"the server did not start; see {folder / 'serve.log'}")
            instance = httpx.get(f"{base}/process-instance",
                                 params={"maxResults": 1}).json()[0]["id"]
            targets = {
                "stub": f"{base}/process-instance/{instance}/variables",
                "instance": f"{base}/process-instance/{instance}",
                "statistics": f"{base}/batch/statistics",
            }
            for name, url_ in targets.items():
                response = httpx.get(url_)
                assert response.status_code == 200, (name, response.text)
                if name == "stub":
                    assert response.json() == {"id": instance}, response.text
            measure = rate_wrk if args.wrk else rate_python
            rates: dict[str, list[float]] = {name: [] for name in targets}
            print(f"{'round':>6} " + " ".join(f"{n + ' req/s':>17}" for n in targets))
            for number in range(1, args.rounds + 1):
                for name, url_ in targets.items():
                    rates[name].append(measure(url_, args.seconds, args.connections))
                print(f"{number:>6} " + " ".join(f"{rates[n][-1]:>17,.0f}" for n in targets))
            medians = {name: statistics.median(values) for name, values in rates.items()}
            print(f"{'median':>6} " + " ".join(f"{medians[n]:>17,.0f}" for n in targets))
            print()
            for name in ("instance", "statistics"):
                ratios = [r / s for r, s in zip(rates[name], rates["stub"])]
                ratio = statistics.median(ratios)
                print(f"{name} / stub: {ratio:.2f} (per round "
                      f"{', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.5): "
                      f"{'met' if ratio >= 0.5 else 'MISSED'}")
            print(json.dumps({"medians": medians}), file=sys.stderr)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    main()
