"""Bulk inserts straight to the driver: rows as tuples, streamed, no per-row SQLAlchemy work.

A batch of a million instances stores a million item rows. Handing SQLAlchemy a list of a
million dicts costs more time than the database spends on them and holds them all in memory;
here the rows stream from an iterator into ``executemany`` (SQLite) or ``COPY`` (PostgreSQL),
inside the session's transaction.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, columns: Sequence[str],
                rows: Iterable[tuple]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns how many."""
    connection = session.connection()  # begins (or joins) the session's transaction
    driver = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        count = 0
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({names}) "
                           f"VALUES ({', '.join('?' * len(columns))})", rows)
        return cursor.rowcount
    finally:
        cursor.close()
