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
from dataclasses import dataclass
from pathlib import Path
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
    "a" * 256, "%C3%A9" * 128,  # segments over 255 bytes (NAME_MAX), in ASCII and in UTF-8
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


def _requests(path: str, run_id: str, run_path: str | None = None) -> list[tuple[str, str, bytes]]:
    """Every proxy and run-level endpoint, with `path` where it takes one (`run_path`, if
    given, for the run-level ones, whose paths are inside the run's folder)."""
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
    run_path = path if run_path is None else run_path
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        result.append(("GET", f"{prefix}/artifacts/list?run_id={run_id}&path={run_path}", b""))
    result.append(("GET", f"/get-artifact?run_id={run_id}&path={run_path}", b""))
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
        _plant_links(artifact_server.zone, folder)
    return run["run_id"], folder


def _plant_links(zone: Path, folder: str) -> None:
    """Symlinks to the canaries, inside `folder` of the destination (SYMLINKED names them)."""
    os.symlink(zone / "outside", zone / "root" / folder / "link-out")
    os.symlink(zone / "canary.txt", zone / "root" / folder / "link-canary")


def _check_refused(status: int, body: bytes, what: str) -> dict:
    """A 400 in MLflow's error shape (HEAD answers carry no body), without the secret."""
    assert status == 400, f"{what}: {status} {body[:300]!r}"
    assert CANARY.encode() not in body, what
    if not body:
        return {}
    error = json.loads(body)
    assert set(error) == {"error_code", "message"}, what
    assert error["error_code"] == "INVALID_PARAMETER_VALUE", what
    return error


def test_hostile_paths_are_refused_everywhere(artifact_server: ArtifactServer, run_folder):
    run_id, folder = run_folder
    assert len(HOSTILE) >= 40
    before = _snapshot(artifact_server)
    attempts = [(path, path) for path in HOSTILE]
    if artifact_server.zone is not None:
        attempts += [(f"{folder}/{link}", link) for link in SYMLINKED]
    for proxy_path, run_path in attempts:
        for method, target, body in _requests(proxy_path, run_id, run_path):
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


# ----------------------------------------------------------------- model files
# The UI's file endpoints of a model version and of a logged model; `{path}` is the file or
# folder inside the model's artifact folder. Both file endpoints also answer HEAD.
_LOGGED = "2.0/mlflow/logged-models/{model_id}/artifacts"
MODEL_ENDPOINTS = {
    "model-version-file": ["/model-versions/get-artifact?name={name}&version=1&path={path}"],
    "logged-model-file": [
        f"/{prefix}/{_LOGGED}/files?artifact_file_path={{path}}" for prefix in ("api", "ajax-api")
    ],
    "logged-model-folder": [
        f"/{prefix}/{_LOGGED}/directories?artifact_directory_path={{path}}"
        for prefix in ("api", "ajax-api")
    ],
}


@dataclass(frozen=True)
class ModelFiles:
    name: str  # a registered model whose version 1 is the logged model
    model_id: str
    folder: str  # the logged model's artifact folder inside the destination


@pytest.fixture(scope="module")
def model_files(artifact_server: ArtifactServer) -> ModelFiles:
    """A logged model with one file (MLmodel), registered as version 1, links out planted."""
    api = "/api/2.0/mlflow"
    name = f"hostile-model-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=artifact_server.url, timeout=30) as http:
        experiment = http.post(f"{api}/experiments/create", json={"name": name})
        created = http.post(
            f"{api}/logged-models",
            json={"experiment_id": experiment.json()["experiment_id"], "name": "model"},
        )
        info = created.json()["model"]["info"]
        folder = info["artifact_uri"].removeprefix("mlflow-artifacts:/")
        uploaded = http.put(f"/api/2.0/mlflow-artifacts/artifacts/{folder}/MLmodel", content=b"ok")
        assert uploaded.status_code == 200, uploaded.text
        assert http.post(f"{api}/registered-models/create", json={"name": name}).status_code == 200
        version = http.post(
            f"{api}/model-versions/create",
            json={
                "name": name,
                "source": f"models:/{info['model_id']}",
                "model_id": info["model_id"],
            },
        )
        assert version.status_code == 200, version.text
    if artifact_server.zone is not None:
        _plant_links(artifact_server.zone, folder)
    return ModelFiles(name, info["model_id"], folder)


def _model_requests(endpoint: str, model: ModelFiles, path: str) -> list[tuple[str, str]]:
    methods = ("GET",) if endpoint == "logged-model-folder" else ("GET", "HEAD")
    return [
        (method, template.format(name=model.name, model_id=model.model_id, path=path))
        for template in MODEL_ENDPOINTS[endpoint]
        for method in methods
    ]


def _case(path: str) -> str:
    return path if len(path) <= 40 else f"{path[:12]}...({len(path)} chars)"


def test_model_file_endpoints_serve_the_models_own_files(artifact_server, model_files):
    """The control for the refusals below: the same requests with a sane path succeed."""
    answers = {
        endpoint: [_raw(artifact_server.url, "GET", target) for _, target in requests[:1]]
        for endpoint in MODEL_ENDPOINTS
        for requests in [_model_requests(endpoint, model_files, "MLmodel")]
    }
    assert answers["model-version-file"] == [(200, b"ok")]
    assert answers["logged-model-file"] == [(200, b"ok")]
    root = _model_requests("logged-model-folder", model_files, "")[0][1]
    status, listing = _raw(artifact_server.url, "GET", root)
    assert status == 200
    assert [entry["path"] for entry in json.loads(listing)["files"]] == ["MLmodel"]


@pytest.mark.parametrize("endpoint", MODEL_ENDPOINTS)
@pytest.mark.parametrize("path", HOSTILE, ids=_case)
def test_model_file_endpoints_refuse_hostile_paths(artifact_server, model_files, endpoint, path):
    before = _snapshot(artifact_server)
    for method, target in _model_requests(endpoint, model_files, path):
        status, answer = _raw(artifact_server.url, method, target)
        _check_refused(status, answer, f"{method} {target}")
    assert _snapshot(artifact_server) == before


@pytest.mark.parametrize("artifact_server", ["local", "sftp"], indirect=True)  # S3: no links
@pytest.mark.parametrize("endpoint", MODEL_ENDPOINTS)
@pytest.mark.parametrize("link", SYMLINKED)
def test_model_file_endpoints_refuse_links_out_of_the_root(
    artifact_server, model_files, endpoint, link
):
    before = _snapshot(artifact_server)
    for method, target in _model_requests(endpoint, model_files, link):
        status, answer = _raw(artifact_server.url, method, target)
        _check_refused(status, answer, f"{method} {target}")
    assert _snapshot(artifact_server) == before


# ----------------------------------------------------------------- lengths
def _every_request(
    proxy_path: str, inner_path: str, run_id: str, model: ModelFiles
) -> list[tuple[str, str, bytes]]:
    """Every artifact endpoint: `proxy_path` below the destination root, `inner_path` below
    the run's or the model's artifact folder."""
    result = _requests(proxy_path, run_id, inner_path)
    for endpoint in MODEL_ENDPOINTS:
        result += [
            (method, target, b"") for method, target in _model_requests(endpoint, model, inner_path)
        ]
    return result


def _path_of(size: int) -> str:
    """A relative path of exactly `size` bytes, in segments of at most 200."""
    full, last = divmod(size - 1, 201)
    return "/".join(["s" * 200] * full + ["e" * (last + 1)])


def _longest_path(target: ArtifactServer) -> int:
    """The most bytes a client path may have on this destination (its root counts too)."""
    if target.zone is None:
        return 1024 - len("root/")  # an S3 key, the bucket prefix included
    return 4095 - len(os.fsencode(os.path.realpath(target.zone / "root"))) - 1


@pytest.mark.parametrize("segment", ["a" * 256, "%C3%A9" * 128], ids=["ascii", "utf-8"])
def test_segments_over_255_bytes_are_refused_by_every_endpoint_saying_so(
    artifact_server, run_folder, model_files, segment
):
    run_id, folder = run_folder
    before = _snapshot(artifact_server)
    for method, target, body in _every_request(f"{folder}/{segment}", segment, run_id, model_files):
        status, answer = _raw(artifact_server.url, method, target, body)
        error = _check_refused(status, answer, f"{method} {target}")
        if error:
            assert "segment is 256 bytes long (UTF-8); at most 255" in error["message"], target
    assert _snapshot(artifact_server) == before


def test_a_path_one_byte_longer_than_the_destination_holds_is_refused_everywhere(
    artifact_server, run_folder, model_files
):
    run_id, folder = run_folder
    size = _longest_path(artifact_server) + 1
    proxy_path = f"{folder}/{_path_of(size - len(folder) - 1)}"
    before = _snapshot(artifact_server)
    for method, target, body in _every_request(proxy_path, _path_of(size), run_id, model_files):
        status, answer = _raw(artifact_server.url, method, target, body)
        error = _check_refused(status, answer, f"{method} {target}")
        if error:
            assert "at most" in error["message"], target
    assert _snapshot(artifact_server) == before


def test_the_longest_path_a_destination_holds_round_trips(artifact_server, run_folder):
    _, folder = run_folder
    path = f"{folder}/{_path_of(_longest_path(artifact_server) - len(folder) - 1)}"
    url = f"/api/2.0/mlflow-artifacts/artifacts/{path}"
    with httpx.Client(base_url=artifact_server.url, timeout=30) as http:
        assert http.put(url, content=b"long").status_code == 200
        assert http.get(url).content == b"long"
        parent, _, name = path.rpartition("/")
        listing = http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": parent})
        assert [entry["path"] for entry in listing.json()["files"]] == [name]
        assert http.delete(url).status_code == 200
        assert http.get(url).status_code == 404
