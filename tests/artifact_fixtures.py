"""Fixtures: one trackyard server per artifact destination (local folder, SFTP, S3).

Each destination root sits in a "zone" next to canary files that no request may ever read,
list, overwrite or delete (see test_artifact_security.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .artifact_stores import S3_CREDENTIALS, SSHD, BucketView, FolderView, MotoS3, Sshd
from .servers import ServerProcess, start_server

DESTINATIONS = ["local", "sftp", "s3"]
BUCKET = "trackyard-test"
CANARY = f"canary-{secrets.token_hex(8)}"  # a secret no response may ever contain


@dataclass
class ArtifactServer:
    kind: str
    server: ServerProcess
    view: FolderView | BucketView
    zone: Path | None = None  # local and sftp: the folder around the root, canaries inside

    @property
    def url(self) -> str:
        return self.server.url


def _require_sshd() -> None:
    if Path(SSHD).exists():
        return
    message = f"{SSHD} is missing (scripts/test installs openssh-server)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def make_zone(base: Path) -> Path:
    """base/root (the destination) beside base/canary.txt and base/outside/secret.txt."""
    (base / "root").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "canary.txt").write_text(CANARY)
    (base / "outside" / "secret.txt").write_text(CANARY)
    return base / "root"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Iterator[Sshd]:
    _require_sshd()
    daemon = Sshd(tmp_path_factory.mktemp("sshd"))
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    s3 = MotoS3()
    s3.start()
    s3.client().create_bucket(Bucket=BUCKET)
    yield s3
    s3.stop()


def zoned_bucket(moto: MotoS3) -> str:
    """A new bucket with canaries around its `root` prefix. Each server gets its own: pytest
    may start a parametrized session fixture again after other parameters ran, and a new
    server's new database would reuse experiment ids under the old server's objects."""
    bucket = f"{BUCKET}-{secrets.token_hex(4)}"
    client = moto.client()
    client.create_bucket(Bucket=bucket)
    for key in ("canary.txt", "rootx/canary.txt", "outside/secret.txt"):
        client.put_object(Bucket=bucket, Key=key, Body=CANARY.encode())
    return bucket


def start_s3_server(data_dir: Path, moto: MotoS3, bucket: str, *extra: str) -> ServerProcess:
    """A server on s3://bucket/root; boto3 in the server reads credentials from the env."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in S3_CREDENTIALS.items():
            patch.setenv(name, value)
        return start_server(
            data_dir,
            f"sqlite:///{data_dir}/t.db",
            "--artifacts-destination", f"s3://{bucket}/root",
            "--s3-endpoint-url", moto.endpoint,
            *extra,
        )  # fmt: skip


def _start(kind: str, base: Path, request) -> ArtifactServer:
    data_dir = base / "server"
    backend = f"sqlite:///{data_dir}/t.db"
    if kind == "local":
        root = make_zone(base / "zone")
        server = start_server(data_dir, backend, "--artifacts-destination", str(root))
        return ArtifactServer(kind, server, FolderView(root), root.parent)
    if kind == "sftp":
        daemon: Sshd = request.getfixturevalue("sshd")
        root = make_zone(base / "zone")
        server = start_server(data_dir, backend, *daemon.server_args(root))
        return ArtifactServer(kind, server, FolderView(root), root.parent)
    moto: MotoS3 = request.getfixturevalue("moto_s3")
    bucket = zoned_bucket(moto)
    server = start_s3_server(data_dir, moto, bucket)
    return ArtifactServer(kind, server, BucketView(moto.client(), bucket, "root"))


@pytest.fixture(scope="session", params=DESTINATIONS)
def artifact_server(request, tmp_path_factory) -> Iterator[ArtifactServer]:
    """A server whose artifacts live at the destination named by the parameter."""
    started = _start(request.param, tmp_path_factory.mktemp(f"artifacts-{request.param}"), request)
    yield started
    started.server.stop()
