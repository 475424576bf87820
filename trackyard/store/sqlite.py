"""SQLite, the embedded default: WAL mode, group commit, migrations under a lock."""

from __future__ import annotations

import fcntl
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import migrations
from .db import Database, Dialect, Tx

# Under a steady stream of writers, commit at the latest this long after a group opened.
MAX_GROUP_SECONDS = 0.002


# How long closing waits for a write in progress before it leaves the log as it is.
CLOSE_WAIT_SECONDS = 5


def sqlite_path(uri: str) -> Path:
    """`sqlite:///relative.db` and `sqlite:////absolute.db`, as SQLAlchemy spells them."""
    prefix, _, path = uri.partition(":///")
    if not path or not prefix.startswith("sqlite"):
        raise ValueError(f"Invalid SQLite URI '{uri}': expected sqlite:///path/to/file.db")
    return Path(path)


class _CommitGroup:
    """Writes that share one transaction, and so one fsync."""

    def __init__(self) -> None:
        self.opened = time.monotonic()
        self.writes = 0  # writes that succeeded in it so far
        self.done = False
        self.error: BaseException | None = None


class SQLiteDatabase(Database):
    """Reads on a connection per thread; writes on one shared connection, committed in groups.

    An fsync costs far more than a small write, so writers that arrive while a transaction is
    open or committing join it, each inside its own savepoint: a failing write rolls back alone,
    and every write returns only after the COMMIT (one fsync) that covers it succeeded. Alone,
    a write commits at once; under load, one fsync serves many.
    """

    dialect = Dialect()
    in_process = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._writer: sqlite3.Connection | None = None
        # One lock, two queues, so that handing the connection on wakes one thread, not all:
        # under eight concurrent writers, waking every waiter at each hand-over cost ~60
        # context switches a write.
        lock = threading.Lock()
        self._turn = threading.Condition(lock)  # writers queued for the connection
        self._committed = threading.Condition(lock)  # writers awaiting their group's commit
        self._busy = False  # a thread is using the write connection
        self._waiting = 0  # threads queued to use it
        self._group: _CommitGroup | None = None

    @classmethod
    def open(cls, uri: str, migrate: bool = True) -> SQLiteDatabase:
        """The database at `uri`, brought to head, or (`migrate=False`) refused unless there."""
        path = sqlite_path(uri)
        if not migrate and not path.exists():  # refused without creating an empty file
            migrations.check_revision(None, f"The database {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        database = cls(path)
        if migrate:
            database.migrate()
        else:
            migrations.check_revision(database.revision(), f"The database {path}")
        return database

    def migrate(self) -> None:
        """Upgrade to head; concurrent starters queue on a lock file and re-check."""
        if self.revision() == migrations.head_revision():
            return
        with open(f"{self.path}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            migrations.bring_to_head(
                self.revision,
                self._is_empty,
                self._create_head,
                self._upgrade,
                database=f"The database {self.path}",
            )

    def revision(self) -> str | None:
        """The schema revision alembic stamped, None before any."""
        connection = self._connection()
        try:
            return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        except (sqlite3.OperationalError, TypeError):
            return None

    def _is_empty(self) -> bool:
        return self._connection().execute("SELECT 1 FROM sqlite_master").fetchone() is None

    def _create_head(self) -> None:
        """The head schema and its stamp in one transaction, without alembic (fast start)."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations.head_statements(self.dialect.name):
                connection.execute(statement)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _upgrade(self) -> None:
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"sqlite:///{self.path}")
        try:
            with engine.begin() as connection:
                migrations.upgrade(connection)
        finally:
            engine.dispose()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        connection.execute("PRAGMA journal_mode=WAL")
        # FULL: every acknowledged write is on disk before we answer, not just in the OS.
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA case_sensitive_like=ON")
        connection.create_function("regexp", 2, _regexp, deterministic=True)
        return connection

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    @contextmanager
    def read(self) -> Iterator[Tx]:
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            yield Tx(connection.cursor(), self.dialect)
        finally:
            connection.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[Tx]:
        group, connection = self._join_group()
        # The write that opens a group is alone in it and can roll back the whole transaction;
        # later ones protect the writes before them with a savepoint.
        alone = not group.writes
        # Closed before the connection is handed on: a cursor that another thread's writes
        # outlive would reset its statement from this thread, in the middle of theirs.
        cursor = connection.cursor()
        try:
            if not alone:
                cursor.execute("SAVEPOINT write")
            try:
                yield Tx(cursor, self.dialect)
            except BaseException as error:
                self._undo(connection, group, alone)
                self.raise_unique_violation(error)
                raise
            if not alone:
                cursor.execute("RELEASE write")
            group.writes += 1
        finally:
            cursor.close()
            self._release()
        self._await_commit(group)

    @staticmethod
    def unique_table(error: BaseException) -> str | None:
        """SQLite says "UNIQUE constraint failed: table.column, ..." (primary keys too)."""
        prefix = "UNIQUE constraint failed: "
        if isinstance(error, sqlite3.IntegrityError) and str(error).startswith(prefix):
            return str(error)[len(prefix) :].split(".", 1)[0]
        return None

    def _join_group(self) -> tuple[_CommitGroup, sqlite3.Connection]:
        with self._turn:
            self._waiting += 1
            while self._busy:
                self._turn.wait()
            self._waiting -= 1
            self._busy = True
        try:
            if self._writer is None:
                self._writer = self._connect()
            if self._group is None:
                self._writer.execute("BEGIN IMMEDIATE")
                self._group = _CommitGroup()
            return self._group, self._writer
        except BaseException:
            self._release()
            raise

    def _undo(self, connection: sqlite3.Connection, group: _CommitGroup, alone: bool) -> None:
        """Roll back one write; if that takes the whole transaction, its group ends here."""
        if connection.in_transaction and not alone:
            connection.execute("ROLLBACK TO write")
            connection.execute("RELEASE write")
            return
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        elif group.writes:  # SQLite rolled back on its own, taking earlier writes with it
            group.error = sqlite3.OperationalError("the transaction was rolled back")
        self._end(group)

    def _end(self, group: _CommitGroup) -> None:
        """`group` is over, committed or not: its writers may return."""
        with self._committed:
            group.done = True
            self._group = None
            self._committed.notify_all()

    def _release(self) -> None:
        """Hand the connection to the next queued writer; with none queued, to a writer whose
        group awaits its commit."""
        with self._turn:
            self._busy = False
            if self._waiting:
                self._turn.notify()
            else:
                self._committed.notify()

    def _await_commit(self, group: _CommitGroup) -> None:
        """Wait until `group` is committed; commit it when no other write is queued to join."""
        with self._committed:
            while not group.done:
                grown = time.monotonic() - group.opened > MAX_GROUP_SECONDS
                if not self._busy and (self._waiting == 0 or grown):
                    self._busy = True
                    break
                self._committed.wait(MAX_GROUP_SECONDS)
        if not group.done:
            self._commit(group)
        if group.error is not None:
            raise sqlite3.OperationalError(f"Commit failed: {group.error}") from group.error

    def _commit(self, group: _CommitGroup) -> None:
        assert self._writer is not None
        try:
            self._writer.execute("COMMIT")
        except BaseException as error:
            group.error = error
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
        finally:
            self._end(group)
            self._release()

    def pool_stats(self) -> dict[str, int]:
        """The one write connection (readers each have their own, never waited for)."""
        busy = int(self._busy)
        return {"max": 1, "open": 1, "in_use": busy, "idle": 1 - busy, "waiting": self._waiting}

    def close(self) -> None:
        """Moves the write-ahead log into the database file first, so that a stopped server's
        .db file holds every write by itself: a copy of it alone is a whole backup. A write
        still going after a few seconds (shutdown's grace is over) is left to the log."""
        with self._turn:
            self._waiting += 1  # queued like a writer, so that a hand-over wakes it
            idle = self._turn.wait_for(lambda: not self._busy, timeout=CLOSE_WAIT_SECONDS)
            self._waiting -= 1
            self._busy = self._busy or idle
        reader = getattr(self._local, "connection", None)
        if reader is not None:
            reader.close()
        self._local.connection = None
        if not idle:
            return
        try:
            writer = self._writer or self._connect()
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            writer.close()
            self._writer = None
        finally:
            self._release()


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str | None, text: str | None) -> bool:
    """SQLite's `text REGEXP pattern` (filters check the pattern before it gets here)."""
    if pattern is None or text is None:
        return False
    return _compiled(pattern).search(str(text)) is not None
