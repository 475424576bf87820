"""What each searchable entity accepts, following MLflow's search rules."""

from __future__ import annotations

from .grammar import (
    LIST_COMPARATORS,
    NULL_COMPARATORS,
    NUMERIC_COMPARATORS,
    ORDER_COMPARATORS,
    REGEX_COMPARATOR,
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
        "run name": ("run_name", "string"),
        "Run name": ("run_name", "string"),
        "Run Name": ("run_name", "string"),
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
        "tag": STRING_COMPARATORS | NULL_COMPARATORS,
        "string": STRING_COMPARATORS | LIST_COMPARATORS,
        "numeric": NUMERIC_COMPARATORS,
    },
    list_attributes=frozenset({"experiment_id"}),
    orderable=frozenset({"attribute"}),
)

# Registry searches accept `attribute.` and `tag(s).` prefixes; tags take no IS NULL there.
_REGISTRY_PREFIXES = {**_TAG_PREFIXES, "attribute": "attribute", "attributes": "attribute"}

REGISTERED_MODELS = Schema(
    name="registered models",
    prefixes=_REGISTRY_PREFIXES,
    attributes={"name": ("name", "string")},
    comparators={"tag": STRING_COMPARATORS, "string": STRING_COMPARATORS | LIST_COMPARATORS},
    list_attributes=frozenset({"name"}),
    orderable=frozenset(),
    # MLflow orders "timestamp" by the last update, as the name suggests it should not.
    order_attributes={
        "name": "name",
        "timestamp": "last_updated_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
        "creation_timestamp": "creation_timestamp",
    },
)

MODEL_VERSIONS = Schema(
    name="model versions",
    prefixes=_REGISTRY_PREFIXES,
    attributes={
        "name": ("name", "string"),
        "run_id": ("run_id", "string"),
        "source_path": ("source_path", "string"),
        "version_number": ("version_number", "numeric"),
    },
    comparators={
        "tag": STRING_COMPARATORS,
        "string": STRING_COMPARATORS | LIST_COMPARATORS,
        "numeric": NUMERIC_COMPARATORS,
    },
    list_attributes=frozenset({"name", "run_id"}),
    quoted_integers=frozenset({"version_number"}),
    orderable=frozenset(),
    order_attributes={
        "name": "name",
        "version_number": "version_number",
        "creation_timestamp": "creation_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
    },
)

_LOGGED_MODEL_STRING_ATTRIBUTES = ("name", "model_id", "model_type", "status", "source_run_id")

LOGGED_MODELS = Schema(
    name="logged models",
    prefixes={
        "metric": "metric",
        "metrics": "metric",
        "param": "param",
        "params": "param",
        **_TAG_PREFIXES,
        "attribute": "attribute",
        "attributes": "attribute",
    },
    attributes={
        **{key: (key, "string") for key in _LOGGED_MODEL_STRING_ATTRIBUTES},
        "creation_timestamp": ("creation_timestamp", "numeric"),
        "creation_time": ("creation_timestamp", "numeric"),
        "creation_timestamp_ms": ("creation_timestamp", "numeric"),
        "last_updated_timestamp": ("last_updated_timestamp", "numeric"),
        "last_updated_time": ("last_updated_timestamp", "numeric"),
        "last_updated_timestamp_ms": ("last_updated_timestamp", "numeric"),
    },
    comparators={
        "metric": NUMERIC_COMPARATORS,
        "param": STRING_COMPARATORS | LIST_COMPARATORS,
        "tag": STRING_COMPARATORS | LIST_COMPARATORS,
        "string": STRING_COMPARATORS | LIST_COMPARATORS,
        "numeric": NUMERIC_COMPARATORS,
    },
    list_attributes=frozenset(_LOGGED_MODEL_STRING_ATTRIBUTES),
    orderable=frozenset({"attribute", "metric"}),
)

# MLflow's trace search (SearchTraceUtils): `trace.` is an alias of attributes, `metadata.` of
# request metadata; `name` is the trace name tag and `run_id` the run a trace belongs to;
# `text` is any span's content, `prompt` a prompt version linked to the trace;
# `feedback.<name>` and `expectation.<name>` are assessments, `issue.id` an issue an assessment
# links the trace to. String comparisons also take RLIKE, a regular expression.
_TRACE_NUMERIC = ("timestamp_ms", "execution_time_ms", "end_time_ms")
_TRACE_STRING = STRING_COMPARATORS | {REGEX_COMPARATOR}
_ASSESSMENT_COMPARATORS = _TRACE_STRING | NULL_COMPARATORS | ORDER_COMPARATORS

TRACES = Schema(
    name="traces",
    prefixes={
        **_TAG_PREFIXES,
        "attribute": "attribute",
        "attributes": "attribute",
        "trace": "attribute",
        "metadata": "request_metadata",
        "request_metadata": "request_metadata",
        "span": "span",
        "feedback": "feedback",
        "expectation": "expectation",
        "issue": "issue",
    },
    attributes={
        **{key: (key, "numeric") for key in _TRACE_NUMERIC},
        **{key.removesuffix("_ms"): (key, "numeric") for key in _TRACE_NUMERIC},
        **{
            key: (key, "string")
            for key in ("status", "request_id", "client_request_id", "name", "run_id")
        },
        "state": ("status", "string"),
        "trace_id": ("request_id", "string"),
        "text": ("text", "text"),
        "prompt": ("prompt", "string"),
    },
    comparators={
        "tag": _TRACE_STRING | NULL_COMPARATORS,
        "request_metadata": _TRACE_STRING | NULL_COMPARATORS,
        "span": _TRACE_STRING | LIST_COMPARATORS,
        "text": frozenset({"LIKE", "ILIKE"}),
        "feedback": _ASSESSMENT_COMPARATORS,
        "expectation": _ASSESSMENT_COMPARATORS,
        "issue": frozenset({"="}),
        "string": _TRACE_STRING | LIST_COMPARATORS,
        "numeric": NUMERIC_COMPARATORS,
    },
    list_attributes=frozenset({"name", "status", "request_id", "client_request_id", "run_id"}),
    ordered_by_number=frozenset({"feedback", "expectation"}),
    orderable=frozenset({"attribute", "tag", "request_metadata"}),
    order_attributes={
        **{key: key for key in _TRACE_NUMERIC},
        **{key.removesuffix("_ms"): key for key in _TRACE_NUMERIC},
        **{key: key for key in ("status", "request_id", "experiment_id", "name", "run_id")},
    },
)
