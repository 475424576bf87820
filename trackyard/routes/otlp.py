"""`POST /v1/traces`: OpenTelemetry span export over HTTP (OTLP/HTTP), from the stock mlflow
client (3.4 and later) and from any OpenTelemetry SDK or collector.

The body is an OTLP `ExportTraceServiceRequest`, protobuf or JSON, plain, gzip or deflate;
header `x-mlflow-experiment-id` names the experiment, `x-mlflow-run-id` optionally a run to
link finished traces to. A batch is stored whole or not at all. Decompression stops past
MAX_BODY_BYTES, so a small gzip bomb cannot fill the server's memory.
"""

from __future__ import annotations

import zlib

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..access import rules as r
from ..dispatch import ApiRoutes
from ..errors import ApiError, invalid
from ..limits import MAX_BODY_BYTES
from ..services import Services
from ..store import span_codec
from ..wire import read_body

api = ApiRoutes()

PROTOBUF, JSON = "application/x-protobuf", "application/json"
EXPERIMENT_HEADER = "x-mlflow-experiment-id"
RUN_HEADER = "x-mlflow-run-id"
# zlib window settings: gzip framing, zlib framing, raw deflate.
_GZIP, _ZLIB, _RAW = 16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS


def decompress(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before `Content-Encoding`; 400 for a broken or unknown encoding, 413
    past MAX_BODY_BYTES decompressed."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding == "gzip":
        return _inflate(body, (_GZIP,), encoding)
    if encoding == "deflate":  # zlib-framed as the RFC says, or raw as some senders do
        return _inflate(body, (_ZLIB, _RAW), encoding)
    raise invalid(f"Unsupported Content-Encoding: {encoding}")


def _inflate(body: bytes, window_settings: tuple[int, ...], encoding: str) -> bytes:
    for wbits in window_settings:
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(body, MAX_BODY_BYTES + 1)
        except zlib.error:
            continue
        if len(data) > MAX_BODY_BYTES:
            raise ApiError(
                f"Decompressed request body larger than {MAX_BODY_BYTES // 2**20} MiB.",
                "BAD_REQUEST",
                413,
            )
        if inflater.eof:
            return data
    raise invalid(f"Failed to decompress {encoding} payload: the body is not valid {encoding}.")


def _media_type(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type not in (PROTOBUF, JSON):
        raise invalid(
            f"Invalid Content-Type: {content_type or 'none'}. Expected: {PROTOBUF} or {JSON}"
        )
    return media_type


def _ingest(
    services: Services, body: bytes, media_type: str, experiment_id: str, run_id: str | None
) -> None:
    """Parse and store one export request (CPU and database work: a worker thread's)."""
    request = span_codec.parse_request(body, media_type)
    spans = span_codec.records(request)
    if not spans:
        raise invalid("Invalid OpenTelemetry format - no spans found")
    services.traces.log_spans(experiment_id, spans, run_id)


def _header_experiment(request: Request) -> str:
    return request.headers.get(EXPERIMENT_HEADER, "").strip()


# Logging spans writes to the experiment: EDIT on it.
@api.route("/v1/traces", methods=("POST",), rule=r.on("experiment", r.EDIT, _header_experiment))
async def export_traces(request: Request) -> Response:
    media_type = _media_type(request)
    experiment_id = _header_experiment(request)
    if not experiment_id:
        raise invalid(f"Missing header {EXPERIMENT_HEADER}: the experiment to log spans to.")
    run_id = request.headers.get(RUN_HEADER, "").strip() or None
    budget = request.app.state.body_budget
    body = await read_body(request.scope, request.receive, budget, json_only=False)
    body = decompress(body, request.headers.get("content-encoding"))
    services = request.app.state.services
    await run_in_threadpool(_ingest, services, body, media_type, experiment_id, run_id)
    if media_type == JSON:
        return Response(b"{}", media_type=JSON)
    return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)
