"""The ``modbatch`` command: serve, worker, demo. Wiring only."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from modbatch import logs
from modbatch.settings import Settings
from modbatch.store.schema import SchemaOutOfDate


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL (MODBATCH_DATABASE_URL, sqlite:///modbatch.db)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="modbatch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the REST API (with the job executor)")
    serve.add_argument("--host", default=None, help="bind address (MODBATCH_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (MODBATCH_PORT, 8080)")
    serve.add_argument("--no-job-executor", action="store_true",
                       help="serve the API only; run jobs with 'modbatch worker' instead")
    _database_option(serve)
    worker = commands.add_parser("worker", help="run a standalone job executor")
    worker.add_argument("--metrics-port", type=int, default=None,
                        help="serve Prometheus metrics on this port (MODBATCH_METRICS_PORT)")
    _database_option(worker)
    db = commands.add_parser("db", help="database schema: create or migrate it")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser(
        "upgrade", help="create the schema or migrate it to this version (safe to run from "
                        "several nodes at once); 'modbatch serve' does it by itself on SQLite")
    _database_option(upgrade)
    demo = commands.add_parser("demo", help="modify N instances with one batch and report")
    demo.add_argument("-n", "--instances", type=int, default=10_000, help="default 10,000")
    _database_option(demo)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(database_url=args.database_url,
                                     metrics_port=getattr(args, "metrics_port", None))
    except ValueError as exc:  # a bad setting: one line naming the variable
        raise SystemExit(f"modbatch: {exc}") from None
    logs.configure(settings)  # MODBATCH_LOG_LEVEL, MODBATCH_LOG_FORMAT

    try:
        if args.command == "serve":
            import uvicorn

            from modbatch.app import create_app

            settings = Settings.from_env(host=args.host, port=args.port,
                                         database_url=args.database_url,
                                         job_executor=False if args.no_job_executor else None)
            app = create_app(settings)
            executor = "with" if settings.job_executor else "without"
            print(f"modbatch: REST API on http://{settings.host}:{settings.port}/engine-rest "
                  f"(Swagger UI at /engine-rest/ui/), {executor} job executor, "
                  f"database {settings.database_url}", flush=True)
            uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                        log_config=None, access_log=False)  # logs.configure's, AccessLog
        elif args.command == "db":
            from modbatch.store import schema
            from modbatch.store.database import database_engine

            engine = database_engine(settings.database_url)
            try:
                before, after = schema.upgrade(engine)
            finally:
                engine.dispose()
            change = ("unchanged" if before == after else "created" if before is None
                      else f"upgraded from {before}")
            print(f"modbatch db: schema at revision {after} ({change})", flush=True)
        elif args.command == "worker":
            from modbatch.engine.process_engine import ProcessEngine

            engine = ProcessEngine(settings)
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            engine.job_executor.start()
            logs.serve_metrics(settings)
            print(f"modbatch worker {engine.job_executor.owner}: executing jobs from "
                  f"{settings.database_url}", flush=True)
            stop.wait()
            engine.close()
        else:
            from modbatch.demo import run

            logging.getLogger().setLevel(logging.WARNING)
            run(settings, args.instances)
    except SchemaOutOfDate as exc:
        raise SystemExit(f"modbatch: {exc}") from None


if __name__ == "__main__":  # pragma: no cover
    main()
