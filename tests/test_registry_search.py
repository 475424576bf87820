"""Searching registered models and model versions: MLflow's filter grammar, order and paging."""

from __future__ import annotations

import time

import httpx
import pytest
from mlflow import MlflowClient

from .helpers import API, create_run, unique


def _create_model(http: httpx.Client, name: str, **fields) -> None:
    response = http.post(f"{API}/registered-models/create", json={"name": name, **fields})
    assert response.status_code == 200, response.text


def _create_version(http: httpx.Client, name: str, run_id: str, **fields) -> str:
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id, **fields},
    )
    assert response.status_code == 200, response.text
    return response.json()["model_version"]["version"]


@pytest.fixture(scope="module")
def many_models(server) -> tuple[str, list[str]]:
    """200 models sharing a prefix, created once for the module over raw HTTP."""
    prefix = unique("many")
    names = [f"{prefix}-{index:03d}" for index in range(200)]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for index, name in enumerate(names):
            _create_model(http, name, tags=[{"key": "parity", "value": str(index % 2)}])
    return prefix, names


def _search_all(client: MlflowClient, **kwargs) -> list[str]:
    names, token = [], None
    while True:
        page = client.search_registered_models(page_token=token, **kwargs)
        names += [model.name for model in page]
        token = page.token
        if not token:
            return names


def test_search_pages_through_every_match_in_name_order(client, many_models):
    prefix, names = many_models
    pages = client.search_registered_models(f"name LIKE '{prefix}-%'", max_results=70)
    assert len(pages) == 70 and pages.token
    found = _search_all(client, filter_string=f"name LIKE '{prefix}-%'", max_results=70)
    assert found == names


def test_search_filters_by_tag_and_name_together(client, many_models):
    prefix, names = many_models
    found = _search_all(
        client, filter_string=f"name LIKE '{prefix}-%' AND tags.parity = '1'", max_results=1000
    )
    assert found == names[1::2]


def test_search_orders_by_name_descending(client, many_models):
    prefix, names = many_models
    found = client.search_registered_models(
        f"name LIKE '{prefix}-%'", order_by=["name DESC"], max_results=5
    )
    assert [model.name for model in found] == names[::-1][:5]


def test_search_by_name_equality_and_in_list(client, many_models):
    _, names = many_models
    assert [m.name for m in client.search_registered_models(f"name = '{names[7]}'")] == [names[7]]
    listed = client.search_registered_models(f"name IN ('{names[3]}', '{names[5]}')")
    assert sorted(model.name for model in listed) == [names[3], names[5]]


def test_ilike_ignores_case_and_like_does_not(client, many_models):
    prefix, _ = many_models
    upper = prefix.upper()
    assert client.search_registered_models(f"name LIKE '{upper}-00%'") == []
    assert len(client.search_registered_models(f"name ILIKE '{upper}-00%'")) == 10


def test_search_orders_by_last_update_with_timestamp(client, http):
    first, second = unique("ts-a"), unique("ts-b")
    _create_model(http, first)
    _create_model(http, second)
    time.sleep(0.01)
    http.patch(f"{API}/registered-models/update", json={"name": first, "description": "x"})
    found = client.search_registered_models(
        f"name IN ('{first}', '{second}')", order_by=["timestamp DESC"]
    )
    assert [model.name for model in found] == [first, second]


def test_models_without_the_prompt_tag_match_the_clients_default_filter(http, many_models):
    """The stock client adds ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every search."""
    prefix, _ = many_models
    prompt = f"{prefix}-prompt"
    _create_model(http, prompt, tags=[{"key": "mlflow.prompt.is_prompt", "value": "true"}])
    response = http.get(
        f"{API}/registered-models/search",
        params={
            "filter": f"name LIKE '{prefix}-%' AND tags.`mlflow.prompt.is_prompt` != 'true'",
            "max_results": 1000,
        },
    )
    names = [model["name"] for model in response.json()["registered_models"]]
    assert len(names) == 200 and prompt not in names
    prompts = http.get(
        f"{API}/registered-models/search",
        params={"filter": f"name LIKE '{prefix}-%' AND tags.`mlflow.prompt.is_prompt` = 'true'"},
    )
    assert [m["name"] for m in prompts.json()["registered_models"]] == [prompt]


def test_version_search_by_run_id_list_and_version_number(client, http, experiment_id):
    name = unique("mv-search")
    _create_model(http, name)
    runs = [create_run(http, experiment_id) for _ in range(3)]
    for run in runs:
        _create_version(http, name, run)
    found = client.search_model_versions(f"run_id IN ('{runs[0]}', '{runs[2]}')")
    assert sorted(v.version for v in found) == ["1", "3"]
    newer = client.search_model_versions(f"name = '{name}' AND version_number >= 2")
    assert [v.version for v in newer] == ["3", "2"]
    quoted = client.search_model_versions(f"name = '{name}' AND version_number = '2'")
    assert [v.version for v in quoted] == ["2"]


def test_version_search_by_tag_and_source_path(client, http, experiment_id):
    name = unique("mv-tags")
    _create_model(http, name)
    run = create_run(http, experiment_id)
    _create_version(http, name, run, tags=[{"key": "ok", "value": "yes"}])
    _create_version(http, name, run)
    tagged = client.search_model_versions(f"name = '{name}' AND tags.ok = 'yes'")
    assert [v.version for v in tagged] == ["1"]
    by_source = client.search_model_versions(f"source_path = 'runs:/{run}/model'")
    assert sorted(v.version for v in by_source) == ["1", "2"]


def test_version_search_pages_in_requested_order(client, http, experiment_id):
    name = unique("mv-pages")
    _create_model(http, name)
    run = create_run(http, experiment_id)
    for _ in range(7):
        _create_version(http, name, run)
    versions, token = [], None
    while True:
        page = client.search_model_versions(
            f"name = '{name}'", max_results=3, order_by=["version_number ASC"], page_token=token
        )
        versions += [v.version for v in page]
        token = page.token
        if not token:
            break
    assert versions == [str(n) for n in range(1, 8)]
