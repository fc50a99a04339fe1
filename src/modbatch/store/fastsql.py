"""Plain DBAPI statements for the batch engine's hot path, and the dialect differences they need.

SQLAlchemy costs tens of microseconds per statement and a few per row; an execution job runs a
fixed handful of statements over hundreds of rows, so its hot path talks to the driver directly,
inside the session's transaction. Statements are written once with ``?`` placeholders and an
``{ids}`` slot for an id list; what differs between SQLite and PostgreSQL lives here:
placeholders (``?`` / ``%s``), id lists (``IN (?, ?, ...)`` in chunks / ``= ANY(%s)``) and how a
timestamp is bound (SQLAlchemy's SQLite text format / a datetime).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session

# SQLite accepts at most 32766 bound parameters per statement; stay well below for IN lists.
CHUNK = 900
# PostgreSQL receives a list of ids as one text joined by the unit separator, a character no id
# can hold (XML names and generated ids have no control characters)
SEPARATOR = chr(31)


class Raw:
    """The session's DBAPI connection, for statements with an ``{ids}`` slot and row lists."""

    __slots__ = ("postgres", "_dbapi")

    def __init__(self, session: Session | Connection) -> None:
        # a session's connection (which begins the session's transaction if needed)
        connection = session if isinstance(session, Connection) else session.connection()
        self.postgres = connection.dialect.name == "postgresql"
        self._dbapi = connection.connection.dbapi_connection

    @classmethod
    def of(cls, session: Session) -> "Raw":
        """The session's Raw for its current transaction (asking the session for its connection
        costs more than most of the statements run through it)."""
        cached = session.info.get("modbatch.raw")
        transaction = session.get_transaction()
        if cached is not None and transaction is not None and cached[0] is transaction:
            return cached[1]
        raw = cls(session)
        session.info["modbatch.raw"] = (session.get_transaction(), raw)
        return raw

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def timestamp(self, moment: datetime | None) -> Any:
        """Bind a naive UTC datetime the way SQLAlchemy's DateTime column stores it."""
        if moment is None or self.postgres:
            return moment
        return moment.isoformat(" ", "microseconds")

    def execute(self, text: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the affected row count."""
        cursor = self._dbapi.cursor()
        cursor.execute(self._sql(text), params)
        return cursor.rowcount

    def executemany(self, text: str, rows: list[Sequence[Any]]) -> None:
        if rows:
            self._dbapi.cursor().executemany(self._sql(text), rows)

    def insert(self, table: Table, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
        """Insert row tuples: an executemany on SQLite, a COPY on PostgreSQL (a fraction of the
        client's and the server's work per row of an INSERT each)."""
        if not rows:
            return
        if not self.postgres:
            self._dbapi.cursor().executemany(insert_sql(table, columns), rows)
            return
        with self._dbapi.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def insert_dicts(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """``insert`` for rows given as dicts with the same keys (datetimes bound as stored)."""
        if not rows:
            return
        names = tuple(rows[0])
        self.insert(table, names, [
            tuple(self.timestamp(row[name]) if isinstance(row[name], datetime) else row[name]
                  for name in names) for row in rows])

    def rows(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self._dbapi.cursor()
        cursor.execute(self._sql(text), params)
        return cursor.fetchall()

    def _by_ids(self, text: str, ids: Sequence[Any], before: Sequence[Any]) -> Iterable[Any]:
        """The statement and parameters per chunk of ``ids`` (``{ids}`` is the list test)."""
        if self.postgres:
            if all(type(i) is str for i in ids):  # one text to split beats dumping a list
                yield self._dbapi.cursor(), text.replace(
                    "{ids}", "= ANY(string_to_array(?, chr(31)))").replace("?", "%s"), \
                    (*before, SEPARATOR.join(ids))
                return
            yield self._dbapi.cursor(), text.replace("{ids}", "= ANY(?)").replace("?", "%s"), \
                (*before, list(ids))
            return
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            yield self._dbapi.cursor(), text.replace("{ids}", f"IN ({','.join('?' * len(part))})"), \
                (*before, *part)

    def rows_in(self, text: str, ids: Sequence[Any], before: Sequence[Any] = ()) -> list[tuple]:
        """SELECT rows whose ``{ids}`` column is one of ``ids``."""
        result: list[tuple] = []
        if ids:
            for cursor, sql, params in self._by_ids(text, ids, before):
                cursor.execute(sql, params)
                result.extend(cursor.fetchall())
        return result

    def execute_in(self, text: str, ids: Sequence[Any], before: Sequence[Any] = ()) -> int:
        """UPDATE or DELETE where the ``{ids}`` column is one of ``ids``; returns the row count."""
        count = 0
        if ids:
            for cursor, sql, params in self._by_ids(text, ids, before):
                cursor.execute(sql, params)
                count += cursor.rowcount
        return count


@functools.lru_cache(maxsize=256)
def insert_sql(table: Table, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` for a row-tuple executemany."""
    for name in columns:
        table.c[name]  # a misspelt column fails at once, not in a job
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")
