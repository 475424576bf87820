"""The model registry through the stock mlflow client: models, versions, stages, tags, aliases."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from .helpers import unique

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # stages: deprecated upstream


@pytest.fixture
def run_id(client: MlflowClient, experiment_id: str) -> str:
    return client.create_run(experiment_id).info.run_id


def _new_version(client: MlflowClient, name: str, run_id: str, **kwargs):
    return client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id, **kwargs)


def test_create_registered_model_returns_it_with_tags_and_description(client):
    name = unique("create")
    created = client.create_registered_model(name, tags={"team": "a"}, description="first")
    fetched = client.get_registered_model(name)
    assert (created.name, created.tags, created.description) == (name, {"team": "a"}, "first")
    assert fetched.creation_timestamp == created.creation_timestamp > 0
    assert fetched.latest_versions == []


def test_model_versions_count_up_from_one_and_are_ready_at_once(client, run_id):
    name = unique("versions")
    client.create_registered_model(name)
    first = _new_version(client, name, run_id, tags={"k": "v"}, description="d")
    second = _new_version(client, name, run_id)
    assert (first.version, second.version) == ("1", "2")
    assert first.status == "READY"
    assert first.current_stage == "None"
    assert (first.tags, first.description, first.run_id) == ({"k": "v"}, "d", run_id)


def test_deleted_version_numbers_are_not_reused(client, run_id):
    name = unique("reuse")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    _new_version(client, name, run_id)
    client.delete_model_version(name, "2")
    assert _new_version(client, name, run_id).version == "3"
    with pytest.raises(MlflowException, match="not found"):
        client.get_model_version(name, "2")


def test_update_model_and_version_descriptions(client, run_id):
    name = unique("update")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    assert client.update_registered_model(name, description="new").description == "new"
    assert client.update_model_version(name, "1", description="v1").description == "v1"
    assert client.get_model_version(name, "1").description == "v1"


def test_rename_moves_versions_and_frees_the_old_name(client, run_id):
    name, new_name = unique("old"), unique("new")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    client.rename_registered_model(name, new_name)
    assert client.get_model_version(new_name, "1").name == new_name
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(name)
    client.create_registered_model(name)


def test_rename_to_a_taken_name_is_refused(client):
    first, second = unique("a"), unique("b")
    client.create_registered_model(first)
    client.create_registered_model(second)
    with pytest.raises(MlflowException, match="RESOURCE_ALREADY_EXISTS"):
        client.rename_registered_model(first, second)


def test_delete_registered_model_removes_its_versions(client, run_id):
    name = unique("delete")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    client.delete_registered_model(name)
    assert client.search_model_versions(f"name = '{name}'") == []
    client.create_registered_model(name)
    assert _new_version(client, name, run_id).version == "1"


def test_registered_model_tags_set_overwrite_and_delete(client):
    name = unique("tags")
    client.create_registered_model(name)
    client.set_registered_model_tag(name, "stage", "dev")
    client.set_registered_model_tag(name, "stage", "prod")
    client.set_registered_model_tag(name, "owner", "me")
    client.delete_registered_model_tag(name, "owner")
    assert client.get_registered_model(name).tags == {"stage": "prod"}


def test_model_version_tags_set_and_delete(client, run_id):
    name = unique("version-tags")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    client.set_model_version_tag(name, "1", "validated", "yes")
    client.set_model_version_tag(name, "1", "gone", "x")
    client.delete_model_version_tag(name, "1", "gone")
    assert client.get_model_version(name, "1").tags == {"validated": "yes"}


def test_transition_with_archiving_moves_the_previous_production_version(client, run_id):
    name = unique("stages")
    client.create_registered_model(name)
    for _ in range(3):
        _new_version(client, name, run_id)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "staging")
    promoted = client.transition_model_version_stage(
        name, "3", "production", archive_existing_versions=True
    )
    assert promoted.current_stage == "Production"
    stages = {v.version: v.current_stage for v in client.search_model_versions(f"name='{name}'")}
    assert stages == {"1": "Archived", "2": "Staging", "3": "Production"}


def test_transition_without_archiving_keeps_both_in_the_stage(client, run_id):
    name = unique("no-archive")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    _new_version(client, name, run_id)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Production")
    assert client.get_model_version(name, "1").current_stage == "Production"


def test_latest_versions_are_the_newest_per_stage(client, run_id):
    name = unique("latest")
    client.create_registered_model(name)
    for _ in range(4):
        _new_version(client, name, run_id)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Production")
    latest = client.get_latest_versions(name, stages=["Production"])
    assert [v.version for v in latest] == ["2"]
    everything = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert everything == {"Production": "2", "None": "4"}
    model = client.get_registered_model(name)
    assert sorted(v.version for v in model.latest_versions) == ["2", "4"]


def test_alias_points_at_a_version_and_moves(client, run_id):
    name = unique("alias")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    _new_version(client, name, run_id)
    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    client.set_registered_model_alias(name, "champion", "2")
    version = client.get_model_version_by_alias(name, "champion")
    assert (version.version, version.aliases) == ("2", ["champion"])
    assert client.get_registered_model(name).aliases == {"champion": "2"}


def test_deleting_an_alias_or_its_version_removes_it(client, run_id):
    name = unique("alias-delete")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    _new_version(client, name, run_id)
    client.set_registered_model_alias(name, "a", "1")
    client.set_registered_model_alias(name, "b", "2")
    client.delete_registered_model_alias(name, "a")
    client.delete_model_version(name, "2")
    assert client.get_registered_model(name).aliases == {}


def test_latest_alias_resolves_to_the_highest_version(client, run_id):
    name = unique("latest-alias")
    client.create_registered_model(name)
    for _ in range(3):
        _new_version(client, name, run_id)
    assert client.get_model_version_by_alias(name, "latest").version == "3"


def test_download_uri_of_a_run_source_is_the_source(client, run_id):
    name = unique("download")
    client.create_registered_model(name)
    _new_version(client, name, run_id)
    assert client.get_model_version_download_uri(name, "1") == f"runs:/{run_id}/model"


def test_a_version_made_from_another_version_shares_its_files_and_run(client, run_id):
    name, copy = unique("source"), unique("copy")
    client.create_registered_model(name)
    client.create_registered_model(copy)
    _new_version(client, name, run_id)
    version = client.create_model_version(copy, f"models:/{name}/1")
    assert (version.source, version.run_id) == (f"models:/{name}/1", run_id)
    assert client.get_model_version_download_uri(copy, "1") == f"runs:/{run_id}/model"


def test_version_sources_inside_the_runs_artifacts_are_accepted(client, run_id):
    name = unique("artifact-source")
    client.create_registered_model(name)
    artifact_uri = client.get_run(run_id).info.artifact_uri
    version = client.create_model_version(name, f"{artifact_uri}/model", run_id=run_id)
    assert version.source == f"{artifact_uri}/model"


def test_concurrent_version_creation_hands_out_each_number_once(client, http, run_id):
    """Writers racing on one model queue on its row: no duplicate or failed versions."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    name = unique("race")
    client.create_registered_model(name)
    body = {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id}

    def create(_: int) -> str:
        with httpx.Client(base_url=str(http.base_url), timeout=60) as session:
            response = session.post("/api/2.0/mlflow/model-versions/create", json=body)
            assert response.status_code == 200, response.text
            return response.json()["model_version"]["version"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(create, range(40)))
    assert sorted(int(version) for version in versions) == list(range(1, 41))
