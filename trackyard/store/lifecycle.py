"""Lifecycle stages of experiments, runs and logged models, and the checks that an entity is
active: one spelling of each, shared by the stores and the routes, so MLflow's messages stay
the same wherever a write is refused."""

from __future__ import annotations

from ..errors import invalid

ACTIVE, DELETED = "active", "deleted"
# A search's view type -> the lifecycle stages it shows.
LIFECYCLE_BY_VIEW = {"ACTIVE_ONLY": (ACTIVE,), "DELETED_ONLY": (DELETED,), "ALL": (ACTIVE, DELETED)}


def require_active_experiment(experiment_id: str, stage: str) -> None:
    if stage != ACTIVE:
        raise invalid(
            f"The experiment {experiment_id} must be in the 'active' state. "
            f"Current state is {stage}."
        )


def require_active_run(run_id: str, stage: str) -> None:
    if stage != ACTIVE:
        raise invalid(f"The run {run_id} must be in the 'active' state. Current state is {stage}.")
