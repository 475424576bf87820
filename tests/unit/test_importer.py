"""The import's pure parts: where a source's artifact locations are read from, how version
sources follow moved artifacts, and which logged model a version's source names."""

from __future__ import annotations

import pytest

from trackyard.importer.artifacts import readable_folder
from trackyard.importer.mlflow_db import engine_uri
from trackyard.importer.pipeline import moved_uri
from trackyard.importer.writer import logged_model_id

pytestmark = pytest.mark.unit

MOVED = {"mlflow-artifacts:/1/abc/artifacts": "mlflow-artifacts:/7/abc/artifacts"}


def test_a_proxied_location_is_read_below_from_artifacts():
    found = readable_folder("mlflow-artifacts:/1/abc/artifacts", "/srv/old")
    assert found == "/srv/old/1/abc/artifacts"


def test_a_proxied_location_without_from_artifacts_is_not_readable():
    assert readable_folder("mlflow-artifacts:/1/abc/artifacts", None) is None


def test_the_http_proxy_route_is_read_as_a_proxied_location():
    uri = "http://old:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"
    assert readable_folder(uri, "/srv/old") == "/srv/old/1/abc/artifacts"


def test_a_proxied_location_leaving_its_root_is_not_readable():
    assert readable_folder("mlflow-artifacts:/1/../../etc", "/srv/old") is None


def test_local_locations_are_read_as_they_are():
    assert readable_folder("file:///data/mlruns/1/abc/artifacts", None) == (
        "/data/mlruns/1/abc/artifacts"
    )
    assert readable_folder("/data/mlruns/1", "/srv/old") == "/data/mlruns/1"


def test_remote_locations_are_not_readable():
    assert readable_folder("s3://bucket/1/abc/artifacts", "/srv/old") is None


def test_a_uri_inside_a_moved_location_follows_it():
    assert moved_uri(MOVED, "mlflow-artifacts:/1/abc/artifacts/model") == (
        "mlflow-artifacts:/7/abc/artifacts/model"
    )
    assert moved_uri(MOVED, "mlflow-artifacts:/1/abc/artifacts") == (
        "mlflow-artifacts:/7/abc/artifacts"
    )


def test_entity_sources_and_other_locations_stay():
    assert moved_uri(MOVED, "runs:/abc/model") == "runs:/abc/model"
    assert moved_uri(MOVED, "mlflow-artifacts:/1/abcd/artifacts") == (
        "mlflow-artifacts:/1/abcd/artifacts"
    )
    assert moved_uri(MOVED, None) is None


def test_a_models_source_names_its_logged_model():
    assert logged_model_id("models:/m-0123abc") == "m-0123abc"
    assert logged_model_id("models:/name/3") is None
    assert logged_model_id("runs:/abc/model") is None


def test_database_uris_get_the_installed_drivers():
    assert engine_uri("mysql://root@db/mlflow") == "mysql+pymysql://root@db/mlflow"
    assert engine_uri("postgresql://u@db/mlflow") == "postgresql+psycopg://u@db/mlflow"
    assert engine_uri("mysql+mysqldb://root@db/x") == "mysql+mysqldb://root@db/x"
    assert engine_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
