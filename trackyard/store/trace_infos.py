"""Trace infos as the API answers them: a trace's row with its tags, request metadata and
assessments, read for many traces in a few queries (a search page, a batch get)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ..messages.traces import (
    Assessment,
    ExperimentLocation,
    TraceInfoV3,
    TraceLocation,
    duration,
    timestamp,
)
from .db import NamedRow, Tx, chunks, placeholders

_TRACE_COLUMNS = (
    "SELECT t.id, t.trace_id, t.experiment_id, t.request_time, t.execution_ms, t.state, "
    "t.client_request_id, t.request_preview, t.response_preview FROM traces t"
)


def trace_infos(tx: Tx, keys: Sequence[int]) -> list[TraceInfoV3]:
    """Trace infos of `keys`, in that order, with tags, metadata and assessments."""
    rows: dict[int, NamedRow] = {}
    tags: dict[int, dict[str, str]] = {key: {} for key in keys}
    metadata: dict[int, dict[str, str]] = {key: {} for key in keys}
    assessments: dict[int, list[Assessment]] = {key: [] for key in keys}
    for batch in chunks(list(keys)):
        marks = placeholders(len(batch))
        for row in tx.rows(f"{_TRACE_COLUMNS} WHERE t.id IN ({marks})", batch):
            rows[row.id] = row
        for table, into in (("trace_tags", tags), ("trace_metadata", metadata)):
            for row in tx.rows(
                f"SELECT trace_key, key, value FROM {table} WHERE trace_key IN ({marks})",
                batch,
            ):
                into[row.trace_key][row.key] = row.value
        for row in tx.rows(
            f"SELECT trace_key, content FROM assessments WHERE trace_key IN ({marks}) "
            "ORDER BY create_time, assessment_id",
            batch,
        ):
            assessments[row.trace_key].append(msgspec.json.decode(row.content, type=Assessment))
    return [_info(rows[key], tags[key], metadata[key], assessments[key]) for key in keys]


def _info(
    row: NamedRow,
    tags: dict[str, str],
    metadata: dict[str, str],
    assessments: list[Assessment],
) -> TraceInfoV3:
    return TraceInfoV3(
        trace_id=row.trace_id,
        client_request_id=row.client_request_id,
        trace_location=TraceLocation(
            type="MLFLOW_EXPERIMENT",
            mlflow_experiment=ExperimentLocation(experiment_id=str(row.experiment_id)),
        ),
        request_preview=row.request_preview,
        response_preview=row.response_preview,
        request_time=timestamp(row.request_time),
        execution_duration=None if row.execution_ms is None else duration(row.execution_ms),
        state=row.state,
        trace_metadata=metadata,
        assessments=assessments,
        tags=tags,
    )
