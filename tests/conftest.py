"""Fixtures: a real trackyard server per backend, and the stock mlflow client pointed at it.

Every test that takes `server` runs once on SQLite and once on PostgreSQL. PostgreSQL tests
skip when no server is reachable, except in CI (the CI variable is set), where they fail.

mlflow is imported by the fixtures that use it, not here: `pytest tests/unit` then loads in a
moment and needs only pytest and httpx.

Markers are given by what a test uses (see `pytest_collection_modifyitems`), so
`pytest -m "not slow"` or `-m "not postgres and not ui"` pick a quick loop.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from mlflow import MlflowClient

from .servers import ServerProcess, postgres_available, postgres_database, start_server

# The stock client retries 5xx answers for minutes; a server bug must fail a test, not hang it.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

BACKENDS = ["sqlite", "postgres"]


def require_postgres() -> None:
    if postgres_available():
        return
    message = "PostgreSQL is not reachable at TRACKYARD_TEST_POSTGRES_URI"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run the PostgreSQL tests")
    pytest.skip(message)


@pytest.fixture(params=BACKENDS)
def database_uri(request, tmp_path) -> Iterator[str]:
    """An empty database of the test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    require_postgres()
    with postgres_database() as uri:
        yield uri


@pytest.fixture(scope="session", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[ServerProcess]:
    """One server per backend for the whole session; tests use their own experiments."""
    data_dir = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        process = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
        yield process
        process.stop()
        return
    require_postgres()
    with postgres_database() as uri:
        process = start_server(data_dir, uri)
        yield process
        process.stop()


@pytest.fixture
def tracking_uri(server: ServerProcess, monkeypatch) -> Iterator[str]:
    """The stock client's global state pointed at the server, and left clean afterwards."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    mlflow.set_tracking_uri(server.url)
    yield server.url
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.flush_async_logging()


@pytest.fixture
def client(tracking_uri: str) -> MlflowClient:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri)


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    """Raw HTTP against the server, for wire details and error paths."""
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


@pytest.fixture
def experiment_id(client: MlflowClient, request) -> str:
    """A fresh experiment named after the test."""
    import uuid

    return client.create_experiment(f"{request.node.name}-{uuid.uuid4().hex[:8]}")


@pytest.fixture(autouse=True)
def _no_client_state_leaks(monkeypatch) -> None:
    """`mlflow.set_experiment` and `mlflow.set_tracking_uri` set process-wide state, which
    would outlive the test (a set tracking URI wins over MLFLOW_TRACKING_URI); each test
    starts without it, whichever modules its worker process ran before."""
    if "mlflow" not in sys.modules:  # nothing imported it, so nothing set it
        return
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)


# Artifact destinations (local folder, SFTP via a real sshd, S3 via moto): shared fixtures.
from .artifact_fixtures import artifact_server, moto_s3, sshd  # noqa: E402, F401
from .browser import browser  # noqa: E402, F401
from .mariadb import mariadb  # noqa: E402, F401
from .sweep_fixtures import sweep, sweep_server  # noqa: E402, F401

# Markers by the fixtures or modules a test uses: one place, so a new test is marked alike.
MARKERS_BY_FIXTURE = {"browser": "ui", "sshd": "sftp", "moto_s3": "s3", "mariadb": "mysql"}
SLOW_MODULES = {"test_durability", "test_ui", "test_workspace", "test_artifact_large"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for fixture, marker in MARKERS_BY_FIXTURE.items():
            if fixture in fixtures:
                item.add_marker(marker)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in callspec.params.values():
            item.add_marker("postgres")
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker("slow")
        if "/unit/" in str(item.path):
            item.add_marker("unit")
