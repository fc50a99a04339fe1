"""Fetch-and-lock of external tasks, the statements whose SQL differs by dialect.

PostgreSQL reads the candidates with ``FOR UPDATE SKIP LOCKED``, so that workers polling the
same topics at the same moment each lock different tasks instead of waiting on each other (or
failing on the second update). SQLite has a single writer (``BEGIN IMMEDIATE``) and needs no row
locks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Select, bindparam, update
from sqlalchemy.orm import Session

from modbatch.store.tables import ExternalTask


def candidates(session: Session, selects: Iterable[Select]) -> list[ExternalTask]:
    """Run each candidate query (one per topic), claiming its rows where the dialect can."""
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[str, ExternalTask] = {}
    for stmt in selects:
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True, of=ExternalTask)
        for task in session.execute(stmt).scalars():
            found.setdefault(task.id, task)
    return list(found.values())


_LOCK = (update(ExternalTask.__table__)
         .where(ExternalTask.__table__.c.id == bindparam("task_id"))
         .values(worker_id=bindparam("worker"), lock_expiration_time=bindparam("until")))


def lock(session: Session, locks: list[tuple[str, str, datetime]]) -> None:
    """Lock every (task id, worker id, lock expiration) with one executemany statement."""
    if locks:
        session.connection().execute(_LOCK, [{"task_id": task_id, "worker": worker, "until": until}
                                             for task_id, worker, until in locks])
