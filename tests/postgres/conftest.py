"""Fixtures for the real-process tests: `modbatch serve` and `modbatch worker` processes on one
database, and ``postgres_only`` for what only a PostgreSQL server can show."""

from __future__ import annotations

import pytest

from tests.postgres.processes import Cluster


@pytest.fixture
def postgres_only(databases) -> None:
    """Skip unless the suite runs on PostgreSQL (``--database-url``; CI runs it both ways)."""
    if not databases.postgres:
        pytest.skip("PostgreSQL only: run pytest with --database-url "
                    "postgresql+psycopg://USER@HOST:PORT/postgres (or MODBATCH_TEST_DATABASE_URL)")


@pytest.fixture
def cluster(tmp_path):
    """Start processes with ``cluster.serve(url)`` / ``cluster.worker(url)``; all are ended at
    the end of the test, and their logs are printed when it failed."""
    processes = Cluster(tmp_path)
    yield processes
    processes.close()
