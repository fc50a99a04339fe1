"""Fresh databases for tests: a SQLite file each, or a PostgreSQL database cloned from a template.

On PostgreSQL the schema is built once (``modbatch db upgrade``'s code path) into a template
database; each test gets ``CREATE DATABASE … TEMPLATE``, which copies files instead of running DDL.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from modbatch.store import schema


class Databases:
    def __init__(self, server_url: str | None, tmp_path_factory) -> None:
        self.server_url = server_url
        self._created: list[str] = []
        self._counter = itertools.count()
        self._prefix = f"mbt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        if server_url:
            self._admin = create_engine(server_url, isolation_level="AUTOCOMMIT",
                                        pool_size=1, max_overflow=0)
            self.template = f"{self._prefix}_template"
            self._execute(f'CREATE DATABASE "{self.template}"')
            self._created.append(self.template)
            built = create_engine(self.url_of(self.template))
            schema.upgrade(built)  # what `modbatch db upgrade` does
            built.dispose()

    @property
    def postgres(self) -> bool:
        return self.server_url is not None

    def url_of(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql))

    def fresh(self, folder: Path) -> str:
        if not self.server_url:
            return f"sqlite:///{folder / 'modbatch.db'}"
        name = f"{self._prefix}_{next(self._counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY')
        self._created.append(name)
        return self.url_of(name)

    def empty(self, folder: Path) -> str:
        """A database with no schema at all (what a new PostgreSQL database looks like)."""
        if not self.server_url:
            return f"sqlite:///{folder / 'empty.db'}"
        name = f"{self._prefix}_{next(self._counter)}"
        self._execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self.url_of(name)

    def copy(self, url: str, folder: Path) -> str:
        """A second database holding exactly what ``url`` holds (nobody may be connected to it)."""
        if not self.server_url:
            import sqlite3

            target = folder / "modbatch-copy.db"
            source, copy = sqlite3.connect(make_url(url).database), sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
            return f"sqlite:///{target}"
        name = f"{self._prefix}_{next(self._counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
        self._created.append(name)
        return self.url_of(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        if self.server_url and name in self._created:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._created.remove(name)

    def close(self) -> None:
        if not self.server_url:
            return
        for name in reversed(self._created):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()
