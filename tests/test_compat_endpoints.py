"""Endpoints MLflow's web UI calls that the stock client does not: `metrics/get-history-bulk`,
`experiments/search-datasets` and `upload-artifact`, answered and refused as MLflow does."""

from __future__ import annotations

import uuid

import pytest
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric

from .helpers import API, assert_error, unique

AJAX = "/ajax-api/2.0/mlflow"
BULK = f"{API}/metrics/get-history-bulk"
DATASETS = f"{API}/experiments/search-datasets"
UPLOAD = f"{AJAX}/upload-artifact"


def _message(response, error_code: str, status: int) -> str:
    return assert_error(response, error_code, status)["message"]


# ----------------------------------------------------------------- metrics/get-history-bulk
def _two_runs(client, experiment_id: str) -> list[str]:
    """Two runs with a `loss` history, in run id order; the first's timestamps fall as its
    steps rise."""
    run_ids = sorted(client.create_run(experiment_id).info.run_id for _ in range(2))
    client.log_batch(run_ids[0], metrics=[Metric("loss", 1.0 - s, 500 - s, s) for s in range(3)])
    client.log_batch(run_ids[1], metrics=[Metric("loss", 10.0 + s, 100 + s, s) for s in range(2)])
    return run_ids


def test_history_bulk_answers_runs_in_id_order_each_in_time_order(client, http, experiment_id):
    first, second = _two_runs(client, experiment_id)
    response = http.get(BULK, params={"run_id": [second, first], "metric_key": "loss"})
    assert response.status_code == 200, response.text
    assert response.json()["metrics"] == [
        {"key": "loss", "value": -1.0, "timestamp": 498, "step": 2, "run_id": first},
        {"key": "loss", "value": 0.0, "timestamp": 499, "step": 1, "run_id": first},
        {"key": "loss", "value": 1.0, "timestamp": 500, "step": 0, "run_id": first},
        {"key": "loss", "value": 10.0, "timestamp": 100, "step": 0, "run_id": second},
        {"key": "loss", "value": 11.0, "timestamp": 101, "step": 1, "run_id": second},
    ]


def test_history_bulk_caps_points_across_all_runs_at_max_results(client, http, experiment_id):
    first, second = _two_runs(client, experiment_id)
    params = {"run_id": [first, second], "metric_key": "loss", "max_results": "4"}
    metrics = http.get(BULK, params=params).json()["metrics"]
    assert [(m["run_id"], m["step"]) for m in metrics] == [
        (first, 2),
        (first, 1),
        (first, 0),
        (second, 0),
    ]


def test_history_bulk_skips_unknown_runs(client, http, experiment_id):
    first, _ = _two_runs(client, experiment_id)
    unknown = uuid.uuid4().hex
    response = http.get(BULK, params={"run_id": [unknown, first], "metric_key": "loss"})
    assert {m["run_id"] for m in response.json()["metrics"]} == {first}


def test_history_bulk_of_a_key_never_logged_is_empty(client, http, experiment_id):
    first, _ = _two_runs(client, experiment_id)
    response = http.get(BULK, params={"run_id": first, "metric_key": "never-logged"})
    assert (response.status_code, response.json()) == (200, {"metrics": []})


def test_history_bulk_with_max_results_0_is_empty(client, http, experiment_id):
    first, _ = _two_runs(client, experiment_id)
    params = {"run_id": first, "metric_key": "loss", "max_results": "0"}
    assert http.get(BULK, params=params).json() == {"metrics": []}


def test_history_bulk_spells_nan_as_a_string(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", float("nan"), timestamp=1, step=0)
    metrics = http.get(BULK, params={"run_id": run_id, "metric_key": "m"}).json()["metrics"]
    assert [m["value"] for m in metrics] == ["NaN"]


def test_history_bulk_is_served_under_ajax_api(client, http, experiment_id):
    first, second = _two_runs(client, experiment_id)
    params = {"run_id": [first, second], "metric_key": "loss"}
    response = http.get(f"{AJAX}/metrics/get-history-bulk", params=params)
    assert response.json() == http.get(BULK, params=params).json()


def test_history_bulk_without_run_id_is_refused(http):
    response = http.get(BULK, params={"metric_key": "loss"})
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "GetMetricHistoryBulk request must specify at least one run_id."
    )


def test_history_bulk_with_more_than_100_run_ids_is_refused(http):
    run_ids = [uuid.uuid4().hex for _ in range(101)]
    response = http.get(BULK, params={"run_id": run_ids, "metric_key": "loss"})
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids."
    )


def test_history_bulk_without_metric_key_is_refused(http):
    response = http.get(BULK, params={"run_id": uuid.uuid4().hex})
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "GetMetricHistoryBulk request must specify a metric_key."
    )


def test_history_bulk_refuses_nul_in_a_run_id(http):
    response = http.get(BULK, params={"run_id": "abc\x00", "metric_key": "loss"})
    assert "NUL" in _message(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("max_results", ["-1", "many", "1e99"])
def test_history_bulk_refuses_a_bad_max_results(http, max_results):
    params = {"run_id": uuid.uuid4().hex, "metric_key": "loss", "max_results": max_results}
    assert "max_results" in _message(http.get(BULK, params=params), "INVALID_PARAMETER_VALUE", 400)


# ----------------------------------------------------------------- experiments/search-datasets
def _dataset(name: str, context: str | None = None) -> DatasetInput:
    tags = [InputTag("mlflow.data.context", context)] if context else []
    digest = uuid.uuid4().hex[:8]
    return DatasetInput(Dataset(name, digest, "local", '{"uri": "data.csv"}'), tags=tags)


def test_search_datasets_answers_each_dataset_with_its_context(client, http, experiment_id):
    train, bare = _dataset("train", "training"), _dataset("bare")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_inputs(run_id, datasets=[train, bare])
    response = http.post(DATASETS, json={"experiment_ids": [experiment_id]})
    assert response.status_code == 200, response.text
    summaries = response.json()["dataset_summaries"]
    assert sorted(summaries, key=lambda s: s["name"]) == [
        {"experiment_id": experiment_id, "name": "bare", "digest": bare.dataset.digest},
        {
            "experiment_id": experiment_id,
            "name": "train",
            "digest": train.dataset.digest,
            "context": "training",
        },
    ]


def test_search_datasets_answers_one_summary_per_context(client, http, experiment_id):
    dataset = _dataset("shared").dataset
    for context in ("training", "eval", "training"):
        tags = [InputTag("mlflow.data.context", context)]
        run_id = client.create_run(experiment_id).info.run_id
        client.log_inputs(run_id, datasets=[DatasetInput(dataset, tags=tags)])
    summaries = http.post(DATASETS, json={"experiment_ids": [experiment_id]}).json()
    assert sorted(s["context"] for s in summaries["dataset_summaries"]) == ["eval", "training"]


def test_search_datasets_covers_only_the_given_experiments(client, http, experiment_id):
    other = client.create_experiment(unique("other"))
    client.log_inputs(client.create_run(experiment_id).info.run_id, datasets=[_dataset("mine")])
    client.log_inputs(client.create_run(other).info.run_id, datasets=[_dataset("theirs")])
    summaries = http.post(DATASETS, json={"experiment_ids": [other]}).json()["dataset_summaries"]
    assert [(s["experiment_id"], s["name"]) for s in summaries] == [(other, "theirs")]


def test_search_datasets_of_unknown_experiments_is_empty(http):
    response = http.post(DATASETS, json={"experiment_ids": ["987654321", "9" * 30]})
    assert (response.status_code, response.json()) == (200, {})


def test_search_datasets_is_served_under_ajax_api(client, http, experiment_id):
    client.log_inputs(client.create_run(experiment_id).info.run_id, datasets=[_dataset("d")])
    response = http.post(
        f"{AJAX}/experiments/search-datasets", json={"experiment_ids": [experiment_id]}
    )
    assert [s["name"] for s in response.json()["dataset_summaries"]] == ["d"]


def test_search_datasets_without_experiment_ids_is_refused(http):
    response = http.post(DATASETS, json={})
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "SearchDatasets request must specify at least one experiment_id."
    )


def test_search_datasets_with_more_than_20_experiment_ids_is_refused(http):
    response = http.post(DATASETS, json={"experiment_ids": [str(i) for i in range(21)]})
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "SearchDatasets request cannot specify more than 20 experiment_ids. "
        "Received 21 experiment_ids."
    )


def test_search_datasets_refuses_an_experiment_id_that_is_not_an_integer(http):
    response = http.post(DATASETS, json={"experiment_ids": ["1", "abc"]})
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "Invalid experiment ID 'abc'. Experiment ID must be a valid integer."
    )


def test_search_datasets_refuses_nul_in_an_experiment_id(http):
    response = http.post(DATASETS, json={"experiment_ids": ["1\u0000"]})
    assert "NUL" in _message(response, "INVALID_PARAMETER_VALUE", 400)


def test_search_datasets_refuses_a_body_that_is_not_json(http):
    response = http.post(
        DATASETS, content=b"experiment_ids=1", headers={"Content-Type": "text/plain"}
    )
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "Bad Request. Content-Type must be one of ['application/json']."
    )


# ----------------------------------------------------------------- upload-artifact
def _stored(http, run_id: str, path: str):
    return http.get("/get-artifact", params={"run_id": run_id, "path": path})


def test_upload_artifact_stores_the_body_in_the_runs_artifacts(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    body = bytes(range(256)) * 100
    response = http.post(UPLOAD, params={"run_uuid": run_id, "path": "ui/data.bin"}, content=body)
    assert response.status_code == 200, response.text
    assert _stored(http, run_id, "ui/data.bin").content == body
    assert [f.path for f in client.list_artifacts(run_id, "ui")] == ["ui/data.bin"]


def test_upload_artifact_is_served_under_api_too(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    params = {"run_uuid": run_id, "path": "notes.txt"}
    response = http.post(f"{API}/upload-artifact", params=params, content=b"hello")
    assert response.status_code == 200, response.text
    assert _stored(http, run_id, "notes.txt").content == b"hello"


def test_upload_artifact_streams_a_chunked_body(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    chunks = [b"a" * 65536, b"", b"b" * 1000]
    params = {"run_uuid": run_id, "path": "chunked.txt"}
    response = http.post(UPLOAD, params=params, content=iter(chunks))
    assert response.status_code == 200, response.text
    assert _stored(http, run_id, "chunked.txt").content == b"".join(chunks)


def test_upload_artifact_without_run_uuid_is_refused(http):
    response = http.post(UPLOAD, params={"path": "a.txt"}, content=b"x")
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == "Request must specify run_uuid."


def test_upload_artifact_without_path_is_refused(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.post(UPLOAD, params={"run_uuid": run_id}, content=b"x")
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == "Request must specify path."


def test_upload_artifact_without_data_is_refused(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.post(UPLOAD, params={"run_uuid": run_id, "path": "empty.txt"}, content=b"")
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == "Request must specify data."
    assert _stored(http, run_id, "empty.txt").status_code == 404


def test_upload_artifact_to_an_unknown_run_is_refused(http):
    run_id = uuid.uuid4().hex
    response = http.post(UPLOAD, params={"run_uuid": run_id, "path": "a.txt"}, content=b"x")
    assert _message(response, "RESOURCE_DOES_NOT_EXIST", 404) == f"Run with id={run_id} not found"


def test_upload_artifact_refuses_nul_in_run_uuid(http):
    response = http.post(UPLOAD, params={"run_uuid": "ab\x00c", "path": "a.txt"}, content=b"x")
    assert "NUL" in _message(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "%2e%2e/escape.txt", "a\\..\\b",
     "a\x00b", "C:/windows.txt", "file:///etc/passwd", ".trackyard/uploads/x"],
)  # fmt: skip
def test_upload_artifact_refuses_a_path_outside_the_run(client, http, experiment_id, path):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.post(UPLOAD, params={"run_uuid": run_id, "path": path}, content=b"x")
    message = _message(response, "INVALID_PARAMETER_VALUE", 400)
    assert message == "Invalid path" or message.startswith("Invalid artifact path")
    assert client.list_artifacts(run_id) == []


def test_upload_artifact_over_10_mb_declared_is_refused(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    params = {"run_uuid": run_id, "path": "big.bin"}
    response = http.post(UPLOAD, params=params, content=b"x" * (10 * 2**20 + 1))
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "Artifact size is too large. Max size is 10MB."
    )
    assert _stored(http, run_id, "big.bin").status_code == 404


def test_upload_artifact_over_10_mb_streamed_is_refused_and_not_stored(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    params = {"run_uuid": run_id, "path": "big.bin"}
    chunks = (b"x" * 2**20 for _ in range(11))
    response = http.post(UPLOAD, params=params, content=chunks)
    assert _message(response, "INVALID_PARAMETER_VALUE", 400) == (
        "Artifact size is too large. Max size is 10MB."
    )
    assert _stored(http, run_id, "big.bin").status_code == 404


def test_upload_artifact_from_another_site_is_refused(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.post(
        UPLOAD,
        params={"run_uuid": run_id, "path": "csrf.txt"},
        content=b"x",
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    assert_error(response, "PERMISSION_DENIED", 403)
    assert _stored(http, run_id, "csrf.txt").status_code == 404
