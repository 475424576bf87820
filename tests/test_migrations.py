"""Schema migrations: start-up applies them, refuses a schema from the future, changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import psycopg
import pytest
from alembic.script import ScriptDirectory

from trackyard.store import migrations

from .conftest import require_postgres
from .servers import postgres_database, start_server


def test_revision_ids_read_from_file_names_match_alembics_own_graph():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations.VERSIONS.parent))
    script = ScriptDirectory.from_config(config)
    assert script.get_current_head() == migrations.head_revision()
    assert sorted(rev.revision for rev in script.walk_revisions()) == migrations.known_revisions()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path) -> Iterator[tuple[str, object]]:
    """(uri, execute) where execute(sql) runs one statement on the database directly."""
    if request.param == "sqlite":
        path = tmp_path / "t.db"

        def execute(sql: str):
            with sqlite3.connect(path) as connection:
                return connection.execute(sql).fetchall()

        yield f"sqlite:///{path}", execute
        return
    require_postgres()
    with postgres_database() as uri:

        def execute(sql: str):
            with psycopg.connect(uri, autocommit=True) as connection:
                cursor = connection.execute(sql)
                return cursor.fetchall() if cursor.description else []

        yield uri, execute


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
