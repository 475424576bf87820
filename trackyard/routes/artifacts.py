"""Artifact endpoints: MLflow's artifact proxy and the run-level list and download.

The proxy (`/api/2.0/mlflow-artifacts/...`) moves file bodies, so its endpoints are plain
async Starlette endpoints that stream request and response bodies in chunks; the blocking
repository calls run in worker threads. Every path (URL, query or JSON) goes through
`clean_path` before a repository sees it.

Multipart uploads: `mpu/create` hands the client one URL per part on this server
(`mpu/upload-part/<path>?upload_id=..&part_number=..`, our addition to MLflow's API), so
parts are proxied like single uploads and clients never need storage credentials.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import AsyncIterator
from urllib.parse import quote, urlencode

import anyio
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from ..access import rules as r
from ..artifacts import Located, locate
from ..artifacts.base import MAX_PARTS, ArtifactReader, ArtifactRepository, FileEntry, Part
from ..artifacts.paths import clean_path, file_name, join, redact
from ..artifacts.ranges import RangeNotSatisfiable, byte_range
from ..dispatch import ApiRoutes
from ..errors import ApiError, invalid
from ..limits import declared_length
from ..messages import artifacts as m
from ..services import Services
from ..validation import API_DOCS
from ..wire import JSONResponse, error_response, read_message, refuse_nul

api = ApiRoutes()
_PROXY_BASES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")


def _proxied(suffix: str) -> tuple[str, ...]:
    """The proxy's route `suffix` under both API prefixes."""
    return tuple(base + suffix for base in _PROXY_BASES)


_TEXT_NAMES = {"MLmodel", "MLproject"}
# The proxy's files live under `<experiment id>/`: they are that experiment's (an upload id is
# no credential: every part of a multipart upload is checked as a single upload is).
PROXY_READ = r.on("proxy_path", r.READ, r.path_param("path"))
PROXY_EDIT = r.on("proxy_path", r.EDIT, r.path_param("path"))
PROXY_MANAGE = r.on("proxy_path", r.MANAGE, r.path_param("path"))
PROXY_ROOT = r.ADMIN_RULE  # the store's root folder is no experiment's


class _AnyPath(Convertor):
    """Like Starlette's `path`, but matching control characters too (its `.*` stops at a
    newline), so that such paths reach `clean_path` and get a proper 400."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("artifact_path", _AnyPath())


# ----------------------------------------------------------------- helpers
def _services(request: Request) -> Services:
    return request.app.state.services


def _proxy(request: Request) -> ArtifactRepository:
    """The destination, if this server proxies artifacts at all."""
    services = _services(request)
    if not services.config.serve_artifacts or services.artifacts is None:
        raise ApiError(
            f"{request.method} {request.url.path}: artifact proxying is disabled (the server "
            "runs with --no-serve-artifacts); clients use the artifact store directly",
            "NOT_IMPLEMENTED",
        )
    return services.artifacts


def _url_path(request: Request) -> str:
    return clean_path(request.path_params.get("path", ""))


def _file(path: str) -> str:
    if not path:
        raise invalid("An artifact file path is required")
    return path


def _file_info(entry: FileEntry, folder: str = "") -> m.FileInfo:
    return m.FileInfo(path=join(folder, entry.name), is_dir=entry.is_dir, file_size=entry.size)


def _content_type(path: str) -> str:
    name = posixpath.basename(path)
    if name in _TEXT_NAMES or name.endswith((".yaml", ".yml")):
        return "text/plain"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _attachment(path: str) -> str:
    name = posixpath.basename(path)
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _chunks(reader: ArtifactReader, start: int, end: int) -> AsyncIterator[bytes]:
    iterator = reader.chunks(start, end)
    try:
        async for chunk in iterate_in_threadpool(iterator):
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):  # release the file / connection even on disconnect
            await run_in_threadpool(_close, iterator, reader)


def _close(iterator, reader: ArtifactReader) -> None:
    try:
        iterator.close()
    finally:
        reader.close()


async def send_artifact(request: Request, repository: ArtifactRepository, path: str) -> Response:
    """Stream one file, honouring a single-range Range header (206 / 416)."""
    reader = await run_in_threadpool(repository.open_read, _file(path))
    try:
        span = byte_range(request.headers.get("range"), reader.size)
    except RangeNotSatisfiable:
        await run_in_threadpool(reader.close)
        response = error_response(invalid(f"Range not satisfiable: the file has {reader.size} B"))
        response.status_code = 416
        response.headers["Content-Range"] = f"bytes */{reader.size}"
        return response
    start, end = span or (0, reader.size)
    headers = {
        "Content-Length": str(end - start),
        "Accept-Ranges": "bytes",
        "Content-Disposition": _attachment(path),
        "X-Content-Type-Options": "nosniff",
    }
    if span:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{reader.size}"
    status = 206 if span else 200
    if request.method == "HEAD":
        await run_in_threadpool(reader.close)
        return Response(status_code=status, headers=headers, media_type=_content_type(path))
    return StreamingResponse(
        _chunks(reader, start, end), status_code=status, headers=headers,
        media_type=_content_type(path),
    )  # fmt: skip


async def _receive(coroutine) -> Response | None:
    """Run an upload; a client that hangs up mid-body gets no answer (and no 500 in the log)."""
    try:
        await coroutine
    except ClientDisconnect:
        return Response(status_code=400)
    return None


# ----------------------------------------------------------------- the proxy
@api.route(*_proxied("/artifacts"), rule=r.on("proxy_path", r.READ, r.query("path")))
async def list_proxied(request: Request) -> Response:
    repository = _proxy(request)
    path = clean_path(request.query_params.get("path"))
    entries = await run_in_threadpool(repository.list_folder, path)
    return JSONResponse(m.ListArtifactsResponse(files=[_file_info(e) for e in entries]))


@api.route(*_proxied("/artifacts/{path:artifact_path}"), rule=PROXY_READ)
async def download(request: Request) -> Response:
    repository = _proxy(request)
    return await send_artifact(request, repository, _url_path(request))


@api.route(*_proxied("/artifacts/{path:artifact_path}"), methods=("PUT",), rule=PROXY_EDIT)
async def upload(request: Request) -> Response:
    repository = _proxy(request)
    path = _file(_url_path(request))
    failed = await _receive(repository.write_stream(path, request.stream()))
    return failed or JSONResponse({})


@api.route(*_proxied("/artifacts/{path:artifact_path}"), methods=("DELETE",), rule=PROXY_MANAGE)
async def delete(request: Request) -> Response:
    repository = _proxy(request)
    path = _url_path(request)
    if not path:
        raise invalid("Refusing to delete the whole artifact store; name a folder or file")
    await run_in_threadpool(repository.delete_prefix, path)
    return JSONResponse({})


@api.route(*_proxied("/presigned/{path:artifact_path}"), rule=PROXY_READ)
async def presigned(request: Request) -> Response:
    repository = _proxy(request)
    # Same answers as a download for bad or missing paths; then say what to do instead.
    reader = await run_in_threadpool(repository.open_read, _file(_url_path(request)))
    await run_in_threadpool(reader.close)
    raise ApiError(
        "Presigned downloads are not supported: download through GET mlflow-artifacts/artifacts",
        "NOT_IMPLEMENTED",
    )


# ----------------------------------------------------------------- multipart uploads
def _upload_target(request: Request, client_file: str) -> str:
    """The file a multipart upload writes: URL folder + last component of the client's path."""
    name = clean_path(file_name(client_file))
    if not name:
        raise invalid("'path' (the file being uploaded) is required")
    return join(_url_path(request), name)


def _part_url(request: Request, target: str, upload_id: str, number: int) -> str:
    base = request.url.path.split("/mlflow-artifacts/mpu/create", 1)[0]
    query = urlencode({"upload_id": upload_id, "part_number": number})
    path = f"{base}/mlflow-artifacts/mpu/upload-part/{quote(target)}"
    return str(request.url.replace(path=path, query=query))


@api.route(*_proxied("/mpu/create"), methods=("POST",), rule=PROXY_ROOT)
@api.route(*_proxied("/mpu/create/{path:artifact_path}"), methods=("POST",), rule=PROXY_EDIT)
async def create_multipart(request: Request) -> Response:
    repository = _proxy(request)
    message = await read_message(request, m.CreateMultipartUpload)
    target = _upload_target(request, message.path)
    if not 1 <= message.num_parts <= MAX_PARTS:
        raise invalid(f"num_parts must be between 1 and {MAX_PARTS}")
    upload_id = await run_in_threadpool(repository.create_multipart, target)
    credentials = [
        m.MultipartUploadCredential(
            url=_part_url(request, target, upload_id, number), part_number=number
        )
        for number in range(1, message.num_parts + 1)
    ]
    return JSONResponse(
        m.CreateMultipartUploadResponse(upload_id=upload_id, credentials=credentials)
    )


@api.route(*_proxied("/mpu/upload-part/{path:artifact_path}"), methods=("PUT",), rule=PROXY_EDIT)
async def upload_part(request: Request) -> Response:
    repository = _proxy(request)
    path = _file(_url_path(request))
    upload_id = request.query_params.get("upload_id", "")
    try:
        number = int(request.query_params.get("part_number", ""))
    except ValueError:
        raise invalid("part_number must be an integer") from None
    etags: list[str] = []

    async def store() -> None:
        etags.append(await repository.upload_part_stream(path, upload_id, number, request.stream()))

    failed = await _receive(store())
    return failed or JSONResponse({}, headers={"ETag": etags[0]})


@api.route(*_proxied("/mpu/complete"), methods=("POST",), rule=PROXY_ROOT)
@api.route(*_proxied("/mpu/complete/{path:artifact_path}"), methods=("POST",), rule=PROXY_EDIT)
async def complete_multipart(request: Request) -> Response:
    repository = _proxy(request)
    message = await read_message(request, m.CompleteMultipartUpload)
    target = _upload_target(request, message.path)
    parts = [Part(part.part_number, part.etag or "") for part in message.parts]
    await run_in_threadpool(repository.complete_multipart, target, message.upload_id, parts)
    return JSONResponse({})


@api.route(*_proxied("/mpu/abort"), methods=("POST",), rule=PROXY_ROOT)
@api.route(*_proxied("/mpu/abort/{path:artifact_path}"), methods=("POST",), rule=PROXY_EDIT)
async def abort_multipart(request: Request) -> Response:
    repository = _proxy(request)
    message = await read_message(request, m.AbortMultipartUpload)
    target = _upload_target(request, message.path)
    await run_in_threadpool(repository.abort_multipart, target, message.upload_id)
    return JSONResponse({})


# ----------------------------------------------------------------- run-level endpoints
def _run_root(services: Services, run_id: str) -> tuple[str, Located]:
    """The run's artifact URI, and the repository and folder that hold its artifacts (our
    destination, or the local folder configured as default artifact root)."""
    if not run_id:
        raise invalid(f"Missing value for required parameter 'run_id'.{API_DOCS}")
    uri = services.store.get_run(run_id).info.artifact_uri or ""
    located = locate(services.config, services.artifacts, uri)
    if located is None:
        raise ApiError(
            f"This server cannot read the run's artifacts at {redact(uri)}: they are outside "
            "its artifact destination",
            "NOT_IMPLEMENTED",
        )
    return uri, located


@api.get(
    "mlflow/artifacts/list",
    m.ListRunArtifacts,
    rule=r.run(r.READ, lambda req: req.run_id or req.run_uuid),
)
def list_run_artifacts(services: Services, req: m.ListRunArtifacts) -> m.ListRunArtifactsResponse:
    folder = clean_path(req.path)  # a bad path is refused before the run is looked up
    uri, (repository, root) = _run_root(services, req.run_id or req.run_uuid)
    entries = repository.list_folder(join(root, folder))
    files = [_file_info(entry, folder) for entry in entries]
    return m.ListRunArtifactsResponse(root_uri=uri, files=files)


@api.route("/get-artifact", rule=r.run(r.READ, r.query("run_id", "run_uuid")))
async def get_artifact(request: Request) -> Response:
    """`/get-artifact?run_id=..&path=..`: what MLflow's UI and older clients download with."""
    services = _services(request)
    params = request.query_params
    path = _file(clean_path(params.get("path")))
    run_id = params.get("run_id") or params.get("run_uuid") or ""
    _, (repository, root) = await run_in_threadpool(_run_root, services, run_id)
    return await send_artifact(request, repository, join(root, path))


# MLflow's cap on one file uploaded from its UI.
MAX_UI_UPLOAD_BYTES = 10 * 2**20
_TOO_LARGE = "Artifact size is too large. Max size is 10MB."


@api.route(
    "/api/2.0/mlflow/upload-artifact",
    "/ajax-api/2.0/mlflow/upload-artifact",
    methods=("POST",),
    rule=r.run(r.EDIT, r.query("run_uuid")),
)
async def upload_artifact(request: Request) -> Response:
    """`upload-artifact?run_uuid=..&path=..`: MLflow's UI puts one file (the raw body, at most
    10 MB, as MLflow allows) into a run's artifacts. The body streams into the destination."""
    services = _services(request)
    params = request.query_params
    run_id = params.get("run_uuid")
    if not run_id:
        raise invalid("Request must specify run_uuid.")
    refuse_nul(run_id)
    if not params.get("path"):
        raise invalid("Request must specify path.")
    path = _file(clean_path(params.get("path")))
    declared = declared_length(request.scope)
    if declared is not None and declared > MAX_UI_UPLOAD_BYTES:
        raise invalid(_TOO_LARGE)
    stream = request.stream()
    try:
        first = await _first_chunk(stream)
    except ClientDisconnect:
        return Response(status_code=400)
    if not first:
        raise invalid("Request must specify data.")
    _, (repository, root) = await run_in_threadpool(_run_root, services, run_id)
    body = _capped(first, stream, MAX_UI_UPLOAD_BYTES)
    failed = await _receive(repository.write_stream(join(root, path), body))
    return failed or Response(media_type="application/json")


async def _first_chunk(stream: AsyncIterator[bytes]) -> bytes:
    """The body's first non-empty chunk; b"" for an empty body."""
    async for chunk in stream:
        if chunk:
            return chunk
    return b""


async def _capped(first: bytes, rest: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """`first`, then `rest`, refused (the file is not stored) once past `limit` bytes."""
    size = len(first)
    yield first
    async for chunk in rest:
        size += len(chunk)
        if size > limit:
            raise invalid(_TOO_LARGE)
        yield chunk
