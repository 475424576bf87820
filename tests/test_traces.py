"""MLflow 3 tracing with the stock client: traces made with `@mlflow.trace` and
`mlflow.start_span`, read back, tagged, linked and deleted (spans arrive over OTLP)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import SpanType
from mlflow.exceptions import MlflowException

from .helpers import API, assert_error


@pytest.fixture
def experiment(experiment_id: str) -> str:
    """The fresh experiment, made the client's active one: traces go there."""
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@mlflow.trace(span_type=SpanType.CHAIN)
def answer(question: str) -> str:
    with mlflow.start_span("retrieve", span_type=SpanType.RETRIEVER) as span:
        span.set_inputs({"query": question})
        span.set_outputs(["doc-1", "doc-2"])
        span.set_attribute("index", "main")
        with mlflow.start_span("embed", span_type=SpanType.EMBEDDING) as inner:
            inner.set_inputs(question)
            inner.set_outputs([0.25, 0.5])
    with mlflow.start_span("generate", span_type=SpanType.LLM) as span:
        span.set_inputs({"messages": [{"role": "user", "content": question}]})
        span.set_outputs({"text": "forty-two"})
    return "forty-two"


@mlflow.trace
def fail(value: int) -> int:
    raise ValueError(f"bad value {value}")


def last_trace() -> str:
    mlflow.flush_trace_async_logging()
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id
    return trace_id


def test_nested_spans_are_read_back_with_types_inputs_outputs_and_attributes(
    experiment, client: MlflowClient
):
    answer("meaning of life?")
    trace = client.get_trace(last_trace())
    spans = {span.name: span for span in trace.data.spans}
    assert set(spans) == {"answer", "retrieve", "embed", "generate"}
    assert spans["answer"].parent_id is None
    assert spans["retrieve"].parent_id == spans["answer"].span_id
    assert spans["embed"].parent_id == spans["retrieve"].span_id
    assert (spans["retrieve"].span_type, spans["embed"].span_type) == ("RETRIEVER", "EMBEDDING")
    assert spans["retrieve"].inputs == {"query": "meaning of life?"}
    assert spans["retrieve"].outputs == ["doc-1", "doc-2"]
    assert spans["retrieve"].get_attribute("index") == "main"
    assert spans["embed"].outputs == [0.25, 0.5]
    assert spans["generate"].inputs["messages"][0]["content"] == "meaning of life?"
    assert spans["answer"].outputs == "forty-two"


def test_trace_info_holds_state_previews_times_and_the_experiment(experiment, client):
    answer("q")
    info = client.get_trace(last_trace()).info
    assert info.state.value == "OK"
    assert info.experiment_id == experiment
    assert info.request_preview == '{"question": "q"}'
    assert info.response_preview == '"forty-two"'
    assert abs(info.request_time - time.time() * 1000) < 60_000
    assert info.execution_duration is not None and info.execution_duration >= 0
    assert info.tags["mlflow.traceName"] == "answer"


def test_spans_are_held_by_the_server_and_no_traces_json_is_uploaded(experiment, client, server):
    answer("q")
    trace_id = last_trace()
    info = client.get_trace(trace_id).info
    assert info.tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    uploaded = Path(server.data_dir, "artifacts", experiment, "traces", trace_id)
    assert not uploaded.exists()


def test_a_function_that_raises_leaves_an_error_trace_with_the_exception_event(experiment, client):
    with pytest.raises(ValueError):
        fail(7)
    trace = client.get_trace(last_trace())
    assert trace.info.state.value == "ERROR"
    (span,) = trace.data.spans
    assert span.status.status_code.value == "ERROR"
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "ValueError"
    assert "bad value 7" in event.attributes["exception.message"]


def test_a_trace_made_inside_a_run_names_the_run(experiment, client):
    with mlflow.start_run() as run:
        answer("in a run")
    info = client.get_trace(last_trace()).info
    assert info.trace_metadata["mlflow.sourceRun"] == run.info.run_id


def test_update_current_trace_sets_tags(experiment, client):
    @mlflow.trace
    def tagged() -> int:
        mlflow.update_current_trace(tags={"team": "search", "stage": "beta"})
        return 1

    tagged()
    tags = client.get_trace(last_trace()).info.tags
    assert (tags["team"], tags["stage"]) == ("search", "beta")


def test_get_trace_of_an_unknown_id(experiment, client):
    with pytest.raises(MlflowException) as raised:
        client.get_trace("tr-00000000000000000000000000000000")
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert mlflow.get_trace("tr-00000000000000000000000000000000") is None


def test_set_and_delete_a_trace_tag(experiment, client):
    answer("q")
    trace_id = last_trace()
    client.set_trace_tag(trace_id, "reviewed", "yes")
    assert client.get_trace(trace_id).info.tags["reviewed"] == "yes"
    client.delete_trace_tag(trace_id, "reviewed")
    assert "reviewed" not in client.get_trace(trace_id).info.tags


def test_deleting_a_tag_that_is_not_there_is_not_found(experiment, client):
    answer("q")
    with pytest.raises(MlflowException) as raised:
        client.delete_trace_tag(last_trace(), "never-set")
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_delete_traces_by_ids(experiment, client):
    answer("a")
    first = last_trace()
    answer("b")
    second = last_trace()
    assert client.delete_traces(experiment, trace_ids=[first]) == 1
    assert mlflow.get_trace(first) is None
    assert client.get_trace(second).info.trace_id == second


def test_delete_traces_up_to_a_time_and_at_most_a_count(experiment, client):
    for question in "abc":
        answer(question)
    last_trace()
    cutoff = int(time.time() * 1000) + 1
    assert client.delete_traces(experiment, max_timestamp_millis=cutoff, max_traces=2) == 2
    assert client.delete_traces(experiment, max_timestamp_millis=cutoff) == 1
    assert client.delete_traces(experiment, max_timestamp_millis=cutoff) == 0


def test_link_traces_to_a_run(experiment, client):
    answer("q")
    trace_id = last_trace()
    run = client.create_run(experiment)
    client.link_traces_to_run([trace_id], run.info.run_id)
    found = client.search_traces(locations=[experiment], run_id=run.info.run_id)
    assert [trace.info.trace_id for trace in found] == [trace_id]


def test_v2_start_and_end_make_a_trace_older_clients_read(experiment, http):
    started = http.post(
        f"{API}/traces",
        json={
            "experiment_id": experiment,
            "timestamp_ms": 1_700_000_000_000,
            "request_metadata": [{"key": "m", "value": "1"}],
            "tags": [{"key": "t", "value": "x"}],
        },
    )
    assert started.status_code == 200, started.text
    request_id = started.json()["trace_info"]["request_id"]
    ended = http.patch(
        f"{API}/traces/{request_id}",
        json={"request_id": request_id, "timestamp_ms": 1_700_000_000_250, "status": "OK"},
    )
    assert ended.status_code == 200, ended.text
    info = http.get(f"{API}/traces/{request_id}/info").json()["trace_info"]
    assert info["status"] == "OK"
    assert (info["timestamp_ms"], info["execution_time_ms"]) == (1_700_000_000_000, 250)
    assert {"key": "t", "value": "x"} in info["tags"]
    assert {"key": "m", "value": "1"} in info["request_metadata"]


def test_v2_end_of_an_unknown_trace_is_not_found(http):
    response = http.patch(f"{API}/traces/tr-nothing", json={"status": "OK"})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_start_trace_for_an_unknown_experiment_is_not_found(http):
    body = {
        "trace": {
            "trace_info": {
                "trace_id": "tr-0123456789abcdef0123456789abcdef",
                "trace_location": {
                    "type": "MLFLOW_EXPERIMENT",
                    "mlflow_experiment": {"experiment_id": "987654321"},
                },
                "request_time": "2025-01-01T00:00:00Z",
                "state": "OK",
            }
        }
    }
    response = http.post("/api/3.0/mlflow/traces", json=body)
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize(
    ("field", "value"),
    [("request_time", "yesterday"), ("execution_duration", "5 minutes"), ("state", "DONE")],
)
def test_start_trace_refuses_malformed_fields(experiment, http, field, value):
    info = {
        "trace_id": "tr-0123456789abcdef0123456789abcdef",
        "trace_location": {"mlflow_experiment": {"experiment_id": experiment}},
        field: value,
    }
    response = http.post("/api/3.0/mlflow/traces", json={"trace": {"trace_info": info}})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_batch_get_of_too_many_ids_is_refused(http):
    ids = [f"tr-{index:032x}" for index in range(101)]
    response = http.get("/api/3.0/mlflow/traces/batchGet", params={"trace_ids": ids})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_trace_artifact_has_the_spans_as_traces_json_holds_them(experiment, http):
    answer("q")
    trace_id = last_trace()
    response = http.get("/ajax-api/3.0/mlflow/get-trace-artifact", params={"request_id": trace_id})
    assert response.status_code == 200, response.text
    spans = response.json()["spans"]
    root = spans[0]
    assert root["name"] == "answer"
    assert root["parent_span_id"] is None
    assert root["attributes"]["mlflow.spanType"] == '"CHAIN"'
    assert root["attributes"]["mlflow.traceRequestId"] == f'"{trace_id}"'
    assert root["status"]["code"] == "STATUS_CODE_OK"


def test_a_trace_whose_client_uploaded_traces_json_is_read_from_it(experiment, client, http):
    answer("q")
    source = http.get(
        "/ajax-api/3.0/mlflow/get-trace-artifact", params={"request_id": last_trace()}
    ).json()
    info = {
        "trace_id": "tr-" + "5" * 32,
        "trace_location": {"mlflow_experiment": {"experiment_id": experiment}},
        "request_time": "2025-01-01T00:00:00Z",
        "state": "OK",
    }
    started = http.post(
        "/api/3.0/mlflow/traces",
        json={"trace": {"trace_info": info}},
        headers={"User-Agent": "mlflow-python-client/3.1.0"},  # a client that uploads spans
    )
    location = started.json()["trace"]["trace_info"]["tags"]["mlflow.artifactLocation"]
    path = location.removeprefix("mlflow-artifacts:/")
    uploaded = http.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}/traces.json", json=source)
    assert uploaded.status_code == 200, uploaded.text
    trace = client.get_trace(info["trace_id"])
    assert [span.name for span in trace.data.spans] == [s["name"] for s in source["spans"]]
    served = http.get(
        "/ajax-api/3.0/mlflow/get-trace-artifact", params={"request_id": info["trace_id"]}
    )
    assert served.json() == source


def test_link_prompts_keeps_each_prompt_version_once(experiment, http):
    answer("q")
    trace_id = last_trace()
    prompts = [{"name": "greeting", "version": "2"}, {"name": "system", "version": "1"}]
    for _ in range(2):
        body = {"trace_id": trace_id, "prompt_versions": prompts}
        response = http.post(f"{API}/traces/link-prompts", json=body)
        assert response.status_code == 200, response.text
    info = http.get(f"/api/3.0/mlflow/traces/{trace_id}").json()["trace"]["trace_info"]
    assert json.loads(info["tags"]["mlflow.linkedPrompts"]) == prompts


def test_batch_get_limited_to_experiments(experiment, http):
    answer("q")
    trace_id = last_trace()
    url = "/api/3.0/mlflow/traces/batchGet"
    inside = http.get(url, params={"trace_ids": trace_id, "experiment_ids": experiment})
    elsewhere = http.get(url, params={"trace_ids": trace_id, "experiment_ids": "0"})
    assert [t["trace_info"]["trace_id"] for t in inside.json()["traces"]] == [trace_id]
    assert elsewhere.json() == {"traces": []}
