"""The artifact endpoints on the wire: headers, ranges, listings, errors, multipart, run-level."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest

from .artifact_fixtures import ArtifactServer

PROXY = "/api/2.0/mlflow-artifacts"
MiB = 1024 * 1024


@pytest.fixture
def http(artifact_server: ArtifactServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=artifact_server.url, timeout=60) as client:
        yield client


@pytest.fixture
def folder() -> str:
    return f"http-{uuid.uuid4().hex[:10]}"


def _put(http: httpx.Client, path: str, data: bytes) -> None:
    response = http.put(f"{PROXY}/artifacts/{path}", content=data)
    assert response.status_code == 200, response.text
    assert response.json() == {}


def test_download_headers(http: httpx.Client, folder: str):
    data = os.urandom(MiB + 4321)  # more than one chunk
    _put(http, f"{folder}/metrics.json", data)
    response = http.get(f"{PROXY}/artifacts/{folder}/metrics.json")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"].startswith('attachment; filename="metrics.json"')
    for name, kind in [("plot.png", "image/png"), ("notes.txt", "text/plain"), ("MLmodel", "text")]:
        _put(http, f"{folder}/{name}", b"x")
        served = http.get(f"{PROXY}/artifacts/{folder}/{name}")
        assert served.headers["content-type"].startswith(kind)
    head = http.head(f"{PROXY}/artifacts/{folder}/metrics.json")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data))


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-9", (0, 10)),
        ("bytes=10-", (10, None)),
        ("bytes=-5", (-5, None)),
        (f"bytes={MiB - 3}-{MiB + 2}", (MiB - 3, MiB + 3)),  # across a chunk boundary
        ("bytes=5-999999999", (5, None)),
    ],
)
def test_range_requests(http: httpx.Client, folder: str, header: str, span):
    data = os.urandom(MiB + 100)
    _put(http, f"{folder}/blob.bin", data)
    response = http.get(f"{PROXY}/artifacts/{folder}/blob.bin", headers={"Range": header})
    expected = data[span[0] : span[1]]
    assert response.status_code == 206
    assert response.content == expected
    start = span[0] % len(data)
    assert response.headers["content-range"] == (
        f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
    )
    assert response.headers["content-length"] == str(len(expected))


def test_ranges_the_server_ignores_or_refuses(http: httpx.Client, folder: str):
    data = b"0123456789"
    _put(http, f"{folder}/ten.txt", data)
    _put(http, f"{folder}/empty.txt", b"")
    url = f"{PROXY}/artifacts/{folder}/ten.txt"
    for ignored in ["bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=x-y"]:
        response = http.get(url, headers={"Range": ignored})
        assert (response.status_code, response.content) == (200, data), ignored
    for unsatisfiable in ["bytes=10-", "bytes=100-200", "bytes=-0"]:
        response = http.get(url, headers={"Range": unsatisfiable})
        assert response.status_code == 416, unsatisfiable
        assert response.headers["content-range"] == "bytes */10"
    empty = http.get(f"{PROXY}/artifacts/{folder}/empty.txt", headers={"Range": "bytes=0-"})
    assert empty.status_code == 416
    assert http.get(f"{PROXY}/artifacts/{folder}/empty.txt").content == b""


def test_listing_overwrites_and_errors(http: httpx.Client, folder: str):
    _put(http, f"{folder}/a.txt", b"first")
    _put(http, f"{folder}/a.txt", b"second")
    _put(http, f"{folder}/sub/b.bin", b"bb")
    listing = http.get(f"{PROXY}/artifacts", params={"path": folder}).json()
    assert listing == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 6},
            {"path": "sub", "is_dir": True},
        ]
    }
    assert http.get(f"{PROXY}/artifacts", params={"path": f"{folder}/a.txt"}).json() == {}
    assert http.get(f"{PROXY}/artifacts", params={"path": f"{folder}/missing"}).json() == {}
    assert http.get(f"{PROXY}/artifacts/{folder}/a.txt").content == b"second"

    missing = http.get(f"{PROXY}/artifacts/{folder}/nope.txt")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert http.get(f"{PROXY}/artifacts/{folder}/sub").status_code == 400
    assert http.put(f"{PROXY}/artifacts/{folder}/sub", content=b"x").status_code == 400
    assert http.delete(f"{PROXY}/artifacts/{folder}/nothing-here").json() == {}
    assert http.delete(f"{PROXY}/artifacts/").status_code == 400  # never the whole store
    assert http.get(f"{PROXY}/presigned/{folder}/a.txt").status_code == 501

    assert http.delete(f"{PROXY}/artifacts/{folder}/sub").status_code == 200
    listing = http.get(f"{PROXY}/artifacts", params={"path": folder}).json()
    assert [f["path"] for f in listing["files"]] == ["a.txt"]


def test_ajax_api_aliases(http: httpx.Client, folder: str):
    assert http.put(f"/ajax-api/2.0/mlflow-artifacts/artifacts/{folder}/x.txt", content=b"x")
    listing = http.get("/ajax-api/2.0/mlflow-artifacts/artifacts", params={"path": folder})
    assert listing.json()["files"][0]["path"] == "x.txt"
    assert http.get(f"/ajax-api/2.0/mlflow-artifacts/artifacts/{folder}/x.txt").content == b"x"


def _create_upload(http: httpx.Client, folder: str, parts: int) -> dict:
    response = http.post(
        f"{PROXY}/mpu/create/{folder}", json={"path": "/home/me/data/big.bin", "num_parts": parts}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_multipart_protocol(http: httpx.Client, folder: str, artifact_server: ArtifactServer):
    assert http.get("/api/3.0/mlflow/server-info").json()["multipart_uploads_enabled"] is True
    pieces = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    created = _create_upload(http, folder, len(pieces))
    credentials = created["credentials"]
    assert [c["part_number"] for c in credentials] == [1, 2, 3]
    assert all(c["url"].startswith(f"{artifact_server.url}/api/2.0/") for c in credentials)
    parts = []
    for credential, piece in zip(reversed(credentials), reversed(pieces), strict=True):
        response = httpx.put(credential["url"], content=piece, timeout=60)
        assert response.status_code == 200, response.text
        parts.append({"part_number": credential["part_number"], "etag": response.headers["ETag"]})
    body = {"path": "big.bin", "upload_id": created["upload_id"], "parts": parts[::-1]}
    done = http.post(f"{PROXY}/mpu/complete/{folder}", json=body)
    assert done.status_code == 200, done.text
    assert http.get(f"{PROXY}/artifacts/{folder}/big.bin").content == b"".join(pieces)


def test_multipart_abort(http: httpx.Client, folder: str, artifact_server: ArtifactServer):
    created = _create_upload(http, folder, 1)
    assert httpx.put(created["credentials"][0]["url"], content=b"x" * 100).status_code == 200
    body = {"path": "big.bin", "upload_id": created["upload_id"]}
    assert http.post(f"{PROXY}/mpu/abort/{folder}", json=body).status_code == 200
    assert http.get(f"{PROXY}/artifacts/{folder}/big.bin").status_code == 404
    if artifact_server.kind == "s3":  # (moto answers 500 to a complete after an abort)
        view = artifact_server.view
        assert not view.client.list_multipart_uploads(Bucket=view.bucket).get("Uploads")
        return
    body["parts"] = [{"part_number": 1, "etag": "x"}]
    assert http.post(f"{PROXY}/mpu/complete/{folder}", json=body).status_code == 404
    assert not [k for k in artifact_server.view.stored_keys() if k.startswith(".trackyard/uploads")]


def _run(http: httpx.Client) -> dict:
    name = f"run-level-{uuid.uuid4().hex[:8]}"
    experiment_id = http.post("/api/2.0/mlflow/experiments/create", json={"name": name}).json()[
        "experiment_id"
    ]
    return http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id}).json()[
        "run"
    ]["info"]


def test_run_level_list_and_get_artifact(http: httpx.Client):
    run = _run(http)
    root = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
    _put(http, f"{root}/model/MLmodel", b"flavors: {}\n")
    _put(http, f"{root}/model/data/weights.bin", b"\x00\x01")
    _put(http, f"{root}/notes.txt", b"hello")
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        top = http.get(f"{prefix}/artifacts/list", params={"run_id": run["run_id"]}).json()
        assert top == {
            "root_uri": run["artifact_uri"],
            "files": [
                {"path": "model", "is_dir": True},
                {"path": "notes.txt", "is_dir": False, "file_size": 5},
            ],
        }
    nested = http.get(
        "/api/2.0/mlflow/artifacts/list",
        params={"run_uuid": run["run_id"], "path": "model", "page_token": "ignored"},
    ).json()
    assert [(f["path"], f["is_dir"]) for f in nested["files"]] == [
        ("model/MLmodel", False),
        ("model/data", True),
    ]
    response = http.get("/get-artifact", params={"run_id": run["run_id"], "path": "model/MLmodel"})
    assert response.status_code == 200
    assert response.content == b"flavors: {}\n"
    assert response.headers["content-disposition"].startswith("attachment")
    ranged = http.get(
        "/get-artifact",
        params={"run_uuid": run["run_id"], "path": "notes.txt"},
        headers={"Range": "bytes=1-3"},
    )
    assert (ranged.status_code, ranged.content) == (206, b"ell")

    unknown = http.get("/api/2.0/mlflow/artifacts/list", params={"run_id": "0" * 32})
    assert unknown.status_code == 404
    assert http.get("/get-artifact", params={"run_id": run["run_id"]}).status_code == 400
    missing = http.get("/get-artifact", params={"run_id": run["run_id"], "path": "nope"})
    assert missing.status_code == 404
