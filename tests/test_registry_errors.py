"""Every registry error over raw HTTP: MLflow's error code and status, never a 500."""

from __future__ import annotations

import httpx
import pytest

from .helpers import API, assert_error, create_run, unique


@pytest.fixture
def model(http: httpx.Client) -> str:
    name = unique("errors")
    assert http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    return name


@pytest.fixture
def version(http: httpx.Client, model: str, experiment_id: str) -> tuple[str, str]:
    run_id = create_run(http, experiment_id)
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": f"runs:/{run_id}/model", "run_id": run_id},
    )
    assert response.status_code == 200, response.text
    return model, run_id


def test_unknown_model_is_404_on_get(http):
    response = http.get(f"{API}/registered-models/get", params={"name": unique("missing")})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "registered-models/rename", {"new_name": "x-renamed"}),
        ("PATCH", "registered-models/update", {"description": "d"}),
        ("DELETE", "registered-models/delete", {}),
        ("POST", "registered-models/set-tag", {"key": "k", "value": "v"}),
        ("DELETE", "registered-models/delete-tag", {"key": "k"}),
        ("POST", "registered-models/get-latest-versions", {}),
        ("DELETE", "registered-models/alias", {"alias": "a"}),
        ("POST", "model-versions/create", {"source": "s3://bucket/model"}),
    ],
)
def test_unknown_model_is_404_everywhere(http, method, path, body):
    response = http.request(method, f"{API}/{path}", json={"name": unique("missing"), **body})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "model-versions/get", {}),
        ("PATCH", "model-versions/update", {"description": "d"}),
        ("DELETE", "model-versions/delete", {}),
        ("GET", "model-versions/get-download-uri", {}),
        ("POST", "model-versions/transition-stage", {"stage": "Staging"}),
        ("POST", "model-versions/set-tag", {"key": "k", "value": "v"}),
        ("DELETE", "model-versions/delete-tag", {"key": "k"}),
        ("POST", "registered-models/alias", {"alias": "a"}),
    ],
)
def test_unknown_version_is_404(http, model, method, path, body):
    fields = {"name": model, "version": "7", **body}
    if method == "GET":
        response = http.get(f"{API}/{path}", params=fields)
    else:
        response = http.request(method, f"{API}/{path}", json=fields)
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_duplicate_model_is_resource_already_exists(http, model):
    response = http.post(f"{API}/registered-models/create", json={"name": model})
    body = assert_error(response, "RESOURCE_ALREADY_EXISTS", 400)
    assert model in body["message"]


@pytest.mark.parametrize("name", ["a/b", "a:b", "", "   "])
def test_bad_model_names_are_invalid(http, name):
    response = http.post(f"{API}/registered-models/create", json={"name": name})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_rename_to_a_bad_name_is_invalid(http, model):
    response = http.post(f"{API}/registered-models/rename", json={"name": model, "new_name": "x/y"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_bad_stage_is_invalid(http, version):
    name, _ = version
    response = http.post(
        f"{API}/model-versions/transition-stage",
        json={"name": name, "version": "1", "stage": "Shipping"},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_archiving_into_a_non_active_stage_is_invalid(http, version):
    name, _ = version
    response = http.post(
        f"{API}/model-versions/transition-stage",
        json={"name": name, "version": "1", "stage": "Archived", "archive_existing_versions": True},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_non_numeric_version_is_invalid(http, model):
    response = http.get(f"{API}/model-versions/get", params={"name": model, "version": "one"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v1", "V12", "bad alias", "a.b", "x" * 256])
def test_reserved_or_malformed_aliases_are_invalid(http, version, alias):
    name, _ = version
    response = http.post(
        f"{API}/registered-models/alias", json={"name": name, "alias": alias, "version": "1"}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_unknown_alias_is_invalid_parameter_as_in_mlflow(http, model):
    response = http.get(f"{API}/registered-models/alias", params={"name": model, "alias": "nope"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_latest_alias_of_a_model_without_versions_is_404(http, model):
    response = http.get(f"{API}/registered-models/alias", params={"name": model, "alias": "latest"})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_registry_tag_values_over_100000_characters_are_invalid(http, model):
    ok = http.post(
        f"{API}/registered-models/set-tag", json={"name": model, "key": "k", "value": "x" * 100000}
    )
    assert ok.status_code == 200
    response = http.post(
        f"{API}/registered-models/set-tag", json={"name": model, "key": "k", "value": "x" * 100001}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_bad_tag_key_is_invalid(http, model):
    response = http.post(
        f"{API}/registered-models/set-tag", json={"name": model, "key": "../up", "value": "v"}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_version_without_source_is_invalid(http, model):
    response = http.post(f"{API}/model-versions/create", json={"name": model})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_runs_source_of_another_run_is_invalid(http, model, experiment_id):
    run_id, other = create_run(http, experiment_id), create_run(http, experiment_id)
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": f"runs:/{other}/model", "run_id": run_id},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_artifact_source_outside_the_runs_artifacts_is_invalid(http, model, experiment_id):
    run_id = create_run(http, experiment_id)
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": "mlflow-artifacts:/0/elsewhere/model", "run_id": run_id},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_local_path_source_is_invalid_without_its_run(http, model):
    response = http.post(
        f"{API}/model-versions/create", json={"name": model, "source": "/etc/passwd"}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_relative_path_in_a_source_is_invalid(http, model):
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": "s3://bucket/models/../../secrets"},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_logged_model_source_without_its_model_id_is_invalid(http, model):
    response = http.post(
        f"{API}/model-versions/create", json={"name": model, "source": "models:/m-abc"}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_unknown_logged_model_source_is_invalid(http, model):
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": model, "source": "models:/m-abc", "model_id": "m-abc"},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "params",
    [
        {"max_results": 1001},
        {"max_results": 0},
        {"filter": "name = "},
        {"filter": "name > 'a'"},
        {"filter": "tags.k IS NULL"},
        {"filter": "run_id = 'x'"},
        {"order_by": "owner ASC"},
        {"order_by": ["name", "name DESC"]},
        {"page_token": "not-a-token"},
    ],
)
def test_bad_registered_model_searches_are_invalid(http, params):
    response = http.get(f"{API}/registered-models/search", params=params)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "params",
    [
        {"max_results": 200001},
        {"filter": "version_number = 'one'"},
        {"filter": "source_path IN ('a')"},
        {"filter": "stage = 'None'"},
        {"order_by": "run_id"},
    ],
)
def test_bad_model_version_searches_are_invalid(http, params):
    response = http.get(f"{API}/model-versions/search", params=params)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
