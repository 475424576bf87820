"""MLflow 3 tracing messages (service.proto's trace messages, assessments.proto), as the
3.17 client sends and reads them: proto3 JSON with snake_case names, timestamps as RFC 3339
strings and durations as "<seconds>s" (`google.protobuf.Timestamp` / `Duration`).

Assessment values (feedback, expectation, their errors) are any JSON the client chose; they
are kept as the raw JSON sent (`msgspec.Raw`) and handed back unchanged.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import lru_cache

import msgspec

from ..errors import invalid
from .base import Message

STATES = ("STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS")
# TraceInfo (v2) status names by TraceInfoV3 state.
V2_STATUS = {"STATE_UNSPECIFIED": "TRACE_STATUS_UNSPECIFIED"}


class ExperimentLocation(Message):
    experiment_id: str | None = None


class TraceLocation(Message):
    type: str | int | None = None
    mlflow_experiment: ExperimentLocation | None = None


class AssessmentSource(Message):
    source_type: str | int | None = None
    source_id: str | None = None


class Assessment(Message):
    assessment_id: str | None = None
    assessment_name: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    source: AssessmentSource | None = None
    create_time: str | None = None
    last_update_time: str | None = None
    # Raw JSON, empty (falsy, and left out of answers) when not sent.
    feedback: msgspec.Raw = msgspec.Raw()
    expectation: msgspec.Raw = msgspec.Raw()
    issue: msgspec.Raw = msgspec.Raw()
    rationale: str | None = None
    error: msgspec.Raw = msgspec.Raw()
    metadata: dict[str, str] | None = None
    overrides: str | None = None
    valid: bool | None = None


class TraceInfoV3(Message):
    trace_id: str = ""
    client_request_id: str | None = None
    trace_location: TraceLocation | None = None
    request_preview: str | None = None
    response_preview: str | None = None
    request_time: str | None = None
    execution_duration: str | None = None
    state: str | int | None = None
    trace_metadata: dict[str, str] = {}
    assessments: list[Assessment] = []
    tags: dict[str, str] = {}


class KeyValue(Message):
    key: str = ""
    value: str | None = None


class TraceInfoV2(Message):
    request_id: str = ""
    experiment_id: str = ""
    timestamp_ms: int = 0
    execution_time_ms: int | None = None
    status: str = ""
    request_metadata: list[KeyValue] = []
    tags: list[KeyValue] = []


class TraceIn(Message):
    trace_info: TraceInfoV3 = msgspec.field(default_factory=TraceInfoV3)


class StartTraceV3(Message):
    trace: TraceIn = msgspec.field(default_factory=TraceIn)


class StartTraceV2(Message):
    experiment_id: str = ""
    timestamp_ms: int | None = None
    request_metadata: list[KeyValue] = []
    tags: list[KeyValue] = []


class EndTraceV2(Message):
    request_id: str = ""
    timestamp_ms: int | None = None
    status: str | int | None = None
    request_metadata: list[KeyValue] = []
    tags: list[KeyValue] = []


class TraceRef(Message):
    """A trace named in the path (v3 `trace_id`, v2 `request_id`)."""

    trace_id: str = ""
    request_id: str = ""


class GetTrace(Message):
    trace_id: str = ""
    allow_partial: bool = False


class BatchGetTraces(Message):
    trace_ids: list[str] = []
    experiment_ids: list[str] = []  # empty: any experiment (the client never sends [])


class SearchTracesV3(Message):
    locations: list[TraceLocation] = []
    filter: str | None = None
    max_results: int = 100
    order_by: list[str] = []
    page_token: str | None = None


class SearchTracesV2(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    max_results: int = 100
    order_by: list[str] = []
    page_token: str | None = None


class TraceTag(Message):
    trace_id: str = ""
    request_id: str = ""
    key: str = ""
    value: str | None = None


class DeleteTraces(Message):
    experiment_id: str = ""
    max_timestamp_millis: int | None = None
    max_traces: int | None = None
    request_ids: list[str] | None = None


class LinkTracesToRun(Message):
    trace_ids: list[str] = []
    run_id: str = ""


class PromptVersionRef(Message):
    name: str = ""
    version: str = ""


class LinkPromptsToTrace(Message):
    trace_id: str = ""
    prompt_versions: list[PromptVersionRef] = []


class CreateAssessment(Message):
    trace_id: str = ""  # from the path
    assessment: Assessment = msgspec.field(default_factory=Assessment)


class FieldMask(Message):
    paths: list[str] = []


class UpdateAssessment(Message):
    trace_id: str = ""
    assessment_id: str = ""
    assessment: Assessment = msgspec.field(default_factory=Assessment)
    # proto3 JSON writes a FieldMask as one comma-separated string of camelCase paths.
    update_mask: str | FieldMask | None = None


class AssessmentRef(Message):
    trace_id: str = ""
    assessment_id: str = ""


class MetricAggregation(Message):
    aggregation_type: str | int | None = None  # AggregationType, by name or number
    percentile_value: float | None = None


class QueryTraceMetrics(Message):
    experiment_ids: list[str] = []
    view_type: str | int | None = None  # MetricViewType, by name or number
    metric_name: str | None = None
    aggregations: list[MetricAggregation] = []
    dimensions: list[str] = []
    filters: list[str] = []
    time_interval_seconds: int | None = None
    start_time_ms: int | None = None
    end_time_ms: int | None = None
    max_results: int | None = None
    page_token: str | None = None


class CalculateTraceFilterCorrelation(Message):
    experiment_ids: list[str] = []
    filter_string1: str | None = None
    filter_string2: str | None = None
    base_filter: str | None = None


def timestamp(ms: int) -> str:
    """Milliseconds since the epoch as proto3 JSON writes a Timestamp."""
    seconds, millis = divmod(ms, 1000)
    minutes, secs = divmod(seconds, 60)
    # %-formatting: a search page formats 100 of these, and it takes half f-strings' time.
    if millis:
        return "%s%02d.%03dZ" % (_minute(minutes), secs, millis)  # noqa: UP031
    return "%s%02dZ" % (_minute(minutes), secs)  # noqa: UP031


@lru_cache(maxsize=4096)
def _minute(minutes: int) -> str:
    """A minute's part of a Timestamp ("2025-04-15T08:49:"): a search page's traces share a
    few minutes, so it is made once a minute instead of once a trace (a third of the time)."""
    t = time.gmtime(minutes * 60)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"


def timestamp_ms(text: str, name: str) -> int:
    """A proto3 JSON Timestamp ("2025-04-15T08:49:18.699Z") as milliseconds."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid value '{text}' for '{name}': expected an RFC 3339 time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


@lru_cache(maxsize=4096)
def duration(ms: int) -> str:
    """Milliseconds as proto3 JSON writes a Duration; cached, as traces' durations repeat
    (a search page writes 100)."""
    seconds, millis = divmod(ms, 1000)
    return f"{seconds}.{millis:03d}s" if millis else f"{seconds}s"


def duration_ms(text: str, name: str) -> int:
    """A proto3 JSON Duration ("1.5s") as milliseconds."""
    try:
        if not text.endswith("s"):
            raise ValueError
        return round(float(text[:-1]) * 1000)
    except (ValueError, OverflowError):
        raise invalid(f"Invalid value '{text}' for '{name}': expected a duration.") from None
