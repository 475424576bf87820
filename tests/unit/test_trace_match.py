"""Trace filters tested in Python (`store/trace_match.py`): LIKE as SQL has it, assessment
values as mlflow server compares them, and a search whose candidates span several chunks."""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from trackyard.search.grammar import parse_filter
from trackyard.search.schemas import TRACES
from trackyard.store import open_database, span_codec, trace_search
from trackyard.store.trace_match import assessment_test, like_regex
from trackyard.store.traces import SpanBatch, TraceStore


@pytest.mark.parametrize(
    ("pattern", "text", "ignore_case", "matches"),
    [
        ("%gpt%", '"gpt-4o"', False, True),
        ("gpt%", '"gpt-4o"', False, False),
        ("%GPT%", '"gpt-4o"', False, False),
        ("%GPT%", '"gpt-4o"', True, True),
        ("a_c", "abc", False, True),
        ("a_c", "abbc", False, False),
        ("100\\%", "100%", False, True),
        ("100\\%", "1000", False, False),
        ("a.c", "abc", False, False),
        ("%line%", "first\nline", False, True),
    ],
)
def test_like_regex_follows_sql_like(pattern, text, ignore_case, matches):
    assert (like_regex(pattern, ignore_case).fullmatch(text) is not None) is matches


def _feedback(value) -> str:
    return json.dumps({"assessment_name": "score", "feedback": {"value": value}})


@pytest.mark.parametrize(
    ("filter_string", "value", "matches"),
    [
        ("feedback.score = '5.0'", 5, True),  # a protobuf Value's number is a double
        ("feedback.score = '5'", 5, False),
        ("feedback.score = 'true'", True, True),
        ("feedback.score = 'yes'", "yes", True),
        ("feedback.score != 'yes'", "no", True),
        ("feedback.score > 4", 5, True),
        ("feedback.score > 4", True, False),  # a bool is not a number
        ("feedback.score > 4", "9", False),
        ("feedback.score LIKE '%es%'", "yes", True),
    ],
)
def test_assessment_values_compare_as_mlflow_server_does(filter_string, value, matches):
    (clause,) = parse_filter(filter_string, TRACES)
    assert assessment_test(clause)(_feedback(value)) is matches


def test_a_serialized_expectation_is_compared_decoded():
    (clause,) = parse_filter("expectation.facts LIKE '%two days%'", TRACES)
    content = {
        "expectation": {
            "serialized_value": {"serialization_format": "JSON_FORMAT", "value": '["two days"]'}
        }
    }
    assert assessment_test(clause)(json.dumps(content))


def _trace(index: int, model: str) -> list[Span]:
    trace_id = index.to_bytes(16, "big")
    start = 1_700_000_000_000_000_000 + index * 1_000_000
    span = Span(trace_id=trace_id, span_id=b"\x01" * 8, name="llm", start_time_unix_nano=start)
    span.end_time_unix_nano = start + 1000
    item = span.attributes.add()
    item.key, item.value.string_value = "model", model
    return [span]


def test_a_content_filter_pages_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(trace_search, "SCAN_CHUNK", 3)
    database = open_database(f"sqlite:///{tmp_path / 'traces.db'}")
    with database.write() as tx:
        experiment = tx.scalar(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
            "last_update_time) VALUES ('e', '/a', 'active', 0, 0) RETURNING experiment_id"
        )
    store = TraceStore(database)
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for index in range(1, 11):
        spans.extend(_trace(index, "gpt" if index % 3 == 0 else "other"))
    store.log_spans(SpanBatch(str(experiment), span_codec.records(request)))
    clauses = parse_filter("span.attributes.model LIKE '%gpt%'", TRACES)
    seen, token = [], None
    while True:
        infos, token = store.search([experiment], clauses, [], 2, token)
        seen += [info.trace_id for info in infos]
        if token is None:
            break
    assert seen == [f"tr-{index:032x}" for index in (9, 6, 3)]
    database.close()
