"""Data for the web UI tests, logged through the stock mlflow client.

Also runnable by hand to fill a dev server: `python -m tests.ui_data http://127.0.0.1:5000`.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import mlflow.pyfunc
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from trackyard.store.points import block_row

PNG_SIZE = (320, 200)


@dataclass
class Seeded:
    experiment_id: str
    experiment_name: str
    run_ids: dict[str, str] = field(default_factory=dict)  # run name -> run id
    model_name: str = ""
    logged_model_id: str = ""


def _png(path: Path) -> None:
    """A small plot, drawn with matplotlib without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(PNG_SIZE[0] / 100, PNG_SIZE[1] / 100), dpi=100)
    xs = [i / 10 for i in range(60)]
    ax.plot(xs, [math.sin(x) for x in xs], label="precision")
    ax.plot(xs, [math.cos(x) for x in xs], label="recall")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _notebook(path: Path, image: Path) -> None:
    import base64

    png = base64.b64encode(image.read_bytes()).decode()
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["# Basic example\n", "Logs **three params** and a metric `i`.\n"],
        },
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": ["import mlflow\n", 'mlflow.set_experiment("MLflow Example")'],
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["experiment set\n"]},
            ],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "source": ["plot()"],
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": png, "text/plain": ["<Figure>"]},
                },
                {
                    "output_type": "execute_result",
                    "execution_count": 2,
                    "metadata": {},
                    "data": {"text/plain": ["42"], "text/html": ["<script>alert(1)</script>"]},
                },
            ],
        },
    ]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"display_name": "Python 3", "name": "python3"}},
        "cells": cells,
    }
    path.write_text(json.dumps(notebook))


def seed(tracking_uri: str, prefix: str = "ui") -> Seeded:
    """One experiment with a parent and child runs, metrics with history, artifacts, and a
    registered model with two versions and an alias."""
    mlflow.set_tracking_uri(tracking_uri)  # mlflow-artifacts: URIs resolve against it
    client = MlflowClient(tracking_uri)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    experiment_id = client.create_experiment(name)
    seeded = Seeded(experiment_id, name)
    now = int(time.time() * 1000)

    parent = client.create_run(experiment_id, run_name="parent", start_time=now - 60_000)
    seeded.run_ids["parent"] = parent.info.run_id
    for index, (lr, model) in enumerate([(0.1, "tree"), (0.01, "forest"), (0.001, "boost")]):
        run = client.create_run(
            experiment_id,
            run_name=f"child-{index}",
            start_time=now - 50_000 + index * 1000,
            tags={"mlflow.parentRunId": parent.info.run_id, "team": "vision"},
        )
        run_id = run.info.run_id
        seeded.run_ids[f"child-{index}"] = run_id
        client.log_batch(
            run_id,
            params=[Param("lr", str(lr)), Param("model", model), Param("depth", str(3 + index))],
            metrics=[
                Metric("loss", 1.0 / (step + 1) + index * 0.1, now + step, step)
                for step in range(50)
            ]
            + [Metric("accuracy", 0.7 + index * 0.1, now, 0)],
            tags=[RunTag("mlflow.note.content", f"Child **{index}** of the sweep.")],
        )
        client.set_terminated(run_id, end_time=now - 40_000 + index * 1000)

    # A standalone run with artifacts of every previewable kind.
    run = client.create_run(experiment_id, run_name="artifacts", start_time=now - 30_000)
    run_id = run.info.run_id
    seeded.run_ids["artifacts"] = run_id
    client.log_batch(
        run_id,
        params=[Param("lr", "0.5"), Param("model", "linear")],
        metrics=[Metric("loss", 2.0 - step / 100, now + step, step) for step in range(100)],
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _png(folder / "pr_curve.png")
        _notebook(folder / "example.ipynb", folder / "pr_curve.png")
        (folder / "data.csv").write_text("name,score,label\nalpha,0.91,cat\nbeta,0.42,dog\n")
        (folder / "config.yaml").write_text("model:\n  name: linear\n  depth: 3\n")
        (folder / "info.json").write_text(json.dumps({"a": 1, "b": [1, 2, 3]}))
        (folder / "empty.txt").write_text("")
        (folder / "big.log").write_text("".join(f"line {i:08d}\n" for i in range(40_000)))
        for file in folder.iterdir():
            client.log_artifact(run_id, str(file), "plots" if file.suffix == ".png" else None)

    # An MLflow 3 logged model from that run (its files live beside the run, not in it).
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: list[str]) -> list[str]:
            return model_input

    # The fluent API refuses to resume a run outside the active experiment, which an earlier
    # test in this process may have set.
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run(run_id=run_id):
        info = mlflow.pyfunc.log_model(name="echo", python_model=Echo(), pip_requirements=[])
    seeded.logged_model_id = info.model_id

    # The registry: a model with two versions from the child runs, and an alias.
    seeded.model_name = f"{prefix}-model-{uuid.uuid4().hex[:6]}"
    client.create_registered_model(seeded.model_name, description="A model for the UI tests.")
    for index in range(2):
        run_id = seeded.run_ids[f"child-{index}"]
        client.create_model_version(seeded.model_name, f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias(seeded.model_name, "champion", "2")
    return seeded


if __name__ == "__main__":
    uri = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    mlflow.set_tracking_uri(uri)
    print(seed(uri, "demo"))


def bulk_runs(db_path: Path, experiment_id: str, count: int, batch: int = 10_000) -> None:
    """Insert `count` finished runs (3 params, 3 metrics, some nested) straight into a
    trackyard SQLite database: 100k runs through the API would take minutes, and the UI
    only needs them to exist. The experiment must exist (create it through the API)."""
    import random
    import sqlite3

    rng = random.Random(7)
    con = sqlite3.connect(db_path, timeout=60)
    try:
        with con:
            keys = ["loss", "accuracy", "f1"]
            con.executemany(
                "INSERT INTO metric_keys (key) VALUES (?) ON CONFLICT DO NOTHING",
                [(key,) for key in keys],
            )
            key_ids = dict(
                con.execute("SELECT key, id FROM metric_keys WHERE key IN (?, ?, ?)", keys)
            )
        start = int(time.time() * 1000) - count * 1000
        parent_uuid = None
        for offset in range(0, count, batch):
            runs = []
            for i in range(offset, min(offset + batch, count)):
                run_uuid = uuid.uuid4().hex
                runs.append((i, run_uuid, start + i * 1000))
            with con:
                con.executemany(
                    "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, "
                    "end_time, lifecycle_stage, artifact_uri) "
                    "VALUES (?, ?, ?, 'bench', 'FINISHED', ?, ?, 'active', ?)",
                    [
                        (u, int(experiment_id), f"run-{i:06d}", t, t + 500,
                         f"mlflow-artifacts:/{experiment_id}/{u}/artifacts")
                        for i, u, t in runs
                    ],
                )  # fmt: skip
                ids = dict(
                    con.execute(
                        f"SELECT run_uuid, id FROM runs WHERE run_uuid IN "
                        f"({','.join('?' * len(runs))})",
                        [u for _, u, _ in runs],
                    )
                )
                tags, params, latest, points = [], [], [], []
                for i, run_uuid, started in runs:
                    key = ids[run_uuid]
                    tags.append((key, "mlflow.runName", f"run-{i:06d}"))
                    tags.append((key, "mlflow.user", "bench"))
                    # Every 50 runs, a parent with three children.
                    if i % 50 == 0:
                        parent_uuid = run_uuid
                    elif i % 50 <= 3 and parent_uuid:
                        tags.append((key, "mlflow.parentRunId", parent_uuid))
                    params += [
                        (key, "lr", str(rng.choice([0.1, 0.01, 0.001]))),
                        (key, "model", rng.choice(["tree", "forest", "boost", "linear"])),
                        (key, "seed", str(i)),
                    ]
                    for name in keys:
                        value = rng.random()
                        latest.append((key, key_ids[name], 0, started, value))
                        points.append(block_row((key, key_ids[name]), [(0, started, value)]))
                con.executemany("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)", tags)
                con.executemany(
                    "INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)", params
                )
                con.executemany(
                    "INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
                    "VALUES (?, ?, ?, ?, ?)",
                    latest,
                )
                con.executemany(
                    "INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, "
                    "last_step, last_timestamp, points) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    points,
                )
    finally:
        con.close()
