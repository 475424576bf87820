"""PostgreSQL for teams: a psycopg 3 connection pool, multi-row inserts, migrations under an
advisory lock so that many servers starting together on an empty database migrate once."""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from psycopg.postgres import types as pg_types
from psycopg.pq import Format, TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from . import migrations
from .db import Database, Dialect, Plan, Row, Statement, Tx

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
    writes_in_with = True

    def like(self, column: str) -> str:
        return f"{column} LIKE ?"

    def ilike(self, column: str) -> str:
        return f"{column} ILIKE ?"

    def regex(self, column: str) -> str:
        return f"{column} ~ ?"

    def is_number(self, column: str) -> str:
        # PostgreSQL keeps NaN, and sorts it above every number; MLflow treats it as missing.
        return f"({column} IS NOT NULL AND {column} <> CAST('NaN' AS DOUBLE PRECISION))"

    def param(self, sql: str) -> str:
        return _format_style(sql)

    def per_row(self, table: str, alias: str, condition: str) -> tuple[str, str | None]:
        """LATERAL: only a nested loop can evaluate it, so the rows before it come first;
        OFFSET 0 keeps the planner from flattening it into a join it may turn around."""
        return f"LATERAL (SELECT * FROM {table} {alias} WHERE {condition} OFFSET 0) {alias}", None

    def first_with_ties(self, ordered: str) -> str | None:
        return f"{ordered} FETCH FIRST ? ROWS WITH TIES"

    def any_id(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """One array parameter, sent packed: one statement text (prepared once) for any
        number of ids, and no per-id parameter to adapt."""
        return f"{column} = ANY(CAST(? AS integer[]))", [_array_param(ids, "integer")]


# Table -> column -> type, as format_type spells it ("integer", "character varying", ...).
ColumnTypes = Mapping[str, Mapping[str, str]]


class PackedArray(bytes):
    """A one-dimensional array of numbers already in PostgreSQL's binary array format."""


class PackedArrayDumper(Dumper):
    """Sends a PackedArray as is. Its oid stays unspecified: every use is inside
    `CAST(? AS <type>[])`, and the server checks the element type the array names."""

    format = Format.BINARY

    def dump(self, obj: PackedArray) -> bytes:
        return obj


psycopg.adapters.register_dumper(PackedArray, PackedArrayDumper)


def _oid(type_name: str) -> int:
    """A built-in type's oid, which psycopg knows without asking the server."""
    info = pg_types.get(type_name)
    assert info is not None, type_name
    return info.oid


# Column type -> (element type oid, struct code) for the columns a batch sends packed.
_PACKED_ELEMENTS = {
    "integer": (_oid("int4"), "i"),
    "bigint": (_oid("int8"), "q"),
    "double precision": (_oid("float8"), "d"),
}


_LENGTH = struct.Struct(">i")


@lru_cache(maxsize=256)
def _array_layout(code: str, count: int) -> struct.Struct:
    """Header (dimensions, no nulls, element oid, length, lower bound), then each element
    as its length and its big-endian value."""
    return struct.Struct(f">iiIii{('i' + code) * count}")


_BYTEA_OID = _oid("bytea")
IDLE = TransactionStatus.IDLE


def _array_param(column: Sequence[Any], column_type: str) -> Any:
    """A column of numbers packed in C by struct, 10x faster than psycopg's per-element
    dumping of a list; anything struct refuses (None, text, out of range) goes as a list.
    A column of bytes goes packed too: psycopg would send each element as escaped text."""
    if column_type == "bytea" and all(type(value) is bytes for value in column):
        header = _array_layout("", 0).pack(1, 0, _BYTEA_OID, len(column), 1)
        return PackedArray(header + b"".join(_LENGTH.pack(len(v)) + v for v in column))
    element = _PACKED_ELEMENTS.get(column_type)
    if element is None:
        return list(column)
    oid, code = element
    size = struct.calcsize(code)
    count = len(column)
    try:
        packed = _array_layout(code, count).pack(
            1, 0, oid, count, 1, *chain.from_iterable(zip([size] * count, column, strict=True))
        )
    except (struct.error, TypeError):
        return list(column)
    return PackedArray(packed)


# Planner settings for each Plan. A prepared query is planned for each execution, as the best
# plan depends on the values (an experiment's size, a walk's bounds).
_CHOSEN = (("max_parallel_workers_per_gather", "0"), ("plan_cache_mode", "force_custom_plan"))
_PLAN_SETTINGS = {
    Plan.CHOSEN: _CHOSEN,
    Plan.WRITTEN_ORDER: (
        *_CHOSEN,
        ("enable_hashjoin", "off"),
        ("enable_mergejoin", "off"),
        ("enable_bitmapscan", "off"),
        ("enable_seqscan", "off"),
        ("join_collapse_limit", "1"),
        # Each probe is for another run (a run has one entry of a key): a cache of the
        # probes' results never hits and costs a hash insert for each.
        ("enable_memoize", "off"),
    ),
    Plan.BY_INDEX: (("max_parallel_workers_per_gather", "0"), ("enable_seqscan", "off")),
}


class PostgresTx(Tx):
    def __init__(self, cursor: Any, dialect: Dialect, column_types: ColumnTypes) -> None:
        super().__init__(cursor, dialect)
        self.column_types = column_types

    def batch(self, statements: Sequence[Statement], plan: Plan | None = None) -> list[list[Row]]:
        """All statements in one pipeline, each on a cursor of its own. A plan's settings
        come first, scoped to these statements: by the pipeline's own implicit transaction
        outside a transaction (`read_apart`), else by a savepoint, rolling back to which
        undoes them (and nothing else, as the statements only read)."""
        connection = self.cursor.connection
        if plan is not None:
            settings = ", ".join(f"set_config('{k}', '{v}', true)" for k, v in _PLAN_SETTINGS[plan])
            if connection.autocommit and connection.info.transaction_status == IDLE:
                # Outside a transaction, the pipeline's statements run as one implicit
                # transaction up to its Sync, at which the local settings end.
                return self.batch([(f"SELECT {settings}", ()), *statements])[1:]
            head = [("SAVEPOINT plan", ()), (f"SELECT {settings}", ())]
            tail = [("ROLLBACK TO SAVEPOINT plan", ()), ("RELEASE SAVEPOINT plan", ())]
            return self.batch([*head, *statements, *tail])[len(head) : -len(tail)]
        with connection.pipeline():
            # Rows in binary: numbers need no parsing from text (a page's rows: ~1 ms less).
            cursors = [connection.cursor(binary=True) for _ in statements]
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(self.dialect.param(sql), params)
        results = [cursor.fetchall() if cursor.description else [] for cursor in cursors]
        for cursor in cursors:
            cursor.close()
        return results

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """A whole batch as one INSERT ... SELECT FROM unnest(arrays): one plan and one
        parameter per column however many rows (about 3x faster than multi-row VALUES)."""
        rows = list(rows)
        match = _INSERT.match(sql)
        if not rows or not match:
            super().many(sql, rows)
            return
        table, columns, on_conflict = match.groups()
        types = [self.column_types[table][name.strip()] for name in columns.split(",")]
        arrays = ", ".join(f"CAST(? AS {column_type}[])" for column_type in types)
        params = [
            _array_param(column, column_type)
            for column_type, column in zip(types, zip(*rows, strict=True), strict=True)
        ]
        self.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}){on_conflict}", params
        )


class PostgresDatabase(Database):
    dialect = PostgresDialect()

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.pool = ConnectionPool(
            uri, min_size=1, max_size=POOL_SIZE, open=True, name="trackyard", timeout=30
        )
        with self.pool.connection() as connection:
            self.column_types = _column_types(connection)

    @classmethod
    def open(cls, uri: str, migrate: bool = True) -> PostgresDatabase:
        """The database at `uri`, brought to head, or (`migrate=False`) refused unless there."""
        uri = normalise_uri(uri)
        if migrate:
            migrate_to_head(uri)
        else:
            migrations.check_revision(revision(uri), "The database")
        return cls(uri)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.pool.connection() as connection:
            yield PostgresTx(connection.cursor(), self.dialect, self.column_types)

    @contextmanager
    def read_apart(self) -> Iterator[Tx]:
        """In autocommit: no BEGIN (its own round trip before the first statement) and no
        COMMIT (another after the last)."""
        with self.pool.connection() as connection:
            connection.autocommit = True
            try:
                yield PostgresTx(connection.cursor(), self.dialect, self.column_types)
            finally:
                if not connection.broken:  # the pool replaces a broken connection
                    connection.autocommit = False

    @contextmanager
    def write(self) -> Iterator[Tx]:
        # The pool commits when the block ends cleanly and rolls back on any exception.
        try:
            with self.pool.connection() as connection:
                yield PostgresTx(connection.cursor(), self.dialect, self.column_types)
        except psycopg.errors.UniqueViolation as error:
            self.raise_unique_violation(error)
            raise

    def write_one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        """In autocommit mode the statement commits itself: one round trip, not three."""
        with self.pool.connection() as connection:
            connection.autocommit = True
            try:
                return connection.execute(self.dialect.param(sql), params).fetchone()
            except psycopg.errors.UniqueViolation as error:
                self.raise_unique_violation(error)
                raise
            finally:
                if not connection.broken:  # the pool replaces a broken connection
                    connection.autocommit = False

    @staticmethod
    def unique_table(error: BaseException) -> str | None:
        if isinstance(error, psycopg.errors.UniqueViolation):
            return error.diag.table_name or "unknown"
        return None

    def pool_stats(self) -> dict[str, int]:
        stats = self.pool.get_stats()
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        return {
            "max": stats.get("pool_max", 0),
            "open": size,
            "in_use": size - idle,
            "idle": idle,
            "waiting": stats.get("requests_waiting", 0),
        }

    def close(self) -> None:
        self.pool.close()


def _column_types(connection: psycopg.Connection) -> dict[str, dict[str, str]]:
    """Every column type of the schema's tables, read once when the database opens (after
    migrations: the schema is fixed from then on). A batch insert needs its table's types
    while its transaction holds a pool connection; looking them up on a second connection
    would deadlock a pool whose every connection is held by such a writer."""
    types: dict[str, dict[str, str]] = {}
    with connection.cursor(row_factory=dict_row) as cursor:
        for row in cursor.execute(
            "SELECT c.relname AS table_name, a.attname AS column_name, "
            "format_type(a.atttypid, NULL) AS column_type FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND a.attnum > 0 AND NOT a.attisdropped"
        ):
            types.setdefault(row["table_name"], {})[row["column_name"]] = row["column_type"]
    return types


def _revision(connection: psycopg.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


def revision(uri: str) -> str | None:
    """The schema revision alembic stamped, None before any."""
    with psycopg.connect(uri, autocommit=True) as connection:
        return _revision(connection)


def migrate_to_head(uri: str) -> None:
    """Upgrade to head; concurrent starters queue on an advisory lock and re-check."""
    with psycopg.connect(uri, autocommit=True) as connection:
        if _revision(connection) == migrations.head_revision():
            return
        connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            migrations.bring_to_head(
                revision=lambda: _revision(connection),
                is_empty=lambda: _is_empty(connection),
                create_head=lambda: _create_head(connection),
                upgrade_to_head=lambda: _upgrade(uri),
                database="The database",
            )
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def _is_empty(connection: psycopg.Connection) -> bool:
    """Nothing at all in the schema that new tables go to, as after CREATE DATABASE."""
    row = connection.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_class JOIN pg_namespace ON pg_namespace.oid = "
        "relnamespace WHERE nspname = current_schema())"
    ).fetchone()
    return row is not None and not row[0]


def _create_head(connection: psycopg.Connection) -> None:
    """The head schema and its stamp in one transaction, without alembic (fast start)."""
    with connection.transaction():
        for statement in migrations.head_statements(PostgresDialect.name):
            connection.execute(statement)


def _upgrade(uri: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            migrations.upgrade(connection)
    finally:
        engine.dispose()
