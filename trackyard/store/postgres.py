"""PostgreSQL for teams: a psycopg 3 connection pool, multi-row inserts, migrations under an
advisory lock so that many servers starting together on an empty database migrate once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from . import migrations
from .db import Database, Dialect, Tx

# Any fixed 64-bit number, private to trackyard, names the migration lock.
MIGRATION_LOCK = 7_362_514_019
POOL_SIZE = int(os.environ.get("TRACKYARD_PG_POOL_SIZE", "10"))
_SCHEMES = re.compile(r"^(postgres|postgresql)(\+\w+)?://")
_INSERT = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\) VALUES \([^)]*\)(.*)$", re.DOTALL)


def normalise_uri(uri: str) -> str:
    """Accept the spellings MLflow users have in their configs: postgres://, +psycopg2 ..."""
    if not _SCHEMES.match(uri):
        raise ValueError(f"Invalid PostgreSQL URI '{uri}': expected postgresql://user@host/db")
    return _SCHEMES.sub("postgresql://", uri)


@lru_cache(maxsize=1024)
def _format_style(sql: str) -> str:
    return sql.replace("?", "%s")


class PostgresDialect(Dialect):
    name = "postgresql"

    def like(self, column: str) -> str:
        return f"{column} LIKE ?"

    def ilike(self, column: str) -> str:
        return f"{column} ILIKE ?"

    def is_number(self, column: str) -> str:
        # PostgreSQL keeps NaN, and sorts it above every number; MLflow treats it as missing.
        return f"({column} IS NOT NULL AND {column} <> CAST('NaN' AS DOUBLE PRECISION))"

    def param(self, sql: str) -> str:
        return _format_style(sql)


ColumnTypes = Callable[[str], dict[str, str]]


class PostgresTx(Tx):
    def __init__(self, cursor: Any, dialect: Dialect, column_types: ColumnTypes) -> None:
        super().__init__(cursor, dialect)
        self.column_types = column_types

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """A whole batch as one INSERT ... SELECT FROM unnest(arrays): one statement, one
        plan and five parameters however many rows, about 3x faster than multi-row VALUES."""
        rows = list(rows)
        match = _INSERT.match(sql)
        if not rows or not match:
            super().many(sql, rows)
            return
        table, columns, tail = match.groups()
        types = self.column_types(table)
        arrays = ", ".join(f"CAST(? AS {types[name.strip()]}[])" for name in columns.split(","))
        self.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}){tail}",
            [list(column) for column in zip(*rows, strict=True)],
        )


class PostgresDatabase(Database):
    dialect = PostgresDialect()

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.pool = ConnectionPool(
            uri, min_size=1, max_size=POOL_SIZE, open=True, name="trackyard", timeout=30
        )

    @classmethod
    def open(cls, uri: str) -> PostgresDatabase:
        uri = normalise_uri(uri)
        migrate(uri)
        return cls(uri)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.pool.connection() as connection:
            yield PostgresTx(connection.cursor(), self.dialect, self.column_types)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        # The pool commits when the block ends cleanly and rolls back on any exception.
        with self.pool.connection() as connection:
            yield PostgresTx(connection.cursor(), self.dialect, self.column_types)

    @cache  # noqa: B019 - one database object per process; the schema is fixed after start-up
    def column_types(self, table: str) -> dict[str, str]:
        with self.pool.connection() as connection:
            rows = connection.execute(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                "WHERE attrelid = CAST(%s AS regclass) AND attnum > 0 AND NOT attisdropped",
                (table,),
            ).fetchall()
        return dict(rows)

    def close(self) -> None:
        self.pool.close()


def _revision(connection: psycopg.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


def migrate(uri: str) -> None:
    with psycopg.connect(uri, autocommit=True) as connection:
        if _revision(connection) == migrations.head_revision():
            return
        connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            revision = _revision(connection)
            if revision is not None and revision not in migrations.known_revisions():
                raise RuntimeError(
                    f"The database has schema revision {revision}, newer than this trackyard "
                    f"knows (head {migrations.head_revision()}). Upgrade trackyard."
                )
            if revision != migrations.head_revision():
                _upgrade(uri)
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def _upgrade(uri: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            migrations.upgrade(connection)
    finally:
        engine.dispose()
