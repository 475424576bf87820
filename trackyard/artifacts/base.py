"""The artifact-repository interface every destination (local folder, SFTP, S3) implements.

Paths are relative to the destination root and have been through `paths.clean_path`
(implementations check again on entry). All methods block; the HTTP layer runs them in worker
threads. Data moves as iterators of byte chunks in both directions so that memory stays
bounded by the chunk size, whatever the size of the artifact.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

import anyio.from_thread
import anyio.to_thread

from ..errors import invalid

CHUNK_SIZE = 1024 * 1024
MAX_PARTS = 10_000


@dataclass(frozen=True)
class FileEntry:
    """One entry of a folder listing; `name` is relative to the listed folder."""

    name: str
    is_dir: bool
    size: int | None = None


@dataclass(frozen=True)
class Part:
    """A finished part of a multipart upload, as the client reports it on completion."""

    number: int
    etag: str = ""


class ArtifactReader(ABC):
    """An open artifact: its size, and its bytes (or a byte range of them) as chunks."""

    size: int

    @abstractmethod
    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start` to `end` (exclusive; None = end of file) in chunks of ≤ CHUNK_SIZE."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the reader holds (a file handle, a pooled connection)."""


class ArtifactRepository(ABC):
    """Storage for artifacts below one root."""

    #: Where the artifacts live, without secrets: shown in messages and stored run URIs.
    uri: str

    @abstractmethod
    def list_folder(self, path: str) -> list[FileEntry]:
        """Entries directly inside folder `path`, by name; [] when it is a file or missing."""

    @abstractmethod
    def open_read(self, path: str) -> ArtifactReader:
        """Open file `path`; 404 when missing, 400 when it is a folder."""

    @abstractmethod
    def write(self, path: str, chunks: Iterable[bytes]) -> int:
        """Store `chunks` as file `path` (replacing it), atomically where the store allows.

        Returns the number of bytes written.
        """

    @abstractmethod
    def delete(self, path: str) -> bool:
        """Delete file `path`; False when there was none."""

    @abstractmethod
    def delete_prefix(self, path: str) -> int:
        """Delete `path` and everything below it (file or folder); returns files deleted."""

    # ------------------------------------------------------------- multipart uploads
    @abstractmethod
    def create_multipart(self, path: str) -> str:
        """Start a multipart upload to file `path`; returns its upload id."""

    @abstractmethod
    def upload_part(
        self, path: str, upload_id: str, part_number: int, chunks: Iterable[bytes]
    ) -> str:
        """Store one part (numbered from 1); returns its ETag."""

    @abstractmethod
    def complete_multipart(self, path: str, upload_id: str, parts: list[Part]) -> None:
        """Join `parts` in order into file `path` and forget the upload."""

    @abstractmethod
    def abort_multipart(self, path: str, upload_id: str) -> None:
        """Drop an upload and its parts."""

    # ------------------------------------------------------------- async bridge
    async def write_stream(self, path: str, chunks: AsyncIterable[bytes] | Iterable[bytes]) -> int:
        """`write` from an async chunk stream (a request body) without blocking the loop."""
        return await anyio.to_thread.run_sync(self.write, path, blocking(chunks))

    async def upload_part_stream(
        self,
        path: str,
        upload_id: str,
        part_number: int,
        chunks: AsyncIterable[bytes] | Iterable[bytes],
    ) -> str:
        return await anyio.to_thread.run_sync(
            self.upload_part, path, upload_id, part_number, blocking(chunks)
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Close pooled connections when the server shuts down."""


def blocking(chunks: AsyncIterable[bytes] | Iterable[bytes]) -> Iterable[bytes]:
    """A sync iterator over an async one, for use in a worker thread started by anyio.

    Each chunk is fetched from the event loop on demand, so at most one chunk is in flight.
    """
    if not isinstance(chunks, AsyncIterable):
        return chunks
    iterator = chunks.__aiter__()

    def generate() -> Iterator[bytes]:
        while True:
            try:
                chunk = anyio.from_thread.run(_next_chunk, iterator)
            except StopAsyncIteration:
                return
            if chunk:
                yield chunk

    return generate()


def check_part_number(part_number: int) -> int:
    if not 1 <= part_number <= MAX_PARTS:
        raise invalid(f"part_number must be between 1 and {MAX_PARTS}, got {part_number}")
    return part_number


_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def check_staged_upload_id(upload_id: str) -> str:
    """Upload ids of staged uploads name a folder: accept only the hex ids we hand out."""
    if not _UPLOAD_ID.match(upload_id or ""):
        raise invalid("Invalid upload_id")
    return upload_id


async def _next_chunk(iterator: AsyncIterator[bytes]) -> bytes:
    return await iterator.__anext__()
