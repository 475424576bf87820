"""Trace analytics' pure parts (`store/trace_metrics.py`): MLflow's metrics filter grammar,
percentiles, NPMI's edge cases, and the time-bucket arithmetic SQL runs; RLIKE patterns in
the trace search grammar."""

from __future__ import annotations

import math
import sqlite3

import pytest

from trackyard.errors import ApiError
from trackyard.search.grammar import parse_filter as parse_search
from trackyard.search.schemas import TRACES
from trackyard.store.trace_metrics import (
    Aggregation,
    MetricFilter,
    _aggregate,
    _floor,
    correlation,
    parse_filter,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("trace.status = 'OK'", MetricFilter("trace", "status", None, "OK")),
        (
            'trace.tag.mlflow.traceName = "chat"',
            MetricFilter("trace", "tag", "mlflow.traceName", "chat"),
        ),
        ("trace.metadata.`a.b` = 'x'", MetricFilter("trace", "metadata", "a.b", "x")),
        ("span.type = 'LLM'", MetricFilter("span", "type", None, "LLM")),
        ("assessment.type == 'feedback'", MetricFilter("assessment", "type", None, "feedback")),
    ],
)
def test_metric_filters(text, parsed):
    assert parse_filter(text) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "trace.status != 'OK'",
        "trace.status LIKE 'OK'",
        "trace.status = 'OK' AND span.name = 'x'",
        "trace.tag = 'x'",
        "trace.status.key = 'x'",
        "run.status = 'x'",
        "trace.colour = 'x'",
        "trace.status = 3",
        "status = 'OK'",
    ],
)
def test_bad_metric_filters(text):
    with pytest.raises(ApiError):
        parse_filter(text)


@pytest.mark.parametrize(
    ("percentile", "expected"),
    [(0, 1.0), (25, 2.0), (50, 3.0), (90, 8.8), (99.9, 9.988), (100, 10.0)],
)
def test_percentiles_interpolate_between_ranks(percentile, expected):
    values = [1.0, 2.0, 3.0, 7.0, 10.0]
    assert _aggregate(Aggregation("PERCENTILE", percentile), values) == pytest.approx(expected)


def test_npmi_edge_cases():
    assert math.isnan(correlation(0, 0, 2, 4).npmi)  # a filter that matches nothing
    assert math.isnan(correlation(0, 1, 1, 0).npmi)  # no traces
    assert correlation(0, 1, 2, 4).npmi == -1.0  # never together
    assert correlation(3, 3, 3, 3).npmi == 1.0  # always together
    assert correlation(1, 2, 2, 4).npmi == pytest.approx(0.0)  # independent
    assert -1.0 < correlation(0, 1, 2, 4).npmi_smoothed < 0.0


@pytest.mark.parametrize("value", [-7, -6, -1, 0, 1, 5, 6, 7, -(2**40) - 3])
def test_sql_bucket_floors_negative_values_too(value):
    sql = _floor(str(value), 3)
    assert sqlite3.connect(":memory:").execute(f"SELECT {sql}").fetchone()[0] == (value // 3) * 3


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("tags.a RLIKE '^x[0-9]+$'", False),
        ("span.attributes.model RLIKE 'gpt'", False),
        ("tags.a RLIKE '[a'", True),
        ("tags.a RLIKE '(?P<n>x)'", True),
        ("trace.timestamp_ms RLIKE '1'", True),
    ],
)
def test_regex_comparisons_in_trace_search(text, refused):
    if refused:
        with pytest.raises(ApiError):
            parse_search(text, TRACES)
    else:
        assert parse_search(text, TRACES)[0].comparator == "RLIKE"
