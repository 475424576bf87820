"""`trackyard import`: MLflow deployments written by the stock `mlflow server` 3.17.2 and
client, imported and read back through the stock client from a trackyard server."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from .mlflow_source import (
    MODEL_NAME,
    generate_mlflow_db,
    mlflow_server,
    populate,
    snapshot,
)
from .servers import running_server


def trackyard_import(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "trackyard", "import", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


def store_dump(path: Path) -> dict:
    """Every row of every table of a trackyard SQLite store, by table, in order."""
    db = sqlite3.connect(path)
    tables = [
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name != "sqlite_sequence"
    ]
    dump = {table: sorted(map(repr, db.execute(f"SELECT * FROM {table}"))) for table in tables}
    db.close()
    return dump


@pytest.fixture(scope="module")
def mlflow_sqlite(tmp_path_factory):
    """A stock mlflow server's SQLite database and artifacts, and what its client read."""
    folder = tmp_path_factory.mktemp("mlflow-sqlite")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with mlflow_server(uri, folder) as url:
        populate(url)
        expected = snapshot(url)
    return uri, folder / "artifacts", expected


@pytest.fixture(scope="module")
def imported(mlflow_sqlite, tmp_path_factory):
    """The SQLite source imported once into a trackyard SQLite store; its folder."""
    uri, artifacts, _ = mlflow_sqlite
    folder = tmp_path_factory.mktemp("imported")
    trackyard_import(
        "--from", uri, "--from-artifacts", str(artifacts),
        "--to", f"sqlite:///{folder / 'trackyard.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
    )  # fmt: skip
    return folder


def test_sqlite_source_reads_back_as_mlflow_served_it(mlflow_sqlite, imported):
    _, _, expected = mlflow_sqlite
    db = f"sqlite:///{imported / 'trackyard.db'}"
    with running_server(imported, db) as server:
        assert snapshot(server.url) == expected


def test_imported_logged_model_loads_and_predicts(imported, monkeypatch):
    db = f"sqlite:///{imported / 'trackyard.db'}"
    with running_server(imported, db) as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@champion")
        predicted = model.predict(pd.DataFrame({"x": [1, 5]}))
    assert predicted["x"].tolist() == [3, 7]


def test_importing_twice_changes_nothing(mlflow_sqlite, imported):
    uri, artifacts, _ = mlflow_sqlite
    before = store_dump(imported / "trackyard.db")
    result = trackyard_import(
        "--from", uri, "--from-artifacts", str(artifacts),
        "--to", f"sqlite:///{imported / 'trackyard.db'}",
        "--artifacts-destination", str(imported / "artifacts"),
    )  # fmt: skip
    assert store_dump(imported / "trackyard.db") == before
    assert "runs: 0 imported" in result.stdout


def test_proxied_locations_without_from_artifacts_are_kept_and_reported(mlflow_sqlite, tmp_path):
    uri, _, _ = mlflow_sqlite
    result = trackyard_import(
        "--from", uri, "--to", f"sqlite:///{tmp_path / 't.db'}",
        "--artifacts-destination", str(tmp_path / "artifacts"),
    )  # fmt: skip
    assert "location not readable here" in result.stdout
    db = sqlite3.connect(tmp_path / "t.db")
    uris = {row[0].split("/")[0] for row in db.execute("SELECT artifact_uri FROM runs")}
    assert uris == {"mlflow-artifacts:"}


def test_keep_artifact_uris_copies_nothing(mlflow_sqlite, tmp_path):
    uri, artifacts, expected = mlflow_sqlite
    trackyard_import(
        "--from", uri, "--from-artifacts", str(artifacts), "--keep-artifact-uris",
        "--to", f"sqlite:///{tmp_path / 't.db'}",
    )  # fmt: skip
    assert not (tmp_path / "artifacts").exists()
    with running_server(tmp_path, f"sqlite:///{tmp_path / 't.db'}") as server:
        state = snapshot(server.url)
    assert state["runs"].keys() == expected["runs"].keys()


def test_an_interrupted_import_resumes_to_the_same_store(tmp_path):
    source = tmp_path / "big.db"
    generate_mlflow_db(source, runs=3000, points_per_run=200)
    args = ["--from", f"sqlite:///{source}", "--keep-artifact-uris"]
    whole = tmp_path / "whole.db"
    trackyard_import(*args, "--to", f"sqlite:///{whole}")
    broken = tmp_path / "broken.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "trackyard", "import", *args, "--to", f"sqlite:///{broken}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _run_count(broken) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < _run_count(broken) < 3000
    trackyard_import(*args, "--to", f"sqlite:///{broken}")
    assert store_dump(broken) == store_dump(whole)


def _run_count(path: Path) -> int:
    try:
        db = sqlite3.connect(path, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:  # not created or migrated yet
        return 0
