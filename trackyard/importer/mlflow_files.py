"""Reading an MLflow `mlruns` file store folder (what `mlflow server` and the client wrote
with a `file:` tracking URI): a meta.yaml per experiment, run, logged model and registered
model version, a file per param and tag, a file per metric with a 'timestamp value step' line
per point, deleted experiments under `.trash`, the registry under `models/`, traces under
`<experiment>/traces/` (their spans in `artifacts/traces.json`).

The file store is slow to read file by file, so each run is read in one pass of its folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import yaml

from ..messages.traces import Assessment, timestamp_ms
from ..store.traces import NewTrace
from .artifacts import readable_folder
from .model import (
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    ModelMetric,
    ModelVersion,
    RegisteredModel,
    Run,
    RunHead,
)
from .traces import Trace, traces_json_spans

# RunStatus as the file store numbers it in a run's meta.yaml.
_RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_META = "meta.yaml"
_RESERVED = {".trash", "models"}


def _meta(folder: Path) -> dict[str, Any]:
    with open(folder / _META, encoding="utf-8") as file:
        return yaml.safe_load(file) or {}


def _files(folder: Path) -> dict[str, str]:
    """Key -> content for every file below `folder` (a key with '/' is a nested path)."""
    if not folder.is_dir():
        return {}
    found = {}
    for dirpath, _dirnames, filenames in os.walk(folder):
        for filename in filenames:
            path = Path(dirpath, filename)
            found[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return found


def _metric_lines(folder: Path) -> dict[str, list[list[str]]]:
    return {
        key: [line.split(" ") for line in text.splitlines() if line.strip()]
        for key, text in _files(folder).items()
    }


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


class MlrunsFolder:
    """An `mlruns` folder, read-only."""

    def __init__(self, root: str, from_artifacts: str | None) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"{root} is not a folder")
        self.from_artifacts = from_artifacts
        self.description = f"mlruns folder {self.root}"
        self._experiment_dirs = {
            int(folder.name): folder
            for parent in (self.root, self.root / ".trash")
            if parent.is_dir()
            for folder in parent.iterdir()
            if folder.name.isdigit() and (folder / _META).is_file()
        }
        if not self._experiment_dirs:
            raise ValueError(f"{root} holds no MLflow experiments (no <id>/meta.yaml)")

    def close(self) -> None:
        """Nothing to release."""

    def artifact_folder(self, uri: str) -> str | None:
        return readable_folder(uri, self.from_artifacts)

    # ------------------------------------------------------------------ experiments
    def experiments(self) -> list[Experiment]:
        experiments = []
        for experiment_id, folder in sorted(self._experiment_dirs.items()):
            meta = _meta(folder)
            experiments.append(
                Experiment(
                    experiment_id=experiment_id,
                    name=meta["name"],
                    artifact_location=meta.get("artifact_location"),
                    lifecycle_stage=meta.get("lifecycle_stage") or "active",
                    creation_time=_int(meta.get("creation_time")),
                    last_update_time=_int(meta.get("last_update_time")),
                    tags=_files(folder / "tags"),
                )
            )
        return experiments

    # ------------------------------------------------------------------ runs
    def _run_dirs(self) -> list[tuple[int, Path]]:
        return [
            (experiment_id, run)
            for experiment_id, folder in sorted(self._experiment_dirs.items())
            for run in sorted(folder.iterdir())
            if run.name not in ("tags", "datasets", "models", "traces") and (run / _META).is_file()
        ]

    def run_heads(self) -> list[RunHead]:
        heads = []
        for experiment_id, folder in self._run_dirs():
            meta = _meta(folder)
            heads.append(RunHead(folder.name, experiment_id, meta.get("artifact_uri")))
        return heads

    def runs(self, heads: Sequence[RunHead]) -> list[Run]:
        return [self._run(head) for head in heads]

    def _run(self, head: RunHead) -> Run:
        folder = self._experiment_dirs[head.experiment_id] / head.run_uuid
        meta = _meta(folder)
        status = meta.get("status", 3)
        run = Run(
            run_uuid=head.run_uuid,
            experiment_id=head.experiment_id,
            name=meta.get("run_name"),
            user_id=meta.get("user_id"),
            status=_RUN_STATUS.get(status, str(status)) if isinstance(status, int) else status,
            start_time=_int(meta.get("start_time")),
            end_time=_int(meta.get("end_time")),
            lifecycle_stage=meta.get("lifecycle_stage") or "active",
            artifact_uri=meta.get("artifact_uri"),
            deleted_time=_int(meta.get("deleted_time")),
            params=_files(folder / "params"),
            tags=_files(folder / "tags"),
        )
        for key, lines in _metric_lines(folder / "metrics").items():
            run.metrics[key] = [
                (int(line[2]) if len(line) >= 3 else 0, int(line[0]), float(line[1]))
                for line in lines
            ]
        self._inputs(run, folder)
        return run

    def _inputs(self, run: Run, folder: Path) -> None:
        datasets = self._experiment_dirs[run.experiment_id] / "datasets"
        inputs = folder / "inputs"
        for edge in sorted(inputs.iterdir()) if inputs.is_dir() else []:
            meta = _meta(edge)
            if meta.get("source_type") == "DATASET":
                found = datasets / meta["source_id"]
                if (found / _META).is_file():
                    run.datasets.append(
                        DatasetInput(
                            self._dataset(run.experiment_id, found), meta.get("tags") or {}
                        )
                    )
            elif meta.get("source_type") == "MODEL":
                run.model_inputs.append(meta["source_id"])
        outputs = folder / "outputs"
        for edge in sorted(outputs.iterdir()) if outputs.is_dir() else []:
            meta = _meta(edge)
            run.model_outputs.append((meta["source_id"], int(meta.get("step") or 0)))

    @staticmethod
    def _dataset(experiment_id: int, folder: Path) -> Dataset:
        meta = _meta(folder)
        return Dataset(
            experiment_id=experiment_id,
            name=meta["name"],
            digest=meta["digest"],
            source_type=meta.get("source_type"),
            source=meta.get("source"),
            schema=meta.get("schema"),
            profile=meta.get("profile"),
        )

    # ------------------------------------------------------------------ logged models
    def logged_models(self) -> list[LoggedModel]:
        models = []
        for experiment_id, folder in sorted(self._experiment_dirs.items()):
            parent = folder / "models"
            for model_dir in sorted(parent.iterdir()) if parent.is_dir() else []:
                if (model_dir / _META).is_file():
                    models.append(self._logged_model(experiment_id, model_dir))
        return models

    @staticmethod
    def _logged_model(experiment_id: int, folder: Path) -> LoggedModel:
        meta = _meta(folder)
        metrics: list[ModelMetric] = []
        for key, lines in _metric_lines(folder / "metrics").items():
            for line in lines:
                dataset = (line[4], line[5]) if len(line) == 6 else (None, None)
                metrics.append((key, int(line[0]), int(line[2]), line[3], float(line[1]), *dataset))
        return LoggedModel(
            model_id=meta["model_id"],
            experiment_id=experiment_id,
            name=meta["name"],
            artifact_location=meta["artifact_location"],
            creation_timestamp_ms=int(meta["creation_timestamp"]),
            last_updated_timestamp_ms=int(meta["last_updated_timestamp"]),
            status=int(meta.get("status") or 0),
            lifecycle_stage=meta.get("lifecycle_stage") or "active",
            model_type=meta.get("model_type"),
            source_run_id=meta.get("source_run_id"),
            status_message=meta.get("status_message"),
            tags=_files(folder / "tags"),
            params=_files(folder / "params"),
            metrics=metrics,
        )

    # ------------------------------------------------------------------ model registry
    def registered_models(self) -> list[RegisteredModel]:
        parent = self.root / "models"
        models = []
        for folder in sorted(parent.iterdir()) if parent.is_dir() else []:
            if not (folder / _META).is_file():
                continue
            meta = _meta(folder)
            model = RegisteredModel(
                name=meta["name"],
                creation_time=_int(meta.get("creation_timestamp")),
                last_updated_time=_int(meta.get("last_updated_timestamp")),
                description=meta.get("description"),
                tags=_files(folder / "tags"),
                aliases={
                    alias: int(version) for alias, version in _files(folder / "aliases").items()
                },
            )
            versions = [v for v in folder.iterdir() if v.name.startswith("version-")]
            model.versions = sorted(map(self._version, versions), key=lambda v: v.version)
            models.append(model)
        return models

    @staticmethod
    def _version(folder: Path) -> ModelVersion:
        meta = _meta(folder)
        return ModelVersion(
            version=int(meta["version"]),
            creation_time=_int(meta.get("creation_timestamp")),
            last_updated_time=_int(meta.get("last_updated_timestamp")),
            description=meta.get("description"),
            user_id=meta.get("user_id"),
            current_stage=meta.get("current_stage") or "None",
            source=meta.get("source"),
            storage_location=meta.get("storage_location") or meta.get("source"),
            run_id=meta.get("run_id") or None,
            run_link=meta.get("run_link") or None,
            status=meta.get("status") or "READY",
            status_message=meta.get("status_message"),
            tags=_files(folder / "tags"),
        )

    # ------------------------------------------------------------------ traces
    def traces(self) -> list[Trace]:
        """Every trace under `<experiment>/traces/<trace id>/`: its info, tags, request
        metadata and assessments, and its spans from `artifacts/traces.json`."""
        traces = [
            self._trace(experiment_id, info.parent)
            for experiment_id, folder in sorted(self._experiment_dirs.items())
            for info in sorted(folder.glob("traces/*/trace_info.yaml"))
        ]
        return sorted(traces, key=lambda trace: (trace.info.request_time, trace.info.trace_id))

    @staticmethod
    def _trace(experiment_id: int, folder: Path) -> Trace:
        with open(folder / "trace_info.yaml", encoding="utf-8") as file:
            info = yaml.safe_load(file) or {}
        spans, skipped = traces_json_spans(folder / "artifacts")
        return Trace(
            NewTrace(
                trace_id=info["trace_id"],
                experiment_id=str(experiment_id),
                request_time=timestamp_ms(info["request_time"], "request_time"),
                execution_ms=_int(info.get("execution_duration_ms")),
                state=info.get("state") or "STATE_UNSPECIFIED",
                client_request_id=info.get("client_request_id"),
                request_preview=info.get("request_preview"),
                response_preview=info.get("response_preview"),
                metadata=_files(folder / "request_metadata"),
                tags=_files(folder / "tags"),
                assessments=[
                    _assessment(path) for path in sorted(folder.glob("assessments/*.yaml"))
                ],
            ),
            spans,
            skipped,
        )

    def unread_traces(self) -> tuple[int, str]:
        """Traces this folder holds but cannot hand over, and why: none."""
        return 0, ""


def _assessment(path: Path) -> Assessment:
    """An assessment as the file store keeps it: the client's message, in YAML."""
    with open(path, encoding="utf-8") as file:
        found = yaml.safe_load(file)
    return msgspec.json.decode(json.dumps(found), type=Assessment)
