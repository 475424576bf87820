"""The tracking store interface: what routes call, as a Protocol (one implementation,
store/tracking.py's SqlTrackingStore, over every `Database`).

Arguments arrive validated (see `trackyard.validation`); stores raise `ApiError` for what
only they can know: unknown ids, name clashes, runs that are not active, changed params.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..messages.tracking import (
    BatchMetric,
    DatasetInput,
    DatasetSummary,
    Experiment,
    KeyValue,
    Metric,
    MetricWithRunId,
    ModelInput,
    ModelOutput,
    Run,
    RunInfo,
)
from ..search.grammar import Clause, OrderKey
from .search_sql import Visible


class TrackingStore(Protocol):
    # -------------------------------------------------------------- experiments
    def create_experiment(
        self, name: str, artifact_location: str | None, tags: Sequence[KeyValue]
    ) -> str: ...

    def get_experiment(self, experiment_id: str) -> Experiment: ...

    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    def search_experiments(
        self,
        view_type: str,
        max_results: int,
        clauses: Sequence[Clause],
        order_by: Sequence[OrderKey],
        page_token: str,
        visible: Visible | None = None,
    ) -> tuple[list[Experiment], str | None]:
        """`visible`: the caller's read condition on the experiment's id (access control)."""
        ...

    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    def set_experiment_lifecycle(self, experiment_id: str, stage: str) -> None:
        """Delete (stage "deleted") or restore ("active") an experiment and its runs."""

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # -------------------------------------------------------------- runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[KeyValue],
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo: ...

    def set_run_lifecycle(self, run_id: str, stage: str) -> None: ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[BatchMetric],
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> None:
        """All or nothing: one transaction, one durable commit."""

    def delete_tag(self, run_id: str, key: str) -> None: ...

    def log_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[ModelInput]
    ) -> None: ...

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        clauses: Sequence[Clause],
        view_type: str,
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
    ) -> tuple[list[Run], str | None]: ...

    def count_runs(
        self, experiment_ids: Sequence[str], clauses: Sequence[Clause], view_type: str
    ) -> int:
        """How many runs search_runs matches, over all its pages."""

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        """The (experiment, name, digest, context) of every dataset the experiments' runs
        logged as an input, newest first, at most 1000; an experiment id that is not an
        integer is refused (400), an unknown one matches nothing."""

    # -------------------------------------------------------------- metric history
    def get_metric_history(
        self, run_id: str, key: str, max_results: int, page_token: str
    ) -> tuple[list[Metric], str | None]: ...

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        start_step: int | None,
        end_step: int | None,
        max_points: int,
    ) -> list[MetricWithRunId]:
        """At most `max_points` per run, spread over the step range, always with the ends."""

    def get_metric_history_bulk(
        self, run_ids: Sequence[str], key: str, max_results: int
    ) -> list[MetricWithRunId]:
        """The runs' histories of `key` in run id order, each in (timestamp, step, value)
        order, at most `max_results` points in all; unknown runs are skipped."""
