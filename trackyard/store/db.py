"""A thin database layer: transactions, parameter style and the few SQL dialect differences.

The SQL store writes portable SQL with `?` placeholders; a `Database` hands out read and
write transactions as `Tx` objects and hides how its driver spells things.
"""

from __future__ import annotations

import math
import re
import time
from abc import ABC, abstractmethod
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from enum import Enum
from functools import lru_cache
from typing import Any

from ..errors import ApiError

Row = tuple[Any, ...]
# A row read by `Tx.rows` / `Tx.row`: a tuple that also has an attribute per column, named as
# the query's select list names it (`r.lifecycle_stage` -> `row.lifecycle_stage`).
NamedRow = Any
Statement = tuple[str, Sequence[Any]]
# One row's placeholders in an INSERT, and how many parameters one statement may carry
# (SQLite's smallest compiled-in limit).
_VALUES_ROW = re.compile(r"\bVALUES (\(\?(?:, \?)*\))")
MAX_PARAMS = 999


class Plan(Enum):
    """How PostgreSQL plans a search's queries; SQLite plans them as written (it follows
    CROSS JOIN). Each reads about a page's worth of index entries, so none starts parallel
    workers.

    CHOSEN: the planner's choice, made for each execution's own values.
    WRITTEN_ORDER: nested loops over index scans in the written join order. Its cost model
    prices a thousand index probes above a scan of every run, and would read all of them
    where one page is wanted.
    BY_INDEX: the rows of a page of runs, by index: a scan of even a small table grows with
    it, while the index reads of a page stay as many.
    """

    CHOSEN = "chosen"
    WRITTEN_ORDER = "written order"
    BY_INDEX = "by index"


class Dialect:
    """SQL spellings that differ between backends; SQLite's by default."""

    name = "sqlite"
    # Whether a WITH query may hold INSERTs, making several writes one statement.
    writes_in_with = False

    def like(self, column: str) -> str:
        return f"{column} LIKE ?"  # case-sensitive: the connection sets case_sensitive_like

    def ilike(self, column: str) -> str:
        return f"LOWER({column}) LIKE LOWER(?)"

    def regex(self, column: str) -> str:
        """A regular expression search in the column (MLflow's RLIKE): Python's re, which
        the connection registers as REGEXP."""
        return f"{column} REGEXP ?"

    def is_number(self, column: str) -> str:
        """True for a stored double that is not NaN (SQLite stores NaN as NULL)."""
        return f"{column} IS NOT NULL"

    def param(self, sql: str) -> str:
        return sql

    def per_row(self, table: str, alias: str, condition: str) -> tuple[str, str | None]:
        """A FROM item, after CROSS JOIN, that joins `table` to each row of the items before
        it on `condition` (with its parameters where the item stands), whatever the planner
        estimates; and the condition if WHERE must still apply it. SQLite keeps the written
        order of a CROSS JOIN."""
        return f"{table} {alias}", condition

    def first_with_ties(self, ordered: str) -> str | None:
        """The rows of the `ordered` query up to a number (a parameter after its own) and
        any tied with the last of them in its order; None if the database cannot."""
        return None

    def any_id(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """`column` equal to one of `ids` (at most MAX_PARAMS of them), as SQL and params."""
        return f"{column} IN ({placeholders(len(ids))})", list(ids)


def now_ms() -> int:
    """Time as every table stores it: milliseconds since the epoch."""
    return int(time.time() * 1000)


@lru_cache(maxsize=512)
def row_class(names: tuple[str, ...]) -> type[Any]:
    """A namedtuple class per select list, made once: a named row then costs what a tuple
    does plus one C-level `_make`. Names that are not identifiers (an expression's) become
    `_<position>`."""
    return namedtuple("NamedRow", names, rename=True)


def _row_maker(cursor: Any) -> Any:
    """Builds named rows from the cursor's columns; sqlite3 and psycopg both describe a
    column by a sequence whose first item is its name."""
    return row_class(tuple(column[0] for column in cursor.description))._make


def from_db_float(value: float | str | None) -> float:
    """SQLite stores NaN as NULL (or as the text 'NaN' in a metric point); turn it back."""
    return math.nan if value is None or value == "NaN" else float(value)


class Tx:
    """One transaction on one connection."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.cursor.execute(self.dialect.param(sql), params)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self.execute(sql, params).fetchone()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[NamedRow]:
        """Rows whose columns are read by name (`row.name`): for every path that is not
        measured hot, so a change of the select list cannot shift what a number points at."""
        cursor = self.execute(sql, params)
        return list(map(_row_maker(cursor), cursor.fetchall()))

    def row(self, sql: str, params: Sequence[Any] = ()) -> NamedRow | None:
        """The first row, its columns read by name; None if there is none."""
        cursor = self.execute(sql, params)
        row = cursor.fetchone()
        return None if row is None else _row_maker(cursor)(row)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the transaction that an error undoes alone (and then goes on)."""
        self.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK TO SAVEPOINT part")
            self.execute("RELEASE SAVEPOINT part")
            raise
        self.execute("RELEASE SAVEPOINT part")

    def batch(self, statements: Sequence[Statement], plan: Plan | None = None) -> list[list[Row]]:
        """Each query's rows, in order, planned as `plan` says. PostgreSQL sends them all in
        one round trip."""
        return [self.all(sql, params) for sql, params in statements]

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """An INSERT of many rows as a few multi-row statements: half the CPU of executemany,
        which runs the statement once per row (1000 metric points: ~1.1 ms -> ~0.5 ms)."""
        rows = list(rows)
        match = _VALUES_ROW.search(sql)
        if not rows or match is None:
            if rows:
                self.cursor.executemany(self.dialect.param(sql), rows)
            return
        head, row_marks, tail = sql[: match.start(1)], match.group(1), sql[match.end(1) :]
        for part in chunks(rows, max(1, MAX_PARAMS // len(rows[0]))):
            self.execute(
                f"{head}{', '.join([row_marks] * len(part))}{tail}",
                [value for row in part for value in row],
            )


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


class UniqueViolation(ApiError):
    """A write broke a unique key: what it names exists already, often since a concurrent
    writer won the race between a check and the write. MLflow's RESOURCE_ALREADY_EXISTS, never
    a 500 (which the stock client retries for minutes); a store that has MLflow's own message
    for the key catches it and says that instead."""

    def __init__(self, table: str) -> None:
        super().__init__(
            f"Resource already exists: another entry of '{table}' has the same key.",
            "RESOURCE_ALREADY_EXISTS",
        )
        self.table = table


class Database(ABC):
    dialect: Dialect
    # The engine runs inside this process (SQLite): a call waits on nothing but its own
    # CPU and the disk, never on a round trip to a server.
    in_process: bool = False

    @abstractmethod
    def read(self) -> AbstractContextManager[Tx]:
        """A consistent snapshot for several reads."""

    def read_apart(self) -> AbstractContextManager[Tx]:
        """Reads that share no snapshot: each statement, or each batch, sees what was
        committed when it started (what PostgreSQL's READ COMMITTED gives a transaction's
        statements anyway). A search page's queries need no more: its page token carries
        its place. PostgreSQL then sends no BEGIN and no COMMIT, two round trips of three
        or four; elsewhere this is `read`."""
        return self.read()

    @abstractmethod
    def write(self) -> AbstractContextManager[Tx]:
        """A transaction that commits durably on success and rolls back on any error."""

    def write_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """One statement that is a whole write transaction; its first row. A driver that pays
        a round trip for BEGIN and another for COMMIT can send it alone (autocommit)."""
        with self.write() as tx:
            return tx.one(sql, params)

    @abstractmethod
    def close(self) -> None: ...

    def pool_stats(self) -> dict[str, int]:
        """Connections by state (max, open, in_use, idle) and callers waiting for one: what
        /metrics shows of the database (see trackyard/prometheus.py)."""
        return {}

    @staticmethod
    def unique_table(error: BaseException) -> str | None:
        """The table whose unique key the driver's `error` says a write broke, else None."""
        return None

    def raise_unique_violation(self, error: BaseException) -> None:
        """Raise a UniqueViolation for a driver's unique-key error; return for any other.
        Write transactions call it as their error leaves them (after the rollback), so
        success pays nothing for it."""
        table = self.unique_table(error)
        if table is not None:
            raise UniqueViolation(table) from error


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Keep `IN (...)` lists under every driver's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
