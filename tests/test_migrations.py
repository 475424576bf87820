"""Schema migrations: start-up applies them, refuses a schema from the future, changes nothing."""

from __future__ import annotations

import itertools
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from functools import partial

import httpx
import psycopg
import pytest
import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from trackyard.store import migrations, open_database
from trackyard.store.sqlite import sqlite_path

from .conftest import require_postgres
from .helpers import API
from .servers import postgres_database, start_server


def test_revision_ids_read_from_file_names_match_alembics_own_graph():
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_current_head() == migrations.head_revision()
    assert sorted(rev.revision for rev in script.walk_revisions()) == migrations.known_revisions()


def _execute(uri: str, *statements: str) -> list[tuple]:
    """Run statements on the database directly, in one transaction; the last one's rows."""
    rows: list[tuple] = []
    if uri.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(uri))) as connection, connection:
            for sql in statements:
                rows = connection.execute(sql).fetchall()
        return rows
    with psycopg.connect(uri) as connection:
        for sql in statements:
            cursor = connection.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
    return rows


@pytest.fixture(params=["sqlite", "postgres"])
def new_database(request, tmp_path) -> Iterator[Callable[[], str]]:
    """Makes empty databases of the test's own on one backend: each call returns a URI."""
    if request.param == "sqlite":
        uris = (f"sqlite:///{tmp_path / f'db{number}.db'}" for number in itertools.count())
        yield lambda: next(uris)
        return
    require_postgres()
    with ExitStack() as databases:
        yield lambda: databases.enter_context(postgres_database())


@pytest.fixture
def backend(new_database) -> tuple[str, Callable[[str], list[tuple]]]:
    """(uri, execute) where execute(sql) runs one statement on the database directly."""
    uri = new_database()
    return uri, partial(_execute, uri)


def test_a_fresh_database_is_migrated_to_head_at_start_up(backend, tmp_path):
    uri, execute = backend
    start_server(tmp_path / "server", uri).stop()
    assert execute("SELECT version_num FROM alembic_version") == [(migrations.head_revision(),)]
    assert execute("SELECT name FROM experiments") == [("Default",)]


def test_a_schema_newer_than_the_code_is_refused_and_left_unchanged(backend, tmp_path):
    uri, execute = backend
    start_server(tmp_path / "first", uri).stop()
    execute("UPDATE alembic_version SET version_num = '9999'")
    execute("UPDATE experiments SET name = 'kept' WHERE experiment_id = 0")
    with pytest.raises(RuntimeError, match="newer than this trackyard"):
        start_server(tmp_path / "second", uri, timeout=20)
    assert execute("SELECT version_num FROM alembic_version") == [("9999",)]
    assert execute("SELECT name FROM experiments") == [("kept",)]


@contextmanager
def _alembic_connection(uri: str) -> Iterator[sqlalchemy.Connection]:
    """A SQLAlchemy connection in a transaction, committed at the end, as alembic needs."""
    engine = sqlalchemy.create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _migrate_to(uri: str, revision: str) -> None:
    """The schema as an older trackyard left it, through alembic itself."""
    with _alembic_connection(uri) as connection:
        command.upgrade(migrations.alembic_config(connection=connection), revision)


def test_metric_points_logged_before_0003_survive_the_upgrade(backend, tmp_path):
    uri, execute = backend
    _migrate_to(uri, "0002")
    nan = "NULL" if uri.startswith("sqlite") else "CAST('NaN' AS DOUBLE PRECISION)"
    _old_run(execute, "loss")
    execute(
        "INSERT INTO metrics (run_id, key_id, step, timestamp, value) "
        f"VALUES (1, 1, 2, 12, -1.5), (1, 1, 0, 10, 0.5), (1, 1, 1, 11, {nan})"
    )
    server = start_server(tmp_path / "server", uri)
    try:
        with httpx.Client(base_url=server.url) as http:
            batch = [{"key": "loss", "value": 0.5, "timestamp": 10, "step": 0}]
            batch.append({"key": "loss", "value": "NaN", "timestamp": 11, "step": 1})
            body = {"run_id": "a" * 32, "metrics": batch}
            response = http.post(f"{API}/runs/log-batch", json=body)
            assert response.status_code == 200, response.text
            history = _full_history(http, "loss")
    finally:
        server.stop()
    assert history == [
        (0, 10, 0.5),
        (1, 11, "NaN"),
        (2, 12, -1.5),
    ]


def _old_run(execute: Callable[[str], list[tuple]], *keys: str) -> None:
    """Experiment 1 with run 'aaa...' and metric keys 1, 2, ... as an older schema holds them."""
    execute(
        "INSERT INTO experiments (experiment_id, name, lifecycle_stage) VALUES (1, 'old', 'active')"
    )
    execute(
        "INSERT INTO runs (id, run_uuid, experiment_id, status, lifecycle_stage) "
        f"VALUES (1, '{'a' * 32}', 1, 'RUNNING', 'active')"
    )
    for key_id, key in enumerate(keys, start=1):
        execute(f"INSERT INTO metric_keys (id, key) VALUES ({key_id}, '{key}')")


def _full_history(http: httpx.Client, key: str) -> list[tuple]:
    """Every point of run 'aaa...' and `key`, through get-history pages of 1000."""
    points, token = [], None
    while True:
        params = {"run_id": "a" * 32, "metric_key": key, "max_results": 1000}
        body = http.get(f"{API}/metrics/get-history", params={**params, "page_token": token})
        page = body.json()
        points += [(m["step"], m["timestamp"], m["value"]) for m in page.get("metrics", [])]
        token = page.get("next_page_token")
        if not token:
            return points


def test_metric_points_logged_before_0004_survive_the_move_into_blocks(backend, tmp_path):
    uri, execute = backend
    _migrate_to(uri, "0003")
    _old_run(execute, "loss", "acc")
    nan = "'NaN'" if uri.startswith("sqlite") else "CAST('NaN' AS DOUBLE PRECISION)"
    execute(
        "INSERT INTO metrics (run_id, key_id, step, timestamp, value) "
        "WITH RECURSIVE steps (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM steps WHERE n < 2499) "
        "SELECT 1, 1, n / 2, 100 + n / 2, n * 0.5 FROM steps"
    )
    execute(
        "INSERT INTO metrics (run_id, key_id, step, timestamp, value) "
        f"VALUES (1, 1, 7, 107, {nan}), (1, 2, 3, 1, 0.25), (1, 2, -1, 0, 1.0)"
    )
    server = start_server(tmp_path / "server", uri)
    try:
        with httpx.Client(base_url=server.url) as http:
            loss, acc = _full_history(http, "loss"), _full_history(http, "acc")
    finally:
        server.stop()
    expected_loss = sorted((n // 2, 100 + n // 2, n * 0.5) for n in range(2500))
    expected_loss.insert(expected_loss.index((7, 107, 7.5)) + 1, (7, 107, "NaN"))
    assert loss == expected_loss
    assert acc == [(-1, 0, 1.0), (3, 1, 0.25)]


REVISION = "SELECT version_num FROM alembic_version"
_EACH_TABLE = "FROM sqlite_master AS t, pragma_{}(t.name) AS p WHERE t.type = 'table'"
SQLITE_CATALOGUE = {
    "tables": "SELECT name, type, ncol, wr, strict FROM pragma_table_list "
    "WHERE schema = 'main' ORDER BY name",  # wr: WITHOUT ROWID
    "columns": f"SELECT t.name, p.* {_EACH_TABLE.format('table_xinfo')} ORDER BY 1, cid",
    "indexes": 'SELECT t.name, p.name, p."unique", origin, partial '
    f"{_EACH_TABLE.format('index_list')} ORDER BY 1, 2",
    "index columns": "SELECT i.name, p.* FROM sqlite_master AS i, "
    "pragma_index_xinfo(i.name) AS p WHERE i.type = 'index' ORDER BY 1, seqno",
    "foreign keys": f"SELECT t.name, p.* {_EACH_TABLE.format('foreign_key_list')} "
    "ORDER BY 1, id, seq",
    # The CREATE text as stored, for what the pragmas leave out (AUTOINCREMENT, CHECK, an
    # index's WHERE). Only its whitespace may differ: offline, alembic indents with spaces.
    "definitions": "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2",
    "revision": REVISION,
}
_HERE = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
POSTGRES_CATALOGUE = {
    "relations": "SELECT relname, relkind, relpersistence FROM pg_class "
    f"WHERE relnamespace = {_HERE} ORDER BY relname",
    "columns": "SELECT table_name, ordinal_position, column_name, data_type, "
    "character_maximum_length, numeric_precision, is_nullable, column_default, is_identity "
    "FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname = current_schema() ORDER BY 1, 2",
    "constraints": "SELECT CAST(conrelid AS regclass)::text, conname, contype, "
    f"pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = {_HERE} ORDER BY 1, 2",
    "sequences": "SELECT sequencename, data_type, start_value, increment_by, max_value "
    "FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1",
    "sequence owners": "SELECT CAST(objid AS regclass)::text, CAST(refobjid AS regclass)::text, "
    "refobjsubid FROM pg_depend WHERE classid = 'pg_class'::regclass AND deptype = 'a' AND "
    f"objid IN (SELECT oid FROM pg_class WHERE relkind = 'S' AND relnamespace = {_HERE}) "
    "ORDER BY 1",
    "revision": REVISION,
}


def _catalogue(uri: str) -> dict[str, list[tuple]]:
    """Everything a schema is made of, as the database itself describes it."""
    sqlite = uri.startswith("sqlite")
    queries = SQLITE_CATALOGUE if sqlite else POSTGRES_CATALOGUE
    catalogue = {name: _execute(uri, sql) for name, sql in queries.items()}
    if sqlite:
        catalogue["definitions"] = [
            (kind, name, table, sql and " ".join(sql.split()))
            for kind, name, table, sql in catalogue["definitions"]
        ]
    return catalogue


def test_the_head_sql_builds_exactly_the_schema_the_migrations_build(new_database):
    from_head_sql, from_migrations = new_database(), new_database()
    dialect = "sqlite" if from_head_sql.startswith("sqlite") else "postgresql"
    _execute(from_head_sql, *migrations.head_statements(dialect))
    _migrate_to(from_migrations, "head")
    built = _catalogue(from_head_sql)
    assert built == _catalogue(from_migrations)
    assert built["revision"] == [(migrations.head_revision(),)]


def test_a_fresh_start_imports_neither_sqlalchemy_nor_alembic(backend, tmp_path, monkeypatch):
    """Importing them takes ~0.8 s, most of a start-up on an empty database."""
    uri, execute = backend
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # the server logs every module it loads
    server = start_server(tmp_path / "server", uri)
    server.stop()
    imported = set(re.findall(r"^import time:.*\| +(\w+)", server.log(), re.MULTILINE))
    assert "uvicorn" in imported
    assert not imported & {"sqlalchemy", "alembic"}
    assert execute("SELECT version_num FROM alembic_version") == [(migrations.head_revision(),)]


FUTURE_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"


def upgrade() -> None:
    op.add_column("runs", sa.Column("future", sa.Text))
    op.create_index("runs_by_future", "runs", ["future"])
"""


def test_a_database_built_from_the_head_sql_upgrades_through_the_next_migration(backend, tmp_path):
    uri, execute = backend
    open_database(uri).close()
    head = migrations.head_revision()
    future = f"{int(head) + 1:04d}"
    scripts = shutil.copytree(migrations.SCRIPTS, tmp_path / "migrations")
    (scripts / "versions" / f"{future}_future.py").write_text(
        FUTURE_MIGRATION.format(revision=future, down_revision=head)
    )
    config = Config()
    config.set_main_option("script_location", str(scripts))
    with _alembic_connection(uri) as connection:
        assert MigrationContext.configure(connection).get_current_heads() == (head,)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert execute("SELECT version_num FROM alembic_version") == [(future,)]
    assert execute("SELECT future FROM runs") == []
