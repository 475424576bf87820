"""POST /v1/traces from senders other than the mlflow client (the OpenTelemetry SDK, raw OTLP
in protobuf and JSON, compressed), retries and races with the trace info, and hostile bodies:
each answered 4xx with nothing stored."""

from __future__ import annotations

import base64
import gzip
import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from mlflow import MlflowClient
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import StatusCode

from .helpers import assert_error

PROTOBUF = {"Content-Type": "application/x-protobuf"}
TRACE = b""  # each test's own trace id (`_own_trace_id`)
ROOT, CHILD, GRANDCHILD = (
    bytes.fromhex(h) for h in ("b7ad6b7169203331", "00f067aa0ba902b7", "1111111111111111")
)
START = 1_700_000_000_000_000_000


def span(span_id: bytes, parent: bytes = b"", name: str = "step", **attributes: str) -> Span:
    message = Span(
        trace_id=TRACE,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        start_time_unix_nano=START,
        end_time_unix_nano=START + 250_000_000,
        status=Status(code=Status.STATUS_CODE_OK),
    )
    for key, value in attributes.items():
        attribute = message.attributes.add()
        attribute.key = key
        attribute.value.string_value = value
    return message


def export(*spans: Span) -> bytes:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    return request.SerializeToString()


def post(http: httpx.Client, body: bytes, experiment: str, **headers: str) -> httpx.Response:
    return http.post(
        "/v1/traces",
        content=body,
        headers={**PROTOBUF, "x-mlflow-experiment-id": experiment, **headers},
    )


def trace_id() -> str:
    return "tr-" + TRACE.hex()


@pytest.fixture(autouse=True)
def _own_trace_id() -> None:
    """Tests share one server per backend: each sends spans of a trace id of its own."""
    global TRACE
    TRACE = os.urandom(16)


def stored_spans(client: MlflowClient) -> list:
    return client.get_trace(trace_id()).data.spans


def test_the_opentelemetry_sdk_exporter_sends_a_trace_the_client_reads(
    server, client, experiment_id
):
    exporter = OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers={"x-mlflow-experiment-id": experiment_id}
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "billing"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("handle-request") as root:
        root.set_attribute("http.route", "/pay")
        with (
            tracer.start_as_current_span("charge-card"),
            tracer.start_as_current_span("call-bank") as leaf,
        ):
            leaf.set_status(StatusCode.ERROR, "declined")
    provider.shutdown()
    otel_id = f"tr-{root.get_span_context().trace_id:032x}"
    trace = client.get_trace(otel_id)
    names = {s.name: s for s in trace.data.spans}
    assert set(names) == {"handle-request", "charge-card", "call-bank"}
    assert names["call-bank"].parent_id == names["charge-card"].span_id
    assert names["handle-request"].get_attribute("http.route") == "/pay"
    assert names["call-bank"].status.status_code.value == "ERROR"
    assert trace.info.state.value == "OK"  # the root's status is UNSET: OK, as mlflow server
    assert trace.info.experiment_id == experiment_id
    assert trace.info.tags["mlflow.traceName"] == "handle-request"


def test_resource_attributes_become_trace_tags_below_the_traces_own(http, client, experiment_id):
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource = {
        "service.name": "billing",
        "team": "infra",
        "telemetry.sdk.name": "opentelemetry",
        "mlflow.trace.spansLocation": "ARTIFACT_REPO",
        "bad key!": "x",
    }
    for key, value in resource.items():
        attribute = resource_spans.resource.attributes.add()
        attribute.key, attribute.value.string_value = key, value
    replicas = resource_spans.resource.attributes.add()
    replicas.key, replicas.value.int_value = "replicas", 3
    root = span(ROOT, name="handle", **{"mlflow.traceTag.team": "search"})
    resource_spans.scope_spans.add().spans.append(root)
    assert post(http, request.SerializeToString(), experiment_id).status_code == 200
    tags = client.get_trace(trace_id()).info.tags
    assert (tags["service.name"], tags["replicas"], tags["team"]) == ("billing", "3", "search")
    assert tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert not {"telemetry.sdk.name", "bad key!"} & set(tags)


def test_children_first_then_the_root_make_one_finished_trace(http, client, experiment_id):
    assert post(http, export(span(GRANDCHILD, CHILD)), experiment_id).status_code == 200
    partial = http.get(f"/api/3.0/mlflow/traces/{trace_id()}").json()["trace"]["trace_info"]
    assert partial["state"] == "IN_PROGRESS"
    assert post(http, export(span(CHILD, ROOT)), experiment_id).status_code == 200
    assert (
        post(
            http, export(span(ROOT, name="root", **{"mlflow.spanInputs": "hi"})), experiment_id
        ).status_code
        == 200
    )
    trace = client.get_trace(trace_id())
    assert trace.data.spans[0].name == "root"
    assert len(trace.data.spans) == 3
    assert trace.info.state.value == "OK"
    assert trace.info.execution_duration == 250
    assert trace.info.request_preview == '"hi"'


def test_the_same_batch_twice_stores_each_span_once(http, client, experiment_id):
    body = export(span(ROOT), span(CHILD, ROOT))
    assert post(http, body, experiment_id).status_code == 200
    assert post(http, body, experiment_id).status_code == 200
    assert sorted(s.span_id for s in stored_spans(client)) == sorted([ROOT.hex(), CHILD.hex()])


def test_a_span_sent_again_after_it_ended_replaces_the_first_copy(http, client, experiment_id):
    running = span(ROOT)
    running.end_time_unix_nano = 0
    assert post(http, export(running), experiment_id).status_code == 200
    assert post(http, export(span(ROOT)), experiment_id).status_code == 200
    (stored,) = stored_spans(client)
    assert stored.end_time_ns == START + 250_000_000


def start_trace_body(experiment: str) -> dict:
    return {
        "trace": {
            "trace_info": {
                "trace_id": trace_id(),
                "trace_location": {
                    "type": "MLFLOW_EXPERIMENT",
                    "mlflow_experiment": {"experiment_id": experiment},
                },
                "request_time": "2023-11-14T22:13:20Z",
                "execution_duration": "0.250s",
                "state": "OK",
                "request_preview": "from the client",
                "tags": {"mlflow.traceName": "client-name"},
                "trace_metadata": {"mlflow.trace.sizeStats": '{"num_spans": 2}'},
            }
        }
    }


def test_trace_info_before_its_spans_keeps_the_clients_info(http, client, experiment_id):
    client_agent = {"User-Agent": "mlflow-python-client/3.17.2"}
    started = http.post(
        "/api/3.0/mlflow/traces", json=start_trace_body(experiment_id), headers=client_agent
    )
    assert started.status_code == 200, started.text
    tags = started.json()["trace"]["trace_info"]["tags"]
    assert tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert (
        post(http, export(span(ROOT, name="root"), span(CHILD, ROOT)), experiment_id).status_code
        == 200
    )
    trace = client.get_trace(trace_id())
    assert (trace.info.request_preview, trace.info.tags["mlflow.traceName"]) == (
        "from the client",
        "client-name",
    )
    assert len(trace.data.spans) == 2


def test_trace_info_after_its_spans_is_marked_as_held_by_the_server(http, experiment_id):
    assert post(http, export(span(ROOT), span(CHILD, ROOT)), experiment_id).status_code == 200
    started = http.post("/api/3.0/mlflow/traces", json=start_trace_body(experiment_id))
    info = started.json()["trace"]["trace_info"]
    assert info["tags"]["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert info["request_preview"] == "from the client"


def test_an_older_client_without_spans_is_told_to_upload_traces_json(http, experiment_id):
    started = http.post(
        "/api/3.0/mlflow/traces",
        json=start_trace_body(experiment_id),
        headers={"User-Agent": "mlflow-python-client/3.1.0"},
    )
    tags = started.json()["trace"]["trace_info"]["tags"]
    assert "mlflow.trace.spansLocation" not in tags
    assert tags["mlflow.artifactLocation"].endswith(f"/traces/{trace_id()}/artifacts")


def test_a_partial_trace_is_read_only_when_asked_for(http, experiment_id):
    http.post("/api/3.0/mlflow/traces", json=start_trace_body(experiment_id))
    assert post(http, export(span(ROOT)), experiment_id).status_code == 200
    whole = http.get("/api/3.0/mlflow/traces/get", params={"trace_id": trace_id()})
    assert_error(whole, "RESOURCE_DOES_NOT_EXIST", 404)
    partial = http.get(
        "/api/3.0/mlflow/traces/get", params={"trace_id": trace_id(), "allow_partial": "True"}
    )
    assert len(partial.json()["trace"]["spans"]) == 1


def test_a_span_kind_and_status_code_newer_than_the_protocol_are_stored_as_numbers(
    http, experiment_id
):
    newer = span(ROOT)
    newer.kind, newer.status.code = 9, 5
    assert post(http, export(newer), experiment_id).status_code == 200
    stored = http.get(
        "/api/3.0/mlflow/traces/get", params={"trace_id": trace_id(), "allow_partial": "True"}
    ).json()["trace"]["spans"][0]
    assert (stored["kind"], stored["status"]["code"]) == (9, 5)


def otlp_json(*spans: Span) -> bytes:
    """OTLP JSON as senders write it: camelCase names and hex ids."""
    from google.protobuf.json_format import MessageToJson

    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    text = MessageToJson(request)
    for raw in (TRACE, ROOT, CHILD):
        text = text.replace(base64.b64encode(raw).decode(), raw.hex())
    return text.encode()


def test_a_json_body_with_hex_ids(http, client, experiment_id):
    response = http.post(
        "/v1/traces",
        content=otlp_json(span(ROOT), span(CHILD, ROOT)),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "x-mlflow-experiment-id": experiment_id,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert sorted(s.span_id for s in stored_spans(client)) == sorted([ROOT.hex(), CHILD.hex()])


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some send it
    ],
)
def test_compressed_bodies(http, client, experiment_id, encoding, compress):
    body = compress(export(span(ROOT)))
    assert post(http, body, experiment_id, **{"Content-Encoding": encoding}).status_code == 200
    assert len(stored_spans(client)) == 1


def test_a_one_megabyte_span_round_trips(http, client, experiment_id):
    payload = "x" * 1_000_000
    assert post(http, export(span(ROOT, note=payload)), experiment_id).status_code == 200
    (stored,) = stored_spans(client)
    assert stored.get_attribute("note") == payload


def test_the_run_header_links_finished_traces_to_the_run(http, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert (
        post(http, export(span(ROOT)), experiment_id, **{"x-mlflow-run-id": run_id}).status_code
        == 200
    )
    found = client.search_traces(locations=[experiment_id], run_id=run_id)
    assert [t.info.trace_id for t in found] == [trace_id()]


def assert_nothing_stored(http: httpx.Client) -> None:
    response = http.get(f"/api/3.0/mlflow/traces/{trace_id()}")
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xff\xff\xff not protobuf",
        export(span(ROOT, note="y" * 1000))[:-300],  # truncated
    ],
    ids=["malformed", "truncated"],
)
def test_a_body_that_is_not_an_otlp_request_is_refused(http, experiment_id, body):
    assert_error(post(http, body, experiment_id), "INVALID_PARAMETER_VALUE", 400)
    assert_nothing_stored(http)


def test_a_batch_with_one_bad_span_stores_none_of_it(http, experiment_id):
    bad = span(b"\x01\x02")  # a span id of 2 bytes
    assert_error(post(http, export(span(ROOT), bad), experiment_id), "INVALID_PARAMETER_VALUE", 400)
    assert_nothing_stored(http)


def exported_trace(trace: bytes, note: str = "") -> bytes:
    """A root and a child of trace `trace` (not this test's own)."""
    spans = [span(ROOT, note=note), span(CHILD, ROOT)]
    for each in spans:
        each.trace_id = trace
    return export(*spans)


def test_exports_sent_at_once_are_each_answered_on_their_own(server, client, experiment_id):
    """Concurrent exports are stored together in one transaction, each whole or not at all:
    a bad one hears its own error and takes nothing else with it."""
    good = [os.urandom(16) for _ in range(8)]
    sends = [(exported_trace(trace), experiment_id, 200) for trace in good]
    sends.insert(3, (exported_trace(os.urandom(16)), "987654321", 404))  # no such experiment
    sends.insert(6, (exported_trace(os.urandom(16), "y" * 1000)[:-300], experiment_id, 400))
    barrier = threading.Barrier(len(sends))

    def send(sent: tuple[bytes, str, int]) -> int:
        body, experiment, _ = sent
        with httpx.Client(base_url=server.url) as own:
            barrier.wait()
            return post(own, body, experiment).status_code

    with ThreadPoolExecutor(len(sends)) as pool:
        statuses = list(pool.map(send, sends))
    assert statuses == [status for *_, status in sends]
    for trace in good:
        assert len(client.get_trace("tr-" + trace.hex()).data.spans) == 2


def test_a_failing_batch_leaves_the_others_of_its_transaction_stored(database_uri):
    from trackyard.store import open_database, span_codec
    from trackyard.store.traces import SpanBatch, TraceStore

    def batch(experiment: str, trace: bytes) -> SpanBatch:
        request = ExportTraceServiceRequest.FromString(exported_trace(trace))
        return SpanBatch(experiment, span_codec.records(request))

    database = open_database(database_uri)
    try:
        with database.write() as tx:
            experiment = str(
                tx.scalar(
                    "INSERT INTO experiments (name, artifact_location, lifecycle_stage, "
                    "creation_time, last_update_time) VALUES ('e', '/a', 'active', 0, 0) "
                    "RETURNING experiment_id"
                )
            )
        store = TraceStore(database)
        first, lost, last = os.urandom(16), os.urandom(16), os.urandom(16)
        errors = store.log_span_batches(
            [batch(experiment, first), batch("987654321", lost), batch(experiment, last)]
        )
        assert [type(error).__name__ for error in errors] == ["NoneType", "ApiError", "NoneType"]
        with database.read() as tx:
            stored = {row[0] for row in tx.all("SELECT trace_id FROM traces")}
        assert stored == {"tr-" + first.hex(), "tr-" + last.hex()}
    finally:
        database.close()


def test_a_gzip_bomb_is_refused_before_it_fills_memory(http, experiment_id):
    bomb = gzip.compress(b"\0" * (80 * 2**20), compresslevel=9)
    assert len(bomb) < 200_000
    response = post(http, bomb, experiment_id, **{"Content-Encoding": "gzip"})
    assert_error(response, "BAD_REQUEST", 413)


@pytest.mark.parametrize(
    ("headers", "code", "status"),
    [
        ({"Content-Type": "text/plain"}, "INVALID_PARAMETER_VALUE", 400),
        ({"Content-Encoding": "br"}, "INVALID_PARAMETER_VALUE", 400),
        ({"Content-Encoding": "gzip"}, "INVALID_PARAMETER_VALUE", 400),  # not gzip inside
        ({"x-mlflow-experiment-id": "987654321"}, "RESOURCE_DOES_NOT_EXIST", 404),
        ({"x-mlflow-experiment-id": "not-a-number"}, "RESOURCE_DOES_NOT_EXIST", 404),
        ({"x-mlflow-experiment-id": ""}, "INVALID_PARAMETER_VALUE", 400),
    ],
)
def test_bad_headers_are_refused(http, experiment_id, headers, code, status):
    assert_error(post(http, export(span(ROOT)), experiment_id, **headers), code, status)
    assert_nothing_stored(http)


def test_a_request_without_spans_is_refused(http, experiment_id):
    assert_error(
        post(http, ExportTraceServiceRequest().SerializeToString(), experiment_id),
        "INVALID_PARAMETER_VALUE",
        400,
    )


def test_malformed_json_is_refused(http, experiment_id):
    response = http.post(
        "/v1/traces",
        content=b'{"resourceSpans": [{"scopeSpans": 5}]}',
        headers={"Content-Type": "application/json", "x-mlflow-experiment-id": experiment_id},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_gc_removes_the_traces_of_a_deleted_experiment_with_their_spans(database_uri, tmp_path):
    from .servers import start_server
    from .test_gc import trackyard_gc
    from .test_migrations import _execute

    server = start_server(tmp_path / "server", database_uri)
    try:
        with httpx.Client(base_url=server.url) as http:
            created = http.post("/api/2.0/mlflow/experiments/create", json={"name": "gc-traces"})
            experiment = created.json()["experiment_id"]
            assert post(http, export(span(ROOT), span(CHILD, ROOT)), experiment).status_code == 200
            http.post("/api/2.0/mlflow/experiments/delete", json={"experiment_id": experiment})
        assert trackyard_gc(server, "--experiment-ids", experiment).returncode == 0
        for table in ("traces", "spans", "trace_tags"):
            assert _execute(database_uri, f"SELECT COUNT(*) FROM {table}")[0][0] == 0
    finally:
        server.stop()
