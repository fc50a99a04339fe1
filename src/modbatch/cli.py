"""The ``modbatch`` command: serve (API and embedded job executor). Wiring only."""

from __future__ import annotations

import argparse
import logging

from modbatch.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="modbatch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the REST API on the embedded SQLite default")
    serve.add_argument("--host", default=None, help="bind address (MODBATCH_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (MODBATCH_PORT, 8080)")
    serve.add_argument("--database-url", default=None,
                       help="SQLAlchemy URL (MODBATCH_DATABASE_URL, sqlite:///modbatch.db)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if args.command == "serve":
        import uvicorn

        from modbatch.app import create_app

        settings = Settings.from_env(host=args.host, port=args.port,
                                     database_url=args.database_url)
        app = create_app(settings)
        print(f"modbatch: REST API on http://{settings.host}:{settings.port}/engine-rest "
              f"(Swagger UI at /engine-rest/ui/), database {settings.database_url}", flush=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    main()
