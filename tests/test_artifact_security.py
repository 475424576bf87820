"""Hostile artifact paths: every endpoint on every destination answers 400 and touches nothing.

Paths are sent as raw request targets (http.client does not normalise `..` away as httpx
would), so the server sees exactly the bytes of the corpus. Canary files beside the artifact
root hold a secret that must never show up in a response, and must never change.
"""

from __future__ import annotations

import http.client
import json
import os
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from .artifact_fixtures import CANARY, ArtifactServer

# As they appear on the wire (after the endpoint's prefix, or as the `path` query value).
HOSTILE = [
    "..", "../", "../canary.txt", "../../canary.txt", "../../../../../../etc/passwd",
    "a/../../canary.txt", "a/b/../../../canary.txt", "./../canary.txt", "a/..", "a/./b",
    "./canary.txt", ".", "a//b", "%2e%2e/canary.txt", "%2E%2E/canary.txt",
    "%2e%2e%2fcanary.txt", "..%2fcanary.txt", ".%2e/canary.txt", "%2e./canary.txt",
    "a/%2e%2e/%2e%2e/canary.txt", "%252e%252e/canary.txt", "%252e%252e%252fcanary.txt",
    "%25252e%25252e/canary.txt", "..%252f..%252fcanary.txt", "%2fetc%2fpasswd",
    "/etc/passwd", "//etc/passwd", "/%2e%2e/canary.txt", "..\\canary.txt",
    "a\\..\\..\\canary.txt", "%5c..%5ccanary.txt", "..%5ccanary.txt", "%255c..%255ccanary.txt",
    "C:\\Windows\\win.ini", "C:/Windows/win.ini", "c:canary.txt", "%5c%5cserver%5cshare",
    "a%00b", "%00", "canary.txt%00.png", "..%00/canary.txt", "a%0a..%0d", "a%09b", "%7f",
    "%2500", "file:///etc/passwd", "file:..%2fcanary.txt", "%c0%ae%c0%ae/canary.txt",
    "..%c0%afcanary.txt", "%ef%bc%8e%ef%bc%8e/canary.txt", "%ef%bc%8e%ef%bc%8e%ef%bc%8fcanary",
    ".trackyard/uploads", ".trackyard/tmp/x", "%2etrackyard/tmp",
]  # fmt: skip
# Symlinks planted inside the root (local and SFTP), relative to the run's artifact folder.
SYMLINKED = ["link-out", "link-out/secret.txt", "link-out/new.txt", "link-canary", "link-out/"]
FAKE_UPLOAD = "0" * 32


def _raw(server_url: str, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send `target` as the request target verbatim."""
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        connection.putheader("Content-Length", str(len(body)))
        if body.startswith(b"{"):
            connection.putheader("Content-Type", "application/json")
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _requests(path: str, run_id: str) -> list[tuple[str, str, bytes]]:
    """Every artifact endpoint, with `path` where it takes one."""
    mpu = json.dumps({"path": "f.bin", "upload_id": FAKE_UPLOAD, "num_parts": 1}).encode()
    done = json.dumps({
        "path": "f.bin", "upload_id": FAKE_UPLOAD, "parts": [{"part_number": 1, "etag": "x"}]
    }).encode()  # fmt: skip
    result = []
    for prefix in ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"):
        result += [
            ("GET", f"{prefix}/artifacts/{path}", b""),
            ("HEAD", f"{prefix}/artifacts/{path}", b""),
            ("PUT", f"{prefix}/artifacts/{path}", b"overwritten by an attacker"),
            ("DELETE", f"{prefix}/artifacts/{path}", b""),
            ("GET", f"{prefix}/artifacts?path={path}", b""),
            ("GET", f"{prefix}/presigned/{path}", b""),
            ("POST", f"{prefix}/mpu/create/{path}", mpu),
            ("POST", f"{prefix}/mpu/complete/{path}", done),
            ("POST", f"{prefix}/mpu/abort/{path}", mpu),
            (
                "PUT",
                f"{prefix}/mpu/upload-part/{path}?upload_id={FAKE_UPLOAD}&part_number=1",
                b"part",
            ),
        ]
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        result.append(("GET", f"{prefix}/artifacts/list?run_id={run_id}&path={path}", b""))
    result.append(("GET", f"/get-artifact?run_id={run_id}&path={path}", b""))
    return result


def _snapshot(target: ArtifactServer) -> dict:
    """Everything outside the artifact root, with contents and modification times."""
    if target.zone is None:
        return target.view.outside()
    root = target.zone / "root"
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in target.zone.rglob("*")
        if p.is_file() and root not in p.parents
    }


@pytest.fixture
def run_folder(artifact_server: ArtifactServer) -> tuple[str, str]:
    """A run with one artifact; returns its id and its folder inside the destination."""
    with httpx.Client(base_url=artifact_server.url, timeout=30) as http:
        name = f"hostile-{uuid.uuid4().hex[:8]}"
        experiment = http.post("/api/2.0/mlflow/experiments/create", json={"name": name})
        experiment_id = experiment.json()["experiment_id"]
        created = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id})
        run = created.json()["run"]["info"]
        folder = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
        assert http.put(f"/api/2.0/mlflow-artifacts/artifacts/{folder}/ok.txt", content=b"ok")
    if artifact_server.zone is not None:
        run_dir = artifact_server.zone / "root" / folder
        os.symlink(artifact_server.zone / "outside", run_dir / "link-out")
        os.symlink(artifact_server.zone / "canary.txt", run_dir / "link-canary")
    return run["run_id"], folder


def _check_refused(status: int, body: bytes, what: str) -> None:
    assert status == 400, f"{what}: {status} {body[:300]!r}"
    assert CANARY.encode() not in body, what
    if body:
        assert json.loads(body)["error_code"] == "INVALID_PARAMETER_VALUE", what


def test_hostile_paths_are_refused_everywhere(artifact_server: ArtifactServer, run_folder):
    run_id, folder = run_folder
    assert len(HOSTILE) >= 40
    before = _snapshot(artifact_server)
    attempts = [(path, path) for path in HOSTILE]
    if artifact_server.zone is not None:
        attempts += [(f"{folder}/{link}", link) for link in SYMLINKED]
    for proxy_path, run_path in attempts:
        for method, target, body in _requests(proxy_path, run_id):
            if "run_id=" in target:  # run-level endpoints take paths inside the run's folder
                target = target.replace(f"path={proxy_path}", f"path={run_path}")
            status, answer = _raw(artifact_server.url, method, target, body)
            _check_refused(status, answer, f"{method} {target}")
    assert _snapshot(artifact_server) == before


def test_hostile_multipart_file_names_and_upload_ids(artifact_server: ArtifactServer, run_folder):
    _, folder = run_folder
    before = _snapshot(artifact_server)
    for name in ["..", "/..", "a/..", "x\\..", "%2e%2e", "%252e%252e", "..\u0000", ".\u0000."]:
        for action in ("create", "complete", "abort"):
            body = {"path": name, "upload_id": FAKE_UPLOAD, "num_parts": 1, "parts": []}
            status, answer = _raw(
                artifact_server.url,
                "POST",
                f"/api/2.0/mlflow-artifacts/mpu/{action}/{folder}",
                json.dumps(body).encode(),
            )
            _check_refused(status, answer, f"{action} with file {name!r}")
    if artifact_server.kind != "s3":  # staged uploads: the id names a folder
        for upload_id in ["../../canary", "..", "/etc", "", "0" * 31 + "/", "0" * 64]:
            target = (
                f"/api/2.0/mlflow-artifacts/mpu/upload-part/{folder}/f.bin"
                f"?upload_id={upload_id}&part_number=1"
            )
            status, answer = _raw(artifact_server.url, "PUT", target, b"part")
            _check_refused(status, answer, f"upload id {upload_id!r}")
    assert _snapshot(artifact_server) == before


def test_listing_never_shows_links_out_of_the_root(artifact_server: ArtifactServer, run_folder):
    _, folder = run_folder
    with httpx.Client(base_url=artifact_server.url, timeout=30) as http:
        listing = http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": folder})
    assert [f["path"] for f in listing.json()["files"]] == ["ok.txt"]
    assert CANARY not in listing.text
