"""A trace's files, as MLflow's web UI reads them through `get-trace-artifact`.

Without `path` it answers the trace's spans in traces.json's shape: the spans held here, else
the traces.json an older client uploaded through the artifact proxy. With `path` it streams
one attachment: a file (an image, audio, a PDF) that the 3.x client took out of a span's
inputs or outputs, uploaded to `attachments/<uuid>` under the trace's artifact location, and
left in the span as an `mlflow-attachment://<uuid>?content_type=..` reference.

An attachment is served as the artifact proxy serves any file: a download
(`Content-Disposition: attachment`, `nosniff`), never as a page of this origin. The UI reads
its bytes and shows them as the type the span's reference names.
"""

from __future__ import annotations

import uuid

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..access import rules as r
from ..artifacts import Located
from ..artifacts.paths import join
from ..dispatch import ApiRoutes
from ..errors import invalid
from ..limits import MAX_BODY_BYTES
from ..services import Services
from ..store.traces import ARTIFACT_LOCATION, ATTACHMENTS
from ..wire import JSONResponse, refuse_nul
from .artifacts import send_artifact
from .model_files import artifact_root

api = ApiRoutes()

# What a client that keeps spans as an artifact uploads, under the trace's artifact location.
TRACE_DATA_FILE = "traces.json"
_URLS = tuple(
    f"/{prefix}/{version}/mlflow/get-trace-artifact"
    for prefix in ("api", "ajax-api")
    for version in ("2.0", "3.0")
)


@api.route(*_URLS, rule=r.trace(r.READ, r.query("request_id", "trace_id")))
async def trace_artifact(request: Request) -> Response:
    services: Services = request.app.state.services
    params = request.query_params
    refuse_nul(dict(params))
    trace_id = params.get("request_id") or params.get("trace_id")
    if not trace_id:
        raise invalid('Request must include the "request_id" query parameter.')
    path = params.get("path")
    if not path:
        return JSONResponse(await run_in_threadpool(trace_data, services, trace_id))
    name = attachment_name(path)
    repository, root = await run_in_threadpool(_trace_root, services, trace_id)
    return await send_artifact(request, repository, join(root, ATTACHMENTS, name))


def attachment_name(path: str) -> str:
    """`path` if it names an attachment: a UUID in its canonical form, which is all the
    client writes (and so never a path outside the trace's folder)."""
    try:
        canonical = str(uuid.UUID(path)) == path
    except ValueError:
        canonical = False
    if not canonical:
        raise invalid(f"Invalid attachment path {path[:100]!r}: it must be a UUID.")
    return path


def trace_data(services: Services, trace_id: str) -> object:
    """The trace's spans as traces.json holds them."""
    spans = services.traces.artifact_spans(trace_id)
    if spans is not None:
        return {"spans": spans}
    location = _location(services, trace_id)
    if not location:
        return {"spans": []}
    repository, root = artifact_root(services, location)
    reader = repository.open_read(join(root, TRACE_DATA_FILE))
    try:
        if reader.size > MAX_BODY_BYTES:
            raise invalid(f"The trace's {TRACE_DATA_FILE} is larger than this server serves.")
        data = b"".join(reader.chunks())
    finally:
        reader.close()
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        raise invalid(f"The trace's {TRACE_DATA_FILE} is not valid JSON.") from None


def _location(services: Services, trace_id: str) -> str | None:
    """The trace's artifact location (404 for no trace)."""
    return services.traces.get_info(trace_id).tags.get(ARTIFACT_LOCATION)


def _trace_root(services: Services, trace_id: str) -> Located:
    """The repository and folder of the trace's artifact location."""
    location = _location(services, trace_id)
    if not location:
        raise invalid(f"Trace {trace_id} has no artifact location.")
    return artifact_root(services, location)
