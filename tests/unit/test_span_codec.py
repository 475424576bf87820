"""The span codec: OTel spans to the stored form and back, equal to protobuf's own JSON."""

from __future__ import annotations

import gzip
import math
import os
import time
import zlib

import msgspec
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from trackyard.errors import ApiError
from trackyard.messages import traces
from trackyard.routes.otlp import decompress
from trackyard.store import span_codec


def a_span(**attributes) -> Span:
    span = Span(
        trace_id=os.urandom(16),
        span_id=os.urandom(8),
        parent_span_id=os.urandom(8),
        name="step",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=1_700_000_000_000_000_000,
        end_time_unix_nano=1_700_000_000_500_000_000,
        status=Status(code=Status.STATUS_CODE_ERROR, message="boom"),
    )
    for key, value in attributes.items():
        item = span.attributes.add()
        item.key = key
        if isinstance(value, str):
            item.value.string_value = value
        elif isinstance(value, float):
            item.value.double_value = value
        elif isinstance(value, int):
            item.value.int_value = value
    event = span.events.add()
    event.name, event.time_unix_nano = "exception", 5
    link = span.links.add()
    link.trace_id, link.span_id = os.urandom(16), os.urandom(8)
    nested = span.attributes.add()
    nested.key = "nested"
    entry = nested.value.kvlist_value.values.add()
    entry.key = "list"
    entry.value.array_value.values.add().bytes_value = b"\x00\xff"
    span.attributes.add().key = "unset"
    return span


def test_span_json_is_protobufs_own_json():
    span = a_span(text="hi", count=3, ratio=0.5, nan=math.nan)
    assert span_codec.span_json(span) == MessageToDict(span, preserving_proto_field_name=True)


def test_stored_content_reads_back_with_the_trace_id_and_without_the_request_id():
    span = a_span(**{"mlflow.traceRequestId": '"tr-x"', "mlflow.spanType": "LLM"})
    trace_id = "tr-" + span.trace_id.hex()
    record = span_codec.records(_request(span))[0]
    read = msgspec.json.decode(span_codec.unpack(record.content, trace_id))
    expected = MessageToDict(span, preserving_proto_field_name=True)
    expected["attributes"] = [
        a for a in expected["attributes"] if a["key"] != "mlflow.traceRequestId"
    ]
    assert read == expected
    assert (record.type, record.status, record.trace_id) == ("LLM", "ERROR", trace_id)


def test_unknown_enum_values_are_numbers_as_in_protobufs_json():
    span = a_span()
    span.kind, span.status.code = 99, 7
    assert span_codec.span_json(span) == MessageToDict(span, preserving_proto_field_name=True)


@pytest.mark.parametrize("words", [1, 1_000, 50_000])
def test_content_of_any_size_reads_back_as_does_content_of_zlibs_default_window(words):
    """Each span is deflated with a window fitted to its size; spans stored before that,
    with zlib's default window, read back the same."""
    span = a_span(text=" ".join(str(n) for n in range(words)))
    trace_id = "tr-" + span.trace_id.hex()
    record = span_codec.records(_request(span))[0]
    expected = MessageToDict(span, preserving_proto_field_name=True)
    data = msgspec.json.encode({k: v for k, v in expected.items() if k != "trace_id"})
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS, zdict=span_codec._ZDICT)
    first_stored = b"d" + compressor.compress(data) + compressor.flush()
    assert record.content[:1] == b"d"
    for content in (record.content, first_stored):
        assert msgspec.json.decode(span_codec.unpack(content, trace_id)) == expected


def test_a_small_span_is_stored_smaller_than_its_json():
    span = a_span(**{"mlflow.spanType": "LLM", "mlflow.spanInputs": "question"})
    record = span_codec.records(_request(span))[0]
    assert len(record.content) < len(msgspec.json.encode(span_codec.span_json(span))) / 2


def test_root_spans_carry_previews_and_trace_tags():
    span = a_span(
        **{"mlflow.spanInputs": "q", "mlflow.traceTag.team": "a", "mlflow.traceTag.": "x"}
    )
    span.parent_span_id = b""
    record = span_codec.records(_request(span))[0]
    assert (record.inputs, record.trace_tags) == ('"q"', {"team": "a"})


@pytest.mark.parametrize("trace_id, span_id", [(b"\x01" * 15, b"\x01" * 8), (b"\x01" * 16, b"")])
def test_ids_of_the_wrong_length_are_refused(trace_id, span_id):
    with pytest.raises(ApiError):
        span_codec.records(_request(Span(trace_id=trace_id, span_id=span_id, name="x")))


def test_json_bodies_take_hex_ids():
    body = (
        b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"'
        + b"ab" * 16
        + b'","spanId":"'
        + b"cd" * 8
        + b'","name":"n","startTimeUnixNano":"5"}]}]}]}'
    )
    (record,) = span_codec.records(span_codec.parse_request(body, "application/json"))
    assert (record.trace_id, record.span_id, record.start_ns) == ("tr-" + "ab" * 16, "cd" * 8, 5)


@pytest.mark.parametrize("body", [b"[]", b"{", b'{"resourceSpans": 3}', b"\x00\xff"])
def test_bodies_that_are_not_requests_are_refused(body):
    with pytest.raises(ApiError):
        span_codec.parse_request(body, "application/json")


def test_decompression_stops_at_the_body_limit():
    with pytest.raises(ApiError) as raised:
        decompress(gzip.compress(b"\0" * (65 * 2**20)), "gzip")
    assert raised.value.status == 413


def test_a_truncated_gzip_body_is_refused():
    with pytest.raises(ApiError):
        decompress(gzip.compress(b"x" * 1000)[:-10], "gzip")


def _request(*spans: Span) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    return request


@pytest.mark.parametrize("ms", [0, 1_700_000_000_123, 1_700_000_000_000, 253_402_300_799_999])
def test_timestamps_round_trip_as_proto_json(ms):
    assert traces.timestamp_ms(traces.timestamp(ms), "t") == ms


def test_timestamps_and_durations_as_protobuf_writes_them():
    assert traces.timestamp(1_700_000_000_120) == "2023-11-14T22:13:20.120Z"
    assert traces.timestamp(1_700_000_000_000) == "2023-11-14T22:13:20Z"
    assert (traces.duration(1500), traces.duration(2000)) == ("1.500s", "2s")
    assert traces.duration_ms("0.250s", "d") == 250


def test_timestamps_are_gmtime_dates_around_the_epoch():
    for ms in (0, 999, 1000, -1, 86_400_000, 1_700_000_000_123, 4_102_444_800_000):
        seconds, millis = divmod(ms, 1000)
        t = time.gmtime(seconds)
        expected = (
            f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
            f"{t.tm_sec:02d}" + (f".{millis:03d}Z" if millis else "Z")
        )
        assert traces.timestamp(ms) == expected
