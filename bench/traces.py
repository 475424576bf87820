"""Trace workloads (MLflow 3 tracing): the stock client logging traces, OTLP span ingest from
concurrent senders with the storage it takes, a search page over many traces (with and
without their spans, as `mlflow.search_traces` reads them) and one large trace read back.

Spans are sent as the stock client sends them: OTLP protobuf to `POST /v1/traces` with
`x-mlflow-experiment-id`, built before the clock starts; reads use the v3 endpoints the
3.17 client calls. Both servers get exactly the same requests.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import statistics
import threading
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from workloads import (
    BENCH_DIR,
    CLIENT_LOOP_TIMEOUT_S,
    FULL,
    ApiError,
    Measurement,
    Measuring,
    Target,
    _run_checked,
    create_experiment,
    require,
    run_parallel,
)

V3 = "/api/3.0/mlflow/traces"
SEARCH_PAGE = 100
BATCH_GET = 10  # trace ids per batchGet, as the client reads a search page's spans
REPEATS = 10
# Pages timed one by one on the clock (their median) and whose server CPU time is summed (a
# clock tick is 10 ms): a page takes 1-30 ms, and ten of them gave medians that moved by 2x
# from run to run on this shared machine.
SEARCH_PAGES = 100
SEED_SPANS_PER_TRACE = 2
WARMUP_TRACES = 3  # trace_client.py's
SEED_TRACES_PER_REQUEST = 50
SEED_RETRIES = 10
SEED_SIZES = dataclasses.replace(FULL, seed_clients=2)
LARGE_TRACE_BATCH = 100
OTLP_SPANS_PER_TRACE = 10
# trackyard's round lasts 1-2 s, so a burst of the machine's other work could move a single
# one by a third; mlflow server's lasts ~20 s.
OTLP_ROUNDS = 3
START_NS = 1_700_000_000_000_000_000


def _value(value: Any) -> AnyValue:
    """A Python value as the client's OTel attribute value (as mlflow's exporter makes it)."""
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, dict):
        kv = AnyValue()
        kv.kvlist_value.values.extend(KeyValue(key=k, value=_value(v)) for k, v in value.items())
        return kv
    array = AnyValue()
    array.array_value.values.extend(_value(v) for v in value)
    return array


def make_span(trace_id: bytes, index: int, parent: bytes | None, start_ns: int) -> Span:
    """A span like `@mlflow.trace` makes: type, inputs, outputs, the trace's request id."""
    span = Span(
        trace_id=trace_id,
        span_id=(index + 1).to_bytes(8, "big"),
        parent_span_id=parent or b"",
        name="agent" if parent is None else f"step_{index}",
        start_time_unix_nano=start_ns + index * 1000,
        end_time_unix_nano=start_ns + 5_000_000,
        status=Status(code=Status.STATUS_CODE_OK),
    )
    attributes = {
        "mlflow.traceRequestId": f"tr-{trace_id.hex()}",
        "mlflow.spanType": "CHAIN" if parent is None else "LLM",
        "mlflow.spanFunctionName": "predict",
        "mlflow.spanInputs": {"question": f"What is {index} + {index}?", "temperature": 0.2},
        "mlflow.spanOutputs": {"answer": str(2 * index), "tokens": [index, index + 1]},
    }
    span.attributes.extend(KeyValue(key=k, value=_value(v)) for k, v in attributes.items())
    return span


def trace_spans(count: int, start_ns: int = START_NS) -> list[Span]:
    """One trace of `count` spans: a root and its children."""
    trace_id = os.urandom(16)
    root = make_span(trace_id, 0, None, start_ns)
    return [root, *(make_span(trace_id, i, root.span_id, start_ns) for i in range(1, count))]


def export_body(spans: list[Span]) -> bytes:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    return request.SerializeToString()


def post_spans(connection: http.client.HTTPConnection, experiment_id: str, body: bytes) -> None:
    headers = {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": experiment_id}
    connection.request("POST", "/v1/traces", body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    if response.status != 200:
        raise ApiError(f"POST /v1/traces: HTTP {response.status}\n  body: {content[:1500]!r}")


def _post_retrying(connection: http.client.HTTPConnection, experiment_id: str, body: bytes):
    """Seeding only: a 503 (mlflow server on SQLite answers "database is locked" to parallel
    writers) is sent again after a pause, as the stock client retries it."""
    for attempt in range(SEED_RETRIES):
        try:
            post_spans(connection, experiment_id, body)
            return
        except (ApiError, http.client.HTTPException, OSError) as error:
            if isinstance(error, ApiError) and "HTTP 503" not in str(error):
                raise
            if attempt == SEED_RETRIES - 1:
                raise
            connection.close()  # the next request connects again
            time.sleep(0.5 * (attempt + 1))


def _connection(target: Target) -> http.client.HTTPConnection:
    host, port = target.base_url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=120)


def call3(target: Target, method: str, path: str, body: Any = None, params: Any = None) -> dict:
    """One v3 trace call; the JSON answer, or ApiError with both sides."""
    return timed_call3(target, method, path, body, params)[0]


def timed_call3(
    target: Target, method: str, path: str, body: Any = None, params: Any = None
) -> tuple[dict, float, float]:
    """One v3 trace call: its JSON answer, the seconds until the whole answer was read, and
    until the client had also decoded it. Decoding is the client's work, the same for both
    servers' (equal) answers, and for a 500-span trace it costs the bench's client more than
    trackyard spends serving it: both are reported."""
    started = time.perf_counter()
    response = target.http.request(method, f"{V3}{path}", json=body, params=params)
    received = time.perf_counter() - started
    if response.status_code != 200:
        raise ApiError(
            f"{method} {V3}{path}: HTTP {response.status_code}\n  {response.text[:1500]}"
        )
    answer = response.json()
    return answer, received, time.perf_counter() - started


# --- the stock client ---------------------------------------------------------------------


def stock_client_traces_per_s(target: Target, experiment_id: str) -> float:
    """`@mlflow.trace` with four nested spans, N traces, then a flush: what a user's agent
    loop pays (the client's own work included), in a subprocess with the project's mlflow."""
    command = [
        target.client_python,
        str(BENCH_DIR / "trace_client.py"),
        target.tracking_uri,
        experiment_id,
        str(target.sizes.trace_client_traces),
    ]
    out = _run_checked(command, {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}, CLIENT_LOOP_TIMEOUT_S)
    return target.sizes.trace_client_traces / json.loads(out.strip().splitlines()[-1])["seconds"]


def client_traces(target: Target) -> list[Measurement]:
    """The stock client's trace rate, and whether every trace it sent was stored."""
    experiment = create_experiment(target, "bench-trace-client")
    count = target.sizes.trace_client_traces
    rate = stock_client_traces_per_s(target, experiment)
    found = call3(
        target, "POST", "/search", {"locations": [_location(experiment)], "max_results": 500}
    )
    logged = count + WARMUP_TRACES
    stored = len(found.get("traces", []))
    return [
        Measurement(f"stock client: {count} traces of 5 spans", rate, "traces/s", True),
        # A trace the server failed to store is lost: the client only logs a warning.
        Measurement("stock client: traces stored of those sent", stored / logged * 100, "%", True),
    ]


def _location(experiment_id: str) -> dict:
    return {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}


# --- OTLP ingest --------------------------------------------------------------------------


def otlp_ingest(target: Target) -> list[Measurement]:
    """N senders at once, each posting traces of 10 spans (one request each), in rounds:
    the median round's spans/s, and the database growth per span."""
    experiment = create_experiment(target, "bench-otlp")
    senders, each = target.sizes.otlp_senders, target.sizes.otlp_requests_each
    before = target.store_bytes()
    rates = [_otlp_round(target, experiment, senders, each) for _ in range(OTLP_ROUNDS)]
    grown = target.store_bytes() - before
    spans = senders * each * OTLP_SPANS_PER_TRACE
    warmup_spans = senders * 2
    return [
        Measurement(
            f"OTLP ingest, {senders} senders, {spans:,} spans (median of {OTLP_ROUNDS} rounds)",
            statistics.median(rates),
            "spans/s",
            True,
        ),
        Measurement(
            "storage: bytes per span (OTLP, client-like spans)",
            grown / ((spans + warmup_spans) * OTLP_ROUNDS),
            "bytes",
            False,
        ),
    ]


def _otlp_round(target: Target, experiment: str, senders: int, each: int) -> float:
    """One round: the senders released together; spans/s until the last one is done."""
    bodies = [
        [export_body(trace_spans(OTLP_SPANS_PER_TRACE)) for _ in range(each)]
        for _ in range(senders)
    ]
    barrier = threading.Barrier(senders + 1)
    errors: list[BaseException] = []
    finished: list[float] = []

    def send(own: list[bytes]) -> None:
        connection = _connection(target)
        try:
            post_spans(connection, experiment, export_body(trace_spans(2)))  # warm-up
            barrier.wait()
            for body in own:
                post_spans(connection, experiment, body)
            finished.append(time.perf_counter())
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(own,)) for own in bodies]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise ApiError(f"an OTLP sender failed: {errors[0]!r}")
    return senders * each * OTLP_SPANS_PER_TRACE / (max(finished) - started)


# --- search and get -----------------------------------------------------------------------


def _seed_traces(target: Target, experiment: str, count: int) -> None:
    """`count` traces of two spans, oldest first, sent over OTLP in parallel requests."""
    requests = []
    for first in range(0, count, SEED_TRACES_PER_REQUEST):
        spans = []
        for index in range(first, min(count, first + SEED_TRACES_PER_REQUEST)):
            spans += trace_spans(SEED_SPANS_PER_TRACE, START_NS + index * 1_000_000)
        requests.append(export_body(spans))

    def send(own: Target, body: bytes) -> None:
        connection = _connection(own)
        try:
            _post_retrying(connection, experiment, body)
        finally:
            connection.close()

    # Two connections: mlflow server on SQLite refuses more parallel writers ("database is
    # locked"); both servers are seeded alike.
    run_parallel(dataclasses.replace(target, sizes=SEED_SIZES), requests, send)


def _search_page(target: Target, experiment: str) -> tuple[list[str], float, float]:
    """A page's trace ids, and its times received and decoded (see timed_call3)."""
    found, received, decoded = timed_call3(
        target,
        "POST",
        "/search",
        {"locations": [_location(experiment)], "max_results": SEARCH_PAGE},
    )
    ids = [info["trace_id"] for info in found.get("traces", [])]
    require(len(ids) == SEARCH_PAGE, f"a page of {SEARCH_PAGE} traces", found)
    return ids, received, decoded


def _with_spans(target: Target, experiment: str) -> None:
    ids, _, _ = _search_page(target, experiment)
    for first in range(0, len(ids), BATCH_GET):
        batch = call3(
            target, "GET", "/batchGet", params={"trace_ids": ids[first : first + BATCH_GET]}
        )
        traces = batch.get("traces", [])
        require(
            all(len(t.get("spans", [])) == SEED_SPANS_PER_TRACE for t in traces)
            and len(traces) == len(ids[first : first + BATCH_GET]),
            "spans of the page",
            batch,
        )


def _median_s(action: Any) -> float:
    action()  # warm-up
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def trace_search(target: Target, count: int) -> Measuring:
    """Seed `count` traces; measuring: a search page of 100 (newest first), without and with
    spans, and the server's CPU time a page, which the machine's other load moves far less."""
    experiment = create_experiment(target, f"bench-trace-search-{count}")
    _seed_traces(target, experiment, count)
    target.settle()

    def measure() -> list[Measurement]:
        _search_page(target, experiment)  # warm-up
        cpu_before = target.cpu_seconds()
        pages = [_search_page(target, experiment) for _ in range(SEARCH_PAGES)]
        cpu = (target.cpu_seconds() - cpu_before) / SEARCH_PAGES
        received = statistics.median(page[1] for page in pages)
        decoded = statistics.median(page[2] for page in pages)
        spans = _median_s(lambda: _with_spans(target, experiment))
        return [
            _ms("trace search page of 100, answer received", received, "trace-search", count),
            _ms("... and decoded by the client", decoded, "trace-search-decoded", count),
            _ms("... the server's CPU a page", cpu, "trace-search-cpu", count),
            _ms("... with the page's spans (batchGet by 10)", spans, "trace-search-spans", count),
        ]

    return measure


def get_large_trace(target: Target) -> list[Measurement]:
    """`GET traces/get` of one trace of N spans (what `get_trace` reads)."""
    experiment = create_experiment(target, "bench-trace-get")
    spans = trace_spans(target.sizes.trace_get_spans)
    connection = _connection(target)
    try:
        for first in range(0, len(spans), LARGE_TRACE_BATCH):
            post_spans(
                connection, experiment, export_body(spans[first : first + LARGE_TRACE_BATCH])
            )
    finally:
        connection.close()
    trace_id = f"tr-{spans[0].trace_id.hex()}"
    params = {"trace_id": trace_id, "allow_partial": "true"}

    def read() -> tuple[float, float]:
        got, received, decoded = timed_call3(target, "GET", "/get", params=params)
        require(len(got.get("trace", {}).get("spans", [])) == len(spans), "every span", got)
        return received, decoded

    read()  # warm-up
    reads = [read() for _ in range(REPEATS)]
    label = f"get_trace of {len(spans)} spans"
    return [
        _ms(f"{label}, answer received", statistics.median(r[0] for r in reads)),
        _ms(f"{label}, and decoded by the client", statistics.median(r[1] for r in reads)),
    ]


def _ms(label: str, seconds: float, series: str = "", size: int = 0) -> Measurement:
    """A time in ms, lower being better."""
    return Measurement(label, seconds * 1000, "ms", False, series, size)


TRACE_WORKLOADS = [
    ("trace-client", client_traces),
    ("trace-otlp", otlp_ingest),
    ("trace-get", get_large_trace),
    ("trace-search", lambda t: trace_search(t, t.sizes.trace_search_traces)),
    ("trace-search-100k", lambda t: trace_search(t, t.sizes.trace_search_large)),
]
