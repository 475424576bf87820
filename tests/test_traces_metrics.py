"""Trace analytics, as MLflow's GenAI overview charts ask for them: QueryTraceMetrics
(`POST /api/3.0/mlflow/traces/metrics`, the body MLflow's UI sends, and the stock client's
REST store) over traces, spans and assessments, and CalculateTraceFilterCorrelation through
the stock TracingClient; bad requests answered 400. One experiment of four traces per
backend, made over the wire with fixed times: info (StartTraceV3), spans (OTLP) and
assessments."""

from __future__ import annotations

import json
import math
import os
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType
from mlflow.store.analytics.trace_correlation import calculate_npmi_from_counts
from mlflow.tracing.client import TracingClient
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .helpers import assert_error
from .test_traces_otlp import export

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
METRICS = "/api/3.0/mlflow/traces/metrics"
CORRELATION = "/api/3.0/mlflow/traces/calculate-filter-correlation"
GPT_COST = {"input_cost": 0.01, "output_cost": 0.02, "total_cost": 0.03}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat()


def _span(trace: bytes, name: str, kind: str, start_ms: int, ms: int, **attributes) -> Span:
    span = Span(
        trace_id=trace,
        span_id=os.urandom(8),
        name=name,
        start_time_unix_nano=start_ms * 1_000_000,
        end_time_unix_nano=(start_ms + ms) * 1_000_000,
        status=Status(code=Status.STATUS_CODE_OK),
    )
    for key, value in {"mlflow.spanType": kind, **attributes}.items():
        item = span.attributes.add()
        item.key = key
        _set(item.value, value)
    return span


def _set(target: AnyValue, value: str | float | dict) -> None:
    """An attribute as the stock client exports it: plain values, a dict as a key-value list."""
    if isinstance(value, dict):
        for key, inner in value.items():
            entry = target.kvlist_value.values.add()
            entry.key = key
            _set(entry.value, inner)
    elif isinstance(value, str):
        target.string_value = value
    else:
        target.double_value = value


def _trace(http, experiment, when, ms, state, name, metadata, spans) -> str:
    trace = os.urandom(16)
    if spans:
        root = _span(trace, name, "CHAIN", when, ms)
        children = [_span(trace, *child[:4], **child[4]) for child in spans]
        for child in children:
            child.parent_span_id = root.span_id
        headers = {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": experiment}
        sent = http.post("/v1/traces", content=export(root, *children), headers=headers)
        assert sent.status_code == 200, sent.text
    trace_id = "tr-" + trace.hex()
    info = {
        "trace_id": trace_id,
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": experiment},
        },
        "request_time": datetime.fromtimestamp(when / 1000, tz=timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "execution_duration": f"{ms / 1000:.3f}s",
        "state": state,
        "tags": {"mlflow.traceName": name},
        "trace_metadata": metadata,
    }
    started = http.post("/api/3.0/mlflow/traces", json={"trace": {"trace_info": info}})
    assert started.status_code == 200, started.text
    return trace_id


def _assess(http, trace_id: str, name: str, **value) -> None:
    body = {
        "assessment": {
            "assessment_name": name,
            "trace_id": trace_id,
            "source": {"source_type": "HUMAN", "source_id": "tester"},
            **value,
        }
    }
    made = http.post(f"/api/3.0/mlflow/traces/{trace_id}/assessments", json=body)
    assert made.status_code == 200, made.text


def _usage(i: int, o: int) -> dict[str, str]:
    return {
        "mlflow.trace.tokenUsage": json.dumps(
            {"input_tokens": i, "output_tokens": o, "total_tokens": i + o}
        )
    }


@pytest.fixture(scope="module")
def world(server) -> dict:
    """Four traces, half an hour apart from T0: chat (100 ms, session s1, an LLM span of
    gpt-4o), chat (200 ms, s1, gpt-4o), search (300 ms, ERROR, s2, a tool span), chat (400 ms,
    no spans); feedback, an expectation and an issue on them."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        made = http.post(
            "/api/2.0/mlflow/experiments/create", json={"name": f"metrics-{uuid.uuid4().hex[:8]}"}
        )
        experiment = made.json()["experiment_id"]
        gpt = {"mlflow.llm.model": "gpt-4o", "mlflow.llm.provider": "openai"}
        a = _trace(
            http,
            experiment,
            T0,
            100,
            "OK",
            "chat",
            {**_usage(10, 5), "mlflow.trace.session": "s1"},
            [("llm", "LLM", T0 + 10, 50, {**gpt, "mlflow.llm.cost": GPT_COST})],
        )
        b = _trace(
            http,
            experiment,
            T0 + 30 * MINUTE,
            200,
            "OK",
            "chat",
            {**_usage(20, 10), "mlflow.trace.session": "s1"},
            [
                (
                    "llm",
                    "LLM",
                    T0 + 30 * MINUTE + 5,
                    70,
                    {**gpt, "mlflow.llm.cost": {k: 2 * v for k, v in GPT_COST.items()}},
                )
            ],
        )
        c = _trace(
            http,
            experiment,
            T0 + 60 * MINUTE,
            300,
            "ERROR",
            "search",
            {"mlflow.trace.session": "s2"},
            [("tool", "TOOL", T0 + 60 * MINUTE + 1, 20, {})],
        )
        d = _trace(http, experiment, T0 + 90 * MINUTE, 400, "OK", "chat", _usage(30, 15), [])
        _assess(http, a, "correctness", feedback={"value": True})
        _assess(http, a, "score", feedback={"value": 0.8})
        _assess(http, b, "correctness", feedback={"value": False})
        _assess(http, b, "score", feedback={"value": 0.4})
        _assess(http, d, "correctness", feedback={"value": True})
        _assess(http, d, "expected", expectation={"value": "x"})
        _assess(http, c, "iss-1", issue={"issue_name": "Slow answers"})
        # an assessment of session s1 as a whole, logged on its first trace
        _assess(
            http,
            a,
            "session_quality",
            feedback={"value": "good"},
            metadata={"mlflow.trace.session": "s1"},
        )
    return {"experiment": experiment, "traces": [a, b, c, d]}


def _query(http, world, view, metric, aggregations, **fields) -> httpx.Response:
    body = {
        "experiment_ids": [world["experiment"]],
        "view_type": view,
        "metric_name": metric,
        "aggregations": aggregations,
        **fields,
    }
    return http.post(METRICS, json=body)


def _points(response: httpx.Response) -> list[tuple[dict, dict]]:
    assert response.status_code == 200, response.text
    return [(p["dimensions"], p["values"]) for p in response.json().get("data_points", [])]


COUNT = [{"aggregation_type": "COUNT"}]


def _trace_count(http, world, **fields) -> list[tuple[dict, dict]]:
    return _points(_query(http, world, "TRACES", "trace_count", COUNT, **fields))


def test_trace_counts_by_status(http, world):
    found = _trace_count(http, world, dimensions=["trace_status"])
    assert found == [
        ({"trace_status": "ERROR"}, {"COUNT": 1.0}),
        ({"trace_status": "OK"}, {"COUNT": 3.0}),
    ]


def test_the_answer_has_mlflows_shape(http, world):
    response = _query(http, world, "TRACES", "trace_count", COUNT, dimensions=["trace_name"])
    assert response.json() == {
        "data_points": [
            {
                "metric_name": "trace_count",
                "dimensions": {"trace_name": "chat"},
                "values": {"COUNT": 3.0},
            },
            {
                "metric_name": "trace_count",
                "dimensions": {"trace_name": "search"},
                "values": {"COUNT": 1.0},
            },
        ]
    }


def test_latency_per_hour_as_mlflows_ui_asks_for_it(http, world):
    """The body MLflow's UI sends: enum names, times as strings, its extra `metric_names`."""
    aggregations = [
        {"aggregation_type": "AVG"},
        {"aggregation_type": "PERCENTILE", "percentile_value": 50},
        {"aggregation_type": "PERCENTILE", "percentile_value": 90},
        {"aggregation_type": "MIN"},
        {"aggregation_type": "MAX"},
    ]
    response = _query(
        http,
        world,
        "TRACES",
        "latency",
        aggregations,
        time_interval_seconds=3600,
        start_time_ms=str(T0),
        end_time_ms=str(T0 + 120 * MINUTE),
        filters=[],
        dimensions=[],
        metric_names=None,
    )
    assert _points(response) == [
        (
            {"time_bucket": _iso(T0)},
            {"AVG": 150.0, "P50.0": 150.0, "P90.0": 190.0, "MIN": 100.0, "MAX": 200.0},
        ),
        (
            {"time_bucket": _iso(T0 + 60 * MINUTE)},
            {"AVG": 350.0, "P50.0": 350.0, "P90.0": 390.0, "MIN": 300.0, "MAX": 400.0},
        ),
    ]
    assert _iso(T0) == "2026-01-01T00:00:00+00:00"


def test_the_time_range_bounds_the_traces(http, world):
    found = _trace_count(http, world, start_time_ms=T0 + 30 * MINUTE, end_time_ms=T0 + 60 * MINUTE)
    assert found == [({}, {"COUNT": 2.0})]


def test_token_usage_from_the_trace_metadata(http, world):
    aggregations = [{"aggregation_type": "SUM"}, {"aggregation_type": "AVG"}]
    response = _query(
        http, world, "TRACES", "total_tokens", aggregations, dimensions=["trace_name"]
    )
    assert _points(response) == [({"trace_name": "chat"}, {"SUM": 90.0, "AVG": 30.0})]


def test_sessions_are_counted_once(http, world):
    response = _query(http, world, "TRACES", "session_count", COUNT)
    assert _points(response) == [({}, {"COUNT": 2.0})]


@pytest.mark.parametrize(
    ("filter_string", "count"),
    [
        ("trace.status = 'OK'", 3),
        ('trace.tag.mlflow.traceName = "search"', 1),
        ("trace.metadata.`mlflow.trace.session` = 's1'", 2),
        ("trace.metadata.mlflow.trace.session = 'none'", 0),
    ],
)
def test_filters_narrow_the_traces(http, world, filter_string, count):
    found = _trace_count(http, world, filters=[filter_string])
    assert found == [({}, {"COUNT": float(count)})]  # COUNT 0 too, as mlflow answers


def test_span_counts_by_type(http, world):
    response = _query(http, world, "SPANS", "span_count", COUNT, dimensions=["span_type"])
    assert _points(response) == [
        ({"span_type": "CHAIN"}, {"COUNT": 3.0}),
        ({"span_type": "LLM"}, {"COUNT": 2.0}),
        ({"span_type": "TOOL"}, {"COUNT": 1.0}),
    ]


def test_span_latency_of_llm_spans(http, world):
    response = _query(
        http,
        world,
        "SPANS",
        "latency",
        [{"aggregation_type": "AVG"}],
        dimensions=["span_name"],
        filters=["span.type = 'LLM'"],
    )
    assert _points(response) == [({"span_name": "llm"}, {"AVG": 60.0})]


def _total_cost(http, world, **fields) -> list[tuple[dict, dict]]:
    sums = [{"aggregation_type": "SUM"}]
    return _points(_query(http, world, "SPANS", "total_cost", sums, **fields))


def test_span_costs_by_model_and_provider(http, world):
    [(dimensions, values)] = _total_cost(
        http, world, dimensions=["span_model_name", "span_model_provider"]
    )
    assert dimensions == {"span_model_name": "gpt-4o", "span_model_provider": "openai"}
    assert values["SUM"] == pytest.approx(0.09)


def test_assessment_counts_by_name_and_value(http, world):
    response = _query(
        http,
        world,
        "ASSESSMENTS",
        "assessment_count",
        COUNT,
        dimensions=["assessment_name", "assessment_value"],
        filters=["assessment.type = 'feedback'"],
    )
    assert _points(response) == [
        ({"assessment_name": "correctness", "assessment_value": "false"}, {"COUNT": 1.0}),
        ({"assessment_name": "correctness", "assessment_value": "true"}, {"COUNT": 2.0}),
        ({"assessment_name": "score", "assessment_value": "0.4"}, {"COUNT": 1.0}),
        ({"assessment_name": "score", "assessment_value": "0.8"}, {"COUNT": 1.0}),
        ({"assessment_name": "session_quality", "assessment_value": '"good"'}, {"COUNT": 1.0}),
    ]


def test_assessment_values_average_booleans_as_ones_and_zeros(http, world):
    response = _query(
        http,
        world,
        "ASSESSMENTS",
        "assessment_value",
        [{"aggregation_type": "AVG"}],
        dimensions=["assessment_name"],
    )
    found = dict((d["assessment_name"], v["AVG"]) for d, v in _points(response))
    assert found == {"correctness": pytest.approx(2 / 3), "score": pytest.approx(0.6)}


def test_pages_through_the_stock_clients_rest_store(tracking_uri, world):
    store = TracingClient(tracking_uri).store
    arguments = {
        "experiment_ids": [world["experiment"]],
        "view_type": MetricViewType.TRACES,
        "metric_name": "trace_count",
        "aggregations": [MetricAggregation(AggregationType.COUNT)],
        "dimensions": ["trace_status"],
        "max_results": 1,
    }
    first = store.query_trace_metrics(**arguments)
    second = store.query_trace_metrics(**arguments, page_token=first.token)
    assert [p.dimensions for p in first] == [{"trace_status": "ERROR"}]
    assert [(p.dimensions, p.values) for p in second] == [({"trace_status": "OK"}, {"COUNT": 3.0})]
    assert second.token is None


def test_a_huge_interval_puts_every_trace_in_one_bucket(http, world):
    found = _trace_count(
        http, world, time_interval_seconds=2**62, start_time_ms=0, end_time_ms=2**63 - 1
    )
    assert found == [({"time_bucket": _iso(0)}, {"COUNT": 4.0})]


def test_span_costs_beyond_representable_times_find_nothing(http, world):
    assert _total_cost(http, world, start_time_ms=2**62, end_time_ms=2**63 - 1) == []


_BAD_METRICS = [
    {"experiment_ids": []},
    {"experiment_ids": ["not-a-number"]},
    {"view_type": "SESSIONS"},
    {"view_type": 9},
    {"view_type": None},
    {"metric_name": "cost"},
    {"aggregations": []},
    {"aggregations": [{"aggregation_type": "MEDIAN"}]},
    {"aggregations": [{"aggregation_type": "AVG"}]},  # trace_count is counted only
    {"metric_name": "latency", "aggregations": [{"aggregation_type": "PERCENTILE"}]},
    {
        "metric_name": "latency",
        "aggregations": [{"aggregation_type": "PERCENTILE", "percentile_value": 150}],
    },
    {"aggregations": [{"aggregation_type": "COUNT", "percentile_value": 5}]},
    {"dimensions": ["span_name"]},
    {"filters": ["trace.status LIKE 'OK'"]},
    {"filters": ["span.name = 'llm'"]},
    {"filters": ["trace.status = 'OK' AND trace.status = 'ERROR'"]},
    {"filters": ["trace.tag = 'x'"]},
    {"filters": ["nonsense"]},
    {"filters": ["trace.status = OK"]},
    {"time_interval_seconds": 60},
    {"time_interval_seconds": -60, "start_time_ms": 0, "end_time_ms": 1},
    {"time_interval_seconds": 10**30, "start_time_ms": 0, "end_time_ms": 1},
    {"max_results": -1},
    {"max_results": 2**31},
    {"end_time_ms": 2**63},
    {"page_token": "not-a-token"},
    {"start_time_ms": "yesterday"},
]
_BAD_CORRELATIONS = [
    {"experiment_ids": []},
    {"experiment_ids": ["x"]},
    {"filter_string1": ""},
    {"filter_string2": None},
    {"filter_string1": "span.colour = 'red'"},
    {"filter_string2": "tags.a RLIKE '[unclosed'"},
    {"base_filter": "trace.timestamp_ms > 'soon'"},
]
_WELL_FORMED = {
    METRICS: {"view_type": "TRACES", "metric_name": "trace_count", "aggregations": COUNT},
    CORRELATION: {"filter_string1": "trace.status = 'OK'", "filter_string2": "span.type = 'LLM'"},
}


@pytest.mark.parametrize(
    ("path", "changes"),
    [(METRICS, c) for c in _BAD_METRICS] + [(CORRELATION, c) for c in _BAD_CORRELATIONS],
)
def test_bad_requests_are_refused(http, world, path, changes):
    body = {"experiment_ids": [world["experiment"]], **_WELL_FORMED[path], **changes}
    assert_error(http.post(path, json=body), "INVALID_PARAMETER_VALUE", 400)


def test_a_request_without_experiments_is_refused(http):
    assert_error(http.post(METRICS, json={}), "INVALID_PARAMETER_VALUE", 400)


# --- filter correlation -----------------------------------------------------------------------


def _correlation(tracking_uri, world, first, second, base=None):
    return TracingClient(tracking_uri).calculate_trace_filter_correlation(
        experiment_ids=[world["experiment"]],
        filter_string1=first,
        filter_string2=second,
        base_filter=base,
    )


def _same_npmi(found: float | None, expected: float | None) -> bool:
    if expected is None or math.isnan(expected):
        return found is None or math.isnan(found)
    return found == pytest.approx(expected)


@pytest.mark.parametrize(
    ("first", "second", "base", "counts"),
    [
        ("span.type = 'LLM'", "feedback.correctness = 'true'", None, (1, 2, 2, 4)),
        ("trace.status = 'ERROR'", "span.type = 'LLM'", None, (0, 1, 2, 4)),
        ("span.type = 'LLM'", "feedback.correctness = 'true'", "trace.name = 'chat'", (1, 2, 2, 3)),
        ("span.type = 'LLM'", "trace.name = 'chat'", None, (2, 2, 3, 4)),
        ("trace.name = 'nothing'", "span.type = 'LLM'", None, (0, 0, 2, 4)),
    ],
)
def test_filter_correlation_through_the_stock_client(
    tracking_uri, world, first, second, base, counts
):
    result = _correlation(tracking_uri, world, first, second, base)
    assert (
        result.joint_count,
        result.filter1_count,
        result.filter2_count,
        result.total_count,
    ) == counts
    expected = calculate_npmi_from_counts(*counts)
    assert _same_npmi(result.npmi, expected.npmi)
    assert _same_npmi(result.npmi_smoothed, expected.npmi_smoothed)


def test_an_undefined_score_is_left_out_of_the_answer(http, world):
    body = {
        "experiment_ids": [world["experiment"]],
        "filter_string1": "trace.name = 'nothing'",
        "filter_string2": "trace.status = 'OK'",
    }
    response = http.post(CORRELATION, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filter1_count": 0,
        "filter2_count": 3,
        "joint_count": 0,
        "total_count": 4,
    }


# --- search filters the same seed exercises -----------------------------------------------------


def _search(http, world, filter_string: str) -> httpx.Response:
    location = {
        "type": "MLFLOW_EXPERIMENT",
        "mlflow_experiment": {"experiment_id": world["experiment"]},
    }
    return http.post(
        "/api/3.0/mlflow/traces/search",
        json={"locations": [location], "filter": filter_string, "order_by": ["timestamp_ms ASC"]},
    )


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("issue.id = 'iss-1'", [2]),
        ("issue.id = 'iss-2'", []),
        ("trace.name RLIKE '^ch'", [0, 1, 3]),
        ("trace.status RLIKE 'ERR'", [2]),
        ("tags.`mlflow.traceName` RLIKE 'a.c'", [2]),
        ("metadata.`mlflow.trace.session` RLIKE '^s[12]$'", [0, 1, 2]),
        ("span.type RLIKE '^(LLM|TOOL)$'", [0, 1, 2]),
        ("span.attributes.`mlflow.llm.model` RLIKE '^gpt-4'", [0, 1]),
        ("span.attributes.`mlflow.llm.model` RLIKE '4o$'", [0, 1]),
        ("span.attributes.`mlflow.llm.model` RLIKE '^4o'", []),
        ("feedback.correctness RLIKE '^tr'", [0, 3]),
        # a session's assessment counts for each of its traces
        ("feedback.session_quality = 'good'", [0, 1]),
        ("feedback.session_quality RLIKE 'oo'", [0, 1]),
        ("feedback.session_quality IS NOT NULL", [0, 1]),
        ("feedback.session_quality IS NULL", [2, 3]),
        ("feedback.session_quality = 'bad'", []),
    ],
)
def test_regex_issue_and_session_filters(http, world, filter_string, expected):
    response = _search(http, world, filter_string)
    assert response.status_code == 200, response.text
    found = [t["trace_id"] for t in response.json().get("traces", [])]
    assert found == [world["traces"][i] for i in expected]


@pytest.mark.parametrize(
    "filter_string",
    ["issue.id LIKE 'iss%'", "issue.name = 'x'", "tags.a RLIKE '('", "span.content RLIKE 'x'"],
)
def test_bad_regex_and_issue_filters_are_refused(http, world, filter_string):
    assert_error(_search(http, world, filter_string), "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    ("view", "metric", "dimensions"),
    [("TRACES", "latency", ["trace_name"]), ("SPANS", "latency", ["span_name", "span_status"])],
)
def test_sql_and_python_groupings_agree(http, world, view, metric, dimensions):
    """Averages, minima and maxima are grouped in SQL, percentiles in Python: asking for a
    percentile too moves the whole query to Python, which must find the same values."""
    plain = [{"aggregation_type": kind} for kind in ("AVG", "MIN", "MAX")]
    times = {"time_interval_seconds": 1800, "start_time_ms": T0, "end_time_ms": T0 + 120 * MINUTE}
    in_sql = _points(_query(http, world, view, metric, plain, dimensions=dimensions, **times))
    with_percentile = [*plain, {"aggregation_type": "PERCENTILE", "percentile_value": 50}]
    in_python = _points(
        _query(http, world, view, metric, with_percentile, dimensions=dimensions, **times)
    )
    assert len(in_sql) >= 3
    assert in_sql == [
        (d, {k: v for k, v in values.items() if k != "P50.0"}) for d, values in in_python
    ]
