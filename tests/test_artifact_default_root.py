"""`--default-artifact-root <folder>`: the server reads what lies below the folder the operator
configured, through the same path checks as its destination; nothing else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient

from .helpers import API, assert_error, unique
from .servers import ServerProcess, running_server


@pytest.fixture(params=["path", "file-uri"])
def root_server(request, database_uri: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    root = (tmp_path / "default-root").resolve()
    given = str(root) if request.param == "path" else root.as_uri()
    data_dir = tmp_path / "server"
    with running_server(data_dir, database_uri, "--default-artifact-root", given) as server:
        yield server, root


@pytest.fixture
def root_client(root_server) -> MlflowClient:
    return MlflowClient(root_server[0].url)


def _run_with_file(client: MlflowClient, tmp_path: Path) -> str:
    experiment_id = client.create_experiment(unique("default-root"))
    run_id = client.create_run(experiment_id).info.run_id
    source = tmp_path / "notes.txt"
    source.write_text("written by the client")
    client.log_artifact(run_id, str(source), "notes")
    return run_id


def test_run_artifacts_below_the_default_root_are_listed(root_server, root_client, tmp_path):
    server, _ = root_server
    run_id = _run_with_file(root_client, tmp_path)
    listed = httpx.get(
        f"{server.url}{API}/artifacts/list", params={"run_id": run_id, "path": "notes"}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["files"] == [{"path": "notes/notes.txt", "is_dir": False, "file_size": 21}]


def test_run_artifacts_below_the_default_root_are_downloaded(root_server, root_client, tmp_path):
    server, _ = root_server
    run_id = _run_with_file(root_client, tmp_path)
    fetched = httpx.get(
        f"{server.url}/get-artifact", params={"run_id": run_id, "path": "notes/notes.txt"}
    )
    assert fetched.status_code == 200, fetched.text
    assert fetched.content == b"written by the client"


def test_logged_model_files_below_the_default_root_are_served(root_server, root_client, tmp_path):
    server, _ = root_server
    experiment_id = root_client.create_experiment(unique("default-root-model"))
    model = root_client.create_logged_model(experiment_id)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}")
    root_client.log_model_artifacts(model.model_id, str(folder))
    base = f"{server.url}/ajax-api/2.0/mlflow/logged-models/{model.model_id}/artifacts"
    listed = httpx.get(f"{base}/directories")
    assert listed.status_code == 200, listed.text
    assert [f["path"] for f in listed.json()["files"]] == ["MLmodel"]
    fetched = httpx.get(f"{base}/files", params={"artifact_file_path": "MLmodel"})
    assert fetched.content == b"flavors: {}"


def test_a_symlink_out_of_the_default_root_is_refused(root_server, root_client, tmp_path):
    server, root = root_server
    run_id = _run_with_file(root_client, tmp_path)
    artifacts = Path(root_client.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    secret = tmp_path / "secret.txt"
    secret.write_text("not for clients")
    os.symlink(secret, artifacts / "link.txt")
    fetched = httpx.get(f"{server.url}/get-artifact", params={"run_id": run_id, "path": "link.txt"})
    assert_error(fetched, "INVALID_PARAMETER_VALUE", 400)
    assert root in artifacts.parents


def test_run_artifacts_outside_the_default_root_are_not_served(root_server, root_client, tmp_path):
    server, _ = root_server
    elsewhere = (tmp_path / "elsewhere").as_uri()
    experiment_id = root_client.create_experiment(unique("elsewhere"), artifact_location=elsewhere)
    run_id = root_client.create_run(experiment_id).info.run_id
    listed = httpx.get(f"{server.url}{API}/artifacts/list", params={"run_id": run_id})
    assert_error(listed, "NOT_IMPLEMENTED", 501)
