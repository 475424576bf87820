"""Spans between OTLP and storage: an OTLP `ExportTraceServiceRequest` (protobuf or JSON) in,
per span its indexed columns and its content out; stored content back to the API's JSON.

The OpenTelemetry protocol package parses the request. Each span is stored as the JSON the
API answers with (proto3 JSON of an OTel `Span`, which the 3.17 client reads in
`Trace.spans`), zlib-compressed when that saves space, so reading a trace copies stored bytes
into the answer instead of rebuilding every span. MLflow's own attributes (`mlflow.spanType`,
`mlflow.spanInputs`, ...) arrive as OTel values; the client reads them back the same way.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import msgspec
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .. import validation as check
from ..errors import ApiError, invalid
from ..messages.base import wire_float

TRACE_PREFIX = "tr-"
SPAN_TYPE = "mlflow.spanType"
SPAN_INPUTS = "mlflow.spanInputs"
SPAN_OUTPUTS = "mlflow.spanOutputs"
REQUEST_ID = "mlflow.traceRequestId"
# Root span attributes under this prefix become trace tags, as mlflow server does (the 3.17
# client sends a trace's own tags so).
TRACE_TAG_PREFIX = "mlflow.traceTag."
# Resource attributes (service.name, ...) become trace tags, but for the SDK's own and
# MLflow's reserved keys, which a sender must not set so.
_UNTAGGED_RESOURCE_KEYS = ("telemetry.sdk.", "mlflow.")
MAX_TAG_VALUE_LENGTH = 8000  # MLflow truncates a longer trace tag value
STATUS_NAMES = {Status.STATUS_CODE_OK: "OK", Status.STATUS_CODE_ERROR: "ERROR"}
# Enum names by number (a dict lookup costs a tenth of `EnumTypeWrapper.Name`).
_KIND_NAMES = {number: name for name, number in Span.SpanKind.items()}
_STATUS_CODE_NAMES = {number: name for name, number in Status.StatusCode.items()}
# Content markers: zlib-compressed JSON (against _ZDICT), or JSON as it is.
_ZLIB, _PLAIN = b"d", b"j"
# What most spans repeat, most common last (zlib finds the dictionary's end cheapest). Stored
# spans are compressed against it: never change it; a new dictionary needs a new marker.
_ZDICT = (
    b'{"key":"mlflow.chat.tokenUsage","value":{"kvlist_value":{"values":[{"key":"input_tokens",'
    b'"value":{"int_value":"'
    b'{"key":"output_tokens","value":{"int_value":"{"key":"total_tokens","value":{"int_value":"'
    b'{"key":"mlflow.message.format","value":{"string_value":"'
    b'"events":[{"time_unix_nano":"","name":"exception","attributes":[{"key":"exception.type",'
    b'"value":{"string_value":"{"key":"exception.message","value":{"string_value":"'
    b'{"key":"exception.stacktrace","value":{"string_value":"Traceback (most recent call last):'
    b'{"key":"role","value":{"string_value":"user"}},{"key":"content","value":{"string_value":"'
    b'{"key":"messages","value":{"array_value":{"values":[{"kvlist_value":{"values":['
    b'{"bool_value":true}{"double_value":'
    b'"status":{"code":"STATUS_CODE_ERROR","message":"'
    b'"kind":"SPAN_KIND_INTERNAL",'
    b'{"key":"mlflow.spanFunctionName","value":{"string_value":"'
    b'{"key":"mlflow.spanOutputs","value":{"string_value":"'
    b'{"key":"mlflow.spanOutputs","value":{"kvlist_value":{"values":[{"key":"'
    b'{"key":"mlflow.spanInputs","value":{"kvlist_value":{"values":[{"key":"'
    b'"value":{"array_value":{"values":[{"string_value":"'
    b'{"int_value":"'
    b'"value":{"string_value":"'
    b'"attributes":[{"key":"mlflow.spanType","value":{"string_value":"'
    b'"end_time_unix_nano":"17'
    b'"name":"'
    b'"start_time_unix_nano":"17'
    b'"parent_span_id":"'
    b'{"span_id":"'
    b'"status":{"code":"STATUS_CODE_OK"}}'
)
_OTLP_HEX_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


@dataclass
class SpanRecord:
    """One span as stored: its columns, its content, and what a root span tells the trace."""

    trace_id: str  # tr-<32 hex>
    span_id: str  # 16 hex
    parent_span_id: str | None
    name: str
    type: str | None
    status: str  # UNSET, OK, ERROR
    start_ns: int
    end_ns: int | None
    content: bytes
    inputs: str | None = None
    outputs: str | None = None
    trace_tags: dict[str, str] = field(default_factory=dict)
    # Tags from the attributes of the resource that sent the span (every span of a request's
    # ResourceSpans shares them).
    resource_tags: dict[str, str] = field(default_factory=dict)


def parse_request(body: bytes, media_type: str) -> ExportTraceServiceRequest:
    """An OTLP request body; 400 for anything the protocol package cannot read."""
    request = ExportTraceServiceRequest()
    try:
        if media_type == "application/json":
            ParseDict(_hex_ids_to_base64(msgspec.json.decode(body)), request)
        else:
            request.ParseFromString(body)
    except (DecodeError, ParseError, msgspec.DecodeError, ValueError, TypeError, RecursionError):
        raise invalid(
            "Invalid OpenTelemetry format: the request body is not an OTLP trace export request."
        ) from None
    return request


def _hex_ids_to_base64(data: Any) -> Any:
    """OTLP JSON spells ids in hex; proto3 JSON (and so ParseDict) wants base64."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    for resource in data.get("resourceSpans") or data.get("resource_spans") or []:
        for scope in resource.get("scopeSpans") or resource.get("scope_spans") or []:
            for span in scope.get("spans") or []:
                for name in _OTLP_HEX_FIELDS:
                    if isinstance(span.get(name), str) and span[name]:
                        span[name] = base64.b64encode(bytes.fromhex(span[name])).decode()
    return data


def records(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """Every span of the request; 400 if one lacks a well-formed trace or span id."""
    found = []
    for resource_spans in request.resource_spans:
        resource_tags = _resource_tags(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                record = _record(span)
                record.resource_tags = resource_tags
                found.append(record)
    return found


def _resource_tags(attributes: Any) -> dict[str, str]:
    """Trace tags from resource attributes, as mlflow server makes them: a string as it is,
    anything else as JSON; a key that is no valid tag key is left out."""
    tags = {}
    for attribute in attributes:
        value = decode_value(attribute.value)
        if attribute.key.startswith(_UNTAGGED_RESOURCE_KEYS) or value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        with contextlib.suppress(ApiError):
            tags[check.key(attribute.key, "trace tag")] = text[:MAX_TAG_VALUE_LENGTH]
    return tags


def _record(span: Span) -> SpanRecord:
    if len(span.trace_id) != 16 or len(span.span_id) != 8:
        raise invalid("Invalid OpenTelemetry span: trace_id must be 16 bytes and span_id 8 bytes.")
    parent = span.parent_span_id.hex() if span.parent_span_id else None
    span_type = _attribute(span, SPAN_TYPE)
    record = SpanRecord(
        trace_id=TRACE_PREFIX + span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=parent,
        name=span.name,
        type=None if span_type is None else _text(decode_value(span_type)),
        status=STATUS_NAMES.get(span.status.code, "UNSET"),
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano or None,
        content=pack(_stored(span)),
    )
    if parent is None:
        attributes = {attribute.key: attribute.value for attribute in span.attributes}
        record.inputs = _json(attributes.get(SPAN_INPUTS))
        record.outputs = _json(attributes.get(SPAN_OUTPUTS))
        record.trace_tags = _trace_tags(attributes)
    return record


def _attribute(span: Span, key: str) -> AnyValue | None:
    """The value of a span's attribute (the last, as in a dict, if its key repeats): what a
    child span needs, without the dict of all attributes a root span's columns take."""
    for attribute in reversed(span.attributes):
        if attribute.key == key:
            return attribute.value
    return None


def _trace_tags(attributes: dict[str, AnyValue]) -> dict[str, str]:
    """The trace's own tags a root span carries (`mlflow.traceTag.<key>`); invalid keys are
    left out, as mlflow server leaves them."""
    tags = {}
    for key, value in attributes.items():
        if key.startswith(TRACE_TAG_PREFIX):
            text = _text(decode_value(value))[:MAX_TAG_VALUE_LENGTH]
            with contextlib.suppress(ApiError):
                tags[check.key(key.removeprefix(TRACE_TAG_PREFIX), "trace tag")] = text
    return tags


def _stored(span: Span) -> dict[str, Any]:
    """What is kept of a span: all of it but `mlflow.traceRequestId`, which only repeats
    the trace id (the client derives it from the trace id on reading; `artifact_span` puts
    it back for traces.json)."""
    return span_json(span, omitted_key=REQUEST_ID)


def span_json(span: Span, omitted_key: str = "") -> dict[str, Any]:
    """A parsed span as proto3 JSON (what protobuf's MessageToDict makes of it, field for
    field, at a tenth of its cost): snake_case names, base64 ids, 64-bit integers as strings,
    enums by name, default values left out; without its attributes named `omitted_key`."""
    data: dict[str, Any] = {
        "trace_id": _b64(span.trace_id),
        "span_id": _b64(span.span_id),
        "name": span.name,
        "start_time_unix_nano": str(span.start_time_unix_nano),
    }
    if span.parent_span_id:
        data["parent_span_id"] = _b64(span.parent_span_id)
    if span.trace_state:
        data["trace_state"] = span.trace_state
    if span.flags:
        data["flags"] = span.flags
    if span.kind:
        data["kind"] = _KIND_NAMES.get(span.kind, span.kind)
    if span.end_time_unix_nano:
        data["end_time_unix_nano"] = str(span.end_time_unix_nano)
    attributes = _key_values(item for item in span.attributes if item.key != omitted_key)
    if attributes:
        data["attributes"] = attributes
    if span.events:
        data["events"] = [_event(event) for event in span.events]
    if span.links:
        data["links"] = [_link(link) for link in span.links]
    status = span.status
    data["status"] = status_json = {}
    if status.message:
        status_json["message"] = status.message
    if status.code:
        status_json["code"] = _STATUS_CODE_NAMES.get(status.code, status.code)
    for name in ("dropped_attributes_count", "dropped_events_count", "dropped_links_count"):
        if getattr(span, name):
            data[name] = getattr(span, name)
    return data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _key_values(items: Any) -> list[dict[str, Any]]:
    return [
        {"key": item.key, "value": _value_json(item.value)}
        if item.HasField("value")
        else {"key": item.key}
        for item in items
    ]


def _value_json(value: AnyValue) -> dict[str, Any]:
    kind = value.WhichOneof("value")
    if kind == "string_value":  # by far the most common
        return {kind: value.string_value}
    if kind is None:
        return {}
    if kind == "array_value":
        return {kind: {"values": [_value_json(item) for item in value.array_value.values]}}
    if kind == "kvlist_value":
        return {kind: {"values": _key_values(value.kvlist_value.values)}}
    if kind == "int_value":
        return {kind: str(value.int_value)}
    if kind == "bytes_value":
        return {kind: _b64(value.bytes_value)}
    if kind == "double_value" and not math.isfinite(value.double_value):
        return {kind: wire_float(value.double_value)}
    return {kind: getattr(value, kind)}


def _event(event: Span.Event) -> dict[str, Any]:
    data: dict[str, Any] = {"time_unix_nano": str(event.time_unix_nano), "name": event.name}
    if event.attributes:
        data["attributes"] = _key_values(event.attributes)
    if event.dropped_attributes_count:
        data["dropped_attributes_count"] = event.dropped_attributes_count
    return data


def _link(link: Span.Link) -> dict[str, Any]:
    data: dict[str, Any] = {"trace_id": _b64(link.trace_id), "span_id": _b64(link.span_id)}
    if link.trace_state:
        data["trace_state"] = link.trace_state
    if link.attributes:
        data["attributes"] = _key_values(link.attributes)
    if link.dropped_attributes_count:
        data["dropped_attributes_count"] = link.dropped_attributes_count
    if link.flags:
        data["flags"] = link.flags
    return data


def decode_value(value: AnyValue) -> Any:
    """An OTel attribute value as plain Python data."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [decode_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: decode_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def _json(value: AnyValue | None) -> str | None:
    """An inputs or outputs attribute as the JSON text MLflow's previews hold."""
    if value is None:
        return None
    return msgspec.json.encode(decode_value(value)).decode()


def pack(span: dict[str, Any]) -> bytes:
    """A span's JSON as stored: without its trace id (the trace's row has it, and `unpack`
    puts it back), zlib-compressed against a preset dictionary of the names every span
    repeats when that is smaller."""
    data = msgspec.json.encode({k: v for k, v in span.items() if k != "trace_id"})
    compressor = _compressor(len(data))
    packed = compressor.compress(data) + compressor.flush()
    return _ZLIB + packed if len(packed) < len(data) else _PLAIN + data


def _compressor(size: int) -> Any:
    """A deflater against _ZDICT for `size` bytes whose window just reaches back from the
    data's end to the dictionary's start (a match ends 262 bytes short of the window), and
    whose hash table has twice the window's places (half as many were 10 % slower): it finds
    the matches zlib's defaults find, in ~55 KiB for a 1 KiB span instead of their ~270 KiB,
    which glibc can give back to the system at each free and fault in at the next span (20
    faults, +60 us a span). `unpack`'s 32 KiB window inflates any smaller window."""
    window_bits = min((len(_ZDICT) + size + 262).bit_length(), zlib.MAX_WBITS)
    mem_level = min(window_bits - 6, 8)  # 8: zlib's default
    return zlib.compressobj(6, zlib.DEFLATED, window_bits, mem_level, zdict=_ZDICT)


def unpack(content: bytes, trace_id: str) -> msgspec.Raw:
    """Stored content as the span's JSON, ready to be written into an answer; `trace_id`
    is the trace's (tr-<hex>)."""
    content = bytes(content)
    if content[:1] == _ZLIB:
        inflater = zlib.decompressobj(zlib.MAX_WBITS, zdict=_ZDICT)
        data = inflater.decompress(content[1:]) + inflater.flush()
    else:
        data = content[1:]
    ids = base64.b64encode(bytes.fromhex(trace_id.removeprefix(TRACE_PREFIX)))
    return msgspec.Raw(b'{"trace_id":"' + ids + b'",' + data[1:])


def artifact_span(trace_id: str, content: bytes) -> dict[str, Any]:
    """A stored span in the form of MLflow's traces.json (what `get-trace-artifact` serves
    and MLflow's UI reads): attribute values JSON-encoded, status codes by name."""
    span = msgspec.json.decode(unpack(content, trace_id))
    attributes = {
        item["key"]: msgspec.json.encode(proto_json_value(item.get("value", {}))).decode()
        for item in span.get("attributes", [])
    }
    attributes[REQUEST_ID] = msgspec.json.encode(trace_id).decode()
    status = span.get("status", {})
    return {
        "trace_id": span.get("trace_id"),
        "span_id": span.get("span_id"),
        "parent_span_id": span.get("parent_span_id"),
        "name": span.get("name", ""),
        "start_time_unix_nano": int(span.get("start_time_unix_nano", 0)),
        "end_time_unix_nano": _optional_int(span.get("end_time_unix_nano")),
        "events": [
            {
                "name": event.get("name", ""),
                "time_unix_nano": int(event.get("time_unix_nano", 0)),
                "attributes": {
                    item["key"]: proto_json_value(item.get("value", {}))
                    for item in event.get("attributes", [])
                },
            }
            for event in span.get("events", [])
        ],
        "status": {
            "code": status.get("code", "STATUS_CODE_UNSET"),
            "message": status.get("message", ""),
        },
        "attributes": attributes,
    }


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def proto_json_value(value: dict[str, Any]) -> Any:
    """A proto3-JSON OTel AnyValue as plain data."""
    for kind, item in value.items():
        if kind == "array_value":
            return [proto_json_value(v) for v in item.get("values", [])]
        if kind == "kvlist_value":
            return {
                kv["key"]: proto_json_value(kv.get("value", {})) for kv in item.get("values", [])
            }
        if kind == "int_value":
            return int(item)
        return item
    return None
