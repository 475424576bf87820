"""`--no-serve-artifacts`: direct artifact locations, a proxy that says no, run-level reads."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import mlflow

from .servers import running_server


def test_without_serving_clients_write_directly(tmp_path: Path, monkeypatch):
    destination = tmp_path / "shared-artifacts"
    data_dir = tmp_path / "server"
    with running_server(
        data_dir, f"sqlite:///{data_dir}/t.db",
        "--artifacts-destination", str(destination), "--no-serve-artifacts",
    ) as server:  # fmt: skip
        info = httpx.get(f"{server.url}/api/3.0/mlflow/server-info").json()
        assert info["multipart_uploads_enabled"] is False
        proxy = f"{server.url}/api/2.0/mlflow-artifacts/artifacts"
        refused = httpx.put(f"{proxy}/1/a.txt", content=b"a")
        assert refused.status_code == 501
        assert "--no-serve-artifacts" in refused.json()["message"]
        listing = httpx.get(proxy, params={"path": ""})
        assert listing.status_code == 501

        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        experiment_id = mlflow.create_experiment(f"direct-{uuid.uuid4().hex[:8]}")
        location = mlflow.get_experiment(experiment_id).artifact_location
        assert location == f"{destination.resolve().as_uri()}/{experiment_id}"
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_text("written by the client itself", "notes/readme.txt")
        stored = destination / experiment_id / run.info.run_id / "artifacts/notes/readme.txt"
        assert stored.read_text() == "written by the client itself"

        # The server still reads run artifacts below its destination, for the UI.
        listed = httpx.get(
            f"{server.url}/api/2.0/mlflow/artifacts/list",
            params={"run_id": run.info.run_id, "path": "notes"},
        ).json()
        assert listed["files"] == [{"path": "notes/readme.txt", "is_dir": False, "file_size": 28}]
        fetched = httpx.get(
            f"{server.url}/get-artifact",
            params={"run_id": run.info.run_id, "path": "notes/readme.txt"},
        )
        assert fetched.content == b"written by the client itself"
