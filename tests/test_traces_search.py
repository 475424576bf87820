"""Searching traces with the stock client: MLflow's trace filter grammar, order_by, pages,
the DataFrame `mlflow.search_traces` returns, and bad filters answered 400."""

from __future__ import annotations

import time

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import SpanType
from mlflow.exceptions import MlflowException

from .helpers import assert_error


@mlflow.trace(span_type=SpanType.AGENT)
def ask(question: str, slow: bool = False) -> str:
    with mlflow.start_span("lookup", span_type=SpanType.TOOL if slow else SpanType.RETRIEVER):
        pass
    mlflow.update_current_trace(tags={"topic": question})
    return question.upper()


@mlflow.trace
def broken() -> None:
    raise RuntimeError("no")


@pytest.fixture
def traces(experiment_id: str) -> list[str]:
    """Five traces, oldest first: a, b, c (c has a TOOL span), d in a run, and one error."""
    mlflow.set_experiment(experiment_id=experiment_id)
    ids = []

    def keep() -> None:
        ids.append(mlflow.get_last_active_trace_id())
        time.sleep(0.002)  # each trace starts in a millisecond of its own: a strict order

    for question in "abc":
        ask(question, slow=question == "c")
        keep()
    with mlflow.start_run():
        ask("d")
    keep()
    with pytest.raises(RuntimeError):
        broken()
    keep()
    mlflow.flush_trace_async_logging()
    return ids


def found(client: MlflowClient, experiment_id: str, filter_string: str | None = None, **kw):
    traces = client.search_traces(locations=[experiment_id], filter_string=filter_string, **kw)
    return [trace.info.trace_id for trace in traces]


def test_newest_first_by_default(client, experiment_id, traces):
    assert found(client, experiment_id) == traces[::-1]


def test_order_by_timestamp_ascending(client, experiment_id, traces):
    assert found(client, experiment_id, order_by=["timestamp_ms ASC"]) == traces


def test_order_by_trace_name_then_time(client, experiment_id, traces):
    ordered = found(client, experiment_id, order_by=["name DESC", "timestamp_ms ASC"])
    assert ordered == [traces[4], *traces[:4]]  # "broken" sorts after "ask"


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("trace.status = 'ERROR'", [4]),
        ("status = 'OK'", [3, 2, 1, 0]),
        ("tags.topic = 'b'", [1]),
        ("tags.`topic` IN ('a', 'c')", None),  # tags take no IN: checked below
        ("tags.topic LIKE '%'", [3, 2, 1, 0]),
        ("tags.topic IS NULL", [4]),
        ("span.type = 'TOOL'", [2]),
        ("span.name = 'lookup' AND tags.topic != 'a'", [3, 2, 1]),
        ("trace.name = 'broken'", [4]),
        ("trace.execution_time_ms >= 0", [4, 3, 2, 1, 0]),
    ],
)
def test_filters(client, experiment_id, traces, filter_string, expected):
    if expected is None:
        with pytest.raises(MlflowException):
            found(client, experiment_id, filter_string)
        return
    assert found(client, experiment_id, filter_string) == [traces[i] for i in expected]


def test_filter_by_time(client, experiment_id, traces):
    third = client.get_trace(traces[2]).info.request_time
    assert found(client, experiment_id, f"trace.timestamp_ms >= {third}")[-1] == traces[2]
    assert traces[0] not in found(client, experiment_id, f"timestamp_ms >= {third}")


def test_filter_by_metadata_and_run(client, experiment_id, traces):
    run_id = client.get_trace(traces[3]).info.trace_metadata["mlflow.sourceRun"]
    assert found(client, experiment_id, f"metadata.`mlflow.sourceRun` = '{run_id}'") == [traces[3]]
    assert found(client, experiment_id, run_id=run_id) == [traces[3]]


def test_pages_cover_every_trace_once(client, experiment_id, traces):
    seen, token = [], None
    while True:
        page = client.search_traces(locations=[experiment_id], max_results=2, page_token=token)
        seen += [trace.info.trace_id for trace in page]
        token = page.token
        if not token:
            break
    assert seen == traces[::-1]


def test_search_traces_returns_a_dataframe_with_spans(experiment_id, traces):
    frame = mlflow.search_traces(locations=[experiment_id], filter_string="status = 'OK'")
    assert sorted(frame["trace_id"]) == sorted(traces[:4])
    row = frame[frame["trace_id"] == traces[1]].iloc[0]
    assert row["request"] == {"question": "b", "slow": False}
    assert row["response"] == "B"
    assert len(row["spans"]) == 2


def test_search_traces_as_a_list_of_traces(experiment_id, traces):
    found_traces = mlflow.search_traces(
        locations=[experiment_id], return_type="list", order_by=["timestamp_ms ASC"]
    )
    assert [trace.info.trace_id for trace in found_traces] == traces
    assert [span.name for span in found_traces[0].data.spans] == ["ask", "lookup"]


@pytest.mark.parametrize(
    "body",
    [
        {"filter": "trace.nonsense = 1"},
        {"filter": "span.color = 'red'"},
        {"filter": "status = "},
        {"order_by": ["colour DESC"]},
        {"page_token": "not-a-token"},
        {"max_results": 0},
        {"max_results": 50_001},
    ],
)
def test_bad_searches_are_refused(http, experiment_id, body):
    location = {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}
    response = http.post("/api/3.0/mlflow/traces/search", json={"locations": [location], **body})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_search_needs_a_location(http):
    response = http.post("/api/3.0/mlflow/traces/search", json={})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_v2_search_answers_v2_infos(http, experiment_id, traces):
    response = http.get(
        "/api/2.0/mlflow/traces",
        params={"experiment_ids": experiment_id, "filter": "status = 'ERROR'"},
    )
    assert response.status_code == 200, response.text
    (info,) = response.json()["traces"]
    assert (info["request_id"], info["status"]) == (traces[4], "ERROR")
