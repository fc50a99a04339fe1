"""Job acquisition, the one statement whose SQL differs by dialect.

PostgreSQL claims rows with ``FOR UPDATE SKIP LOCKED`` so that many executors share the work
without waiting on each other; SQLite has a single writer (``BEGIN IMMEDIATE``) and needs no
row locks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from modbatch.store.tables import Job


def _candidates(postgres: bool):
    """The acquisition query, built once per dialect: building it (an aliased table, an EXISTS)
    costs more than running it."""
    locked = aliased(Job)
    now = bindparam("now", type_=DateTime())
    # an exclusive job waits while another exclusive job of its process instance is locked
    busy_instance = exists().where(locked.process_instance_id == Job.process_instance_id,
                                   locked.exclusive.is_(True), locked.lock_expiration_time >= now,
                                   locked.id != Job.id)
    stmt = (select(Job.id, Job.process_instance_id, Job.exclusive)
            .where(Job.suspended.is_(False), Job.retries > 0,
                   or_(Job.due_date.is_(None), Job.due_date <= now),
                   or_(Job.lock_expiration_time.is_(None), Job.lock_expiration_time < now),
                   or_(Job.process_instance_id.is_(None), Job.exclusive.is_(False),
                       ~busy_instance))
            .order_by(Job.priority.desc(), Job.create_time, Job.id)
            .limit(bindparam("limit", type_=Integer())))
    if postgres:
        stmt = stmt.with_for_update(of=Job, skip_locked=True)
    return stmt


_CANDIDATES = {postgres: _candidates(postgres) for postgres in (False, True)}
_LOCK = (update(Job.__table__).where(Job.__table__.c.id.in_(bindparam("ids", expanding=True)))
         .values(lock_owner=bindparam("owner"), lock_expiration_time=bindparam("until")))


def acquire(session: Session, *, owner: str, now: datetime, lock_until: datetime,
            limit: int) -> list[str]:
    """Lock up to ``limit`` executable jobs for ``owner`` and return their ids."""
    connection = session.connection()
    stmt = _CANDIDATES[connection.dialect.name == "postgresql"]
    ids, instances = [], set()
    for row in connection.execute(stmt, {"now": now, "limit": limit}).all():
        if row.exclusive and row.process_instance_id is not None:
            if row.process_instance_id in instances:
                continue  # one exclusive job per instance and round
            instances.add(row.process_instance_id)
        ids.append(row.id)
    if ids:
        connection.execute(_LOCK, {"ids": ids, "owner": owner, "until": lock_until})
    return ids
