"""Limits of text columns and of search sizes, the same on SQLite and PostgreSQL: a value the
database could not store (too long, holding NUL) or a search with more ids than a statement
takes is a 400 INVALID_PARAMETER_VALUE before the database sees it, and changes nothing.
PostgreSQL alone used to refuse such values (500, retried by the stock client for minutes);
SQLite stored them."""

from __future__ import annotations

import uuid

import httpx
import pytest
from mlflow.exceptions import MlflowException

API = "/api/2.0/mlflow"
TOO_MANY_IDS = 65_536


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _refused(answer: httpx.Response, message: str | None = None) -> None:
    assert (answer.status_code, answer.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    if message is not None:
        assert answer.json()["message"] == message


def _ok(answer: httpx.Response) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()


def _run(http: httpx.Client, experiment_id: str) -> str:
    answer = _ok(http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}))
    return answer["run"]["info"]["run_id"]


def _logged_model(http: httpx.Client, experiment_id: str, **fields) -> dict:
    body = {"experiment_id": experiment_id, **fields}
    return _ok(http.post(f"{API}/logged-models", json=body))["model"]


def _logged_models(http: httpx.Client, experiment_id: str) -> list[dict]:
    body = {"experiment_ids": [experiment_id]}
    return _ok(http.post(f"{API}/logged-models/search", json=body)).get("models", [])


# ---------------------------------------------------------------- registered models


def test_a_registered_model_name_over_256_characters_is_refused(server, http):
    name = _unique("m").ljust(257, "x")
    answer = http.post(f"{API}/registered-models/create", json={"name": name})
    _refused(answer, "'name' exceeds the maximum length of 256 characters")
    assert http.get(f"{API}/registered-models/get", params={"name": name}).status_code == 404


def test_a_registered_model_name_of_256_characters_is_stored(client):
    name = _unique("m").ljust(256, "x")
    assert client.create_registered_model(name).name == name


def test_renaming_a_registered_model_to_over_256_characters_is_refused(client):
    name = _unique("m")
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as raised:
        client.rename_registered_model(name, name.ljust(257, "x"))
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "'new_name' exceeds the maximum length of 256 characters" in raised.value.message
    assert client.get_registered_model(name).name == name


def test_a_model_version_run_id_over_32_characters_is_refused(server, http):
    name = _unique("m")
    _ok(http.post(f"{API}/registered-models/create", json={"name": name}))
    body = {"name": name, "source": "s3://bucket/model", "run_id": "r" * 33}
    answer = http.post(f"{API}/model-versions/create", json=body)
    _refused(answer, "'run_id' exceeds the maximum length of 32 characters")
    search = http.get(f"{API}/model-versions/search", params={"filter": f"name = '{name}'"})
    assert _ok(search).get("model_versions", []) == []


# ---------------------------------------------------------------- logged models


def test_a_logged_model_name_over_500_characters_is_refused(server, http, experiment_id):
    body = {"experiment_id": experiment_id, "name": "n" * 501}
    answer = http.post(f"{API}/logged-models", json=body)
    _refused(answer, "'name' exceeds the maximum length of 500 characters")
    assert _logged_models(http, experiment_id) == []


def test_a_logged_model_source_run_id_over_32_characters_is_refused(server, http, experiment_id):
    body = {"experiment_id": experiment_id, "source_run_id": "r" * 33}
    answer = http.post(f"{API}/logged-models", json=body)
    _refused(answer, "'source_run_id' exceeds the maximum length of 32 characters")
    assert _logged_models(http, experiment_id) == []


def test_a_logged_model_id_with_nul_in_the_path_is_refused(server, http, experiment_id):
    model = _logged_model(http, experiment_id, tags=[{"key": "k", "value": "v"}])
    model_id = model["info"]["model_id"]
    _refused(http.get(f"{API}/logged-models/{model_id}%00"))
    _refused(http.delete(f"{API}/logged-models/{model_id}%00"))
    _refused(
        http.patch(
            f"{API}/logged-models/{model_id}%00/tags", json={"tags": [{"key": "k", "value": "w"}]}
        )
    )
    assert _logged_models(http, experiment_id) == [model]


def test_a_logged_model_tag_key_with_nul_in_the_path_is_refused(server, http, experiment_id):
    model = _logged_model(http, experiment_id, tags=[{"key": "k", "value": "v"}])
    model_id = model["info"]["model_id"]
    _refused(http.delete(f"{API}/logged-models/{model_id}/tags/k%00"))
    assert _logged_models(http, experiment_id) == [model]


def test_a_logged_model_id_with_nul_in_the_query_is_refused(server, http, experiment_id):
    model_id = _logged_model(http, experiment_id)["info"]["model_id"]
    answer = http.get(f"{API}/logged-models/{model_id}", params={"model_id": f"{model_id}\x00"})
    _refused(answer)


def test_a_metric_linked_to_a_model_with_a_dataset_name_over_500_characters_is_refused(
    server, http, experiment_id
):
    run_id = _run(http, experiment_id)
    model_id = _logged_model(http, experiment_id)["info"]["model_id"]
    metric = {"key": "m", "value": 1.0, "timestamp": 1, "step": 0, "model_id": model_id}
    answer = http.post(
        f"{API}/runs/log-batch",
        json={"run_id": run_id, "metrics": [{**metric, "dataset_name": "d" * 501}]},
    )
    _refused(answer, "'dataset_name' exceeds the maximum length of 500 characters")
    run = _ok(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]
    assert run["data"].get("metrics", []) == []
    assert _logged_models(http, experiment_id)[0]["data"].get("metrics", []) == []


# ---------------------------------------------------------------- runs


@pytest.mark.parametrize("path", ["runs/log-inputs", "runs/outputs"])
def test_a_run_input_or_output_model_id_over_64_characters_is_refused(
    server, http, experiment_id, path
):
    run_id = _run(http, experiment_id)
    model = {"model_id": "m" * 65, **({"step": 0} if path == "runs/outputs" else {})}
    answer = http.post(f"{API}/{path}", json={"run_id": run_id, "models": [model]})
    _refused(answer, "'model_id' exceeds the maximum length of 64 characters")
    run = _ok(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]
    assert "model_inputs" not in run.get("inputs", {})
    assert "model_outputs" not in run.get("outputs", {})


def test_a_run_name_tag_over_250_characters_is_refused(client, experiment_id):
    run = client.create_run(experiment_id, run_name="before")
    with pytest.raises(MlflowException) as raised:
        client.set_tag(run.info.run_id, "mlflow.runName", "n" * 251)
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run.info.run_id).info.run_name == "before"


def test_a_run_created_with_a_run_name_tag_over_250_characters_is_refused(
    server, http, experiment_id
):
    body = {"experiment_id": experiment_id, "tags": [{"key": "mlflow.runName", "value": "n" * 251}]}
    _refused(http.post(f"{API}/runs/create", json=body))
    search = http.post(f"{API}/runs/search", json={"experiment_ids": [experiment_id]})
    assert _ok(search).get("runs", []) == []


# ---------------------------------------------------------------- searches


def test_a_runs_search_of_more_experiment_ids_than_a_statement_takes_is_refused(
    client, experiment_id
):
    client.create_run(experiment_id)
    ids = [experiment_id, *(str(10**9 + i) for i in range(TOO_MANY_IDS))]
    with pytest.raises(MlflowException) as raised:
        client.search_runs(ids)
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "SearchRuns request cannot specify more than 10000 experiment_ids" in str(raised.value)


def test_a_runs_search_of_10000_experiment_ids_answers(client, experiment_id):
    run = client.create_run(experiment_id)
    ids = [experiment_id, *(str(10**9 + i) for i in range(9_999))]
    assert [found.info.run_id for found in client.search_runs(ids)] == [run.info.run_id]


def test_a_logged_models_search_of_more_experiment_ids_than_a_statement_takes_is_refused(
    server, http, experiment_id
):
    _logged_model(http, experiment_id)
    ids = [experiment_id, *(str(10**9 + i) for i in range(TOO_MANY_IDS))]
    answer = http.post(f"{API}/logged-models/search", json={"experiment_ids": ids})
    _refused(
        answer,
        "SearchLoggedModels request cannot specify more than 10000 experiment_ids. "
        f"Received {TOO_MANY_IDS + 1} experiment_ids.",
    )


def test_an_experiment_name_over_500_characters_has_mlflows_message(client):
    with pytest.raises(MlflowException) as raised:
        client.create_experiment("e" * 501)
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "'name' exceeds the maximum length of 500 characters" in raised.value.message


def test_a_runs_search_filter_with_more_in_values_than_a_statement_takes_is_refused(
    client, experiment_id
):
    client.create_run(experiment_id)
    ids = ", ".join(f"'{i:032x}'" for i in range(TOO_MANY_IDS))
    with pytest.raises(MlflowException) as raised:
        client.search_runs([experiment_id], filter_string=f"attributes.run_id IN ({ids})")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "at most 10000 values in its IN lists" in raised.value.message


def test_a_logged_models_search_filter_with_more_in_values_than_a_statement_takes_is_refused(
    server, http, experiment_id
):
    _logged_model(http, experiment_id)
    names = ", ".join(f"'n{i}'" for i in range(TOO_MANY_IDS))
    body = {"experiment_ids": [experiment_id], "filter": f"name IN ({names})"}
    answer = http.post(f"{API}/logged-models/search", json=body)
    _refused(
        answer,
        "A search filter can hold at most 10000 values in its IN lists. "
        f"Got {TOO_MANY_IDS} values.",
    )
