"""What an MLflow deployment holds, read from any source (a tracking database or an `mlruns`
folder) into one shape, so one writer puts every source into a trackyard store.

Values are kept as the source stored them: ids, names, times and metric values (NaN as NaN;
an MLflow database already stored +-inf as +-1.7976931348623157e308, and that is what its
server answers, so that is what is copied).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..store.points import Point

if TYPE_CHECKING:
    from .traces import Trace

# A logged model's metric: key, timestamp, step, run id, value, dataset name and digest.
ModelMetric = tuple[str, int, int, str, float, "str | None", "str | None"]


@dataclass
class Experiment:
    experiment_id: int
    name: str
    artifact_location: str | None
    lifecycle_stage: str
    creation_time: int | None
    last_update_time: int | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    experiment_id: int
    name: str
    digest: str
    source_type: str | None
    source: str | None
    schema: str | None
    profile: str | None


@dataclass
class DatasetInput:
    dataset: Dataset
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RunHead:
    """What listing a source's runs gives: enough to plan (skip, locate artifacts)."""

    run_uuid: str
    experiment_id: int
    artifact_uri: str | None


@dataclass
class Run:
    run_uuid: str
    experiment_id: int
    name: str | None
    user_id: str | None
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str | None
    deleted_time: int | None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[Point]] = field(default_factory=dict)
    datasets: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: list[tuple[str, int]] = field(default_factory=list)  # model id, step

    def point_count(self) -> int:
        return sum(map(len, self.metrics.values()))


@dataclass
class LoggedModel:
    model_id: str
    experiment_id: int
    name: str
    artifact_location: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: int
    lifecycle_stage: str
    model_type: str | None
    source_run_id: str | None
    status_message: str | None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[ModelMetric] = field(default_factory=list)


@dataclass
class ModelVersion:
    version: int
    creation_time: int | None
    last_updated_time: int | None
    description: str | None
    user_id: str | None
    current_stage: str
    source: str | None
    storage_location: str | None
    run_id: str | None
    run_link: str | None
    status: str
    status_message: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RegisteredModel:
    name: str
    creation_time: int | None
    last_updated_time: int | None
    description: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: list[ModelVersion] = field(default_factory=list)


class Source(Protocol):
    """An MLflow deployment to read: a tracking database or an `mlruns` folder."""

    #: What was read, for the summary (the database's schema revision, the folder).
    description: str

    def experiments(self) -> list[Experiment]: ...

    def run_heads(self) -> list[RunHead]: ...

    def runs(self, heads: Sequence[RunHead]) -> list[Run]:
        """The whole runs `heads` name, in one read where the source allows."""
        ...

    def logged_models(self) -> list[LoggedModel]: ...

    def registered_models(self) -> list[RegisteredModel]: ...

    def traces(self) -> list[Trace]: ...

    def unread_traces(self) -> tuple[int, str]:
        """How many traces the source holds but cannot hand over, and why."""
        ...

    def artifact_folder(self, uri: str) -> str | None:
        """The local folder holding the files of a stored artifact location, if readable."""
        ...

    def close(self) -> None: ...
