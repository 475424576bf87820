"""Bad input answered in mlflow server 3.17.2's words: code, status and exact message."""

from __future__ import annotations

import pytest

from .helpers import API, assert_error, create_run

DOCS = " See the API docs for more information about request parameters."


def _message(response, status: int = 400, code: str = "INVALID_PARAMETER_VALUE") -> str:
    return assert_error(response, code, status)["message"]


def test_wrong_type_names_the_parameter_and_the_value(http):
    response = http.post(
        f"{API}/runs/log-metric", json={"run_id": 31, "key": "k", "value": 1, "timestamp": 1}
    )
    assert _message(response) == (
        f"Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'.{DOCS}"
    )


def test_wrong_type_for_a_list_field_quotes_a_text_value(http, experiment_id):
    run_id = create_run(http, experiment_id)
    response = http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": "foo"})
    assert _message(response) == (
        "Invalid value \"foo\" for parameter 'metrics' supplied:  Hint: Value was of type "
        f"'str'.{DOCS}"
    )


def test_wrong_type_inside_a_list_names_its_path(http, experiment_id):
    run_id = create_run(http, experiment_id)
    metric = {"key": "k", "value": [1], "timestamp": 1, "step": 0}
    response = http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [metric]})
    assert _message(response) == (
        "Invalid value [1] for parameter 'metrics[0].value' supplied:  Hint: Value was of "
        f"type 'list'.{DOCS}"
    )


def test_wrong_type_in_a_query_parameter_is_quoted_text(http):
    response = http.get(f"{API}/experiments/search", params={"max_results": "many"})
    assert _message(response) == (
        "Invalid value \"many\" for parameter 'max_results' supplied:  Hint: Value was of "
        f"type 'str'.{DOCS}"
    )


def test_missing_required_parameter(http):
    response = http.get(f"{API}/runs/get")
    assert _message(response) == f"Missing value for required parameter 'run_id'.{DOCS}"


def test_runs_search_over_50000_results(http, experiment_id):
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "max_results": 50001}
    )
    assert _message(response) == (
        "Invalid value 50001 for parameter 'max_results' supplied:  Hint: Value was of type "
        f"'int'.{DOCS}"
    )


def test_runs_search_of_no_results(http, experiment_id):
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "max_results": -1}
    )
    assert _message(response) == (
        "Invalid value -1 for parameter 'max_results' supplied. It must be a positive integer"
    )


def test_experiments_search_over_50000_results(http):
    response = http.post(f"{API}/experiments/search", json={"max_results": 50001})
    assert _message(response) == (
        "Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000"
    )


def test_registered_models_search_over_1000_results(http):
    response = http.get(f"{API}/registered-models/search", params={"max_results": 1001})
    assert _message(response) == (
        "Invalid value 1001 for parameter 'max_results' supplied:  Hint: Value was of type "
        f"'int'.{DOCS}"
    )


def test_model_versions_search_of_no_results(http):
    response = http.get(f"{API}/model-versions/search", params={"max_results": -5})
    assert _message(response) == (
        "Invalid value for max_results. It must be a positive integer, but got -5"
    )


def test_metric_history_of_no_points(http, experiment_id):
    run_id = create_run(http, experiment_id)
    response = http.get(
        f"{API}/metrics/get-history",
        params={"run_id": run_id, "metric_key": "k", "max_results": -1},
    )
    assert _message(response) == (
        "Invalid value -1 for parameter 'max_results' supplied. It must be a positive integer."
    )


def test_sampled_history_of_over_100_runs(http):
    response = http.get(
        f"{API}/metrics/get-history-bulk-interval",
        params={"run_ids": [f"r{i}" for i in range(101)], "metric_key": "k"},
    )
    assert _message(response) == (
        "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
        f"Received 101 run_ids.{DOCS}"
    )


@pytest.mark.parametrize("max_results", [0, 2501])
def test_sampled_history_out_of_range(http, experiment_id, max_results):
    run_id = create_run(http, experiment_id)
    response = http.get(
        f"{API}/metrics/get-history-bulk-interval",
        params={"run_ids": [run_id], "metric_key": "k", "max_results": max_results},
    )
    assert _message(response) == f"max_results must be between 1 and 2500.{DOCS}"


@pytest.mark.parametrize(
    "url",
    [
        "/get-artifact?run_id=missing&path=../x",
        f"{API}/artifacts/list?run_id=missing&path=../x",
        "/model-versions/get-artifact?name=missing&version=1&path=../x",
        "/ajax-api/2.0/mlflow/logged-models/m-missing/artifacts/files?artifact_file_path=../x",
        f"{API}/logged-models/m-missing/artifacts/directories?artifact_directory_path=../x",
        "/api/2.0/mlflow-artifacts/artifacts?path=../x",
    ],
    ids=["get-artifact", "artifacts-list", "model-version-file", "logged-model-file",
         "logged-model-list", "proxy-list"],
)  # fmt: skip
def test_a_path_leaving_its_root_is_invalid_before_anything_is_looked_up(http, url):
    assert _message(http.get(url)) == "Invalid path"


@pytest.mark.parametrize("path", ["/etc/passwd", "a\\b", "C:/x", "%2e%2e/x", "a/../../x"])
def test_unsafe_artifact_paths_are_invalid_path(http, experiment_id, path):
    run_id = create_run(http, experiment_id)
    response = http.get("/get-artifact", params={"run_id": run_id, "path": path})
    assert _message(response) == "Invalid path"


def test_artifact_listing_without_run_id(http):
    response = http.get(f"{API}/artifacts/list")
    assert _message(response) == f"Missing value for required parameter 'run_id'.{DOCS}"
