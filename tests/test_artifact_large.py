"""A 300 MiB artifact up (multipart and single PUT) and down, in bounded server memory."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from .servers import running_server

MiB = 1024 * 1024
SIZE = 300 * MiB
PEAK_RSS_LIMIT = 300 * MiB


def _write_big_file(path: Path) -> str:
    """SIZE bytes, every MiB different (a numbered random block), written in 1 MiB steps."""
    block = os.urandom(MiB - 8)
    digest = hashlib.sha256()
    with open(path, "wb") as file:
        for index in range(SIZE // MiB):
            chunk = index.to_bytes(8, "big") + block
            digest.update(chunk)
            file.write(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def _peak_rss(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_300_mib_round_trip_in_bounded_memory(tmp_path: Path, monkeypatch):
    big = tmp_path / "model.bin"
    expected = _write_big_file(big)
    data_dir = tmp_path / "server"
    with running_server(data_dir, f"sqlite:///{data_dir}/t.db") as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment(f"large-{uuid.uuid4().hex[:8]}")
        with mlflow.start_run() as run:
            # The client uses multipart when the server offers it and the file is big enough.
            monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(100 * MiB))
            assert get_artifact_repository(run.info.artifact_uri)._should_multipart_upload(big)
            mlflow.log_artifact(str(big), "multipart")
            monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "false")
            mlflow.log_artifact(str(big), "single-put")

        stored = data_dir / "artifacts" / run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
        for folder in ("multipart", "single-put"):
            assert _sha256(stored / folder / "model.bin") == expected, folder
            local = mlflow.artifacts.download_artifacts(
                run_id=run.info.run_id,
                artifact_path=f"{folder}/model.bin",
                dst_path=str(tmp_path / folder),
            )
            assert _sha256(Path(local)) == expected, folder
            Path(local).unlink()

        tail = httpx.get(
            f"{server.url}/api/2.0/mlflow-artifacts/artifacts/"
            f"{run.info.artifact_uri.removeprefix('mlflow-artifacts:/')}/multipart/model.bin",
            headers={"Range": f"bytes={SIZE - MiB}-"},
            timeout=60,
        )
        assert tail.status_code == 206
        assert tail.content[:8] == (SIZE // MiB - 1).to_bytes(8, "big")

        peak = _peak_rss(server.process.pid)
        assert peak < PEAK_RSS_LIMIT, f"server peak RSS {peak / MiB:.0f} MiB"
        print(f"server peak RSS: {peak / MiB:.0f} MiB for a {SIZE // MiB} MiB artifact")
