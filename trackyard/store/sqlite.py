"""SQLite, the embedded default: WAL mode, one connection per thread, migrations under a lock."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import migrations
from .db import Database, Dialect, Tx


def sqlite_path(uri: str) -> Path:
    """`sqlite:///relative.db` and `sqlite:////absolute.db`, as SQLAlchemy spells them."""
    prefix, _, path = uri.partition(":///")
    if not path or not prefix.startswith("sqlite"):
        raise ValueError(f"Invalid SQLite URI '{uri}': expected sqlite:///path/to/file.db")
    return Path(path)


class SQLiteDatabase(Database):
    dialect = Dialect()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @classmethod
    def open(cls, uri: str) -> SQLiteDatabase:
        path = sqlite_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        database = cls(path)
        database.migrate()
        return database

    def migrate(self) -> None:
        """Upgrade to head; concurrent starters queue on a lock file and re-check."""
        if self._revision() == migrations.head_revision():
            return
        with open(f"{self.path}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            revision = self._revision()
            if revision is not None and revision not in migrations.known_revisions():
                raise RuntimeError(
                    f"The database {self.path} has schema revision {revision}, newer than this "
                    f"trackyard knows (head {migrations.head_revision()}). Upgrade trackyard."
                )
            if revision != migrations.head_revision():
                self._upgrade()

    def _revision(self) -> str | None:
        connection = self._connection()
        try:
            return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        except (sqlite3.OperationalError, TypeError):
            return None

    def _upgrade(self) -> None:
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"sqlite:///{self.path}")
        try:
            with engine.begin() as connection:
                migrations.upgrade(connection)
        finally:
            engine.dispose()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: every acknowledged write is on disk before we answer, not just in the OS.
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA case_sensitive_like=ON")
            self._local.connection = connection
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
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(connection.cursor(), self.dialect)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
