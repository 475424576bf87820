"""`POST /v1/traces`: OpenTelemetry span export over HTTP (OTLP/HTTP), from the stock mlflow
client (3.4 and later) and from any OpenTelemetry SDK or collector.

The body is an OTLP `ExportTraceServiceRequest`, protobuf or JSON, plain, gzip or deflate;
header `x-mlflow-experiment-id` names the experiment, `x-mlflow-run-id` optionally a run to
link finished traces to. An export is stored whole or not at all. Decompression stops past
MAX_BODY_BYTES, so a small gzip bomb cannot fill the server's memory.

On SQLite, exports that arrive together are prepared and stored by one thread, in one
transaction, each in a savepoint of its own (`Batch`, trackyard/batch_lane.py): concurrent
senders then cost no contention for the GIL between threads.
"""

from __future__ import annotations

import threading
import zlib
from typing import NamedTuple

import msgspec
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.datastructures import Headers
from starlette.types import Scope

from ..access import rules as r
from ..batch_lane import Outcome
from ..dispatch import ApiRoutes, Batch, Reply
from ..errors import ApiError, invalid
from ..limits import MAX_BODY_BYTES
from ..services import Services
from ..store import span_codec, traces

api = ApiRoutes()

PROTOBUF, JSON = "application/x-protobuf", "application/json"
EXPERIMENT_HEADER = "x-mlflow-experiment-id"
RUN_HEADER = "x-mlflow-run-id"
# zlib window settings: gzip framing, zlib framing, raw deflate.
_GZIP, _ZLIB, _RAW = 16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS
_EMPTY_RESPONSE = ExportTraceServiceResponse().SerializeToString()
# One export's spans converted at a time where store threads serve exports (PostgreSQL). The
# conversion holds the GIL but while zlib packs a span, and at each of those releases another
# converting thread took the GIL, only to hand it back: with 8 senders, 65 context switches
# an export, and 41 with this lock (+14 % spans/s). Their writes stay concurrent.
_CONVERTING = threading.Lock()


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


class SpanExport(msgspec.Struct, frozen=True):
    """One export request as it came: checked, decompressed, parsed and stored on a store
    thread, after the caller's permission on the experiment (so a caller without it hears
    403, whatever they sent)."""

    experiment_id: str
    run_id: str | None
    content_type: str
    encoding: str | None
    body: bytes


def read_export(scope: Scope, body: bytes) -> SpanExport:
    headers = Headers(scope=scope)
    return SpanExport(
        experiment_id=headers.get(EXPERIMENT_HEADER, "").strip(),
        run_id=headers.get(RUN_HEADER, "").strip() or None,
        content_type=headers.get("content-type", ""),
        encoding=headers.get("content-encoding"),
        body=body,
    )


def _media_type(content_type: str) -> str:
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type not in (PROTOBUF, JSON):
        raise invalid(
            f"Invalid Content-Type: {content_type or 'none'}. Expected: {PROTOBUF} or {JSON}"
        )
    return media_type


class Prepared(NamedTuple):
    """An export ready to store, and how its answer is spelled."""

    batch: traces.SpanBatch
    media_type: str


def prepare(services: Services, export: SpanExport) -> Prepared:
    """Check, decompress and convert an export's spans (400/413 for a bad one)."""
    media_type = _media_type(export.content_type)
    if not export.experiment_id:
        raise invalid(f"Missing header {EXPERIMENT_HEADER}: the experiment to log spans to.")
    body = decompress(export.body, export.encoding)
    with _CONVERTING:
        spans = span_codec.records(span_codec.parse_request(body, media_type))
    if not spans:
        raise invalid("Invalid OpenTelemetry format - no spans found")
    return Prepared(traces.SpanBatch(export.experiment_id, spans, export.run_id), media_type)


def store(services: Services, exports: list[Prepared]) -> list[Outcome]:
    """Store prepared exports in one transaction, each whole or not at all."""
    errors = services.traces.log_span_batches([export.batch for export in exports])
    return [
        (None, error) if error else (_answer(export.media_type), None)
        for export, error in zip(exports, errors, strict=True)
    ]


def _answer(media_type: str) -> Reply:
    if media_type == JSON:
        return Reply(b"{}", JSON)
    return Reply(_EMPTY_RESPONSE, PROTOBUF)


# Logging spans writes to the experiment: EDIT on it. On SQLite, concurrent exports are stored
# together by one thread (`Batch`); this handler serves one alone where no lane runs.
@api.post(
    "/v1/traces",
    SpanExport,
    rule=r.experiment(r.EDIT),
    reader=read_export,
    batch=Batch(prepare, store),
)
def export_traces(services: Services, export: SpanExport) -> Reply:
    prepared = prepare(services, export)
    services.traces.log_spans(prepared.batch)
    return _answer(prepared.media_type)
