"""MLflow 3 logged models: the endpoints `log_model` calls, search, tags, params, errors."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from mlflow.exceptions import MlflowException

from .helpers import API, assert_error, unique


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


def test_create_returns_a_pending_model_under_the_experiments_artifacts(
    client, experiment_id, run_id
):
    model = client.create_logged_model(
        experiment_id, name="clf", source_run_id=run_id, params={"depth": "3"}, tags={"t": "1"}
    )
    location = client.get_experiment(experiment_id).artifact_location
    assert model.model_id.startswith("m-")
    assert model.artifact_location == f"{location}/models/{model.model_id}/artifacts"
    assert model.status == LoggedModelStatus.PENDING
    assert (model.params, model.tags["t"], model.source_run_id) == ({"depth": "3"}, "1", run_id)


def test_create_without_a_name_generates_one(client, experiment_id):
    assert client.create_logged_model(experiment_id).name


def test_finalize_marks_the_model_ready(client, experiment_id):
    model = client.create_logged_model(experiment_id, name="done")
    finalized = client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert finalized.status == LoggedModelStatus.READY
    assert client.get_logged_model(model.model_id).status == LoggedModelStatus.READY


def test_params_beyond_the_first_request_are_logged_in_batches(client, experiment_id):
    params = {f"p{index:03d}": str(index) for index in range(250)}
    model = client.create_logged_model(experiment_id, params=params)
    assert client.get_logged_model(model.model_id).params == params


def test_tags_set_and_delete_including_keys_with_slashes(client, experiment_id):
    model = client.create_logged_model(experiment_id)
    client.set_logged_model_tags(model.model_id, {"a/b": "1", "c": "2"})
    client.delete_logged_model_tag(model.model_id, "a/b")
    tags = client.get_logged_model(model.model_id).tags
    assert tags["c"] == "2" and "a/b" not in tags


def test_delete_hides_the_model_unless_deleted_ones_are_asked_for(client, http, experiment_id):
    model = client.create_logged_model(experiment_id)
    client.delete_logged_model(model.model_id)
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_logged_model(model.model_id)
    response = http.get(f"{API}/logged-models/{model.model_id}?allow_deleted=true")
    assert response.json()["model"]["info"]["model_id"] == model.model_id
    assert client.search_logged_models([experiment_id]) == []


def test_search_by_name_as_register_model_does(client, experiment_id, run_id):
    wanted = client.create_logged_model(experiment_id, name="model", source_run_id=run_id)
    client.create_logged_model(experiment_id, name="other", source_run_id=run_id)
    found = client.search_logged_models([experiment_id], filter_string="name = 'model'")
    assert [model.model_id for model in found] == [wanted.model_id]


def test_search_by_params_tags_and_status(client, experiment_id):
    ready = client.create_logged_model(experiment_id, params={"lr": "0.1"}, tags={"k": "v"})
    client.finalize_logged_model(ready.model_id, LoggedModelStatus.READY)
    client.create_logged_model(experiment_id, params={"lr": "0.2"}, tags={"k": "v"})
    found = client.search_logged_models(
        [experiment_id], filter_string="params.lr = '0.1' AND tags.k = 'v' AND status = 'READY'"
    )
    assert [model.model_id for model in found] == [ready.model_id]


def test_search_pages_newest_first(client, experiment_id):
    created = [client.create_logged_model(experiment_id).model_id for _ in range(7)]
    seen, token = [], None
    while True:
        page = client.search_logged_models([experiment_id], max_results=3, page_token=token)
        seen += [model.model_id for model in page]
        token = page.token
        if not token:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == 7


def test_search_orders_by_an_attribute(client, experiment_id):
    for name in ("b", "c", "a"):
        client.create_logged_model(experiment_id, name=name)
    found = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "name", "ascending": True}]
    )
    assert [model.name for model in found] == ["a", "b", "c"]


def test_registering_a_logged_model_records_the_version_on_it(client, experiment_id, run_id):
    name = unique("register")
    model = client.create_logged_model(experiment_id, source_run_id=run_id)
    client.create_registered_model(name)
    version = client.create_model_version(
        name, f"models:/{model.model_id}", run_id=run_id, model_id=model.model_id
    )
    assert client.get_model_version_download_uri(name, version.version) == model.artifact_location
    tag = client.get_logged_model(model.model_id).tags["mlflow.modelVersions"]
    assert tag == json.dumps([{"name": name, "version": int(version.version)}])


def test_unknown_model_is_404(http):
    for method in ("GET", "PATCH", "DELETE"):
        response = http.request(
            method, f"{API}/logged-models/m-missing", json={"status": "LOGGED_MODEL_READY"}
        )
        assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_create_in_unknown_experiment_is_404(http):
    response = http.post(f"{API}/logged-models", json={"experiment_id": "987654321"})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize("name", ["a/b", "a.b", "a:b", "it's"])
def test_bad_names_are_invalid(http, experiment_id, name):
    response = http.post(
        f"{API}/logged-models", json={"experiment_id": experiment_id, "name": name}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_finalize_to_pending_is_invalid(http, client, experiment_id):
    model = client.create_logged_model(experiment_id)
    response = http.patch(
        f"{API}/logged-models/{model.model_id}", json={"status": "LOGGED_MODEL_PENDING"}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_deleting_a_missing_tag_is_404(http, client, experiment_id):
    model = client.create_logged_model(experiment_id)
    response = http.delete(f"{API}/logged-models/{model.model_id}/tags/nope")
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"experiment_ids": ["0"], "filter": "params.x > 1"},
        {"experiment_ids": ["0"], "filter": "colour = 'red'"},
        {"experiment_ids": ["0"], "order_by": [{"field_name": "params.x"}]},
        {"experiment_ids": ["0"], "datasets": [{"dataset_digest": "abc"}]},
        {"experiment_ids": ["0"], "page_token": "garbage"},
    ],
)
def test_bad_searches_are_invalid(http, body):
    response = http.post(f"{API}/logged-models/search", json=body)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_metrics_a_run_logs_for_a_model_become_the_models_metrics(client, experiment_id, run_id):
    low = client.create_logged_model(experiment_id, source_run_id=run_id)
    high = client.create_logged_model(experiment_id, source_run_id=run_id)
    client.create_logged_model(experiment_id, source_run_id=run_id)  # no metric: sorts last
    client.log_metric(run_id, "acc", 0.7, step=1, model_id=low.model_id)
    client.log_metric(run_id, "acc", 0.9, step=1, model_id=high.model_id)
    metrics = client.get_logged_model(high.model_id).metrics
    assert [(m.key, m.value, m.step, m.run_id) for m in metrics] == [("acc", 0.9, 1, run_id)]
    best = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "metrics.acc", "ascending": False}]
    )
    assert [model.model_id for model in best][:2] == [high.model_id, low.model_id]
    good = client.search_logged_models([experiment_id], filter_string="metrics.acc > 0.8")
    assert [model.model_id for model in good] == [high.model_id]
