"""What each searchable entity accepts, following MLflow's search rules."""

from __future__ import annotations

from .grammar import (
    LIST_COMPARATORS,
    NULL_COMPARATORS,
    NUMERIC_COMPARATORS,
    STRING_COMPARATORS,
    Schema,
)

_TAG_PREFIXES = {"tag": "tag", "tags": "tag"}

RUNS = Schema(
    name="runs",
    prefixes={
        "metric": "metric",
        "metrics": "metric",
        "parameter": "param",
        "parameters": "param",
        "param": "param",
        "params": "param",
        **_TAG_PREFIXES,
        "attribute": "attribute",
        "attributes": "attribute",
        "attr": "attribute",
        "run": "attribute",
        "dataset": "dataset",
        "datasets": "dataset",
    },
    attributes={
        "run_id": ("run_id", "string"),
        "run_name": ("run_name", "string"),
        "status": ("status", "string"),
        "user_id": ("user_id", "string"),
        "artifact_uri": ("artifact_uri", "string"),
        "start_time": ("start_time", "numeric"),
        "end_time": ("end_time", "numeric"),
        "created": ("start_time", "numeric"),
        "Created": ("start_time", "numeric"),
    },
    comparators={
        "metric": NUMERIC_COMPARATORS,
        "param": STRING_COMPARATORS | NULL_COMPARATORS,
        "tag": STRING_COMPARATORS | NULL_COMPARATORS,
        "string": STRING_COMPARATORS | LIST_COMPARATORS,
        "numeric": NUMERIC_COMPARATORS,
        "dataset": STRING_COMPARATORS | LIST_COMPARATORS,
    },
    list_attributes=frozenset({"run_id"}),
    dataset_keys=frozenset({"name", "digest", "context"}),
)

EXPERIMENTS = Schema(
    name="experiments",
    prefixes={**_TAG_PREFIXES, "attribute": "attribute", "attributes": "attribute"},
    attributes={
        "name": ("name", "string"),
        "experiment_id": ("experiment_id", "string"),
        "creation_time": ("creation_time", "numeric"),
        "last_update_time": ("last_update_time", "numeric"),
    },
    comparators={
        "tag": STRING_COMPARATORS,
        "string": STRING_COMPARATORS | LIST_COMPARATORS,
        "numeric": NUMERIC_COMPARATORS,
    },
    list_attributes=frozenset({"experiment_id"}),
    orderable=frozenset({"attribute"}),
)
