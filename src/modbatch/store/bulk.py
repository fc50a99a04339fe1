"""Bulk inserts straight to the driver: rows as tuples, streamed, no per-row SQLAlchemy work.

A batch of a million instances stores a million item rows. Handing SQLAlchemy a list of a
million dicts costs more time than the database spends on them and holds them all in memory;
here the rows stream from an iterator into ``executemany`` (SQLite) or ``COPY`` (PostgreSQL),
inside the session's transaction.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import (Column, Integer, MetaData, Select, String, Table, func, insert, literal,
                        select)
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


# an INSERT ... SELECT's rowcount is -1 through some drivers unless asked to keep it
_ROWCOUNT = {"preserve_rowcount": True}
_NUMBERED = Table("modbatch_numbered", MetaData(), Column("n", Integer, primary_key=True),
                  Column("value", String), prefixes=["TEMPORARY"])


def insert_numbered(session: Session, table: Table, rows: Select, *, value_column: str,
                    number_column: str, constants: Mapping[str, Any], first: int) -> int:
    """Insert a row per value of ``rows`` (a one-column SELECT), numbered from ``first`` in
    ascending value order, with ``constants`` in the other columns; returns how many.

    PostgreSQL numbers with ``row_number()``. SQLite's window functions take seconds over a
    million rows, so there the values go through a temporary table whose INTEGER PRIMARY KEY
    numbers them as they are inserted in order."""
    columns = [*constants, number_column, value_column]
    values = rows.order_by(None).subquery()
    value = values.c[0]
    fixed = [literal(v) for v in constants.values()]
    if session.get_bind().dialect.name == "postgresql":
        numbered = select(*fixed, func.row_number().over(order_by=value) + (first - 1), value)
        return session.execute(insert(table).from_select(columns, numbered),
                               execution_options=_ROWCOUNT).rowcount
    connection = session.connection()
    _NUMBERED.create(connection)
    try:
        session.execute(insert(_NUMBERED).from_select(["value"],
                                                      select(value).order_by(value)))
        count = session.execute(
            insert(table).from_select(columns, select(*fixed, _NUMBERED.c.n + (first - 1),
                                                      _NUMBERED.c.value)),
            execution_options=_ROWCOUNT).rowcount
    finally:
        _NUMBERED.drop(connection)
    return count
