"""Trace infos as the API answers them: a trace's row with its tags, request metadata and
assessments, read for many traces in a few queries (a search page, a batch get).

This is a search page's hot path: the trace rows come from the page's own query when it has
them (`infos_of_rows`), the tags, metadata and assessments of all the page's traces are read
together (one round trip on PostgreSQL), and rows are unpacked by position into named
variables rather than built as named rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ..messages.traces import (
    Assessment,
    ExperimentLocation,
    TraceInfoV3,
    TraceLocation,
    duration,
    timestamp,
)
from .db import Row, Tx, chunks, placeholders

# A trace row as `infos_of_rows` reads it, in this order.
TRACE_COLUMNS = (
    "t.id, t.trace_id, t.experiment_id, t.request_time, t.execution_ms, t.state, "
    "t.client_request_id, t.request_preview, t.response_preview"
)
_assessment_decoder = msgspec.json.Decoder(Assessment)


def trace_infos(tx: Tx, keys: Sequence[int]) -> list[TraceInfoV3]:
    """Trace infos of `keys`, in that order, with tags, metadata and assessments."""
    rows: dict[int, Row] = {}
    for batch in chunks(list(keys)):
        for row in tx.all(
            f"SELECT {TRACE_COLUMNS} FROM traces t WHERE t.id IN ({placeholders(len(batch))})",
            batch,
        ):
            rows[row[0]] = row
    return infos_of_rows(tx, [rows[key] for key in keys])


def infos_of_rows(tx: Tx, rows: Sequence[Row]) -> list[TraceInfoV3]:
    """Trace infos of trace rows that start with TRACE_COLUMNS, in their order."""
    keys = [row[0] for row in rows]
    tags: dict[int, dict[str, str]] = {key: {} for key in keys}
    metadata: dict[int, dict[str, str]] = {key: {} for key in keys}
    assessments: dict[int, list[Assessment]] = {key: [] for key in keys}
    for batch in chunks(keys):
        marks = placeholders(len(batch))
        tag_rows, metadata_rows, assessment_rows = tx.batch(
            [
                (f"SELECT trace_key, key, value FROM {table} WHERE trace_key IN ({marks})", batch)
                for table in ("trace_tags", "trace_metadata")
            ]
            + [
                (
                    f"SELECT trace_key, content FROM assessments WHERE trace_key IN ({marks}) "
                    "ORDER BY create_time, assessment_id",
                    batch,
                )
            ]
        )
        for trace_key, key, value in tag_rows:
            tags[trace_key][key] = value
        for trace_key, key, value in metadata_rows:
            metadata[trace_key][key] = value
        for trace_key, content in assessment_rows:
            assessments[trace_key].append(_assessment_decoder.decode(content))
    locations: dict[Any, TraceLocation] = {}
    infos = []
    for row in rows:
        key, trace_id, experiment_id, request_time, execution_ms, state = row[:6]
        client_request_id, request_preview, response_preview = row[6:9]
        location = locations.get(experiment_id)
        if location is None:  # one per experiment: a page's traces share it
            location = locations[experiment_id] = TraceLocation(
                type="MLFLOW_EXPERIMENT",
                mlflow_experiment=ExperimentLocation(experiment_id=str(experiment_id)),
            )
        infos.append(
            TraceInfoV3(
                trace_id=trace_id,
                client_request_id=client_request_id,
                trace_location=location,
                request_preview=request_preview,
                response_preview=response_preview,
                request_time=timestamp(request_time),
                execution_duration=None if execution_ms is None else duration(execution_ms),
                state=state,
                trace_metadata=metadata[key],
                assessments=assessments[key],
                tags=tags[key],
            )
        )
    return infos
