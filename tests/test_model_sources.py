"""Model version sources that are local paths, checked as `mlflow server` checks them."""

from __future__ import annotations

import httpx
import pytest

from .helpers import API, assert_error, create_run, unique

LOCAL_SOURCE_ERROR = (
    "Invalid model version source: '{}'. To use a local path as a model version source, the "
    "run_id request parameter has to be specified and the local path has to be contained "
    "within the artifact directory of the run specified by the run_id."
)


@pytest.fixture
def model(http: httpx.Client) -> str:
    name = unique("sources")
    assert http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    return name


@pytest.fixture
def local_run(http: httpx.Client, tmp_path) -> tuple[str, str]:
    """A run whose artifact URI is a local folder: (run id, its artifact folder)."""
    response = http.post(
        f"{API}/experiments/create",
        json={"name": unique("local"), "artifact_location": str(tmp_path / "artifacts")},
    )
    assert response.status_code == 200, response.text
    run_id = create_run(http, response.json()["experiment_id"])
    run = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    return run_id, run["info"]["artifact_uri"].removeprefix("file://")


def test_bare_local_path_inside_the_runs_artifacts_is_accepted(http, model, local_run):
    run_id, folder = local_run
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": f"{folder}/model", "run_id": run_id},
    )
    assert response.status_code == 200, response.text
    assert response.json()["model_version"]["source"] == f"{folder}/model"


def test_file_uri_inside_the_runs_artifacts_is_accepted(http, model, local_run):
    run_id, folder = local_run
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": f"file://{folder}/model", "run_id": run_id},
    )
    assert response.status_code == 200, response.text


def test_local_path_without_run_id_is_refused_in_mlflows_words(http, model):
    response = http.post(
        f"{API}/model-versions/create", json={"name": model, "source": "/etc/passwd"}
    )
    body = assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    assert body["message"] == LOCAL_SOURCE_ERROR.format("/etc/passwd")


def test_local_path_outside_the_runs_artifacts_is_refused_in_mlflows_words(http, model, local_run):
    run_id, folder = local_run
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": f"{folder}/../../elsewhere", "run_id": run_id},
    )
    body = assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    outside = folder.rsplit("/", 2)[0] + "/elsewhere"
    assert body["message"] == LOCAL_SOURCE_ERROR.format(outside)


def test_local_path_with_a_proxied_run_is_refused(http, model, experiment_id):
    run_id = create_run(http, experiment_id)
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": "/tmp/model", "run_id": run_id},
    )
    body = assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    assert body["message"] == LOCAL_SOURCE_ERROR.format("/tmp/model")
