"""Artifact messages: mlflow_artifacts.proto (the proxy) and ListArtifacts of service.proto."""

from __future__ import annotations

from .base import Message


class FileInfo(Message, kw_only=True):
    path: str
    is_dir: bool  # always sent: clients read it unconditionally
    file_size: int | None = None


class ListArtifactsResponse(Message, kw_only=True):
    """Proxy listing: names relative to the listed folder."""

    files: list[FileInfo] = []


class ListRunArtifacts(Message, kw_only=True):
    run_id: str = ""
    run_uuid: str = ""
    path: str | None = None
    page_token: str | None = None


class ListRunArtifactsResponse(Message, kw_only=True):
    """Run listing: paths relative to the run's artifact root."""

    root_uri: str | None = None
    files: list[FileInfo] = []
    next_page_token: str | None = None


class CreateMultipartUpload(Message, kw_only=True):
    path: str = ""  # the client's local file path: only its last component is used
    num_parts: int = 1


class MultipartUploadCredential(Message, kw_only=True):
    url: str
    part_number: int
    headers: dict[str, str] = {}


class CreateMultipartUploadResponse(Message, kw_only=True):
    upload_id: str | None = None
    credentials: list[MultipartUploadCredential] = []


class MultipartUploadPart(Message, kw_only=True):
    part_number: int
    etag: str | None = None
    url: str | None = None


class CompleteMultipartUpload(Message, kw_only=True):
    path: str = ""
    upload_id: str = ""
    parts: list[MultipartUploadPart] = []


class AbortMultipartUpload(Message, kw_only=True):
    path: str = ""
    upload_id: str = ""
