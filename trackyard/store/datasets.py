"""The datasets runs used, summed up per experiment (MLflow's `experiments/search-datasets`,
which the UI's dataset filter and GraphQL's `mlflowSearchDatasets` read)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import invalid
from ..messages.tracking import DatasetSummary
from .db import placeholders
from .tracking_state import TrackingState

# MLflow's store answers at most this many summaries.
MAX_DATASET_SUMMARIES = 1000
# The input tag that says what a run used a dataset for ("training", "eval", ...).
CONTEXT_TAG = "mlflow.data.context"
_LARGEST_ID = 2**63 - 1


class DatasetSearch:
    def __init__(self, state: TrackingState) -> None:
        self.db = state.db

    def search(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        """Each (experiment, dataset name, digest, context) that a run of the experiments
        logged as an input, newest datasets first, at most MAX_DATASET_SUMMARIES. A dataset
        logged without a context tag has no context. Unknown experiments match nothing."""
        keys = sorted({key for key in map(_experiment_key, experiment_ids) if key is not None})
        if not keys:
            return []
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT d.experiment_id, d.name, d.digest, t.value FROM datasets d "
                "JOIN run_inputs i ON i.dataset_id = d.id "
                "LEFT JOIN run_input_tags t ON t.run_id = i.run_id AND t.dataset_id = d.id "
                "AND t.key = ? "
                f"WHERE d.experiment_id IN ({placeholders(len(keys))}) "
                "GROUP BY d.id, d.experiment_id, d.name, d.digest, t.value "
                "ORDER BY d.id DESC, t.value LIMIT ?",
                (CONTEXT_TAG, *keys, MAX_DATASET_SUMMARIES),
            )
        return [
            DatasetSummary(experiment_id=str(experiment), name=name, digest=digest, context=context)
            for experiment, name, digest, context in rows
        ]


def _experiment_key(experiment_id: str) -> int | None:
    """The experiment's integer key, as MLflow parses it; None for an integer no experiment
    can have."""
    try:
        key = int(experiment_id)
    except ValueError:
        raise invalid(
            f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer."
        ) from None
    return key if 0 <= key <= _LARGEST_ID else None
