"""A server-side fault is answered in MLflow's error shape and leaves the connection usable."""

from __future__ import annotations

import sqlite3

import httpx

from .servers import start_server


def test_a_database_fault_is_a_json_internal_error_and_the_connection_survives(tmp_path):
    database = tmp_path / "t.db"
    server = start_server(tmp_path, f"sqlite:///{database}")
    try:
        with httpx.Client(base_url=server.url) as session:
            run = session.post(
                "/api/2.0/mlflow/runs/create", json={"experiment_id": "0", "start_time": 1}
            ).json()["run"]["info"]["run_id"]
            with sqlite3.connect(database) as connection:
                connection.execute("DROP TABLE run_input_tags")

            broken = session.post(
                "/api/2.0/mlflow/runs/log-inputs",
                json={
                    "run_id": run,
                    "datasets": [
                        {
                            "dataset": {"name": "d", "digest": "x"},
                            "tags": [{"key": "k", "value": "v"}],
                        }
                    ],
                },
            )
            assert broken.status_code == 500
            assert broken.json()["error_code"] == "INTERNAL_ERROR"

            # Reading a run reads the dropped table too, so the check reads an experiment.
            after = session.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
            assert after.status_code == 200
            assert after.json()["experiment"]["experiment_id"] == "0"
    finally:
        server.stop()
