"""Experiments through the stock mlflow client: create, find, search, rename, delete, tags."""

from __future__ import annotations

import os
import time

import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from .helpers import API, assert_error, unique


def _names(experiments) -> list[str]:
    return [experiment.name for experiment in experiments]


def test_set_experiment_creates_it_and_then_returns_the_same_one(tracking_uri):
    name = unique("set-experiment")
    created = mlflow.set_experiment(name)
    again = mlflow.set_experiment(name)
    assert created.name == name
    assert again.experiment_id == created.experiment_id
    assert created.lifecycle_stage == "active"


def test_create_experiment_returns_an_id_that_get_and_get_by_name_find(client):
    name = unique("create")
    experiment_id = client.create_experiment(name, tags={"team": "vision"})
    by_id = client.get_experiment(experiment_id)
    by_name = client.get_experiment_by_name(name)
    assert by_id.experiment_id == by_name.experiment_id == experiment_id
    assert by_id.name == name
    assert by_id.tags == {"team": "vision"}
    assert by_id.lifecycle_stage == "active"
    assert by_id.creation_time > 0
    assert by_id.last_update_time >= by_id.creation_time


def test_get_experiment_by_unknown_name_returns_none(client):
    assert client.get_experiment_by_name(unique("missing")) is None


def test_get_experiment_by_unknown_name_is_404_over_http(http):
    response = http.get(
        f"{API}/experiments/get-by-name", params={"experiment_name": unique("missing")}
    )
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_get_unknown_experiment_id_is_resource_does_not_exist(client):
    with pytest.raises(MlflowException) as raised:
        client.get_experiment("987654321")
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_default_experiment_has_id_0_and_is_active(client):
    default = client.get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage == "active"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_new_experiment_artifact_location_is_the_artifact_proxy(client, experiment_id):
    experiment = client.get_experiment(experiment_id)
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment_id}"


def test_explicit_artifact_location_is_kept(client):
    experiment_id = client.create_experiment(
        unique("located"), artifact_location="mlflow-artifacts:/elsewhere"
    )
    assert client.get_experiment(experiment_id).artifact_location == "mlflow-artifacts:/elsewhere"


def test_duplicate_experiment_name_is_resource_already_exists(client, http):
    name = unique("duplicate")
    client.create_experiment(name)
    with pytest.raises(MlflowException) as raised:
        client.create_experiment(name)
    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert_error(
        http.post(f"{API}/experiments/create", json={"name": name}), "RESOURCE_ALREADY_EXISTS", 400
    )


def test_name_of_a_deleted_experiment_is_still_taken(client):
    name = unique("deleted-name")
    client.delete_experiment(client.create_experiment(name))
    with pytest.raises(MlflowException) as raised:
        client.create_experiment(name)
    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_search_experiments_filters_names_with_case_sensitive_like(client):
    prefix = unique("Like")
    client.create_experiment(f"{prefix}-Alpha")
    client.create_experiment(f"{prefix}-alpha")
    client.create_experiment(f"{prefix}-beta")
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-A%'")
    assert _names(found) == [f"{prefix}-Alpha"]


def test_search_experiments_filters_names_with_case_insensitive_ilike(client):
    prefix = unique("Ilike")
    client.create_experiment(f"{prefix}-Alpha")
    client.create_experiment(f"{prefix}-alpha")
    client.create_experiment(f"{prefix}-beta")
    found = client.search_experiments(filter_string=f"name ILIKE '{prefix.lower()}-a%'")
    assert sorted(_names(found)) == [f"{prefix}-Alpha", f"{prefix}-alpha"]


def test_search_experiments_filters_by_exact_name_and_by_not_equal(client):
    prefix = unique("eq")
    client.create_experiment(f"{prefix}-1")
    client.create_experiment(f"{prefix}-2")
    assert _names(client.search_experiments(filter_string=f"name = '{prefix}-1'")) == [
        f"{prefix}-1"
    ]
    others = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%' AND name != '{prefix}-1'"
    )
    assert _names(others) == [f"{prefix}-2"]


def test_search_experiments_filters_by_tags(client):
    prefix = unique("tagged")
    client.create_experiment(f"{prefix}-a", tags={"team": "vision", "stage": "dev"})
    client.create_experiment(f"{prefix}-b", tags={"team": "nlp"})
    client.create_experiment(f"{prefix}-c")
    scoped = f"name LIKE '{prefix}%'"
    assert _names(client.search_experiments(filter_string=f"{scoped} AND tags.team = 'nlp'")) == [
        f"{prefix}-b"
    ]
    found = client.search_experiments(filter_string=f"{scoped} AND tags.`team` LIKE 'vis%'")
    assert _names(found) == [f"{prefix}-a"]
    found = client.search_experiments(filter_string=f"{scoped} AND tags.team != 'nlp'")
    assert _names(found) == [f"{prefix}-a"]


def test_search_experiments_filters_by_creation_time(client):
    prefix = unique("created")
    first = client.create_experiment(f"{prefix}-old")
    cutoff = client.get_experiment(first).creation_time
    time.sleep(0.01)
    client.create_experiment(f"{prefix}-new")
    found = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%' AND creation_time > {cutoff}"
    )
    assert _names(found) == [f"{prefix}-new"]
    found = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%' AND creation_time <= {cutoff}"
    )
    assert _names(found) == [f"{prefix}-old"]


def test_search_experiments_filters_by_experiment_id_in_a_list(client):
    prefix = unique("ids")
    a = client.create_experiment(f"{prefix}-a")
    client.create_experiment(f"{prefix}-b")
    c = client.create_experiment(f"{prefix}-c")
    found = client.search_experiments(filter_string=f"experiment_id IN ('{a}', '{c}')")
    assert sorted(e.experiment_id for e in found) == sorted([a, c])


def test_search_experiments_orders_by_name_both_ways(client):
    prefix = unique("order")
    for suffix in ("b", "c", "a"):
        client.create_experiment(f"{prefix}-{suffix}")
    scoped = f"name LIKE '{prefix}%'"
    ascending = client.search_experiments(filter_string=scoped, order_by=["name ASC"])
    descending = client.search_experiments(filter_string=scoped, order_by=["name DESC"])
    assert _names(ascending) == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert _names(descending) == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]


def test_search_experiments_default_order_is_newest_first(client):
    prefix = unique("newest")
    for suffix in ("1", "2", "3"):
        client.create_experiment(f"{prefix}-{suffix}")
        time.sleep(0.005)
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}%'")
    assert _names(found) == [f"{prefix}-3", f"{prefix}-2", f"{prefix}-1"]


def test_search_experiments_view_type_selects_active_deleted_or_all(client):
    prefix = unique("view")
    client.create_experiment(f"{prefix}-live")
    client.delete_experiment(client.create_experiment(f"{prefix}-gone"))
    scoped = f"name LIKE '{prefix}%'"
    active = client.search_experiments(ViewType.ACTIVE_ONLY, filter_string=scoped)
    deleted = client.search_experiments(ViewType.DELETED_ONLY, filter_string=scoped)
    every = client.search_experiments(ViewType.ALL, filter_string=scoped)
    assert _names(active) == [f"{prefix}-live"]
    assert _names(deleted) == [f"{prefix}-gone"]
    assert sorted(_names(every)) == [f"{prefix}-gone", f"{prefix}-live"]


def test_search_experiments_pages_cover_every_experiment_once(client):
    prefix = unique("paged")
    expected = {f"{prefix}-{i}" for i in range(7)}
    for name in expected:
        client.create_experiment(name)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_experiments(
            filter_string=f"name LIKE '{prefix}%'", max_results=3, page_token=token
        )
        assert len(page) <= 3
        seen += _names(page)
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == sorted(expected)


def test_rename_experiment_changes_its_name(client, experiment_id):
    new_name = unique("renamed")
    client.rename_experiment(experiment_id, new_name)
    assert client.get_experiment(experiment_id).name == new_name
    assert client.get_experiment_by_name(new_name).experiment_id == experiment_id


def test_rename_experiment_to_a_taken_name_is_resource_already_exists(client, experiment_id):
    taken = unique("taken")
    client.create_experiment(taken)
    with pytest.raises(MlflowException) as raised:
        client.rename_experiment(experiment_id, taken)
    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_delete_experiment_marks_it_deleted_and_restore_brings_it_back(client, experiment_id):
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"


def test_runs_follow_their_experiment_into_deletion_and_back(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_experiment(experiment_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_experiment(experiment_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_restoring_an_experiment_restores_all_its_runs_as_mlflow_does(client, experiment_id):
    kept = client.create_run(experiment_id).info.run_id
    removed = client.create_run(experiment_id).info.run_id
    client.delete_run(removed)
    client.delete_experiment(experiment_id)
    client.restore_experiment(experiment_id)
    assert client.get_run(kept).info.lifecycle_stage == "active"
    assert client.get_run(removed).info.lifecycle_stage == "active"


def test_deleting_the_default_experiment_is_refused(http):
    response = http.post(f"{API}/experiments/delete", json={"experiment_id": "0"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_set_experiment_tag_adds_and_overwrites(client, experiment_id):
    client.set_experiment_tag(experiment_id, "owner", "ana")
    client.set_experiment_tag(experiment_id, "owner", "bo")
    client.set_experiment_tag(experiment_id, "stage", "dev")
    assert client.get_experiment(experiment_id).tags == {"owner": "bo", "stage": "dev"}


def test_delete_experiment_tag_removes_it(client, experiment_id):
    client.set_experiment_tag(experiment_id, "owner", "ana")
    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.delete_experiment_tag(experiment_id, "owner")
    assert client.get_experiment(experiment_id).tags == {"stage": "dev"}


def test_set_experiment_tag_on_a_deleted_experiment_is_invalid(client, experiment_id):
    client.delete_experiment(experiment_id)
    with pytest.raises(MlflowException) as raised:
        client.set_experiment_tag(experiment_id, "owner", "ana")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_experiment_tag_value_of_20000_chars_is_accepted(client, experiment_id):
    client.set_experiment_tag(experiment_id, "long", "x" * 20000)
    assert client.get_experiment(experiment_id).tags["long"] == "x" * 20000


def test_search_experiments_filters_by_tag_presence(client):
    prefix = unique("presence")
    client.create_experiment(f"{prefix}-tagged", tags={"team": "vision"})
    client.create_experiment(f"{prefix}-plain")
    scoped = f"name LIKE '{prefix}%'"
    found = client.search_experiments(filter_string=f"{scoped} AND tags.team IS NULL")
    assert _names(found) == [f"{prefix}-plain"]
    found = client.search_experiments(filter_string=f"{scoped} AND tags.team IS NOT NULL")
    assert _names(found) == [f"{prefix}-tagged"]


def test_search_experiments_orders_by_creation_time_and_id(client):
    prefix = unique("by-time")
    ids = [client.create_experiment(f"{prefix}-{i}") for i in range(3)]
    scoped = f"name LIKE '{prefix}%'"
    ascending = client.search_experiments(filter_string=scoped, order_by=["creation_time ASC"])
    by_id = client.search_experiments(filter_string=scoped, order_by=["experiment_id DESC"])
    assert [e.experiment_id for e in ascending] == ids
    assert [e.experiment_id for e in by_id] == ids[::-1]


def test_get_by_name_finds_a_deleted_experiment_too(client):
    name = unique("find-deleted")
    experiment_id = client.create_experiment(name)
    client.delete_experiment(experiment_id)
    found = client.get_experiment_by_name(name)
    assert found.experiment_id == experiment_id
    assert found.lifecycle_stage == "deleted"


def test_set_experiment_refuses_a_deleted_experiment(client, tracking_uri):
    name = unique("set-deleted")
    client.delete_experiment(client.create_experiment(name))
    with pytest.raises(MlflowException, match="deleted"):
        mlflow.set_experiment(name)


def test_rename_of_a_deleted_experiment_is_refused(client, experiment_id):
    client.delete_experiment(experiment_id)
    with pytest.raises(MlflowException):
        client.rename_experiment(experiment_id, unique("renamed"))


def test_rename_updates_last_update_time_for_search(client, experiment_id):
    before = client.get_experiment(experiment_id).last_update_time
    time.sleep(0.01)
    new_name = unique("renamed-later")
    client.rename_experiment(experiment_id, new_name)
    assert client.get_experiment(experiment_id).last_update_time > before
    found = client.search_experiments(
        filter_string=f"name = '{new_name}' AND last_update_time > {before}"
    )
    assert [e.experiment_id for e in found] == [experiment_id]


def test_search_experiments_pages_over_get_as_well(http):
    prefix = unique("get-paged")
    for i in range(3):
        http.post(f"{API}/experiments/create", json={"name": f"{prefix}-{i}"})
    names, token = [], None
    while True:
        params = {"filter": f"name LIKE '{prefix}%'", "max_results": 2}
        if token:
            params["page_token"] = token
        body = http.get(f"{API}/experiments/search", params=params).json()
        names += [e["name"] for e in body["experiments"]]
        token = body.get("next_page_token")
        if not token:
            break
    assert sorted(names) == [f"{prefix}-{i}" for i in range(3)]


def test_search_experiments_cannot_order_by_tags(http):
    response = http.post(f"{API}/experiments/search", json={"order_by": ["tags.team ASC"]})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_search_experiments_bad_filter_is_invalid_parameter_value(http):
    for filter_string in ("name = ", "name > 'a'", "metrics.x > 1", "creation_time = 'x'"):
        response = http.post(f"{API}/experiments/search", json={"filter": filter_string})
        assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_experiment_names_differing_only_in_case_are_distinct(client):
    name = unique("CaseName")
    upper = client.create_experiment(name.upper())
    lower = client.create_experiment(name.lower())
    assert upper != lower
    assert client.get_experiment_by_name(name.lower()).experiment_id == lower


def test_relative_artifact_location_is_resolved_against_the_servers_folder(client, server):
    name = unique("relative-location")
    experiment_id = client.create_experiment(name, artifact_location="my_location")
    folder = os.path.realpath(server.data_dir)
    assert client.get_experiment(experiment_id).artifact_location == f"{folder}/my_location"


def test_relative_file_uri_artifact_location_stays_a_file_uri(client, server):
    name = unique("relative-file-location")
    experiment_id = client.create_experiment(name, artifact_location="file:my_location")
    folder = os.path.realpath(server.data_dir)
    location = client.get_experiment(experiment_id).artifact_location
    assert location == f"file://{folder}/my_location"


def test_absolute_artifact_location_is_stored_as_given(client, tmp_path):
    name = unique("absolute-location")
    experiment_id = client.create_experiment(name, artifact_location=f"file://{tmp_path}/x")
    assert client.get_experiment(experiment_id).artifact_location == f"file://{tmp_path}/x"
