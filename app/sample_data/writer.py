"""Bulk writers for generated rows: a SQLite fast path and a portable SQLAlchemy Core path.

SQLite: one plain ``sqlite3`` connection, ``executemany`` of tuples, synchronous=OFF and
foreign-key checks off for the load, and the epoch-to-text conversion of timestamps done by
SQLite itself (``datetime(?, 'unixepoch')``, cheaper than ``strftime`` and far cheaper than
Python), in exactly the text form SQLAlchemy stores. Everything else (PostgreSQL): ``insert(table)`` executemany over lists
of dicts with real datetimes and JSON values.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Engine, Table, insert
from sqlalchemy.types import TypeDecorator

from app.db.base import Base, UTCDateTime

# SQLAlchemy's SQLite DATETIME storage format, produced inside SQLite from epoch seconds.
_SQLITE_TS = "datetime(?, 'unixepoch') || '.000000'"


def _is_datetime(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, UTCDateTime)


def _is_json(table: Table, column: str) -> bool:
    col_type = table.c[column].type
    if isinstance(col_type, TypeDecorator):
        col_type = col_type.impl_instance
    return isinstance(col_type, JSON)


class BulkWriter(Protocol):
    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


class SQLiteBulkWriter:
    """Writes through its own sqlite3 connection in large transactions."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-262144",
                       "temp_store=MEMORY", "busy_timeout=30000"):
            self._db.execute(f"PRAGMA {pragma}")
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._in_tx = False

    def _statement(self, table: str, columns: Sequence[str]) -> str:
        key = (table, tuple(columns))
        sql = self._sql.get(key)
        if sql is None:
            t = Base.metadata.tables[table]
            values = ", ".join(_SQLITE_TS if _is_datetime(t, c) else "?" for c in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"
            self._sql[key] = sql
        return sql

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True
        self._db.executemany(self._statement(table, columns), rows)

    def commit(self) -> None:
        if self._in_tx:
            self._db.execute("COMMIT")
            self._in_tx = False

    def close(self) -> None:
        self.commit()
        self._db.close()


class CoreBulkWriter:
    """Portable path: converts epoch seconds and JSON text, then ``insert()`` executemany."""

    def __init__(self, engine: Engine, batch: int = 5_000) -> None:
        self._engine = engine
        self._batch = batch
        self._conn = engine.connect()
        self._tx = self._conn.begin()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        t = Base.metadata.tables[table]
        converters = [
            _from_epoch if _is_datetime(t, c) else (_from_json if _is_json(t, c) else None)
            for c in columns
        ]
        stmt = insert(t)
        for start in range(0, len(rows), self._batch):
            payload = [
                {c: (f(v) if f is not None and v is not None else v)
                 for c, f, v in zip(columns, converters, row, strict=True)}
                for row in rows[start:start + self._batch]
            ]
            self._conn.execute(stmt, payload)

    def commit(self) -> None:
        self._tx.commit()
        self._tx = self._conn.begin()

    def close(self) -> None:
        self._tx.commit()
        self._conn.close()


def _from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _from_json(value: str) -> Any:
    return json.loads(value)


def make_writer(engine: Engine) -> BulkWriter:
    """The SQLite fast path for file databases, the Core path for everything else."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        return SQLiteBulkWriter(url.database)
    return CoreBulkWriter(engine)
