"""Settings from ``MODBATCH_*`` environment variables, read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _per_type(raw: str | None) -> dict[str, int]:
    """``instance-modification=100,instance-migration=10`` → dict; lets one batch type differ."""
    result: dict[str, int] = {}
    for item in (raw or "").split(","):
        if "=" in item:
            key, value = item.split("=", 1)
            result[key.strip()] = int(value)
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
    # observability: log level and format (text or json), worker's Prometheus port (0 = none)
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_port: int = 0

    def __post_init__(self) -> None:
        for name in ("batch_jobs_per_seed", "invocations_per_batch_job", "job_acquisition_size",
                     "job_lock_time_ms", "max_resource_bytes", "db_pool_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"MODBATCH_{name.upper()} must be at least 1")
        for name in ("default_retries", "batch_poll_time", "job_idle_wait_ms", "db_max_overflow",
                     "db_statement_timeout_ms", "db_lock_timeout_ms",
                     "db_idle_in_transaction_timeout_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"MODBATCH_{name.upper()} must not be negative")
        if any(v < 1 for v in self.invocations_per_batch_job_by_type.values()):
            raise ValueError("MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE values must be at least 1")
        if self.history_level not in ("none", "activity", "audit", "full"):
            raise ValueError("MODBATCH_HISTORY_LEVEL must be one of none, activity, audit, full")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("MODBATCH_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")
        if self.log_format not in ("text", "json"):
            raise ValueError("MODBATCH_LOG_FORMAT must be text or json")
        if not 0 <= self.metrics_port <= 65535:
            raise ValueError("MODBATCH_METRICS_PORT must be between 0 and 65535")

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        env = os.environ
        settings = cls(
            database_url=env.get("MODBATCH_DATABASE_URL", cls.database_url),
            host=env.get("MODBATCH_HOST", cls.host),
            port=_int("MODBATCH_PORT", cls.port),
            max_resource_bytes=_int("MODBATCH_MAX_RESOURCE_BYTES", cls.max_resource_bytes),
            batch_jobs_per_seed=_int("MODBATCH_BATCH_JOBS_PER_SEED", cls.batch_jobs_per_seed),
            invocations_per_batch_job=_int(
                "MODBATCH_INVOCATIONS_PER_BATCH_JOB", cls.invocations_per_batch_job),
            invocations_per_batch_job_by_type=_per_type(
                env.get("MODBATCH_INVOCATIONS_PER_BATCH_JOB_BY_TYPE")),
            batch_poll_time=_int("MODBATCH_BATCH_POLL_TIME", cls.batch_poll_time),
            default_retries=_int("MODBATCH_DEFAULT_RETRIES", cls.default_retries),
            job_lock_time_ms=_int("MODBATCH_JOB_LOCK_TIME_MS", cls.job_lock_time_ms),
            job_executor=env.get("MODBATCH_JOB_EXECUTOR", "true").lower() != "false",
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
            log_level=(env.get("MODBATCH_LOG_LEVEL", "").strip() or cls.log_level).upper(),
            log_format=(env.get("MODBATCH_LOG_FORMAT", "").strip() or cls.log_format).lower(),
            metrics_port=_int("MODBATCH_METRICS_PORT", cls.metrics_port),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
