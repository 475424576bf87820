"""The tracking store on SQL, one implementation for every `Database` (SQLite, PostgreSQL).

A facade: each concern is a part of its own (experiments, runs, metric writes, runs search,
metric history, dataset summaries), which change for different reasons; they share one
TrackingState. The facade hands each interface method to its part as the part's own bound
method, so a call costs no extra frame (log-metric is a hot path).
"""

from __future__ import annotations

from .datasets import DatasetSearch
from .db import Database
from .experiments import Experiments
from .metric_history import MetricHistory
from .metric_writes import MetricWrites
from .run_search import RunSearch
from .runs import Runs
from .tracking_state import TrackingState


class SqlTrackingStore:
    """Implements tracking_interface.TrackingStore."""

    def __init__(self, db: Database, default_artifact_root: str) -> None:
        self.db = db
        self.state = TrackingState(db, default_artifact_root.rstrip("/"))
        experiments = Experiments(self.state)
        experiments.create_default()
        self.create_experiment = experiments.create
        self.get_experiment = experiments.get
        self.get_experiment_by_name = experiments.get_by_name
        self.search_experiments = experiments.search
        self.rename_experiment = experiments.rename
        self.set_experiment_lifecycle = experiments.set_lifecycle
        self.set_experiment_tag = experiments.set_tag
        self.delete_experiment_tag = experiments.delete_tag

        runs = Runs(self.state)
        self.create_run = runs.create
        self.get_run = runs.get
        self.update_run = runs.update
        self.set_run_lifecycle = runs.set_lifecycle
        self.delete_tag = runs.delete_tag
        self.log_inputs = runs.log_inputs
        self.log_outputs = runs.log_outputs

        self.log_batch = MetricWrites(self.state).log_batch
        run_search = RunSearch(self.state)
        self.search_runs = run_search.search
        self.count_runs = run_search.count
        self.search_datasets = DatasetSearch(self.state).search

        history = MetricHistory(self.state)
        self.get_metric_history = history.page
        self.get_metric_history_sampled = history.sampled
        self.get_metric_history_bulk = history.bulk
