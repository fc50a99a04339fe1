"""Operational endpoints outside ``/engine-rest`` and the spec: ``GET /health``, ``GET /metrics``;
and the access log, one line per request on logger ``modbatch.access``."""

from __future__ import annotations

import logging
import time

import anyio
from connexion.middleware import MiddlewarePosition
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from modbatch import logs
from modbatch.engine.process_engine import current

access_log = logging.getLogger("modbatch.access")
log = logging.getLogger("modbatch.api")

# a database that neither answers nor refuses (a network partition) must not hang the check
HEALTH_TIMEOUT_S = 5.0


class AccessLog:
    """ASGI middleware: ``METHOD path?query status duration_ms client`` at INFO once the
    response has been sent, with the same values as fields for JSON logs. Outermost but for
    Starlette's last-resort error middleware, so error responses are logged too."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when nothing was sent

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                _log_request(scope, status, time.perf_counter() - started)


def _log_request(scope, status: int, seconds: float) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    path = scope.get("path", "")
    client = scope.get("client")
    client_text = f"{client[0]}:{client[1]}" if client else "-"
    duration_ms = round(seconds * 1000, 1)
    access_log.info("%s %s %d %.1fms %s", scope.get("method", "-"),
                    path + (f"?{query}" if query else ""), status, duration_ms, client_text,
                    extra={"method": scope.get("method"), "path": path, "query": query,
                           "status": status, "duration_ms": duration_ms,
                           "client": client_text})


async def health(_request) -> Response:
    """200 when the database answers ``SELECT 1``, else 503 with the reason (no SQL, no URL)."""
    try:
        with anyio.fail_after(HEALTH_TIMEOUT_S):
            await run_in_threadpool(current().database.ping)
    except TimeoutError:
        message = f"The database did not answer within {HEALTH_TIMEOUT_S:g} s"
    except Exception as error:
        message = "The database is not available: " + \
            (str(getattr(error, "orig", None) or error) or type(error).__name__).splitlines()[0]
    else:
        return JSONResponse({"status": "UP", "database": "UP"})
    log.warning("health check: %s", message)
    return JSONResponse({"status": "DOWN", "database": "DOWN", "message": message},
                        status_code=503)


async def metrics(request) -> Response:
    """The job executor's metrics and the process's own, in Prometheus' text format (or
    OpenMetrics when the scraper asks for it), negotiated as prometheus_client's server does."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    body = await run_in_threadpool(encode, REGISTRY)  # the database gauges query
    return Response(body, headers={"Content-Type": content_type})


def install(app) -> None:
    app.add_middleware(AccessLog, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_url_rule("/health", "health", health)
    app.add_url_rule("/metrics", "metrics", metrics)
    logs.quiet_ignored_parameters()
