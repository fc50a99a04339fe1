"""The ``modbatch`` command: serve, worker, demo, and the operator commands. Wiring only."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from importlib import metadata

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from modbatch.client import commands as operator
from modbatch.client.commands import flag, parse_positive
from modbatch.settings import (Settings, SettingError, parse_database_url, parse_host,
                               parse_port)
from modbatch.store.schema import SchemaOutOfDate


class Parser(argparse.ArgumentParser):
    """Usage errors are one line naming the flag, exit status 2 (no argparse usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {' '.join(message.split())} (see {self.prog} --help)\n")


def _version() -> str:
    try:
        return metadata.version("modbatch")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, type=flag(parse_database_url),
                        help="SQLAlchemy URL (MODBATCH_DATABASE_URL, sqlite:///modbatch.db)")


def main(argv: list[str] | None = None) -> None:
    parser = Parser(prog="modbatch", description="A Camunda 7 compatible server for batch "
                    "process instance modification, and commands to operate it.")
    parser.add_argument("--version", action="version", version=f"modbatch {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the REST API (with the job executor)")
    serve.add_argument("--host", default=None, type=flag(parse_host),
                       help="bind address (MODBATCH_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=flag(parse_port), default=None,
                       help="port (MODBATCH_PORT, 8080)")
    serve.add_argument("--no-job-executor", action="store_true",
                       help="serve the API only; run jobs with 'modbatch worker' instead")
    _database_option(serve)
    worker = commands.add_parser("worker", help="run a standalone job executor")
    _database_option(worker)
    db = commands.add_parser("db", help="database schema: create or migrate it")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser(
        "upgrade", help="create the schema or migrate it to this version (safe to run from "
                        "several nodes at once); 'modbatch serve' does it by itself on SQLite")
    _database_option(upgrade)
    demo = commands.add_parser("demo", help="modify N instances with one batch and report")
    demo.add_argument("-n", "--instances", type=flag(parse_positive), default=10_000,
                      help="default 10,000")
    _database_option(demo)
    operator.add_commands(commands)
    args = parser.parse_args(argv)
    if getattr(args, "operator", None) is not None:
        try:
            raise SystemExit(operator.run(args))
        except SettingError as exc:
            raise SystemExit(_refuse(exc)) from None
        except KeyboardInterrupt:
            raise SystemExit(130) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings.from_env(database_url=args.database_url)
    except ValueError as exc:  # SettingError, or any check of Settings: names the variable
        raise SystemExit(_refuse(exc)) from None

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
            uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
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
            print(f"modbatch worker {engine.job_executor.owner}: executing jobs from "
                  f"{settings.database_url}", flush=True)
            stop.wait()
            engine.close()
        else:
            from modbatch.demo import run

            logging.getLogger().setLevel(logging.WARNING)
            # a temporary database unless one was named (flag or MODBATCH_DATABASE_URL)
            run(settings, args.instances,
                temporary=args.database_url is None
                and settings.database_url == Settings.database_url)
    except SchemaOutOfDate as exc:
        raise SystemExit(f"modbatch: {exc}") from None
    except KeyboardInterrupt:
        sys.stderr.write(f"\nmodbatch {args.command}: interrupted\n")
        raise SystemExit(130) from None
    except DBAPIError as exc:
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            where = make_url(settings.database_url).render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise SystemExit(f"modbatch: cannot use the database {where} (--database-url, "
                             f"MODBATCH_DATABASE_URL): {reason}") from None
        raise


def _refuse(exc: ValueError) -> int:
    """A bad setting: one line naming the variable, exit status 2."""
    sys.stderr.write(f"modbatch: {' '.join(str(exc).split())}\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    main()
