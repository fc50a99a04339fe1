"""Job acquisition, the one statement whose SQL differs by dialect.

PostgreSQL claims rows with ``FOR UPDATE SKIP LOCKED`` so that many executors share the work
without waiting on each other; SQLite has a single writer (``BEGIN IMMEDIATE``) and needs no
row locks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from modbatch.store.tables import Job


def acquire(session: Session, *, owner: str, now: datetime, lock_until: datetime,
            limit: int) -> list[str]:
    """Lock up to ``limit`` executable jobs for ``owner`` and return their ids."""
    stmt = (select(Job.id)
            .where(Job.suspended.is_(False), Job.retries > 0,
                   or_(Job.due_date.is_(None), Job.due_date <= now),
                   or_(Job.lock_expiration_time.is_(None), Job.lock_expiration_time < now))
            .order_by(Job.priority.desc(), Job.create_time, Job.id)
            .limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.execute(stmt).scalars())
    if ids:
        session.execute(update(Job).where(Job.id.in_(ids))
                        .values(lock_owner=owner, lock_expiration_time=lock_until))
    return ids
