"""Settings from ``MODBATCH_*`` environment variables, read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace


class SettingError(ValueError):
    """A setting or flag that cannot be used; the message names it and says what it accepts."""


DEFAULT_URL = "http://127.0.0.1:8080/engine-rest"
BOOLEAN_WORDS = {"true": True, "false": False}


def parse_integer(text: str) -> int:
    """A decimal integer; ValueError says what was given."""
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise ValueError(f"must be an integer, not {text!r}") from None


def parse_port(text: str) -> int:
    port = parse_integer(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"must be a port number from 1 to 65535, not {port}")
    return port


def parse_host(text: str) -> str:
    """An address or a name this machine can resolve, to listen on."""
    import socket

    host = text.strip()
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        raise ValueError(f"must be an IP address or a host name that resolves, not "
                         f"{text!r}") from None
    return host


def parse_boolean(text: str) -> bool:
    """Only the words true and false (any case): ``no`` or ``off`` are refused, not guessed."""
    value = BOOLEAN_WORDS.get(text.strip().lower())
    if value is None:
        raise ValueError(f"must be true or false, not {text!r}")
    return value


def parse_database_url(text: str) -> str:
    """A SQLAlchemy URL of SQLite or PostgreSQL whose driver is installed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    hint = "sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):
        raise ValueError(f"is not a database URL: {text!r} (expected {hint})") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"names database {url.get_backend_name()!r}; modbatch runs on SQLite "
                         f"and PostgreSQL ({hint})")
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise ValueError(f"names driver {url.get_driver_name()!r}, which SQLAlchemy does not "
                         f"know ({hint})") from None
    except ImportError:
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg":
            raise ValueError("needs the PostgreSQL driver psycopg 3, which is not installed: "
                             "pip install '.[postgres]' (the postgres extra)") from None
        raise ValueError(f"names driver {url.get_driver_name()!r}, which is not installed; use "
                         "postgresql+psycopg:// after pip install '.[postgres]'") from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not url.database.startswith("file:"):
        from pathlib import Path

        folder = Path(url.database).expanduser().absolute().parent
        if not folder.is_dir():
            raise ValueError(f"names a SQLite file in {str(folder)!r}, a folder that does not "
                             "exist")
    return text.strip()


def parse_server_url(text: str) -> str:
    """The base URL of a modbatch (or Camunda) REST API, e.g. http://host:8080/engine-rest."""
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    try:
        parts.port
    except ValueError:
        raise ValueError(f"has a bad port: {text!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL such as {DEFAULT_URL}, "
                         f"not {text!r}")
    return text.strip().rstrip("/")


def _env(name: str, default, parse):
    """The variable parsed, or the default when unset or empty; SettingError names it."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingError(f"{name} {exc}") from None


def _int(name: str, default: int) -> int:
    return _env(name, default, parse_integer)


def _bool(name: str, default: bool) -> bool:
    return _env(name, default, parse_boolean)


def server_url() -> str:
    """Where the operator commands (``modbatch batch``, ``modbatch modify``) find the server."""
    return _env("MODBATCH_URL", DEFAULT_URL, parse_server_url)


def _per_type(raw: str | None) -> dict[str, int]:
    """``instance-modification=100,instance-migration=10`` → dict; lets one batch type differ."""
    result: dict[str, int] = {}
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        key, equals, value = item.partition("=")
        try:
            if not equals or not key.strip():
                raise ValueError
            result[key.strip()] = parse_integer(value)
        except ValueError:
            raise SettingError(f"MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE needs TYPE=NUMBER "
                               f"pairs separated by commas, not {item.strip()!r}") from None
    return result


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///modbatch.db"
    host: str = "127.0.0.1"
    port: int = 8080
    # largest BPMN resource accepted by a deployment, in bytes
    max_resource_bytes: int = 10 * 1024 * 1024
    # batch engine (Camunda's names and defaults, but invocations default to 100: see README)
    batch_jobs_per_seed: int = 100
    invocations_per_batch_job: int = 100
    invocations_per_batch_job_by_type: dict[str, int] = field(default_factory=dict)
    batch_poll_time: int = 30
    default_retries: int = 3
    job_lock_time_ms: int = 300_000
    job_executor: bool = True
    job_acquisition_size: int = 4
    job_idle_wait_ms: int = 200
    # Camunda's history levels: none, activity, audit, full (Camunda Run's default)
    history_level: str = "full"
    # PostgreSQL: connection pool per process and server-side timeouts (ms, 0 = none)
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_statement_timeout_ms: int = 120_000
    db_lock_timeout_ms: int = 30_000
    db_idle_in_transaction_timeout_ms: int = 60_000

    def __post_init__(self) -> None:
        for name in ("batch_jobs_per_seed", "invocations_per_batch_job", "job_acquisition_size",
                     "job_lock_time_ms", "max_resource_bytes", "db_pool_size"):
            if getattr(self, name) < 1:
                raise SettingError(f"MODBATCH_{name.upper()} must be at least 1")
        for name in ("default_retries", "batch_poll_time", "job_idle_wait_ms", "db_max_overflow",
                     "db_statement_timeout_ms", "db_lock_timeout_ms",
                     "db_idle_in_transaction_timeout_ms"):
            if getattr(self, name) < 0:
                raise SettingError(f"MODBATCH_{name.upper()} must not be negative")
        if any(v < 1 for v in self.invocations_per_batch_job_by_type.values()):
            raise SettingError(
                "MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE values must be at least 1")
        if self.history_level not in ("none", "activity", "audit", "full"):
            raise SettingError("MODBATCH_HISTORY_LEVEL must be one of none, activity, audit, "
                               "full")
        if not 1 <= self.port <= 65535:
            raise SettingError(f"MODBATCH_PORT must be a port number from 1 to 65535, "
                               f"not {self.port}")

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        env = os.environ
        settings = cls(
            database_url=_env("MODBATCH_DATABASE_URL", cls.database_url, parse_database_url),
            host=_env("MODBATCH_HOST", cls.host, parse_host),
            port=_env("MODBATCH_PORT", cls.port, parse_port),
            max_resource_bytes=_int("MODBATCH_MAX_RESOURCE_BYTES", cls.max_resource_bytes),
            batch_jobs_per_seed=_int("MODBATCH_BATCH_JOBS_PER_SEED", cls.batch_jobs_per_seed),
            invocations_per_batch_job=_int(
                "MODBATCH_INVOCATIONS_PER_BATCH_JOB", cls.invocations_per_batch_job),
            invocations_per_batch_job_by_type=_per_type(
                env.get("MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE")),
            batch_poll_time=_int("MODBATCH_BATCH_POLL_TIME", cls.batch_poll_time),
            default_retries=_int("MODBATCH_DEFAULT_RETRIES", cls.default_retries),
            job_lock_time_ms=_int("MODBATCH_JOB_LOCK_TIME_MS", cls.job_lock_time_ms),
            job_executor=_bool("MODBATCH_JOB_EXECUTOR", cls.job_executor),
            job_acquisition_size=_int("MODBATCH_JOB_ACQUISITION_SIZE", cls.job_acquisition_size),
            job_idle_wait_ms=_int("MODBATCH_JOB_IDLE_WAIT_MS", cls.job_idle_wait_ms),
            history_level=env.get("MODBATCH_HISTORY_LEVEL", cls.history_level).strip().lower(),
            db_pool_size=_int("MODBATCH_DB_POOL_SIZE", cls.db_pool_size),
            db_max_overflow=_int("MODBATCH_DB_MAX_OVERFLOW", cls.db_max_overflow),
            db_statement_timeout_ms=_int("MODBATCH_DB_STATEMENT_TIMEOUT_MS",
                                         cls.db_statement_timeout_ms),
            db_lock_timeout_ms=_int("MODBATCH_DB_LOCK_TIMEOUT_MS", cls.db_lock_timeout_ms),
            db_idle_in_transaction_timeout_ms=_int(
                "MODBATCH_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                cls.db_idle_in_transaction_timeout_ms),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
