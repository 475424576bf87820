"""Experiments, runs, metrics, params, tags, datasets: MLflow's service.proto."""

from __future__ import annotations

from typing import Annotated

import msgspec

from .base import Message

# Steps and timestamps are proto int64: anything wider is a client error, not a database one.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]

# ---------------------------------------------------------------- entities


class KeyValue(Message, kw_only=True, gc=False):
    """A page of runs holds thousands of these (and of Metric, RunInfo...): with atomic
    fields only they form no reference cycles, so the garbage collector need not track
    them, nor run (and scan every tracked object) as they are made."""

    key: str
    value: str | None = None


ExperimentTag = KeyValue
RunTag = KeyValue
Param = KeyValue
InputTag = KeyValue


class Experiment(Message, kw_only=True):
    experiment_id: str
    name: str
    artifact_location: str | None = None
    lifecycle_stage: str | None = None
    last_update_time: int | None = None
    creation_time: int | None = None
    tags: list[ExperimentTag] = []


class Metric(Message, kw_only=True, gc=False):  # see KeyValue
    key: str
    value: float | str
    timestamp: int | None = None
    step: int | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None
    run_id: str | None = None


class RunInfo(Message, kw_only=True, gc=False):  # see KeyValue
    run_id: str
    run_uuid: str
    run_name: str | None = None
    experiment_id: str
    user_id: str | None = None
    status: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    artifact_uri: str | None = None
    lifecycle_stage: str | None = None


class RunData(Message, kw_only=True):
    metrics: list[Metric] = []
    params: list[Param] = []
    tags: list[RunTag] = []


class Dataset(Message, kw_only=True, gc=False):  # see KeyValue
    name: str
    digest: str
    source_type: str | None = None
    source: str | None = None
    schema: str | None = None
    profile: str | None = None


class DatasetInput(Message, kw_only=True):
    tags: list[InputTag] = []
    dataset: Dataset


class ModelInput(Message, kw_only=True, gc=False):  # see KeyValue
    model_id: str


class ModelOutput(Message, kw_only=True, gc=False):  # see KeyValue
    model_id: str
    step: Int64 = 0


class RunInputs(Message, kw_only=True):
    dataset_inputs: list[DatasetInput] = []
    model_inputs: list[ModelInput] = []


class RunOutputs(Message, kw_only=True):
    model_outputs: list[ModelOutput] = []


class Run(Message, kw_only=True):
    info: RunInfo
    data: RunData = msgspec.field(default_factory=RunData)
    inputs: RunInputs = msgspec.field(default_factory=RunInputs)
    outputs: RunOutputs = msgspec.field(default_factory=RunOutputs)


class MetricWithRunId(Message, kw_only=True):
    key: str
    value: float | str
    timestamp: int | None = None
    step: int | None = None
    run_id: str


# ---------------------------------------------------------------- experiment requests


class CreateExperiment(Message, kw_only=True):
    name: str = ""
    artifact_location: str = ""
    tags: list[ExperimentTag] = []


class GetExperiment(Message, kw_only=True):
    experiment_id: str = ""


class GetExperimentByName(Message, kw_only=True):
    experiment_name: str = ""


class SearchExperiments(Message, kw_only=True):
    max_results: int = 1000
    page_token: str = ""
    filter: str = ""
    order_by: list[str] = []
    view_type: str | int = "ACTIVE_ONLY"


class ExperimentId(Message, kw_only=True):
    """DeleteExperiment and RestoreExperiment."""

    experiment_id: str = ""


class UpdateExperiment(Message, kw_only=True):
    experiment_id: str = ""
    new_name: str = ""


class SetExperimentTag(Message, kw_only=True):
    experiment_id: str = ""
    key: str = ""
    value: str = ""


class DeleteExperimentTag(Message, kw_only=True):
    experiment_id: str = ""
    key: str = ""


# ---------------------------------------------------------------- run requests


class RunRef(Message, kw_only=True):
    """Requests that name one run; MLflow accepts the older `run_uuid` spelling too."""

    run_id: str = ""
    run_uuid: str = ""

    @property
    def id(self) -> str:
        return self.run_id or self.run_uuid


class CreateRun(Message, kw_only=True):
    experiment_id: str = ""
    user_id: str = ""
    run_name: str = ""
    start_time: Int64 | None = None
    tags: list[RunTag] = []


class UpdateRun(RunRef, kw_only=True):
    status: str | int | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class LogMetric(RunRef, kw_only=True):
    key: str = ""
    value: float | None = None
    timestamp: Int64 | None = None
    step: Int64 = 0
    model_id: str = ""
    dataset_name: str = ""
    dataset_digest: str = ""


class LogParam(RunRef, kw_only=True):
    key: str = ""
    value: str | None = None


class SetTag(RunRef, kw_only=True):
    key: str = ""
    value: str | None = None


class DeleteTag(RunRef, kw_only=True):
    key: str = ""


class BatchMetric(Message, kw_only=True, gc=False):
    """A batch holds up to 1000 of these: atomic fields only, so no reference cycles and no
    need for the garbage collector to track (and repeatedly scan) them."""

    key: str = ""
    value: float | None = None
    timestamp: Int64 | None = None
    step: Int64 = 0
    model_id: str = ""
    dataset_name: str = ""
    dataset_digest: str = ""


class LogBatch(RunRef, kw_only=True):
    metrics: list[BatchMetric] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class LogInputs(RunRef, kw_only=True):
    datasets: list[DatasetInput] = []
    models: list[ModelInput] = []


class LogOutputs(RunRef, kw_only=True):
    models: list[ModelOutput] = []


class SearchRuns(Message, kw_only=True):
    experiment_ids: list[str] = []
    filter: str = ""
    run_view_type: str | int = "ACTIVE_ONLY"
    max_results: int = 1000
    order_by: list[str] = []
    page_token: str = ""


class CountRuns(Message, kw_only=True):
    """trackyard/runs/count: SearchRuns' scope and filter, without order or pages."""

    experiment_ids: list[str] = []
    filter: str = ""
    run_view_type: str | int = "ACTIVE_ONLY"


class GetMetricHistory(RunRef, kw_only=True):
    metric_key: str = ""
    page_token: str = ""
    max_results: int | None = None


class GetMetricHistoryBulk(Message, kw_only=True):
    """The UI's `metrics/get-history-bulk` (query parameters; `run_id` repeated)."""

    run_id: list[str] = []
    metric_key: str | None = None
    max_results: int | None = None


class SearchDatasets(Message, kw_only=True):
    experiment_ids: list[str] = []


class DatasetSummary(Message, kw_only=True):
    experiment_id: str
    name: str
    digest: str
    context: str | None = None


class SearchDatasetsResponse(Message, kw_only=True):
    dataset_summaries: list[DatasetSummary] = []


class GetMetricHistoryBulkInterval(Message, kw_only=True):
    run_ids: list[str] = []
    metric_key: str = ""
    start_step: Int64 | None = None
    end_step: Int64 | None = None
    max_results: int | None = None
