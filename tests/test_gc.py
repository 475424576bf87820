"""`trackyard gc`: deleted experiments, runs and logged models go for good, with their rows
and artifacts on every destination, while servers keep serving the same store."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag
from mlflow.exceptions import MlflowException
from mlflow.tracing.attachments import Attachment

from .artifact_fixtures import ArtifactServer
from .artifact_stores import S3_CREDENTIALS, FolderView
from .helpers import API, create_run, unique
from .servers import ServerProcess, start_server
from .test_migrations import _execute


def trackyard_gc(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """`trackyard gc` over the server's store and artifact destination, as an operator runs
    it beside the server (same flags, S3 credentials in the environment)."""
    command = [
        sys.executable, "-m", "trackyard", "gc",
        "--backend-store-uri", server.backend_store_uri,
        "--artifacts-destination", str(server.data_dir / "artifacts"),
        *server.extra_args,
        *args,
    ]  # fmt: skip
    env = {**os.environ, **S3_CREDENTIALS}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def _experiment_with_everything(client: MlflowClient, tmp_path: Path, name: str) -> dict:
    """An experiment with a run (params, metrics, tags, a dataset input, artifacts) and a
    logged model with artifacts; the ids."""
    experiment_id = client.create_experiment(name)
    client.set_experiment_tag(experiment_id, "team", "gc")
    run = client.create_run(experiment_id, tags={"t": "1"})
    run_id = run.info.run_id
    client.log_param(run_id, "p", "1")
    for step in range(3):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    dataset = Dataset("train", "d1", "local", '{"uri": "train.csv"}')
    client.log_inputs(run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "t")])])
    (tmp_path / name).mkdir()
    (tmp_path / name / "a.txt").write_text(f"artifact of {name}")
    client.log_artifacts(run_id, str(tmp_path / name), "files")
    model = client.create_logged_model(experiment_id, source_run_id=run_id, params={"k": "v"})
    client.log_model_artifacts(model.model_id, str(tmp_path / name))
    return {"experiment": experiment_id, "run": run_id, "model": model.model_id}


def _missing(call) -> bool:
    try:
        call()
    except MlflowException as error:
        return error.error_code == "RESOURCE_DOES_NOT_EXIST"
    return False


def test_gc_deletes_an_experiment_with_its_runs_models_and_artifacts_on_each_destination(
    artifact_server: ArtifactServer, tmp_path: Path
):
    client = MlflowClient(artifact_server.url)
    name = unique("gc-doomed")
    doomed = _experiment_with_everything(client, tmp_path, name)
    kept = _experiment_with_everything(client, tmp_path, unique("gc-kept"))
    stored_before = artifact_server.view.stored_keys()
    ours = {key for key in stored_before if key.startswith(f"{doomed['experiment']}/")}
    assert len(ours) == 2  # the run's file and the model's
    client.delete_experiment(doomed["experiment"])

    result = trackyard_gc(artifact_server.server, "--experiment-ids", doomed["experiment"])

    assert result.returncode == 0, result.stderr
    assert "Deleted 1 runs, 1 logged models and 1 experiments" in result.stdout
    assert artifact_server.view.stored_keys() == stored_before - ours
    assert _missing(lambda: client.get_run(doomed["run"]))
    assert _missing(lambda: client.get_logged_model(doomed["model"]))
    assert _missing(lambda: client.get_experiment(doomed["experiment"]))
    assert client.get_run(kept["run"]).data.params == {"p": "1"}
    assert client.get_logged_model(kept["model"]).params == {"k": "v"}


@pytest.mark.parametrize("artifact_server", ["local", "sftp"], indirect=True)
def test_gc_leaves_no_empty_folder_of_a_purged_experiment(
    artifact_server: ArtifactServer, tmp_path: Path
):
    server = artifact_server  # S3 has no folders to leave behind
    assert isinstance(server.view, FolderView)
    client = MlflowClient(server.url)
    doomed = _experiment_with_everything(client, tmp_path, unique("gc-folder"))
    folder = server.view.root / doomed["experiment"]
    assert folder.is_dir()
    client.delete_experiment(doomed["experiment"])

    result = trackyard_gc(server.server, "--experiment-ids", doomed["experiment"])

    assert result.returncode == 0, result.stderr
    assert not folder.exists()
    assert "Artifacts not deleted" not in result.stderr


def test_a_purged_experiments_folder_holding_other_files_is_kept(own_server, tmp_path):
    client = MlflowClient(own_server.url)
    doomed = _experiment_with_everything(client, tmp_path, unique("gc-shared"))
    folder = own_server.data_dir / "artifacts" / doomed["experiment"]
    (folder / "not-a-run.txt").write_text("someone else's")
    client.delete_experiment(doomed["experiment"])

    result = trackyard_gc(own_server, "--experiment-ids", doomed["experiment"])

    assert result.returncode == 0, result.stderr
    assert [path.name for path in folder.rglob("*") if path.is_file()] == ["not-a-run.txt"]
    assert "the purged experiment's folder holds other files" in result.stderr


def _traced(url: str, experiment_id: str, content: bytes) -> tuple[str, str]:
    """A trace in the experiment whose span holds an attachment: the trace's id and the
    attachment's path below the destination."""
    mlflow.set_tracking_uri(url)
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_span("look") as span:
        span.set_inputs({"image": Attachment(content_type="image/png", content_bytes=content)})
    mlflow.flush_trace_async_logging()
    trace = MlflowClient(url).get_trace(span.trace_id)
    reference = Attachment.parse_ref(trace.data.spans[0].inputs["image"])
    location = trace.info.tags["mlflow.artifactLocation"].removeprefix("mlflow-artifacts:/")
    return span.trace_id, f"{location}/attachments/{reference['attachment_id']}"


def test_gc_deletes_the_attachments_of_a_purged_experiments_traces(
    artifact_server: ArtifactServer, tmp_path: Path
):
    client = MlflowClient(artifact_server.url)
    doomed = _experiment_with_everything(client, tmp_path, unique("gc-traced"))
    _, attachment = _traced(artifact_server.url, doomed["experiment"], b"doomed picture")
    kept = client.create_experiment(unique("gc-traced-kept"))
    _, kept_attachment = _traced(artifact_server.url, kept, b"kept picture")
    assert artifact_server.view.read(attachment) == b"doomed picture"
    client.delete_experiment(doomed["experiment"])

    result = trackyard_gc(artifact_server.server, "--experiment-ids", doomed["experiment"])

    assert result.returncode == 0, result.stderr
    assert "Artifacts not deleted" not in result.stderr
    stored = artifact_server.view.stored_keys()
    assert not [key for key in stored if key.startswith(f"{doomed['experiment']}/")]
    assert artifact_server.view.read(kept_attachment) == b"kept picture"


def test_gc_deletes_the_files_of_traces_deleted_through_the_api(own_server):
    client = MlflowClient(own_server.url)
    experiment = client.create_experiment(unique("gc-deleted-traces"))
    deleted, deleted_file = _traced(own_server.url, experiment, b"deleted")
    kept, kept_file = _traced(own_server.url, experiment, b"kept")
    client.delete_traces(experiment, trace_ids=[deleted])
    artifacts = own_server.data_dir / "artifacts"
    assert (artifacts / deleted_file).exists()  # delete-traces leaves them, as mlflow server

    result = trackyard_gc(own_server)

    assert result.returncode == 0, result.stderr
    assert "Deleted the files of 1 traces no longer in the store." in result.stdout
    assert not (artifacts / experiment / "traces" / deleted).exists()
    assert (artifacts / kept_file).read_bytes() == b"kept"
    assert client.get_trace(kept).info.trace_id == kept


def test_gc_keeps_what_is_under_traces_but_no_traces_folder(own_server):
    client = MlflowClient(own_server.url)
    experiment = client.create_experiment(unique("gc-traces-folder"))
    folder = own_server.data_dir / "artifacts" / experiment / "traces"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "keep.txt").write_text("not a trace")
    (folder / "readme.txt").write_text("not a trace either")

    result = trackyard_gc(own_server)

    assert result.returncode == 0, result.stderr
    assert (folder / "notes" / "keep.txt").exists()
    assert (folder / "readme.txt").exists()
    assert "Deleted the files" not in result.stdout


def test_a_deleted_experiments_name_is_free_for_the_stock_client_after_gc(
    artifact_server: ArtifactServer, tmp_path: Path
):
    client = MlflowClient(artifact_server.url)
    name = unique("gc-reused")
    old = _experiment_with_everything(client, tmp_path, name)
    client.delete_experiment(old["experiment"])
    with pytest.raises(MlflowException, match="already exists"):
        client.create_experiment(name)

    assert (
        trackyard_gc(artifact_server.server, "--experiment-ids", old["experiment"]).returncode == 0
    )

    new_id = client.create_experiment(name)
    assert new_id != old["experiment"]
    assert client.get_experiment_by_name(name).experiment_id == new_id
    assert client.search_runs([new_id]) == []


@pytest.fixture
def own_server(database_uri: str, tmp_path: Path):
    """A server of the test's own on each backend: gc without ids sees only its data."""
    server = start_server(tmp_path / "server", database_uri)
    yield server
    server.stop()


def _rows_of_run(uri: str, run_id: str) -> dict[str, int]:
    """How many rows each table holds for the run, read from the database directly."""
    counts = {}
    key = f"(SELECT id FROM runs WHERE run_uuid = '{run_id}')"
    for table in ("run_params", "run_tags", "latest_metrics", "metric_blocks", "run_inputs"):
        counts[table] = _execute(uri, f"SELECT COUNT(*) FROM {table} WHERE run_id = {key}")[0][0]
    counts["runs"] = _execute(uri, f"SELECT COUNT(*) FROM runs WHERE run_uuid = '{run_id}'")[0][0]
    return counts


def test_gc_of_deleted_runs_removes_every_row_and_keeps_active_runs(own_server, tmp_path):
    client = MlflowClient(own_server.url)
    ids = _experiment_with_everything(client, tmp_path, unique("gc-runs"))
    active = client.create_run(ids["experiment"])
    client.log_param(active.info.run_id, "stay", "yes")
    assert _rows_of_run(own_server.backend_store_uri, ids["run"])["metric_blocks"] > 0
    client.delete_run(ids["run"])

    result = trackyard_gc(own_server)

    assert result.returncode == 0, result.stderr
    assert "Deleted 1 runs, 0 logged models and 0 experiments" in result.stdout
    assert set(_rows_of_run(own_server.backend_store_uri, ids["run"]).values()) == {0}
    assert not (own_server.data_dir / "artifacts" / ids["experiment"] / ids["run"]).exists()
    assert client.get_run(active.info.run_id).data.params == {"stay": "yes"}
    assert client.get_experiment(ids["experiment"]).lifecycle_stage == "active"


def test_gc_without_ids_purges_deleted_experiments_and_frees_their_names(own_server, tmp_path):
    client = MlflowClient(own_server.url)
    name = unique("gc-all")
    ids = _experiment_with_everything(client, tmp_path, name)
    kept = _experiment_with_everything(client, tmp_path, unique("gc-all-kept"))
    client.delete_experiment(ids["experiment"])

    result = trackyard_gc(own_server)

    assert result.returncode == 0, result.stderr
    assert "Deleted 1 runs, 1 logged models and 1 experiments" in result.stdout
    assert set(_rows_of_run(own_server.backend_store_uri, ids["run"]).values()) == {0}
    tags = f"SELECT COUNT(*) FROM experiment_tags WHERE experiment_id = {ids['experiment']}"
    assert _execute(own_server.backend_store_uri, tags) == [(0,)]
    assert not list((own_server.data_dir / "artifacts" / ids["experiment"]).rglob("*.txt"))
    assert list((own_server.data_dir / "artifacts" / kept["experiment"]).rglob("*.txt"))
    assert client.create_experiment(name) != ids["experiment"]
    assert client.get_run(kept["run"]).data.params == {"p": "1"}


def test_gc_dry_run_lists_what_would_go_and_changes_nothing(own_server, tmp_path):
    client = MlflowClient(own_server.url)
    ids = _experiment_with_everything(client, tmp_path, unique("gc-dry"))
    client.delete_experiment(ids["experiment"])
    before = _rows_of_run(own_server.backend_store_uri, ids["run"])
    files = sorted((own_server.data_dir / "artifacts").rglob("*"))

    result = trackyard_gc(own_server, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert f"run {ids['run']} (experiment {ids['experiment']})" in result.stdout
    assert f"logged model {ids['model']}" in result.stdout
    assert f"experiment {ids['experiment']} " in result.stdout
    assert "Would delete 1 runs, 1 logged models and 1 experiments" in result.stdout
    assert _rows_of_run(own_server.backend_store_uri, ids["run"]) == before
    assert sorted((own_server.data_dir / "artifacts").rglob("*")) == files
    assert client.get_experiment(ids["experiment"]).lifecycle_stage == "deleted"


def test_gc_older_than_leaves_what_was_deleted_more_recently(own_server):
    client = MlflowClient(own_server.url)
    experiment_id = client.create_experiment(unique("gc-age"))
    run = client.create_run(experiment_id)
    client.delete_run(run.info.run_id)

    result = trackyard_gc(own_server, "--older-than", "1h30m")

    assert result.returncode == 0, result.stderr
    assert "Deleted 0 runs" in result.stdout
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"


def test_gc_refuses_a_named_run_that_is_not_deleted_and_deletes_nothing(own_server):
    client = MlflowClient(own_server.url)
    experiment_id = client.create_experiment(unique("gc-active"))
    active, deleted = client.create_run(experiment_id), client.create_run(experiment_id)
    client.delete_run(deleted.info.run_id)

    result = trackyard_gc(own_server, "--run-ids", f"{deleted.info.run_id},{active.info.run_id}")

    assert result.returncode == 1
    assert f"The run {active.info.run_id} is not in the deleted state" in result.stderr
    assert client.get_run(deleted.info.run_id).info.lifecycle_stage == "deleted"


def test_gc_refuses_ids_that_name_nothing(own_server):
    for option, value, message in [
        ("--experiment-ids", "abc", "No experiment with id abc exists."),
        ("--experiment-ids", "999999", "No experiment with id 999999 exists."),
        ("--run-ids", "f" * 32, f"No run with id {'f' * 32} exists."),
        ("--logged-model-ids", "m-nope", "No logged model with id m-nope exists."),
    ]:
        result = trackyard_gc(own_server, option, value)
        assert (result.returncode, message in result.stderr) == (1, True), result.stderr


def test_gc_refuses_a_database_that_is_not_there_and_creates_none(tmp_path):
    missing = tmp_path / "typo.db"
    command = [
        sys.executable,
        "-m",
        "trackyard",
        "gc",
        "--backend-store-uri",
        f"sqlite:///{missing}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "has no schema" in result.stderr and "trackyard db upgrade" in result.stderr
    assert not missing.exists()


def test_gc_refuses_an_unreadable_age(own_server):
    result = trackyard_gc(own_server, "--older-than", "30 days")
    assert result.returncode == 2
    assert "not an age such as 30d" in result.stderr


def test_a_server_keeps_answering_while_gc_deletes_many_runs(own_server):
    """Hundreds of deleted runs go in batches while a training loop logs to an active run."""
    with httpx.Client(base_url=own_server.url, timeout=30) as http:
        experiment_id = http.post(
            f"{API}/experiments/create", json={"name": unique("gc-busy")}
        ).json()["experiment_id"]
        doomed = [create_run(http, experiment_id) for _ in range(450)]
        for run_id in doomed:
            http.post(
                f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "k", "value": "v"}
            )
            http.post(f"{API}/runs/delete", json={"run_id": run_id})
        live = create_run(http, experiment_id)
        answers: list[int] = []
        done = threading.Event()

        def train() -> None:
            step = 0
            while not done.is_set() or step < 20:
                body = {"run_id": live, "key": "loss", "value": step, "timestamp": 1, "step": step}
                answers.append(http.post(f"{API}/runs/log-metric", json=body).status_code)
                step += 1

        loop = threading.Thread(target=train)
        loop.start()
        try:
            result = trackyard_gc(own_server)
        finally:
            done.set()
            loop.join()
        history = http.get(
            f"{API}/metrics/get-history",
            params={"run_id": live, "metric_key": "loss", "max_results": 10000},
        ).json()["metrics"]
        gone = http.get(f"{API}/runs/get", params={"run_id": doomed[0]}).status_code

    assert result.returncode == 0, result.stderr
    assert "Deleted 450 runs" in result.stdout
    assert answers and set(answers) == {200}
    assert len(history) == len(answers)
    assert gone == 404
