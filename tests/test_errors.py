"""Error paths over raw HTTP: every bad request gets MLflow's JSON error with the right status.

A 500 makes the stock client retry for minutes, so no bad input may ever produce one.
"""

from __future__ import annotations

import base64
import json

import pytest

from .helpers import API, assert_error, create_run

UNKNOWN_RUN = "0" * 32


@pytest.fixture
def run_id(http, experiment_id) -> str:
    return create_run(http, experiment_id)


def _metric(**overrides) -> dict:
    return {"key": "m", "value": 1.0, "timestamp": 1, "step": 0, **overrides}


# ---------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    "body",
    [b'{"experiment_id": ', b"{'single': 'quotes'}", b"not json", b'{"a": 1} trailing'],
)
def test_malformed_json_is_bad_request(http, body):
    response = http.post(
        f"{API}/runs/create", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, "BAD_REQUEST", 400)


def test_json_that_is_not_an_object_is_invalid(http):
    response = http.post(f"{API}/runs/create", json=["experiment_id", "0"])
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "fields",
    [
        {"step": "abc"},
        {"step": 1.5},
        {"step": [1]},
        {"value": {}},
        {"value": "abc"},
        {"value": True},
        {"timestamp": "yesterday"},
        {"key": 5},
    ],
    ids=repr,
)
def test_wrong_json_types_are_invalid_parameter_value(http, run_id, fields):
    response = http.post(f"{API}/runs/log-metric", json={"run_id": run_id, **_metric(**fields)})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "fields", [{"step": 2**63}, {"step": -(2**63) - 1}, {"timestamp": 2**64}], ids=repr
)
def test_integers_beyond_int64_are_invalid_parameter_value(http, run_id, fields):
    response = http.post(f"{API}/runs/log-metric", json={"run_id": run_id, **_metric(**fields)})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_wrong_type_inside_a_batch_is_invalid_parameter_value(http, run_id):
    body = {"run_id": run_id, "metrics": [_metric(value={})], "params": [{"key": 1}]}
    response = http.post(f"{API}/runs/log-batch", json=body)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_wrong_type_for_a_list_field_is_invalid_parameter_value(http):
    response = http.post(f"{API}/runs/search", json={"experiment_ids": "0"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("runs/create", {}),
        ("runs/log-metric", {"key": "m", "value": 1.0, "timestamp": 1}),
        ("runs/log-metric", {"run_id": "RUN", "value": 1.0, "timestamp": 1}),
        ("runs/log-metric", {"run_id": "RUN", "key": "m", "timestamp": 1}),
        ("runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1.0}),
        ("runs/log-parameter", {"run_id": "RUN", "value": "v"}),
        ("runs/log-parameter", {"run_id": "RUN", "key": "p"}),
        ("runs/set-tag", {"run_id": "RUN", "value": "v"}),
        ("runs/delete-tag", {"run_id": "RUN"}),
        ("runs/log-batch", {}),
        ("runs/log-batch", {"run_id": "RUN", "metrics": [{"key": "m", "value": 1.0}]}),
        ("runs/log-batch", {"run_id": "RUN", "params": [{"key": "p"}]}),
        ("runs/update", {"status": "FINISHED"}),
        ("runs/delete", {}),
        ("runs/restore", {}),
        ("experiments/create", {}),
        ("experiments/create", {"name": "   "}),
        ("experiments/delete", {}),
        ("experiments/restore", {}),
        ("experiments/update", {"new_name": "x"}),
        ("experiments/set-experiment-tag", {"experiment_id": "0", "value": "v"}),
        ("experiments/delete-experiment-tag", {"experiment_id": "0"}),
    ],
)
def test_missing_required_fields_are_invalid_parameter_value(http, run_id, path, body):
    body = {key: run_id if value == "RUN" else value for key, value in body.items()}
    response = http.post(f"{API}/{path}", json=body)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("runs/get", {}),
        ("experiments/get", {}),
        ("experiments/get-by-name", {}),
        ("metrics/get-history", {"metric_key": "m"}),
        ("metrics/get-history", {"run_id": "RUN"}),
    ],
)
def test_missing_required_query_parameters_are_invalid_parameter_value(http, run_id, path, params):
    params = {key: run_id if value == "RUN" else value for key, value in params.items()}
    assert_error(http.get(f"{API}/{path}", params=params), "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- unknown resources


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "runs/get", {}),
        ("GET", "metrics/get-history", {"metric_key": "m"}),
        ("POST", "runs/update", {"status": "FINISHED"}),
        ("POST", "runs/delete", {}),
        ("POST", "runs/restore", {}),
        ("POST", "runs/log-metric", _metric()),
        ("POST", "runs/log-parameter", {"key": "p", "value": "v"}),
        ("POST", "runs/set-tag", {"key": "t", "value": "v"}),
        ("POST", "runs/delete-tag", {"key": "t"}),
        ("POST", "runs/log-batch", {"params": [{"key": "p", "value": "v"}]}),
        ("POST", "runs/log-inputs", {"datasets": []}),
    ],
)
def test_unknown_run_id_is_resource_does_not_exist(http, method, path, payload):
    if method == "GET":
        response = http.get(f"{API}/{path}", params={"run_id": UNKNOWN_RUN, **payload})
    else:
        response = http.post(f"{API}/{path}", json={"run_id": UNKNOWN_RUN, **payload})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize(
    "experiment_id", ["987654321", "abc", "-1", "1.0", "²", "99999999999999999999999"]
)
def test_unknown_experiment_id_is_resource_does_not_exist(http, experiment_id):
    assert_error(
        http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}),
        "RESOURCE_DOES_NOT_EXIST",
        404,
    )
    for path, body in [
        ("runs/create", {}),
        ("experiments/delete", {}),
        ("experiments/restore", {}),
        ("experiments/update", {"new_name": "whatever"}),
        ("experiments/set-experiment-tag", {"key": "k", "value": "v"}),
    ]:
        response = http.post(f"{API}/{path}", json={"experiment_id": experiment_id, **body})
        assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_searching_runs_of_an_unknown_experiment_finds_nothing(http):
    for experiment_ids in (["987654321"], ["99999999999999999999999"], ["abc"]):
        response = http.post(f"{API}/runs/search", json={"experiment_ids": experiment_ids})
        assert response.status_code == 200, response.text
        assert response.json().get("runs", []) == []


def test_unknown_experiment_in_a_filter_finds_nothing(http):
    filter_string = "experiment_id IN ('99999999999999999999999', 'abc')"
    response = http.post(f"{API}/experiments/search", json={"filter": filter_string})
    assert response.status_code == 200, response.text
    assert response.json().get("experiments", []) == []


def test_deleting_an_unknown_run_tag_is_resource_does_not_exist(http, run_id):
    response = http.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "nope"})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_deleting_an_unknown_experiment_tag_is_resource_does_not_exist(http, experiment_id):
    response = http.post(
        f"{API}/experiments/delete-experiment-tag",
        json={"experiment_id": experiment_id, "key": "nope"},
    )
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_deleting_an_already_deleted_experiment_is_invalid(http, experiment_id):
    assert http.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id}).is_success
    response = http.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- page tokens and limits


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


BAD_TOKENS = [
    "garbage",
    "!!!",
    _token({"offset": -1}),
    _token({"offset": "ten"}),
    _token({"nothing": 1}),
    _token([1, 2]),
    _token({"offset": 2**70}),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_bad_page_token_for_run_search_is_400(http, experiment_id, token):
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "page_token": token}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_bad_page_token_for_experiment_search_is_400(http, token):
    response = http.post(f"{API}/experiments/search", json={"page_token": token})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_bad_page_token_for_metric_history_is_400(http, run_id, token):
    params = {"run_id": run_id, "metric_key": "m", "page_token": token}
    assert_error(
        http.get(f"{API}/metrics/get-history", params=params), "INVALID_PARAMETER_VALUE", 400
    )


@pytest.mark.parametrize("max_results", [0, -1, 50001, 2**40])
def test_run_search_max_results_out_of_range_is_400(http, experiment_id, max_results):
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "max_results": max_results}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("max_results", [0, -1, 50001])
def test_experiment_search_max_results_out_of_range_is_400(http, max_results):
    response = http.post(f"{API}/experiments/search", json={"max_results": max_results})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    response = http.get(f"{API}/experiments/search", params={"max_results": max_results})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_max_results_at_the_limits_is_accepted(http, experiment_id):
    for max_results in (1, 50000):
        response = http.post(
            f"{API}/runs/search",
            json={"experiment_ids": [experiment_id], "max_results": max_results},
        )
        assert response.status_code == 200, response.text
        response = http.post(f"{API}/experiments/search", json={"max_results": max_results})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("view_type", ["SOMETIMES", "active_only", 0, 7, "4"])
def test_bad_view_type_is_400(http, experiment_id, view_type):
    response = http.post(f"{API}/experiments/search", json={"view_type": view_type})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "run_view_type": view_type}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("view_type", ["ACTIVE_ONLY", "DELETED_ONLY", "ALL", 1, 2, 3])
def test_view_types_by_name_or_number_are_accepted(http, experiment_id, view_type):
    response = http.post(f"{API}/experiments/search", json={"view_type": view_type})
    assert response.status_code == 200, response.text
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "run_view_type": view_type}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("status", ["DONE", "finished", 0, 9])
def test_bad_run_status_is_400(http, run_id, status):
    response = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": status})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- batch limits


@pytest.mark.parametrize(
    ("metrics", "params", "tags"),
    [(1001, 0, 0), (0, 101, 0), (0, 0, 101), (900, 100, 100)],
    ids=["1001-metrics", "101-params", "101-tags", "1100-items"],
)
def test_log_batch_over_the_limits_is_rejected_and_writes_nothing(
    http, run_id, metrics, params, tags
):
    body = {
        "run_id": run_id,
        "metrics": [_metric(step=i) for i in range(metrics)],
        "params": [{"key": f"p{i}", "value": "v"} for i in range(params)],
        "tags": [{"key": f"t{i}", "value": "v"} for i in range(tags)],
    }
    assert_error(http.post(f"{API}/runs/log-batch", json=body), "INVALID_PARAMETER_VALUE", 400)
    data = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
    assert "metrics" not in data
    assert "params" not in data
    assert not any(tag["key"].startswith("t") for tag in data.get("tags", []))


def test_duplicate_param_key_with_different_values_in_one_batch_is_rejected(http, run_id):
    body = {"run_id": run_id, "params": [{"key": "p", "value": "1"}, {"key": "p", "value": "2"}]}
    assert_error(http.post(f"{API}/runs/log-batch", json=body), "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- keys and values

BAD_KEYS = ["../x", "/abs", "a\x00", "k" * 251, "a/../b", "a//b", "./a", ".", "a/", "x?y", "é*"]
GOOD_KEYS = ["a/b", "with space", "colon:ok", "dash-dot.under_score", "k" * 250, "ключ"]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_are_rejected_for_metrics_params_and_tags(http, run_id, key):
    for path, body in [
        ("runs/log-metric", _metric(key=key)),
        ("runs/log-parameter", {"key": key, "value": "v"}),
        ("runs/set-tag", {"key": key, "value": "v"}),
        ("runs/log-batch", {"metrics": [_metric(key=key)]}),
        ("runs/log-batch", {"params": [{"key": key, "value": "v"}]}),
        ("runs/log-batch", {"tags": [{"key": key, "value": "v"}]}),
    ]:
        response = http.post(f"{API}/{path}", json={"run_id": run_id, **body})
        assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_are_rejected_for_experiment_tags(http, experiment_id, key):
    response = http.post(
        f"{API}/experiments/set-experiment-tag",
        json={"experiment_id": experiment_id, "key": key, "value": "v"},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("key", GOOD_KEYS, ids=repr)
def test_valid_keys_are_accepted(http, run_id, key):
    body = {
        "run_id": run_id,
        "metrics": [_metric(key=key)],
        "params": [{"key": key, "value": "v"}],
        "tags": [{"key": key, "value": "v"}],
    }
    response = http.post(f"{API}/runs/log-batch", json=body)
    assert response.status_code == 200, response.text
    data = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
    assert [metric["key"] for metric in data["metrics"]] == [key]
    assert data["params"] == [{"key": key, "value": "v"}]


def test_param_value_over_6000_chars_is_truncated_to_6000(http, run_id):
    long_value = "abcdefghij" * 700
    response = http.post(
        f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "long", "value": long_value}
    )
    assert response.status_code == 200, response.text
    http.post(
        f"{API}/runs/log-batch",
        json={"run_id": run_id, "params": [{"key": "batched", "value": long_value}]},
    ).raise_for_status()
    params = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]["params"]
    assert {p["key"]: p["value"] for p in params} == {
        "batched": long_value[:6000],
        "long": long_value[:6000],
    }


def test_relogging_a_truncated_param_with_the_same_long_value_succeeds(http, run_id):
    long_value = "x" * 7000
    for _ in range(2):
        response = http.post(
            f"{API}/runs/log-parameter",
            json={"run_id": run_id, "key": "long", "value": long_value},
        )
        assert response.status_code == 200, response.text


def test_run_tag_value_over_8000_chars_is_truncated_to_8000(http, run_id):
    response = http.post(
        f"{API}/runs/set-tag", json={"run_id": run_id, "key": "long", "value": "t" * 9000}
    )
    assert response.status_code == 200, response.text
    tags = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]["tags"]
    assert {t["key"]: t["value"] for t in tags}["long"] == "t" * 8000


def test_experiment_tag_value_over_20000_chars_is_rejected(http, experiment_id):
    response = http.post(
        f"{API}/experiments/set-experiment-tag",
        json={"experiment_id": experiment_id, "key": "long", "value": "x" * 20001},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_experiment_name_over_500_chars_is_rejected(http):
    response = http.post(f"{API}/experiments/create", json={"name": "n" * 501})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("new_name", ["", "   "])
def test_renaming_an_experiment_to_an_empty_name_is_rejected(http, experiment_id, new_name):
    response = http.post(
        f"{API}/experiments/update", json={"experiment_id": experiment_id, "new_name": new_name}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- routing


@pytest.mark.parametrize(
    "path",
    [
        "/api/2.0/mlflow/nope",
        "/api/2.0/mlflow/runs/nope",
        "/api/9.9/mlflow/runs/get",
        "/ajax-api/2.0/mlflow/nope",
    ],
)
def test_unknown_endpoint_is_a_json_404(http, path):
    assert_error(http.get(path), "ENDPOINT_NOT_FOUND", 404)
    assert_error(http.post(path, json={}), "ENDPOINT_NOT_FOUND", 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "runs/create"),
        ("DELETE", "runs/get"),
        ("PUT", "runs/log-batch"),
        ("GET", "runs/log-metric"),
        ("POST", "metrics/get-history"),
    ],
)
def test_wrong_method_is_a_json_405(http, method, path):
    response = http.request(method, f"{API}/{path}")
    assert_error(response, "BAD_REQUEST", 405)


# ---------------------------------------------------------------- text PostgreSQL cannot store


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("experiments/create", {"name": "a\x00b"}),
        ("runs/create", {"experiment_id": "EXP", "user_id": "a\x00"}),
        ("runs/create", {"experiment_id": "EXP", "tags": [{"key": "k", "value": "\x00"}]}),
        ("runs/log-parameter", {"run_id": "RUN", "key": "p", "value": "a\x00b"}),
        ("runs/set-tag", {"run_id": "RUN", "key": "t", "value": "a\x00b"}),
        ("runs/log-batch", {"run_id": "RUN", "params": [{"key": "p", "value": "\x00"}]}),
        ("runs/search", {"experiment_ids": ["EXP"], "filter": "tags.a = 'x\x00'"}),
        ("runs/get", {"run_id": "a\x00b"}),
        ("experiments/get-by-name", {"experiment_name": "a\x00b"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_nul_characters_in_text_are_invalid_on_every_backend(
    http, experiment_id, run_id, path, body
):
    body = {
        key: {"RUN": run_id, "EXP": experiment_id}.get(value, value)
        if isinstance(value, str)
        else value
        for key, value in body.items()
    }
    if path in ("runs/get", "experiments/get-by-name"):
        response = http.get(f"{API}/{path}", params=body)
    else:
        if "experiment_ids" in body:
            body["experiment_ids"] = [experiment_id]
        response = http.post(f"{API}/{path}", json=body)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "filter_string",
    [
        "attributes.start_time > 1e30",
        "attributes.end_time < -99999999999999999999999",
        "metrics.m > 1e308",
        "attributes.start_time = 9223372036854775807",
    ],
)
def test_numbers_beyond_int64_in_filters_compare_instead_of_failing(
    http, experiment_id, filter_string
):
    create_run(http, experiment_id)
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "filter": filter_string}
    )
    assert response.status_code == 200, response.text
    assert response.json().get("runs", []) == []


def test_experiment_filter_with_a_huge_number_finds_nothing(http):
    response = http.post(
        f"{API}/experiments/search", json={"filter": "creation_time > 99999999999999999999999"}
    )
    assert response.status_code == 200, response.text
    assert response.json().get("experiments", []) == []
