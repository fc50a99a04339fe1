"""The schema and its migrations (Alembic, in ``migrations/``).

``upgrade`` is ``modbatch db upgrade``, and what the server runs by itself on SQLite. An empty
database gets today's tables in one step and is stamped at the head revision; a database at an
older revision (or one created before migrations existed, with no revision at all) runs the
migrations in between. On PostgreSQL a transaction-scoped advisory lock makes upgrades started by
several nodes at once wait for each other, and DDL is transactional, so a failed upgrade leaves
the schema as it was.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

from modbatch.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001"
_ADVISORY_LOCK = 0x6D6F6462  # "modb"


class SchemaOutOfDate(RuntimeError):
    """The database is older than this code: someone has to run ``modbatch db upgrade``."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the head revision; returns (revision before, revision after), where
    "before" is None for an empty database and ``"unversioned"`` for one from before migrations."""
    with engine.begin() as connection:  # BEGIN IMMEDIATE on SQLite: one upgrader at a time
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _ADVISORY_LOCK})
        before = current(connection)
        target = head()
        if before == target:
            return before, target
        config = _config(connection)
        if before is None:
            existing = set(inspect(connection).get_table_names()) & set(SQLModel.metadata.tables)
            if not existing:
                SQLModel.metadata.create_all(connection)
                command.stamp(config, "head")
                return before, target
            # created by a modbatch from before migrations: that is the first revision's schema
            command.stamp(config, FIRST_REVISION)
            before = "unversioned"
        command.upgrade(config, "head")
        return before, target


def check(engine: Engine) -> None:
    """Refuse to serve a database that ``modbatch db upgrade`` has not brought to this code."""
    with engine.connect() as connection:
        found = current(connection)
    if found != head():
        state = "has no modbatch schema" if found is None else f"is at schema revision {found}"
        raise SchemaOutOfDate(
            f"the database {state}, this modbatch needs {head()}: run 'modbatch db upgrade' "
            f"(with the same MODBATCH_DATABASE_URL) first")
