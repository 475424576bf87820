"""Schema migrations: start-up applies them, refuses a schema from the future, changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory

from trackyard.store import migrations

from .conftest import require_postgres
from .helpers import API
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


def _migrate_to(uri: str, revision: str) -> None:
    """The schema as an older trackyard left it, through alembic itself."""
    import sqlalchemy
    from alembic import command
    from alembic.config import Config

    engine = sqlalchemy.create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(migrations.VERSIONS.parent))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_metric_points_logged_before_0003_survive_the_upgrade(backend, tmp_path):
    uri, execute = backend
    _migrate_to(uri, "0002")
    nan = "NULL" if uri.startswith("sqlite") else "CAST('NaN' AS DOUBLE PRECISION)"
    execute(
        "INSERT INTO experiments (experiment_id, name, lifecycle_stage) VALUES (1, 'old', 'active')"
    )
    execute(
        "INSERT INTO runs (id, run_uuid, experiment_id, status, lifecycle_stage) "
        f"VALUES (1, '{'a' * 32}', 1, 'RUNNING', 'active')"
    )
    execute("INSERT INTO metric_keys (id, key) VALUES (1, 'loss')")
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
            history = http.get(
                f"{API}/metrics/get-history", params={"run_id": "a" * 32, "metric_key": "loss"}
            ).json()["metrics"]
    finally:
        server.stop()
    assert [(m["step"], m["timestamp"], m["value"]) for m in history] == [
        (0, 10, 0.5),
        (1, 11, "NaN"),
        (2, 12, -1.5),
    ]
