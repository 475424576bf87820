"""The stock mlflow client's artifact calls round-trip byte for byte on every destination."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx
import matplotlib
import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.tracing.attachments import Attachment
from PIL import Image

from .artifact_fixtures import ArtifactServer

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture
def tracked(artifact_server: ArtifactServer, monkeypatch) -> ArtifactServer:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", artifact_server.url)
    mlflow.set_tracking_uri(artifact_server.url)
    yield artifact_server
    while mlflow.active_run():
        mlflow.end_run()


def _experiment(request) -> str:
    return mlflow.create_experiment(f"{request.node.name}-{uuid.uuid4().hex[:8]}")


def _tree(base: Path) -> dict[str, bytes]:
    """Nested folders with text, binary and empty files."""
    files = {
        "top.txt": b"top level\n",
        "a/one.bin": os.urandom(4096),
        "a/b/two.json": b'{"k": [1, 2, 3]}',
        "a/b/c/empty.dat": b"",
        "a/b/c/unicode-\u00e9t\u00e9.txt": "caf\u00e9".encode(),
    }
    for name, data in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(data)
    return files


def _downloaded(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_client_round_trip(tracked: ArtifactServer, tmp_path: Path, request):
    single = tmp_path / "notebook.ipynb"
    single.write_bytes(os.urandom(100_000))
    tree = _tree(tmp_path / "tree")
    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [2, 1, 3])
    image = np.random.default_rng(7).integers(0, 255, size=(16, 24, 3), dtype=np.uint8)

    mlflow.set_experiment(experiment_id=_experiment(request))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(single))
        mlflow.log_artifacts(str(tmp_path / "tree"), artifact_path="tree")
        mlflow.log_text("some text\nwith lines", "texts/note.txt")
        mlflow.log_dict({"alpha": 1, "beta": [1, 2]}, "dicts/params.json")
        mlflow.log_figure(figure, "plots/figure.png")
        mlflow.log_image(image, "images/image.png")
    plt.close(figure)

    run_root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    client = MlflowClient()
    top = {(f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id)}
    assert top == {
        ("notebook.ipynb", False), ("tree", True), ("texts", True), ("dicts", True),
        ("plots", True), ("images", True),
    }  # fmt: skip
    nested = client.list_artifacts(run.info.run_id, "tree/a/b")
    assert [(f.path, f.is_dir, f.file_size) for f in nested] == [
        ("tree/a/b/c", True, None),
        ("tree/a/b/two.json", False, len(tree["a/b/two.json"])),
    ]

    everything = Path(client.download_artifacts(run.info.run_id, "", str(tmp_path / "all")))
    got = _downloaded(everything)
    stored = {key: tracked.view.read(f"{run_root}/{key}") for key in got}
    assert got == stored  # what the client got is what the store holds, byte for byte
    assert got["notebook.ipynb"] == single.read_bytes()
    assert {k.removeprefix("tree/"): v for k, v in got.items() if k.startswith("tree/")} == tree
    assert got["texts/note.txt"] == b"some text\nwith lines"
    assert json.loads(got["dicts/params.json"]) == {"alpha": 1, "beta": [1, 2]}
    assert got["plots/figure.png"].startswith(b"\x89PNG")
    assert np.array_equal(np.asarray(Image.open(everything / "images/image.png")), image)

    subtree = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="tree/a", dst_path=str(tmp_path / "sub")
    )
    assert _downloaded(Path(subtree)) == {
        k.removeprefix("a/"): v for k, v in tree.items() if k.startswith("a/")
    }
    one = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{run.info.artifact_uri}/texts/note.txt", dst_path=str(tmp_path / "one")
    )
    assert Path(one).read_bytes() == b"some text\nwith lines"


def test_multipart_upload_through_the_proxy(tracked: ArtifactServer, tmp_path: Path, monkeypatch):
    """Files over the client's threshold go up in parts (5 MiB: S3's minimum part size)."""
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(1024 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * 1024 * 1024))
    big = tmp_path / "weights.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024 + 123))
    mlflow.set_experiment(f"mpu-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(big), "model")
        # The client's own multipart path, called directly: it raises if anything fails.
        repository = get_artifact_repository(run.info.artifact_uri)
        assert repository._should_multipart_upload(str(big))
        repository._try_multipart_upload(str(big), "direct")

    run_root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    for folder in ("model", "direct"):
        assert tracked.view.read(f"{run_root}/{folder}/weights.bin") == big.read_bytes()
        local = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id,
            artifact_path=f"{folder}/weights.bin",
            dst_path=str(tmp_path / folder),
        )
        assert Path(local).read_bytes() == big.read_bytes()
    assert not any(".trackyard/uploads" in key for key in tracked.view.stored_keys())


def test_delete_artifacts_removes_a_folder(tracked: ArtifactServer, tmp_path: Path):
    _tree(tmp_path / "tree")
    mlflow.set_experiment(f"delete-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "tree"), "tree")
        mlflow.log_text("keep", "keep.txt")
    repository = get_artifact_repository(run.info.artifact_uri)
    repository.delete_artifacts("tree/a")
    client = MlflowClient()
    assert [f.path for f in client.list_artifacts(run.info.run_id, "tree")] == ["tree/top.txt"]
    run_root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    assert not [key for key in tracked.view.stored_keys() if key.startswith(f"{run_root}/tree/a/")]
    assert tracked.view.read(f"{run_root}/keep.txt") == b"keep"


def test_a_trace_attachment_is_stored_in_the_destination_and_served_back(tracked: ArtifactServer):
    data = os.urandom(70_000)

    @mlflow.trace
    def listen(clip: bytes) -> str:
        with mlflow.start_span("transcribe") as span:
            span.set_inputs({"clip": Attachment(content_type="audio/wav", content_bytes=clip)})
        return "silence"

    mlflow.set_experiment(f"attachments-{uuid.uuid4().hex[:8]}")
    listen(data)
    mlflow.flush_trace_async_logging()
    trace = MlflowClient().get_trace(mlflow.get_last_active_trace_id())
    span = next(span for span in trace.data.spans if span.name == "transcribe")
    reference = Attachment.parse_ref(span.inputs["clip"])
    location = trace.info.tags["mlflow.artifactLocation"].removeprefix("mlflow-artifacts:/")
    stored = f"{location}/attachments/{reference['attachment_id']}"
    assert tracked.view.read(stored) == data
    served = httpx.get(
        f"{tracked.url}/ajax-api/3.0/mlflow/get-trace-artifact",
        params={"request_id": trace.info.trace_id, "path": reference["attachment_id"]},
    )
    assert served.content == data
