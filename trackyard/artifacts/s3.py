"""Artifacts in an S3 bucket (`s3://bucket/prefix`), or any S3-compatible store, via boto3.

Credentials come from boto3's usual chain (AWS_* environment variables, ~/.aws, instance
roles). The endpoint comes from `--s3-endpoint-url` or MLflow's MLFLOW_S3_ENDPOINT_URL.
Folders are key prefixes. Multipart uploads map onto S3's own; each part passes through this
server (spooled to disk beyond a small buffer), so clients never need S3 access.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ApiError, invalid, not_found
from . import paths
from .base import CHUNK_SIZE, ArtifactReader, ArtifactRepository, FileEntry, Part, check_part_number

MAX_KEY_BYTES = 1024  # S3's limit on a whole key, the prefix included
PART_SIZE = 8 * 1024 * 1024  # S3 needs ≥ 5 MiB for every part but the last
SPOOL_SIZE = 2 * CHUNK_SIZE
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_BAD_INPUT = {
    "InvalidPart",
    "InvalidPartOrder",
    "EntityTooSmall",
    "InvalidArgument",
    "KeyTooLongError",
}


class S3Reader(ArtifactReader):
    def __init__(self, repository: S3ArtifactRepository, key: str, size: int) -> None:
        self._repository, self._key, self.size = repository, key, size

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        end = self.size if end is None else end
        if end <= start:
            return
        response = self._repository.call(
            "get_object", Key=self._key, Range=f"bytes={start}-{end - 1}"
        )
        body = response["Body"]
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()


class S3ArtifactRepository(ArtifactRepository):
    def __init__(self, uri: str, endpoint_url: str | None = None) -> None:
        parts = urlsplit(uri)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"Not an s3://bucket/prefix URI: {uri}")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )

    # ------------------------------------------------------------- helpers
    def call(self, operation: str, **kwargs: Any) -> Any:
        """Run one S3 operation on our bucket, turning S3 errors into API errors."""
        method: Callable[..., Any] = getattr(self.client, operation)
        try:
            return method(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _NOT_FOUND or code == "NoSuchUpload":
                raise not_found(f"S3 {operation}: {code}") from None
            if code in _BAD_INPUT:
                raise invalid(f"S3 {operation}: {error}") from None
            raise ApiError(f"S3 {operation} failed: {error}", "INTERNAL_ERROR") from None
        except BotoCoreError as error:
            raise ApiError(
                f"S3 artifact store is unavailable: {error}", "TEMPORARILY_UNAVAILABLE"
            ) from None

    def _key(self, path: str) -> str:
        """The object key of `path`; 400 if S3 could not store it (AWS would answer
        KeyTooLongError, or a bodiless 400 to a HEAD)."""
        key = paths.join(self.prefix, paths.clean_path(path))
        size = len(key.encode())
        if size > MAX_KEY_BYTES:
            raise invalid(
                f"Invalid artifact path {paths.shown(path)}: too long for this artifact "
                f"destination ({size} bytes with the bucket prefix; at most {MAX_KEY_BYTES})"
            )
        return key

    def _folder(self, path: str) -> str:
        key = self._key(path)
        return f"{key}/" if key else ""

    def _keys_under(self, folder: str) -> Iterator[str]:
        token: dict[str, str] = {}
        while True:
            page = self.call("list_objects_v2", Prefix=folder, **token)
            for item in page.get("Contents", []):
                yield item["Key"]
            if not page.get("IsTruncated"):
                return
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def _is_folder(self, path: str) -> bool:
        page = self.call("list_objects_v2", Prefix=self._folder(path), MaxKeys=1)
        return bool(page.get("KeyCount") or page.get("Contents"))

    # ------------------------------------------------------------- reading
    def list_folder(self, path: str) -> list[FileEntry]:
        folder = self._folder(path)
        entries: list[FileEntry] = []
        token: dict[str, str] = {}
        while True:
            page = self.call("list_objects_v2", Prefix=folder, Delimiter="/", **token)
            for common in page.get("CommonPrefixes", []):
                entries.append(FileEntry(common["Prefix"][len(folder) :].rstrip("/"), True))
            for item in page.get("Contents", []):
                name = item["Key"][len(folder) :]
                if name:  # "folder/" marker objects name the folder itself
                    entries.append(FileEntry(name, False, int(item["Size"])))
            if not page.get("IsTruncated"):
                break
            token = {"ContinuationToken": page["NextContinuationToken"]}
        if not paths.clean_path(path):
            entries = [entry for entry in entries if entry.name != paths.RESERVED_DIR]
        return sorted(entries, key=lambda entry: entry.name)

    def open_read(self, path: str) -> ArtifactReader:
        key = self._key(path)
        try:
            head = self.call("head_object", Key=key)
        except ApiError as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST" and self._is_folder(path):
                raise invalid(
                    f"Artifact path refers to a directory, not a file: '{path}'"
                ) from None
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise not_found(f"Artifact '{path}' does not exist") from None
            raise
        return S3Reader(self, key, int(head["ContentLength"]))

    # ------------------------------------------------------------- writing
    def write(self, path: str, chunks: Iterable[bytes]) -> int:
        key = self._required_key(path)
        if self._is_folder(path):  # as on a file system: a folder is not replaced by a file
            raise invalid(f"Cannot write '{path}': it is a directory")
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[Part] = []
        size = 0
        try:
            for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= PART_SIZE:
                    if upload_id is None:
                        upload_id = self.create_multipart(path)
                    parts.append(self._put_part(key, upload_id, len(parts) + 1, buffer[:PART_SIZE]))
                    del buffer[:PART_SIZE]
            if upload_id is None:
                self.call("put_object", Key=key, Body=bytes(buffer))
                return size
            if buffer:
                parts.append(self._put_part(key, upload_id, len(parts) + 1, buffer))
            self.complete_multipart(path, upload_id, parts)
            return size
        except BaseException:
            if upload_id is not None:
                self._abort_quietly(key, upload_id)
            raise

    def _required_key(self, path: str) -> str:
        if not paths.clean_path(path):
            raise invalid("An artifact file path is required")
        return self._key(path)

    def _put_part(self, key: str, upload_id: str, number: int, data: bytes | bytearray) -> Part:
        response = self.call(
            "upload_part", Key=key, UploadId=upload_id, PartNumber=number, Body=bytes(data)
        )
        return Part(number, response["ETag"])

    def _abort_quietly(self, key: str, upload_id: str) -> None:
        with suppress(ApiError):
            self.call("abort_multipart_upload", Key=key, UploadId=upload_id)

    def delete(self, path: str) -> bool:
        key = self._required_key(path)
        try:
            self.call("head_object", Key=key)
        except ApiError as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return False
            raise
        self.call("delete_object", Key=key)
        return True

    def delete_prefix(self, path: str) -> int:
        folder = self._folder(path)
        keys = list(self._keys_under(folder))
        if folder:
            keys = [*keys, folder[:-1]] if self._exists(folder[:-1]) else keys
        if not paths.clean_path(path):  # the root: keep the reserved folder
            reserved = paths.join(self.prefix, paths.RESERVED_DIR) + "/"
            keys = [key for key in keys if not key.startswith(reserved)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.call("delete_objects", Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def _exists(self, key: str) -> bool:
        try:
            self.call("head_object", Key=key)
            return True
        except ApiError as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return False
            raise

    # ------------------------------------------------------------- multipart uploads
    def create_multipart(self, path: str) -> str:
        key = self._required_key(path)
        return self.call("create_multipart_upload", Key=key)["UploadId"]

    def upload_part(
        self, path: str, upload_id: str, part_number: int, chunks: Iterable[bytes]
    ) -> str:
        key = self._required_key(path)
        check_part_number(part_number)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE) as spool:
            size = 0
            for chunk in chunks:
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            response = self.call(
                "upload_part",
                Key=key,
                UploadId=upload_id,
                PartNumber=part_number,
                Body=spool,
                ContentLength=size,
            )
        return response["ETag"]

    def complete_multipart(self, path: str, upload_id: str, parts: list[Part]) -> None:
        key = self._required_key(path)
        listed = [{"PartNumber": check_part_number(p.number), "ETag": p.etag} for p in parts]
        if not listed:
            raise invalid("parts must not be empty")
        self.call(
            "complete_multipart_upload",
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": listed},
        )

    def abort_multipart(self, path: str, upload_id: str) -> None:
        key = self._required_key(path)
        self.call("abort_multipart_upload", Key=key, UploadId=upload_id)
