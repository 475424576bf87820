"""Traces under access control: a trace belongs to its experiment, so reading it needs READ
there, writing it EDIT, deleting MANAGE; searches leave out experiments the caller cannot
read; OTLP span export needs EDIT on the experiment its header names."""

from __future__ import annotations

import os

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from .access_fixtures import AuthServer, auth_server, database
from .conftest import BACKENDS, require_postgres
from .test_traces_otlp import export


@pytest.fixture(scope="module", params=BACKENDS)
def secured(request, tmp_path_factory):
    if request.param == "postgres":
        require_postgres()
    data_dir = tmp_path_factory.mktemp(f"trace-auth-{request.param}")
    with database(request.param, data_dir) as uri, auth_server(data_dir, uri) as server:
        yield server


@pytest.fixture
def owned(secured: AuthServer, monkeypatch, request) -> dict:
    """A user who made an experiment and logged a trace to it with the stock client, and
    an outsider denied that experiment."""
    owner = secured.user(f"owner-{request.node.name[-12:]}")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", owner[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", owner[1])
    mlflow.set_tracking_uri(secured.url)
    experiment = MlflowClient().create_experiment(f"traced-{request.node.name}")
    mlflow.set_experiment(experiment_id=experiment)

    @mlflow.trace
    def work(x: int) -> int:
        return x + 1

    work(1)
    mlflow.flush_trace_async_logging()
    outsider = secured.user(f"outsider-{request.node.name[-12:]}")
    secured.grant(outsider[0], "experiment", experiment, "DENY")
    return {
        "experiment": experiment,
        "trace": mlflow.get_last_active_trace_id(),
        "owner": owner,
        "outsider": outsider,
    }


def test_the_owner_reads_and_searches_the_trace(owned):
    trace = MlflowClient().get_trace(owned["trace"])
    assert [span.name for span in trace.data.spans] == ["work"]
    found = MlflowClient().search_traces(locations=[owned["experiment"]])
    assert [t.info.trace_id for t in found] == [owned["trace"]]


def test_an_outsider_can_neither_read_nor_tag_nor_delete_it(secured, owned, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", owned["outsider"][0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", owned["outsider"][1])
    client = MlflowClient()
    for call in (
        lambda: client.get_trace(owned["trace"]),
        lambda: client.set_trace_tag(owned["trace"], "k", "v"),
        lambda: client.delete_traces(owned["experiment"], trace_ids=[owned["trace"]]),
    ):
        with pytest.raises(MlflowException) as raised:
            call()
        assert raised.value.error_code == "PERMISSION_DENIED"
    assert client.search_traces(locations=[owned["experiment"]]) == []


def test_otlp_export_needs_edit_on_the_experiment(secured, owned):
    body = export(Span(trace_id=os.urandom(16), span_id=os.urandom(8), name="s"))
    headers = {
        "Content-Type": "application/x-protobuf",
        "x-mlflow-experiment-id": owned["experiment"],
    }
    refused = secured.call("POST", "/v1/traces", owned["outsider"], content=body, headers=headers)
    assert refused.status_code == 403
    anonymous = secured.call("POST", "/v1/traces", None, content=body, headers=headers)
    assert anonymous.status_code == 401
    accepted = secured.call("POST", "/v1/traces", owned["owner"], content=body, headers=headers)
    assert accepted.status_code == 200, accepted.text


def test_trace_analytics_need_read_on_every_experiment_named(secured, owned):
    """QueryTraceMetrics and CalculateTraceFilterCorrelation read traces: READ on each
    experiment the request names, or 403 (one unreadable experiment refuses the request)."""
    metrics = {
        "view_type": "TRACES",
        "metric_name": "trace_count",
        "aggregations": [{"aggregation_type": "COUNT"}],
    }
    correlation = {"filter_string1": "trace.status = 'OK'", "filter_string2": "span.name = 'work'"}
    own = owned["experiment"]
    other = secured.ok("POST", "/api/2.0/mlflow/experiments/create", json={"name": f"x-{own}"})
    secured.grant(owned["owner"][0], "experiment", other["experiment_id"], "DENY")
    for path, body in (("metrics", metrics), ("calculate-filter-correlation", correlation)):
        url = f"/api/3.0/mlflow/traces/{path}"
        mine = secured.call("POST", url, owned["owner"], json={**body, "experiment_ids": [own]})
        assert mine.status_code == 200, mine.text
        both = [own, other["experiment_id"]]
        mixed = secured.call("POST", url, owned["owner"], json={**body, "experiment_ids": both})
        assert mixed.status_code == 403, mixed.text
        outsider = secured.call(
            "POST", url, owned["outsider"], json={**body, "experiment_ids": [own]}
        )
        assert outsider.status_code == 403, outsider.text
        assert secured.call("POST", url, None, json=body).status_code == 401
    counted = secured.call(
        "POST",
        "/api/3.0/mlflow/traces/metrics",
        owned["owner"],
        json={**metrics, "experiment_ids": [own]},
    )
    assert counted.json()["data_points"][0]["values"] == {"COUNT": 1.0}
