"""Starting the server: a fresh SQLite file, restarts, schemas it does not know, many at once."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from .helpers import API
from .servers import running_server, start_server


def test_fresh_data_dir_gets_a_sqlite_database_with_the_default_experiment(tmp_path):
    data_dir = tmp_path / "fresh"
    with running_server(data_dir, "sqlite:///nested/dir/trackyard.db") as server:
        body = httpx.get(f"{server.url}{API}/experiments/get", params={"experiment_id": "0"})
        assert body.json()["experiment"]["name"] == "Default"
        assert body.json()["experiment"]["lifecycle_stage"] == "active"
        search = httpx.post(f"{server.url}{API}/experiments/search", json={}).json()
        assert [e["name"] for e in search["experiments"]] == ["Default"]
    database = data_dir / "nested" / "dir" / "trackyard.db"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM experiments").fetchall() == [("Default",)]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_stopped_sqlite_server_leaves_every_write_in_the_database_file(tmp_path, workers):
    """A backup that copies the .db file alone, after a clean stop, misses nothing."""
    uri = f"sqlite:///{tmp_path / 'whole.db'}"
    with running_server(tmp_path / "server", uri, "--workers", workers) as server:
        client = MlflowClient(server.url)
        experiment_id = client.create_experiment("backed-up")
        run_ids = {client.create_run(experiment_id).info.run_id for _ in range(20)}
    copy = tmp_path / "copy.db"
    copy.write_bytes((tmp_path / "whole.db").read_bytes())
    with sqlite3.connect(copy) as connection:
        stored = {row[0] for row in connection.execute("SELECT run_uuid FROM runs")}
    assert run_ids <= stored


def test_restart_on_the_same_database_keeps_everything(tmp_path):
    uri = f"sqlite:///{tmp_path / 'keep.db'}"
    with running_server(tmp_path / "first", uri) as server:
        client = MlflowClient(server.url)
        experiment_id = client.create_experiment("kept", tags={"team": "vision"})
        run_id = client.create_run(experiment_id, run_name="survivor").info.run_id
        client.log_param(run_id, "p", "1")
        for step in range(3):
            client.log_metric(run_id, "m", step * 1.5, step=step)
        client.set_terminated(run_id)
    with running_server(tmp_path / "second", uri) as server:
        client = MlflowClient(server.url)
        experiment = client.get_experiment_by_name("kept")
        assert experiment.experiment_id == experiment_id
        assert experiment.tags == {"team": "vision"}
        run = client.get_run(run_id)
        assert run.info.run_name == "survivor"
        assert run.info.status == "FINISHED"
        assert run.data.params == {"p": "1"}
        assert run.data.metrics == {"m": 3.0}
        assert [m.value for m in client.get_metric_history(run_id, "m")] == [0.0, 1.5, 3.0]
        # New ids continue after the old ones, and writing still works.
        assert int(client.create_experiment("after-restart")) > int(experiment_id)
        client.log_param(run_id, "q", "2")


def test_restart_keeps_deleted_experiments_deleted(tmp_path):
    uri = f"sqlite:///{tmp_path / 'deleted.db'}"
    with running_server(tmp_path / "first", uri) as server:
        client = MlflowClient(server.url)
        experiment_id = client.create_experiment("gone")
        client.delete_experiment(experiment_id)
    with running_server(tmp_path / "second", uri) as server:
        client = MlflowClient(server.url)
        assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"


def test_the_stock_client_works_against_a_restarted_server(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'fluent.db'}"
    with running_server(tmp_path / "first", uri) as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment("MLflow Example")
        with mlflow.start_run() as run:
            mlflow.log_params({"name": "basic", "category": "demo", "type": "example"})
            for i in range(5):
                mlflow.log_metric("i", i, step=i)
    with running_server(tmp_path / "second", uri) as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        experiment = mlflow.set_experiment("MLflow Example")
        assert experiment.experiment_id == run.info.experiment_id
        frame = mlflow.search_runs([experiment.experiment_id])
        assert list(frame["run_id"]) == [run.info.run_id]
        assert frame["params.category"][0] == "demo"
        assert frame["metrics.i"][0] == 4.0


@pytest.mark.parametrize("revision", ["9999", "abcdef123456"])
def test_a_database_with_an_unknown_schema_revision_is_refused(tmp_path, revision):
    database = tmp_path / "future.db"
    uri = f"sqlite:///{database}"
    start_server(tmp_path / "first", uri).stop()
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    with pytest.raises(RuntimeError) as raised:
        start_server(tmp_path / "second", uri, timeout=20)
    message = str(raised.value)
    assert "exited early" in message
    assert revision in message
    assert "Traceback" not in message
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (revision,)
        ]


def test_a_server_refused_for_its_schema_exits_non_zero(tmp_path):
    database = tmp_path / "future.db"
    uri = f"sqlite:///{database}"
    start_server(tmp_path / "first", uri).stop()
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(RuntimeError):
        start_server(tmp_path / "second", uri, timeout=20)
    logs = list((tmp_path / "second").glob("server-*.log"))
    assert len(logs) == 1
    assert "newer" in logs[0].read_text() or "9999" in logs[0].read_text()


def test_several_servers_starting_at_once_on_an_empty_sqlite_file_all_come_up(tmp_path):
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    with ThreadPoolExecutor(max_workers=4) as pool:
        servers = list(pool.map(lambda i: start_server(tmp_path / f"s{i}", uri), range(4)))
    try:
        for server in servers:
            body = httpx.post(f"{server.url}{API}/experiments/search", json={}).json()
            assert [e["name"] for e in body["experiments"]] == ["Default"]
        created = httpx.post(f"{servers[0].url}{API}/experiments/create", json={"name": "shared"})
        experiment_id = created.json()["experiment_id"]
        for server in servers[1:]:
            found = httpx.get(
                f"{server.url}{API}/experiments/get-by-name", params={"experiment_name": "shared"}
            )
            assert found.json()["experiment"]["experiment_id"] == experiment_id
    finally:
        for server in servers:
            server.stop()
    with sqlite3.connect(tmp_path / "shared.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM alembic_version").fetchone() == (1,)
