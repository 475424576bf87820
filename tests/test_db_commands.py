"""`trackyard db upgrade|current|check` and `trackyard server --no-migrate`, on databases an
older trackyard left behind (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from functools import partial

import httpx
import mlflow
import pytest

from trackyard.store import migrations

from . import test_migrations
from .conftest import require_postgres
from .helpers import API
from .servers import postgres_database, running_server, start_server
from .test_migrations import _migrate_to, _old_run

# The fixtures that make databases of a test's own, on each backend.
new_database = test_migrations.new_database
backend = test_migrations.backend
HEAD = migrations.head_revision()


def trackyard_db(*args: str, uri: str) -> subprocess.CompletedProcess[str]:
    """`trackyard db ...` as an operator runs it."""
    command = [sys.executable, "-m", "trackyard", "db", *args, "--backend-store-uri", uri]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture
def older(backend):
    """A database at revision 0003 holding experiment 'old' with a run, as 0003 left it."""
    uri, execute = backend
    _migrate_to(uri, "0003")
    _old_run(execute, "loss")
    return uri, execute


def test_db_current_names_the_revision_and_that_it_is_behind(older):
    uri, _ = older
    result = trackyard_db("current", uri=uri)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("0003 (behind head")


def test_db_check_exits_non_zero_when_the_schema_is_behind(older):
    uri, execute = older
    result = trackyard_db("check", uri=uri)
    assert result.returncode == 1
    assert "trackyard db upgrade" in result.stderr
    assert execute("SELECT version_num FROM alembic_version") == [("0003",)]


def test_db_check_exits_non_zero_on_an_empty_database(new_database):
    result = trackyard_db("check", uri=new_database())
    assert result.returncode == 1
    assert "no schema" in result.stderr


def test_db_upgrade_brings_an_older_database_to_head_keeping_its_data(older):
    uri, execute = older
    result = trackyard_db("upgrade", uri=uri)
    assert result.returncode == 0, result.stderr
    assert f"from 0003 to {HEAD}" in result.stdout
    assert trackyard_db("check", uri=uri).returncode == 0
    assert execute("SELECT version_num FROM alembic_version") == [(HEAD,)]
    assert execute("SELECT run_uuid FROM runs") == [("a" * 32,)]


def test_db_upgrade_twice_says_it_is_already_at_head(older):
    uri, _ = older
    trackyard_db("upgrade", uri=uri)
    result = trackyard_db("upgrade", uri=uri)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Already at head {HEAD}."


def test_db_upgrade_refuses_a_schema_newer_than_the_code(older):
    uri, execute = older
    execute("UPDATE alembic_version SET version_num = '9999'")
    result = trackyard_db("upgrade", uri=uri)
    assert result.returncode == 1
    assert "newer than this trackyard" in result.stderr
    assert execute("SELECT version_num FROM alembic_version") == [("9999",)]


def test_a_no_migrate_server_refuses_a_schema_behind_head_and_leaves_it(older, tmp_path):
    uri, execute = older
    with pytest.raises(RuntimeError, match=r"behind .* run `trackyard db upgrade"):
        start_server(tmp_path / "server", uri, "--no-migrate", timeout=20)
    assert execute("SELECT version_num FROM alembic_version") == [("0003",)]


def test_the_no_migrate_environment_variable_refuses_an_empty_database(new_database, tmp_path):
    uri = new_database()
    env = {"TRACKYARD_NO_MIGRATE": "true"}
    with pytest.raises(RuntimeError, match="no schema, behind"):
        start_server(tmp_path / "server", uri, timeout=20, env=env)
    assert trackyard_db("current", uri=uri).stdout.startswith("none")


def test_a_no_migrate_server_serves_a_database_upgraded_by_db_upgrade(older, tmp_path):
    uri, _ = older
    assert trackyard_db("upgrade", uri=uri).returncode == 0
    server = start_server(tmp_path / "server", uri, "--no-migrate")
    try:
        response = httpx.get(f"{server.url}{API}/runs/get", params={"run_id": "a" * 32})
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    assert response.json()["run"]["info"]["experiment_id"] == "1"


# Every column migration 0007 widens, as information_schema names its type.
EXPERIMENT_ID_COLUMNS = [
    ("datasets", "experiment_id"),
    ("experiment_tags", "experiment_id"),
    ("experiments", "experiment_id"),
    ("grants", "resource_key"),
    ("logged_models", "experiment_id"),
    ("runs", "experiment_id"),
    ("traces", "experiment_id"),
]
FILE_STORE_ID = 9_000_000_000_000_000_001


def _rows_naming_experiments(execute) -> list[list[tuple]]:
    return [
        execute(f"SELECT {column}, * FROM {table} ORDER BY 1")
        for table, column in EXPERIMENT_ID_COLUMNS
    ]


def test_experiment_ids_become_64_bit_on_postgresql_keeping_every_row(tmp_path):
    require_postgres()
    with postgres_database() as uri:
        execute = partial(test_migrations._execute, uri)
        _migrate_to(uri, "0006")
        _experiment_with_everything(execute)
        before = _rows_naming_experiments(execute)
        assert trackyard_db("upgrade", uri=uri).returncode == 0
        assert trackyard_db("check", uri=uri).returncode == 0
        assert _rows_naming_experiments(execute) == before
        types = execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE column_name IN ('experiment_id', 'resource_key') "
            "AND table_schema = current_schema() ORDER BY 1"
        )
        assert types == [(*column, "bigint") for column in EXPERIMENT_ID_COLUMNS]
        execute(
            "INSERT INTO experiments (experiment_id, name, lifecycle_stage) "
            f"VALUES ({FILE_STORE_ID}, 'from-mlruns', 'active')"
        )
        with running_server(tmp_path, uri) as server:
            client = mlflow.MlflowClient(server.url)
            assert client.get_experiment(str(FILE_STORE_ID)).name == "from-mlruns"
            assert client.create_experiment("new") == "2"


def _experiment_with_everything(execute) -> None:
    """Experiment 1 (from the id sequence, as the API makes one) with a tag, a run, a
    dataset, a logged model, a trace and a grant, as revision 0006 holds them."""
    execute(
        "INSERT INTO experiments (name, lifecycle_stage) VALUES ('old', 'active')",
        "INSERT INTO experiment_tags VALUES (1, 'team', 'a')",
        "INSERT INTO runs (run_uuid, experiment_id, status, lifecycle_stage) "
        f"VALUES ('{'a' * 32}', 1, 'RUNNING', 'active')",
        "INSERT INTO datasets (experiment_id, name, digest) VALUES (1, 'train', 'd1')",
        "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
        "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage) "
        "VALUES ('m-1', 1, 'model', '/a', 1, 2, 1, 'active')",
        "INSERT INTO traces (trace_id, experiment_id, request_time, state, finalized) "
        "VALUES ('tr-1', 1, 5, 'OK', 1)",
        "INSERT INTO grants (resource_type, resource_key, principal_type, principal_id, "
        "permission, level) VALUES ('experiment', 1, 'user', 1, 'READ', 1)",
    )
