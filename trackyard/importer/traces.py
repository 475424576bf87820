"""MLflow 3 traces from a tracking database: their info, tags, request metadata, spans and
assessments, stored through trackyard's trace store as the server stores what a client sends.

MLflow keeps each span as JSON close to OTLP's (base64 ids, attribute values as JSON text);
it is read into OTLP's own message, so the spans take the path a client's export takes
(`span_codec.records`) and are stored exactly as the server would have stored them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgspec
from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ..messages.traces import Assessment, AssessmentSource, timestamp
from ..store.span_codec import SpanRecord, records
from ..store.traces import NewTrace

_SPAN_FIELDS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "start_time_unix_nano",
    "end_time_unix_nano",
    "events",
    "status",
    "links",
)


@dataclass
class Trace:
    info: NewTrace
    spans: list[dict[str, Any]] = field(default_factory=list)  # MLflow's stored span JSON


def any_value(value: Any) -> dict[str, Any]:
    """A decoded attribute value as OTLP's AnyValue, as MLflow's client exports it."""
    if isinstance(value, bool):
        return {"bool_value": value}
    if isinstance(value, int):
        return {"int_value": value}
    if isinstance(value, float):
        return {"double_value": value}
    if isinstance(value, str):
        return {"string_value": value}
    if isinstance(value, list):
        return {"array_value": {"values": [any_value(item) for item in value]}}
    if isinstance(value, dict):
        return {"kvlist_value": {"values": _attributes(value)}}
    return {}


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in values.items()]


def _decoded(values: dict[str, str] | None) -> dict[str, Any]:
    """MLflow stores each attribute value as JSON text."""
    decoded = {}
    for key, text in (values or {}).items():
        try:
            decoded[key] = json.loads(text)
        except (TypeError, ValueError):
            decoded[key] = text
    return decoded


def otlp_span(stored: dict[str, Any]) -> dict[str, Any]:
    """An MLflow-stored span as an OTLP JSON span."""
    span = {key: stored[key] for key in _SPAN_FIELDS if stored.get(key) is not None}
    span["attributes"] = _attributes(_decoded(stored.get("attributes")))
    for event in span.get("events", []):
        event["attributes"] = _attributes(_decoded(event.get("attributes")))
    return span


def span_records(trace: Trace) -> list[SpanRecord]:
    request = ExportTraceServiceRequest()
    spans = [otlp_span(span) for span in trace.spans]
    ParseDict({"resource_spans": [{"scope_spans": [{"spans": spans}]}]}, request)
    return records(request)


def _assessment_value(kind: str, text: str | None) -> dict[str, Any]:
    """The value as MLflow's client sends it: an expectation that is not a plain scalar as
    JSON text (`serialized_value`), so its numbers stay as they were; else a JSON value."""
    if text is None:
        return {}
    value = json.loads(text)
    if kind == "expectation" and isinstance(value, (dict, list)):
        return {"serialized_value": {"serialization_format": "JSON_FORMAT", "value": text}}
    return {"value": value}


def assessment(row: Any) -> Assessment:
    """An MLflow `assessments` row as the assessment the client would have sent."""
    kind = "expectation" if row.assessment_type == "expectation" else "feedback"
    value = _assessment_value(kind, row.value)
    if row.error:
        value["error"] = json.loads(row.error)
    return Assessment(
        assessment_id=row.assessment_id,
        assessment_name=row.name,
        trace_id=row.trace_id,
        span_id=row.span_id,
        source=AssessmentSource(source_type=row.source_type, source_id=row.source_id),
        create_time=timestamp(row.created_timestamp),
        last_update_time=timestamp(row.last_updated_timestamp),
        rationale=row.rationale,
        metadata=json.loads(row.assessment_metadata) if row.assessment_metadata else None,
        overrides=row.overrides,
        valid=bool(row.valid),
        **{kind: msgspec.Raw(msgspec.json.encode(value))},
    )
