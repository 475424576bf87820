"""MLflow deployments to import from: a real `mlflow server` 3.17.2 logged to by the stock
client, an `mlruns` folder written by the stock client, and large databases generated in
MLflow's own schema (made by MLflow's store, rows written in bulk) for the interrupted-import
test and the benchmark."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import TraceLocation
from mlflow.pyfunc import PythonModel
from mlflow.tracing.attachments import Attachment
from mlflow.tracing.client import TracingClient
from mlflow.tracing.constant import TraceTagKey
from mlflow.utils.mlflow_tags import MLFLOW_ARTIFACT_LOCATION

from .servers import free_port

MODEL_NAME = "imported-model"
T0 = 1_700_000_000_000  # the logged points' first timestamp
ATTACHED = bytes(range(256)) * 3  # a file the client takes out of the "predict" span


class AddN(PythonModel):
    """A model small enough to log in a test: adds n to every value."""

    def __init__(self, n: int) -> None:
        self.n = n

    def predict(self, context, model_input, params=None):
        return model_input + self.n


@contextmanager
def mlflow_server(backend_store_uri: str, data_dir: Path) -> Iterator[str]:
    """The stock `mlflow server` on a free port, proxying artifacts into data_dir/artifacts;
    yields its URL."""
    port = free_port()
    log_path = data_dir / "mlflow-server.log"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", backend_store_uri,
        "--artifacts-destination", str(data_dir / "artifacts"),
        "--workers", "1",
    ]  # fmt: skip
    # Its background job runner (a dozen huey processes) has nothing to do for an import source.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=data_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # uvicorn waits for the client's idle connections
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def populate(tracking_uri: str) -> None:
    """Everything an import must carry, logged by the stock client."""
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment_id = client.create_experiment("import-main", tags={"team": "vision", "x": "1"})
    gone = client.create_experiment("import-gone", tags={"old": "yes"})
    client.create_run(gone)
    client.delete_experiment(gone)
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"lr": "0.1", "layers": "3"})
        mlflow.set_tags({"stage": "dev", "owner": "ann"})
        mlflow.log_metrics({f"loss_{i}": 1.0 / (i + 1) for i in range(3)}, step=0)
        for step in range(60):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=T0 + step)
        for step, value in enumerate([math.nan, math.inf, -math.inf, 0.5, math.nan]):
            mlflow.log_metric("odd", value, step=step // 2, timestamp=T0)
        frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.25, 0.125]})
        mlflow.log_input(mlflow.data.from_pandas(frame, name="train"), context="training")
        mlflow.log_text("hello artifacts", "notes/hello.txt")
        mlflow.log_dict({"k": [1, 2]}, "config.json")
        with mlflow.start_run(run_name="child", nested=True):
            mlflow.log_metric("acc", 0.75, step=3)
            mlflow.log_param("fold", "2")
    # A separate run: log_model copies its run's metrics to the model, and MLflow's server
    # refuses two values at one (step, timestamp) there ('odd' above has them).
    with mlflow.start_run(run_name="trainer") as parent:
        mlflow.log_metric("score", 0.9, step=1)
        info = mlflow.pyfunc.log_model(
            name="model", python_model=AddN(2), pip_requirements=["mlflow"]
        )
    failed = client.create_run(experiment_id, run_name="failed", tags={"why": "oom"})
    client.log_batch(
        failed.info.run_id,
        metrics=[mlflow.entities.Metric("m", float(i), T0 + i, i) for i in range(1500)],
    )
    client.set_terminated(failed.info.run_id, "FAILED")
    removed = client.create_run(experiment_id, run_name="removed")
    client.delete_run(removed.info.run_id)
    client.create_registered_model(MODEL_NAME, tags={"task": "add"}, description="adds two")
    first = client.create_model_version(
        MODEL_NAME, info.model_uri, run_id=parent.info.run_id, description="first",
        model_id=info.model_id,
    )  # fmt: skip
    client.create_model_version(MODEL_NAME, info.model_uri, model_id=info.model_id)
    client.transition_model_version_stage(MODEL_NAME, first.version, "Staging")
    client.set_registered_model_alias(MODEL_NAME, "champion", first.version)
    client.set_model_version_tag(MODEL_NAME, first.version, "checked", "yes")
    client.create_registered_model("empty-model")
    with mlflow.start_span(name="predict") as span:
        attachment = Attachment(content_type="image/png", content_bytes=ATTACHED)
        span.set_inputs({"x": 1, "y": [1.5, True, None], "image": attachment})
        with mlflow.start_span(name="llm", span_type="LLM") as child:
            child.set_outputs("ok")
            child.add_event(mlflow.entities.SpanEvent("tick", attributes={"n": 3}))
        span.set_outputs({"z": 2})
    mlflow.flush_trace_async_logging()
    mlflow.log_feedback(trace_id=span.trace_id, name="good", value=True, rationale="fine")
    mlflow.log_expectation(trace_id=span.trace_id, name="answer", value={"z": 2})


def log_trace_with_spans_in_artifacts(tracking_uri: str, experiment_id: str, scratch: Path) -> str:
    """A trace whose spans the server keeps only in traces.json, none in its `spans` table:
    what every client before MLflow 3.4 sent, the trace info (StartTraceV3) and then its
    spans uploaded as traces.json into the artifact location the server answered with.
    3.17.2's client takes that route itself (`MlflowV3SpanExporter._log_trace`) only for a
    server older than 3.4, and no setting chooses it, so: the stock tracer makes the trace
    into a scratch file store (which keeps spans in traces.json), and the stock
    TracingClient sends it to the server with the exporter's own two calls."""
    scratch_uri = scratch.as_uri()
    allowed = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        mlflow.set_tracking_uri(scratch_uri)
        mlflow.set_experiment("scratch")
        with mlflow.start_span(name="old-client") as span:
            span.set_inputs({"question": "how old?", "n": [1, 2.5, None]})
            with mlflow.start_span(name="lookup", span_type="TOOL") as child:
                child.add_event(mlflow.entities.SpanEvent("hit", attributes={"rows": 2}))
                child.set_outputs(["a", "b"])
            span.set_outputs("older than 3.4")
        mlflow.flush_trace_async_logging()
        trace = MlflowClient(scratch_uri).get_trace(span.trace_id)
    finally:
        if allowed is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE")
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = allowed
        mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment_id=experiment_id)
    # The server names the trace's artifact location; the file store's is not sent.
    tags = {k: v for k, v in trace.info.tags.items() if k != MLFLOW_ARTIFACT_LOCATION}
    info = dataclasses.replace(
        trace.info, trace_location=TraceLocation.from_experiment_id(experiment_id), tags=tags
    )
    tracing = TracingClient(tracking_uri)
    stored = tracing.start_trace(info)
    assert TraceTagKey.SPANS_LOCATION not in stored.tags
    tracing._upload_trace_data(stored, trace.data)
    return span.trace_id


def without_locations(state: dict) -> dict:
    """A snapshot without artifact locations: an mlruns folder's are file: URIs, which the
    import moves into the destination."""
    for key, experiment in state["experiments"].items():
        state["experiments"][key] = experiment[:-1]
    for run in state["runs"].values():
        run["info"] = run["info"][:-1]
    for key, model in state["logged_models"].items():
        state["logged_models"][key] = model[:-1]
    for model in state["models"].values():
        model["versions"] = [version[:-1] for version in model["versions"]]
    for trace in state["traces"].values():
        trace["tags"].pop(MLFLOW_ARTIFACT_LOCATION, None)
    return state


def attachment_reference(state: dict) -> dict:
    """The reference the "predict" trace's span holds to its attachment (`ATTACHED`)."""
    for trace in state["traces"].values():
        for span in trace["spans"]:
            inputs = json.loads(span["attributes"].get("mlflow.spanInputs", "{}"))
            reference = (
                Attachment.parse_ref(inputs.get("image", "")) if isinstance(inputs, dict) else None
            )
            if reference:
                return reference
    raise AssertionError("no span refers to an attachment")


def snapshot(tracking_uri: str) -> dict:
    """Everything the stock client reads back, in a comparable form; the locations last in
    each tuple."""
    client = MlflowClient(tracking_uri)
    traces = trace_snapshot(tracking_uri)
    view = mlflow.entities.ViewType.ALL
    experiments = client.search_experiments(view_type=view, order_by=["name"])
    state: dict = {"experiments": {}, "runs": {}, "models": {}, "logged_models": {}}
    state["traces"] = traces
    for e in experiments:
        state["experiments"][e.experiment_id] = (
            e.name, e.lifecycle_stage, e.creation_time, e.last_update_time, e.tags,
            e.artifact_location,
        )  # fmt: skip
    ids = list(state["experiments"])
    for run in client.search_runs(ids, run_view_type=view, max_results=1000):
        info = run.info
        state["runs"][info.run_id] = {
            "info": (
                info.experiment_id, info.run_name, info.status, info.start_time, info.end_time,
                info.lifecycle_stage, info.user_id, info.artifact_uri,
            ),
            "params": run.data.params,
            "tags": run.data.tags,
            "metrics": {k: _f(v) for k, v in run.data.metrics.items()},
            "history": {key: _history(client, info.run_id, key) for key in run.data.metrics},
            "inputs": sorted(
                (d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
                 d.dataset.schema, d.dataset.profile, sorted((t.key, t.value) for t in d.tags))
                for d in run.inputs.dataset_inputs
            ),
            "artifacts": _artifacts(client, info.run_id)
            if info.lifecycle_stage == "active" else None,
        }  # fmt: skip
    for model in client.search_logged_models(ids):
        state["logged_models"][model.model_id] = (
            model.name, model.experiment_id, model.creation_timestamp, model.last_updated_timestamp,
            str(model.status), model.source_run_id, model.tags, model.params,
            sorted((m.key, m.step, m.timestamp, _f(m.value)) for m in model.metrics or []),
            model.artifact_location,
        )  # fmt: skip
    for model in client.search_registered_models():
        versions = [
            client.get_model_version(model.name, v.version)  # search leaves aliases out
            for v in client.search_model_versions(f"name = '{model.name}'")
        ]
        state["models"][model.name] = {
            "model": (model.creation_timestamp, model.last_updated_timestamp, model.description,
                      model.tags, sorted(model.aliases.items()) if isinstance(model.aliases, dict)
                      else model.aliases),
            "versions": sorted(
                (v.version, v.creation_timestamp, v.last_updated_timestamp, v.description,
                 v.current_stage, v.source, v.run_id, v.run_link, v.status, v.tags,
                 sorted(v.aliases), client.get_model_version_download_uri(model.name, v.version))
                for v in versions
            ),
        }  # fmt: skip
    return state


def trace_snapshot(tracking_uri: str) -> dict:
    """Every trace the stock client reads back: info, tags, metadata, assessments, spans."""
    client = MlflowClient(tracking_uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    found = {}
    for trace in client.search_traces(locations=ids, max_results=100):
        info = trace.info
        found[info.trace_id] = {
            "info": (info.request_time, info.execution_duration, str(info.state),
                     info.request_preview, info.response_preview, info.client_request_id,
                     info.trace_location.mlflow_experiment.experiment_id),
            "tags": info.tags,
            "metadata": info.trace_metadata,
            "assessments": sorted(
                (a.assessment_id, a.name, repr(getattr(a, "value", None)), a.source.source_type,
                 a.source.source_id, a.rationale, a.valid, a.create_time_ms)
                for a in info.assessments
            ),
            "spans": [span.to_dict() for span in client.get_trace(info.trace_id).data.spans],
        }  # fmt: skip
    return found


def _history(client: MlflowClient, run_id: str, key: str) -> list:
    """A metric's history in order of (step, timestamp); points at one (step, timestamp) as a
    sorted group, as MLflow's store orders NaN by the 0 it stores and trackyard puts it last."""
    points = [(m.step, m.timestamp, _f(m.value)) for m in client.get_metric_history(run_id, key)]
    return sorted(points, key=lambda point: (point[0], point[1], repr(point[2])))


def _f(value: float) -> object:
    """NaN compares equal to itself in a snapshot."""
    return "NaN" if value != value else value


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> dict:
    found = {}
    for entry in client.list_artifacts(run_id, path):
        if entry.is_dir:
            found.update(_artifacts(client, run_id, entry.path))
        else:
            local = client.download_artifacts(run_id, entry.path)
            found[entry.path] = Path(local).read_bytes()
    return found


def generate_mlflow_db(path: Path, runs: int, points_per_run: int, experiments: int = 10) -> None:
    """An MLflow tracking database with `runs` runs and `points_per_run` metric points each
    (4 keys), in MLflow 3.17.2's schema: MLflow's own store creates the schema, the rows go in
    with executemany (logging a million points through the server would take hours)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri = f"sqlite:///{path}"
    SqlAlchemyStore(uri, str(path.parent / "artifacts")).engine.dispose()
    db = sqlite3.connect(path)
    now = 1_700_000_000_000
    with db:
        db.executemany(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
            "creation_time, last_update_time, workspace) "
            "VALUES (?, ?, ?, 'active', ?, ?, 'default')",
            [(e, f"b-{e}", f"mlflow-artifacts:/{e}", now, now) for e in range(1, experiments + 1)],
        )
        keys = ["loss", "acc", "lr", "grad_norm"]
        for start in range(0, runs, 500):
            run_rows, params, tags, metrics, latest = [], [], [], [], []
            for r in range(start, min(start + 500, runs)):
                run_id = uuid.UUID(int=r + 1).hex
                experiment = r % experiments + 1
                run_rows.append((run_id, f"run-{r}", "FINISHED", now + r, now + r + 1000,
                                 "active", f"mlflow-artifacts:/{experiment}/{run_id}/artifacts",
                                 experiment, "bench", "UNKNOWN", "", "", ""))  # fmt: skip
                params += [(f"p{i}", str(r * i), run_id) for i in range(5)]
                tags += [("mlflow.runName", f"run-{r}", run_id), ("team", "bench", run_id)]
                for p in range(points_per_run):
                    key = keys[p % len(keys)]
                    step = p // len(keys)
                    metrics.append((key, 1.0 / (step + 1), now + step, step, 0, run_id))
                for k, key in enumerate(keys):
                    last = (points_per_run - 1 - k) // len(keys)
                    if last >= 0:
                        latest.append((key, 1.0 / (last + 1), now + last, last, 0, run_id))
            db.executemany(
                "INSERT INTO runs (run_uuid, name, status, start_time, end_time, lifecycle_stage, "
                "artifact_uri, experiment_id, user_id, source_type, source_name, "
                "entry_point_name, source_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                run_rows,
            )
            db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
            db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
            for table, rows in (("metrics", metrics), ("latest_metrics", latest)):
                db.executemany(
                    f"INSERT INTO {table} (key, value, timestamp, step, is_nan, run_uuid) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
    db.close()
