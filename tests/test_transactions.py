"""The database layer's transactions, on both backends: all-or-nothing, committed once the
block returns, and each statement's result its own, whatever the driver batches."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

import psycopg
import pytest

from trackyard.store import open_database
from trackyard.store.db import Database, Plan

NOT_NULL_VIOLATION = (sqlite3.IntegrityError, psycopg.errors.NotNullViolation)
NO_SUCH_TABLE = (sqlite3.OperationalError, psycopg.errors.UndefinedTable)


@pytest.fixture
def database(database_uri: str) -> Iterator[Database]:
    db = open_database(database_uri)
    yield db
    db.close()


def _keys(db: Database) -> list[str]:
    with db.read() as tx:
        return [row[0] for row in tx.all("SELECT key FROM metric_keys ORDER BY key")]


def test_a_failing_batch_insert_rolls_back_the_whole_write(database):
    with pytest.raises(NOT_NULL_VIOLATION), database.write() as tx:
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("first",))
        tx.many("INSERT INTO metric_keys (key) VALUES (?)", [("second",), (None,)])
    assert _keys(database) == []


def test_an_exception_after_queued_inserts_rolls_them_back(database):
    with pytest.raises(RuntimeError), database.write() as tx:
        tx.many("INSERT INTO metric_keys (key) VALUES (?)", [("a",), ("b",)])
        raise RuntimeError("the caller gives up")
    assert _keys(database) == []


def test_a_write_is_committed_when_its_block_returns(database, database_uri):
    with database.write() as tx:
        tx.many("INSERT INTO metric_keys (key) VALUES (?)", [("a",), ("b",)])
    # Another Database object has its own connections: it sees only what was committed.
    other = open_database(database_uri)
    try:
        assert _keys(other) == ["a", "b"]
    finally:
        other.close()


def test_a_statement_sees_the_queued_inserts_before_it(database):
    with database.write() as tx:
        tx.many("INSERT INTO metric_keys (key) VALUES (?)", [("a",), ("b",), ("c",)])
        assert tx.scalar("SELECT COUNT(*) FROM metric_keys") == 3


def test_rowcount_counts_only_its_own_statements_rows(database):
    with database.write() as tx:
        tx.many("INSERT INTO metric_keys (key) VALUES (?)", [("a",), ("b",), ("c",)])
        deleted = tx.execute("DELETE FROM metric_keys WHERE key IN (?, ?)", ("a", "b"))
        assert deleted.rowcount == 2
    assert _keys(database) == ["c"]


def test_a_one_statement_write_is_committed_and_returns_its_row(database, database_uri):
    row = database.write_one("INSERT INTO metric_keys (key) VALUES (?) RETURNING key", ("a",))
    assert row == ("a",)
    other = open_database(database_uri)
    try:
        assert _keys(other) == ["a"]
    finally:
        other.close()


def test_a_failed_one_statement_write_leaves_later_transactions_whole(database):
    with pytest.raises(NOT_NULL_VIOLATION):
        database.write_one("INSERT INTO metric_keys (key) VALUES (?)", (None,))
    with pytest.raises(RuntimeError), database.write() as tx:
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("rolled back",))
        raise RuntimeError("the caller gives up")
    assert _keys(database) == []


def test_a_read_apart_sees_what_was_committed(database):
    with database.write() as tx:
        tx.many("INSERT INTO metric_keys (key) VALUES (?)", [("a",), ("b",)])
    with database.read_apart() as tx:
        query = ("SELECT key FROM metric_keys ORDER BY key", ())
        assert tx.batch([query, query], Plan.BY_INDEX) == [[("a",), ("b",)]] * 2
        assert tx.all(*query) == [("a",), ("b",)]


def test_a_failed_read_apart_leaves_later_transactions_whole(database):
    """On PostgreSQL a read apart runs in autocommit: the connection goes back to the pool
    out of it, or a later write would commit statement by statement."""
    with pytest.raises(NO_SUCH_TABLE), database.read_apart() as tx:
        tx.batch([("SELECT * FROM no_such_table", ())], Plan.BY_INDEX)
    with pytest.raises(RuntimeError), database.write() as tx:
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("rolled back",))
        raise RuntimeError("the caller gives up")
    assert _keys(database) == []


@pytest.mark.parametrize("database_uri", ["postgres"], indirect=True)  # plans are its settings
def test_a_plan_holds_for_its_own_batch_only(database):
    """Its settings end with the batch: in a transaction by a savepoint, in a read apart
    with the pipeline's implicit transaction."""
    setting = ("SELECT current_setting('enable_seqscan')", ())
    for read in (database.read, database.read_apart):
        with read() as tx:
            assert tx.batch([setting, setting], Plan.BY_INDEX) == [[("off",)], [("off",)]]
            assert tx.scalar(*setting) == "on"
            assert tx.batch([setting], None) == [[("on",)]]


def test_closing_sqlite_waits_for_the_write_in_progress_and_keeps_it(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'close.db'}")
    writing, finish = threading.Event(), threading.Event()

    def slow_write() -> None:
        with db.write() as tx:
            tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("kept",))
            writing.set()
            finish.wait(10)

    writer = threading.Thread(target=slow_write)
    writer.start()
    writing.wait(10)
    closer = threading.Thread(target=db.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # still waiting for the write
    finish.set()
    writer.join(10)
    closer.join(10)
    assert not closer.is_alive()
    reopened = open_database(f"sqlite:///{tmp_path / 'close.db'}")
    assert _keys(reopened) == ["kept"]
    reopened.close()


def test_a_savepoint_undoes_its_own_part_and_the_write_goes_on(database):
    with database.write() as tx:
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("before",))
        with pytest.raises(NOT_NULL_VIOLATION), tx.savepoint():
            tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("undone",))
            tx.execute("INSERT INTO metric_keys (key) VALUES (?)", (None,))
        with tx.savepoint():
            tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("after",))
    assert _keys(database) == ["after", "before"]
