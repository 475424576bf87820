"""SFTP destination specifics: server restarts, host-key checking, an unreachable server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest

from .artifact_fixtures import _require_sshd
from .artifact_stores import Sshd, _keygen
from .servers import ServerProcess, start_server

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Sshd]:
    _require_sshd()
    sshd = Sshd(tmp_path / "sshd")
    sshd.start()
    yield sshd
    sshd.stop()


def _server(tmp_path: Path, *args: str) -> ServerProcess:
    data_dir = tmp_path / "server"
    return start_server(data_dir, f"sqlite:///{data_dir}/t.db", *args)


def test_uploads_survive_an_sftp_server_restart(daemon: Sshd, tmp_path: Path, monkeypatch):
    root = tmp_path / "remote"
    server = _server(tmp_path, *daemon.server_args(root))
    try:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment(f"restart-{uuid.uuid4().hex[:8]}")
        first, second = tmp_path / "first.txt", tmp_path / "second.txt"
        first.write_text("before the restart")
        second.write_text("after the restart")
        with mlflow.start_run() as run:
            mlflow.log_artifact(str(first))  # leaves a session in the server's pool
            daemon.restart()  # kills that session's sshd process too
            # No client retries here: the very first request after the restart must work.
            folder = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
            direct = httpx.put(f"{server.url}{PROXY}/{folder}/direct.txt", content=b"d")
            assert direct.status_code == 200, direct.text
            mlflow.log_artifact(str(second))
        daemon.restart()
        downloaded = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, dst_path=str(tmp_path / "dl")
        )
        local = Path(downloaded)
        assert (local / "first.txt").read_text() == "before the restart"
        assert (local / "second.txt").read_text() == "after the restart"
        assert (local / "direct.txt").read_bytes() == b"d"
        assert (root / folder / "second.txt").read_text() == "after the restart"
    finally:
        server.stop()


def _put(server: ServerProcess) -> httpx.Response:
    return httpx.put(f"{server.url}{PROXY}/1/x/artifacts/a.txt", content=b"a", timeout=60)


def test_unknown_host_key_is_refused(daemon: Sshd, tmp_path: Path):
    root = tmp_path / "remote"
    args = [arg for arg in daemon.server_args(root)]
    without_known_hosts = args[: args.index("--sftp-known-hosts")]
    server = _server(tmp_path, *without_known_hosts)
    try:
        response = _put(server)
        assert response.status_code == 500
        assert "known_hosts" in response.json()["message"]
        assert not (root / "1").exists()
    finally:
        server.stop()


def test_changed_host_key_is_refused(daemon: Sshd, tmp_path: Path):
    impostor = tmp_path / "impostor"
    _keygen(impostor)
    kind, key = impostor.with_suffix(".pub").read_text().split()[:2]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{daemon.port} {kind} {key}\n")
    root = tmp_path / "remote"
    server = _server(
        tmp_path,
        "--artifacts-destination", daemon.uri(root),
        "--sftp-key-file", str(daemon.client_key),
        "--sftp-known-hosts", str(known_hosts),
    )  # fmt: skip
    try:
        response = _put(server)
        assert response.status_code == 500
        assert "host key" in response.json()["message"]
        assert not (root / "1").exists()
    finally:
        server.stop()


def test_host_key_check_can_be_switched_off_explicitly(daemon: Sshd, tmp_path: Path):
    root = tmp_path / "remote"
    server = _server(
        tmp_path,
        "--artifacts-destination", daemon.uri(root),
        "--sftp-key-file", str(daemon.client_key),
        "--sftp-insecure-skip-host-key-check",
    )  # fmt: skip
    try:
        assert _put(server).status_code == 200
        assert (root / "1/x/artifacts/a.txt").read_bytes() == b"a"
    finally:
        server.stop()


def test_unreachable_sftp_server_is_a_503(daemon: Sshd, tmp_path: Path):
    server = _server(tmp_path, *daemon.server_args(tmp_path / "remote"))
    try:
        daemon.stop()
        response = _put(server)
        assert response.status_code == 503
        assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        daemon.start()
        assert _put(server).status_code == 200
    finally:
        server.stop()
