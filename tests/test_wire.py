"""Wire details: query parameters, proto3 JSON, aliases and the small fixed endpoints."""

from __future__ import annotations

import json
import socket

import pytest

from .helpers import API, assert_error, create_run, unique


def _json(response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_health_answers_ok(http):
    response = http.get("/health")
    assert response.status_code == 200
    assert response.text == "OK"


def test_version_is_the_mlflow_release_we_match(http):
    response = http.get("/version")
    assert response.status_code == 200
    assert response.text == "3.17.2"


def test_server_info_is_json(http):
    for prefix in ("api", "ajax-api"):
        body = _json(http.get(f"/{prefix}/3.0/mlflow/server-info"))
        assert body["store_type"]


def test_ajax_api_alias_serves_the_same_answers(http, experiment_id):
    run_id = create_run(http, experiment_id)
    for path, params in [
        ("experiments/get", {"experiment_id": experiment_id}),
        ("runs/get", {"run_id": run_id}),
    ]:
        api = _json(http.get(f"{API}/{path}", params=params))
        ajax = _json(http.get(f"/ajax-api/2.0/mlflow/{path}", params=params))
        assert api == ajax
    response = http.post(
        "/ajax-api/2.0/mlflow/runs/set-tag", json={"run_id": run_id, "key": "via", "value": "ajax"}
    )
    assert _json(response) == {}
    tags = _json(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["data"]["tags"]
    assert {"key": "via", "value": "ajax"} in tags


def test_ajax_api_errors_are_json_too(http):
    response = http.get("/ajax-api/2.0/mlflow/runs/get", params={"run_id": "0" * 32})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_get_takes_repeated_query_keys_for_lists(http):
    prefix = unique("repeated")
    for suffix in ("b", "a", "c"):
        http.post(f"{API}/experiments/create", json={"name": f"{prefix}-{suffix}"})
    body = _json(
        http.get(
            f"{API}/experiments/search",
            params=[
                ("filter", f"name LIKE '{prefix}%'"),
                ("order_by", "name DESC"),
                ("order_by", "creation_time ASC"),
                ("max_results", "2"),
                ("view_type", "ACTIVE_ONLY"),
            ],
        )
    )
    assert [e["name"] for e in body["experiments"]] == [f"{prefix}-c", f"{prefix}-b"]
    assert body["next_page_token"]


def test_get_takes_view_types_as_numbers_in_the_query(http):
    body = _json(http.get(f"{API}/experiments/search", params={"view_type": "3"}))
    assert body["experiments"]


@pytest.mark.parametrize("name", ["True", "False"])
def test_get_by_name_keeps_names_that_look_like_booleans(http, client, name):
    existing = client.get_experiment_by_name(name)
    experiment_id = existing.experiment_id if existing else client.create_experiment(name)
    body = _json(http.get(f"{API}/experiments/get-by-name", params={"experiment_name": name}))
    assert body["experiment"]["experiment_id"] == experiment_id
    assert client.get_experiment_by_name(name).name == name


def test_bad_number_in_a_query_is_invalid_parameter_value(http):
    response = http.get(f"{API}/experiments/search", params={"max_results": "many"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_every_successful_write_answers_with_a_json_object(http, experiment_id):
    run_id = create_run(http, experiment_id)
    writes = [
        ("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1}),
        ("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "v"}),
        ("runs/set-tag", {"run_id": run_id, "key": "t", "value": "v"}),
        ("runs/delete-tag", {"run_id": run_id, "key": "t"}),
        ("runs/log-batch", {"run_id": run_id}),
        ("runs/log-inputs", {"run_id": run_id}),
        ("runs/delete", {"run_id": run_id}),
        ("runs/restore", {"run_id": run_id}),
        ("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k"}),
        ("experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "k"}),
        ("experiments/update", {"experiment_id": experiment_id, "new_name": unique("renamed")}),
        ("experiments/delete", {"experiment_id": experiment_id}),
        ("experiments/restore", {"experiment_id": experiment_id}),
    ]
    for path, body in writes:
        assert _json(http.post(f"{API}/{path}", json=body)) == {}, path


def test_update_run_answers_with_the_run_info(http, experiment_id):
    run_id = create_run(http, experiment_id)
    body = _json(
        http.post(
            f"{API}/runs/update", json={"run_id": run_id, "status": "FINISHED", "end_time": 5}
        )
    )
    assert body["run_info"]["status"] == "FINISHED"
    assert body["run_info"]["end_time"] == 5


def test_a_post_body_without_a_content_type_is_refused_as_mlflow_does(http, experiment_id):
    response = http.post(
        f"{API}/runs/create", content=json.dumps({"experiment_id": experiment_id}).encode()
    )
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Bad Request. Content-Type header is missing.",
    }


def test_unknown_request_fields_are_ignored(http, experiment_id):
    response = http.post(
        f"{API}/runs/create", json={"experiment_id": experiment_id, "future_field": {"a": 1}}
    )
    assert _json(response)["run"]["info"]["status"] == "RUNNING"


def test_non_finite_metric_values_are_written_as_proto_json_strings(http, experiment_id):
    run_id = create_run(http, experiment_id)
    for step, value in enumerate(["NaN", "Infinity", "-Infinity"]):
        response = http.post(
            f"{API}/runs/log-metric",
            json={"run_id": run_id, "key": value, "value": value, "timestamp": 1, "step": step},
        )
        assert _json(response) == {}
    metrics = _json(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["data"][
        "metrics"
    ]
    assert {m["key"]: m["value"] for m in metrics} == {
        "NaN": "NaN",
        "Infinity": "Infinity",
        "-Infinity": "-Infinity",
    }
    history = _json(
        http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "NaN"})
    )
    assert [m["value"] for m in history["metrics"]] == ["NaN"]


def test_infinity_is_not_clamped_to_the_largest_double(http, experiment_id):
    run_id = create_run(http, experiment_id)
    http.post(
        f"{API}/runs/log-batch",
        json={
            "run_id": run_id,
            "metrics": [{"key": "inf", "value": "Infinity", "timestamp": 1, "step": 0}],
        },
    ).raise_for_status()
    metrics = _json(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["data"][
        "metrics"
    ]
    assert metrics[0]["value"] == "Infinity"


def test_int64_fields_are_json_numbers(http, experiment_id):
    run_id = create_run(http, experiment_id, start_time=2**53 + 1)
    response = http.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": 0.5, "timestamp": 2**62, "step": 2**63 - 1},
    )
    assert _json(response) == {}
    raw = http.get(f"{API}/runs/get", params={"run_id": run_id}).text
    assert f'"start_time":{2**53 + 1}' in raw.replace(" ", "")
    run = json.loads(raw)["run"]
    assert run["info"]["start_time"] == 2**53 + 1
    (metric,) = run["data"]["metrics"]
    assert metric["timestamp"] == 2**62
    assert metric["step"] == 2**63 - 1
    assert isinstance(metric["step"], int)
    experiment = _json(http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}))
    assert isinstance(experiment["experiment"]["creation_time"], int)


def test_int64_fields_may_arrive_as_json_strings(http, experiment_id):
    run_id = create_run(http, experiment_id)
    response = http.post(
        f"{API}/runs/log-metric",
        json={
            "run_id": run_id,
            "key": "m",
            "value": 1.5,
            "timestamp": "1700000000000",
            "step": "7",
        },
    )
    assert _json(response) == {}
    history = _json(
        http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"})
    )
    assert history["metrics"] == [{"key": "m", "value": 1.5, "timestamp": 1700000000000, "step": 7}]


def test_ids_are_json_strings(http, experiment_id):
    run_id = create_run(http, experiment_id)
    info = _json(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["info"]
    assert info["experiment_id"] == experiment_id
    assert isinstance(info["experiment_id"], str)
    assert info["run_id"] == info["run_uuid"] == run_id


def test_unset_fields_are_omitted(http, experiment_id):
    run_id = create_run(http, experiment_id)
    info = _json(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["info"]
    assert "end_time" not in info
    assert all(value is not None for value in info.values())
    experiment = _json(http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}))
    assert "tags" not in experiment["experiment"]
    assert all(value is not None for value in experiment["experiment"].values())


def test_empty_search_omits_the_list_and_the_token(http, experiment_id):
    body = _json(http.post(f"{API}/runs/search", json={"experiment_ids": [experiment_id]}))
    assert body.get("runs", []) == []
    assert "next_page_token" not in body


def test_responses_parse_as_strict_json(http, experiment_id):
    """No bare NaN or Infinity tokens, which strict JSON parsers reject."""
    run_id = create_run(http, experiment_id)
    http.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": "NaN", "timestamp": 1},
    ).raise_for_status()
    raw = http.get(f"{API}/runs/get", params={"run_id": run_id}).text

    def refuse(token: str) -> float:
        raise AssertionError(f"non-standard JSON constant {token}")

    assert json.loads(raw, parse_constant=refuse)["run"]["data"]["metrics"][0]["value"] == "NaN"


@pytest.mark.parametrize(
    "path", ["/runs/log-batch", "/logged-models/m-0123456789abcdef0123456789abcdef/params"]
)
def test_a_request_body_over_64_mib_is_refused_with_413(http, path):
    body = b'{"run_id": "' + b"x" * (64 * 2**20) + b'"}'
    response = http.post(f"{API}{path}", content=body)
    assert_error(response, "BAD_REQUEST", 413)
    assert http.get("/health").text == "OK"


def test_a_client_that_hangs_up_mid_body_leaves_the_server_answering(http, server):
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as raw:
        head = f"POST {API}/runs/log-batch HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        raw.sendall(head.encode() + b'{"run_id": ')
    assert http.get("/health").text == "OK"
    assert "Unexpected error" not in server.log()
