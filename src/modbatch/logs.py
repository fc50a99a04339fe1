"""Logging for every command, set up in one place: level and format from the settings.

``MODBATCH_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR) sets the root level; ``MODBATCH_LOG_FORMAT``
chooses ``text`` (``time LEVEL logger message``) or ``json``: one object per line with ``time``,
``level``, ``logger``, ``message``, the record's extra fields (``job_id``, ``batch_id``,
``method``, ``path``, ``status``, ``duration_ms`` ...) and ``exception`` when there is one.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from modbatch.settings import Settings

# what every LogRecord carries; anything else on a record came as ``extra``
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# libraries that say at INFO what an operator does not need (alembic's plugin set-up)
QUIET = {"alembic": logging.WARNING}


def extras(record: logging.LogRecord) -> dict:
    """The fields a record was given with ``extra=``."""
    return {key: value for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; values JSON cannot hold are written as strings."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        line.update(extras(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(settings: Settings, *, stream=None) -> None:
    """Root logger: one handler on stderr (replacing the one an earlier call added), the
    settings' level and format. Safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_modbatch", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._modbatch = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(settings.log_format))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.captureWarnings(True)  # a library's warning is a log line too (JSON included)
    for name, level in QUIET.items():
        if settings.log_level != "DEBUG":
            logging.getLogger(name).setLevel(level)


# Connexion, with strict_validation off, ignores query parameters and body properties the spec
# does not declare, but says so at ERROR (connexion.decorators.parameter). An ignored parameter
# is the client's business, not an error of the server: it is said again at DEBUG.
_IGNORED = {"Function argument": "ignored query parameter %r: not in the specification",
            "Body property": "ignored body property %r: not in the body schema"}
ignored_log = logging.getLogger("modbatch.api.ignored")


class IgnoredParameters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        for prefix, replacement in _IGNORED.items():
            if message.startswith(prefix):
                name = record.args[-1] if record.args else message.split("'")[1]
                ignored_log.debug(replacement, name, extra={"parameter": name})
                return False
        return True


def quiet_ignored_parameters() -> None:
    """Install the filter above once (``create_app`` calls it)."""
    logger = logging.getLogger("connexion.decorators.parameter")
    if not any(isinstance(f, IgnoredParameters) for f in logger.filters):
        logger.addFilter(IgnoredParameters())


def serve_metrics(settings: Settings) -> None:
    """``modbatch worker``: Prometheus metrics on ``MODBATCH_METRICS_PORT`` (none when 0), from
    prometheus_client's own HTTP server thread, bound to ``MODBATCH_HOST``."""
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.host)
        logging.getLogger("modbatch.worker").info(
            "Prometheus metrics on http://%s:%d/metrics", settings.host, settings.metrics_port)
