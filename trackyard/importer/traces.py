"""MLflow 3 traces from a tracking database: their info, tags, request metadata, spans and
assessments, stored through trackyard's trace store as the server stores what a client sends.

MLflow keeps each span as JSON close to OTLP's (base64 ids, attribute values as JSON text);
it is read into OTLP's own message, so the spans take the path a client's export takes
(`span_codec.records`) and are stored exactly as the server would have stored them.

Where MLflow did not keep a trace's spans in its database (clients before 3.4, a server
before 3.4, a file store) they are in `traces.json` in the trace's artifact location, in
one of the shapes MLflow's `Span.to_dict` has written over its versions (2.x's `context`
form, 3.x's base64 ids, 3.5.0's hex ids); each is read into the database's form first.
Spans MLflow 3.17's archival moved out of the database are OTLP's own TracesData message
(`traces.pb` in the trace's archive location), stored as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

from ..errors import ApiError
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


# The file an MLflow client writes a trace's spans to, in the trace's artifact location,
# and the one MLflow's archival moves them to, in the trace's archive location.
TRACES_JSON = "traces.json"
TRACES_PB = "traces.pb"
_STATUS_CODES = {"UNSET": "STATUS_CODE_UNSET", "OK": "STATUS_CODE_OK", "ERROR": "STATUS_CODE_ERROR"}


@dataclass
class Trace:
    info: NewTrace
    spans: list[dict[str, Any]] = field(default_factory=list)  # MLflow's stored span JSON
    #: Why the trace's spans are not in `spans` although MLflow had some, if they are not.
    spans_skipped: str | None = None
    #: Spans MLflow archived (traces.pb), as OTLP's message: stored as they are.
    archived: ExportTraceServiceRequest | None = None


def traces_pb_spans(folder: str | None) -> tuple[ExportTraceServiceRequest | None, str | None]:
    """The spans MLflow archived into `traces.pb` (OTLP's TracesData) in `folder`, or none
    and why (`folder` None: the location cannot be read here)."""
    if folder is None:
        return None, "archived by MLflow in traces.pb, at a location not readable here"
    path = Path(folder, TRACES_PB)
    if not path.is_file():
        return None, "archived by MLflow in traces.pb, which is not at its location"
    try:
        data = TracesData.FromString(path.read_bytes())
    except (OSError, DecodeError):
        return None, "traces.pb could not be read (not OpenTelemetry trace data)"
    return ExportTraceServiceRequest(resource_spans=data.resource_spans), None


def traces_json_spans(folder: str | Path | None) -> tuple[list[dict[str, Any]], str | None]:
    """The spans of `traces.json` in a trace's artifact folder, in the database's form, or
    none and why (`folder` None: the location cannot be read here)."""
    if folder is None:
        return [], "kept by MLflow only in traces.json, at a location not readable here"
    path = Path(folder, TRACES_JSON)
    if not path.is_file():
        return [], "kept by MLflow only in traces.json, which is not at its location"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [stored_span(span) for span in document["spans"]], None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, binascii.Error):
        return [], "traces.json could not be read (not MLflow's trace data)"


def _base64_id(value: str | None, size: int) -> str | None:
    """A trace or span id as base64 of its `size` bytes, from any spelling MLflow used:
    base64 (3.x), hex with `0x` (2.x), `tr-` and hex (3.5.0's trace ids) or bare hex."""
    if not value:
        return None
    text = value.removeprefix("0x").removeprefix("tr-")
    if len(text) == 2 * size:
        return base64.b64encode(bytes.fromhex(text)).decode()
    if len(base64.b64decode(value, validate=True)) != size:
        raise ValueError(f"not a {size}-byte id: {value!r}")
    return value


def _status(code: str | None, message: str | None) -> dict[str, str]:
    code = code or "UNSET"
    return {"code": _STATUS_CODES.get(code, code), "message": message or ""}


def stored_span(span: dict[str, Any]) -> dict[str, Any]:
    """A span of traces.json in the form MLflow's database keeps (`spans.content`)."""
    if "context" in span:  # MLflow 2.x
        context = span["context"]
        return {
            "trace_id": _base64_id(context["trace_id"], 16),
            "span_id": _base64_id(context["span_id"], 8),
            "parent_span_id": _base64_id(span.get("parent_id"), 8),
            "name": span["name"],
            "start_time_unix_nano": span["start_time"],
            "end_time_unix_nano": span.get("end_time"),
            "events": [
                {
                    "name": event["name"],
                    "time_unix_nano": event["timestamp"],
                    "attributes": event.get("attributes") or {},
                }
                for event in span.get("events") or []
            ],
            "status": _status(span.get("status_code"), span.get("status_message")),
            "attributes": span.get("attributes") or {},
        }
    status = span.get("status") or {}
    return {
        **span,
        "trace_id": _base64_id(span["trace_id"], 16),
        "span_id": _base64_id(span["span_id"], 8),
        "parent_span_id": _base64_id(span.get("parent_span_id"), 8),
        "status": _status(status.get("code"), status.get("message")),
    }


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
    """The trace's spans as stored, under the trace's own id (an MLflow 2.x trace's id is
    not made from its spans' OTLP trace id, as 3.x's is); none, and why, for spans that
    are not OTLP's."""
    request = ExportTraceServiceRequest()
    try:
        if trace.archived is not None:
            request = trace.archived
        else:
            spans = [otlp_span(span) for span in trace.spans]
            ParseDict({"resource_spans": [{"scope_spans": [{"spans": spans}]}]}, request)
        found = records(request)
    except (ParseError, ApiError, ValueError, TypeError, KeyError, AttributeError):
        trace.spans_skipped = "not readable as OpenTelemetry spans"
        return []
    for record in found:
        record.trace_id = trace.info.trace_id
    return found


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
