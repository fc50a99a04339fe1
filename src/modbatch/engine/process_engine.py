"""The process engine object: settings, database and background services, held together.

The REST layer asks ``current()`` for it, like Camunda's REST resources ask for the default engine.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm import Session

from modbatch.settings import Settings
from modbatch.store.database import Database


class ProcessEngine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = Database(settings.database_url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction per unit of work; engine functions flush, only this commits."""
        with self.database.transaction() as session:
            yield session

    def close(self) -> None:
        self.database.dispose()


_current: ProcessEngine | None = None


def install(engine: ProcessEngine) -> None:
    global _current
    _current = engine


def current() -> ProcessEngine:
    if _current is None:
        raise RuntimeError("no process engine installed; create the app first")
    return _current
