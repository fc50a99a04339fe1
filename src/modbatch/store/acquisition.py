"""Job acquisition and lock release, the statements whose SQL differs by dialect.

PostgreSQL claims rows with ``FOR UPDATE SKIP LOCKED`` so that many executors share the work
without waiting on each other; SQLite has a single writer (``BEGIN IMMEDIATE``) and needs no
row locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import DateTime, Integer, Interval, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session

from modbatch.store.tables import Job


def lock_clock(session: Session, now: datetime, *, database_clock: bool):
    """What lock expiry is measured against: the database's clock on PostgreSQL, so that every
    node compares and sets ``lock_expiration_time`` with the same clock whatever its own says;
    ``now`` (the process clock) on SQLite, whose clock is the process's, and whenever
    ``database_clock`` is off (a test pinned the engine's clock)."""
    if database_clock and session.get_bind().dialect.name == "postgresql":
        return func.timezone("UTC", func.now(), type_=DateTime())  # naive UTC, like the columns
    return now


def _statements(postgres: bool, database_clock: bool):
    """The acquisition query and the lock update, built once per dialect and clock on the
    table (no ORM entity: an ORM statement is compiled again on every execution)."""
    job = Job.__table__
    now = bindparam("now", type_=DateTime())
    lock_now = func.timezone("UTC", func.now(), type_=DateTime()) if postgres and database_clock \
        else now  # see lock_clock
    locked = job.alias("locked")
    # an exclusive job waits while another exclusive job of its process instance is locked
    busy_instance = exists().where(locked.c.process_instance_id == job.c.process_instance_id,
                                   locked.c.exclusive.is_(True),
                                   locked.c.lock_expiration_time >= lock_now,
                                   locked.c.id != job.c.id)
    stmt = (select(job.c.id, job.c.process_instance_id, job.c.exclusive)
            .where(job.c.suspended.is_(False), job.c.retries > 0,
                   or_(job.c.due_date.is_(None), job.c.due_date <= now),
                   or_(job.c.lock_expiration_time.is_(None), job.c.lock_expiration_time < lock_now),
                   or_(job.c.process_instance_id.is_(None), job.c.exclusive.is_(False),
                       ~busy_instance))
            .order_by(job.c.priority.desc(), job.c.create_time, job.c.id)
            .limit(bindparam("limit", type_=Integer())))
    if postgres:
        stmt = stmt.with_for_update(of=job, skip_locked=True)
    until = lock_now + bindparam("lock_time", type_=Interval()) if lock_now is not now \
        else bindparam("until", type_=DateTime())
    lock = (update(job).where(job.c.id.in_(bindparam("ids", expanding=True)))
            .values(lock_owner=bindparam("owner"), lock_expiration_time=until))
    return stmt, lock


_STATEMENTS = {(postgres, database_clock): _statements(postgres, database_clock)
               for postgres in (False, True) for database_clock in (False, True)}


def acquire(session: Session, *, owner: str, now: datetime, lock_time: timedelta, limit: int,
            database_clock: bool = True) -> list[str]:
    """Lock up to ``limit`` executable jobs for ``owner`` for ``lock_time``; return their ids.

    Due dates are compared with ``now`` (they were computed from process clocks); locks with
    ``lock_clock``.
    """
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    stmt, lock = _STATEMENTS[postgres, database_clock and postgres]
    ids, instances = [], set()
    for row in connection.execute(stmt, {"now": now, "limit": limit}).all():
        if row.exclusive and row.process_instance_id is not None:
            if row.process_instance_id in instances:
                continue  # one exclusive job per instance and round
            instances.add(row.process_instance_id)
        ids.append(row.id)
    if ids:
        connection.execute(lock, {"ids": ids, "owner": owner, "until": now + lock_time,
                                  "lock_time": lock_time})
    return ids


def release(session: Session, *, owner: str, job_ids: Iterable[str]) -> int:
    """Unlock the jobs among ``job_ids`` that ``owner`` still holds; returns how many."""
    ids = list(job_ids)
    if not ids:
        return 0
    return session.execute(update(Job).where(Job.id.in_(ids), Job.lock_owner == owner)
                           .values(lock_owner=None, lock_expiration_time=None)).rowcount
