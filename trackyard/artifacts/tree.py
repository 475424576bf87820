"""Artifact repositories over a file tree (a local folder, an SFTP server).

Both stores offer the same few primitives (stat, list, open, rename, remove), so the
repository logic lives here once and each store supplies a `FileSystem`. Writes go to a
temporary file in the reserved folder and are renamed into place, so readers never see a
half-written artifact and a rename never follows a symlink at the destination. Multipart
uploads are staged as part files in the reserved folder and joined on completion.
"""

from __future__ import annotations

import hashlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass

from ..errors import invalid, not_found
from . import paths
from .base import (
    ArtifactReader,
    ArtifactRepository,
    FileEntry,
    Part,
    check_part_number,
    check_staged_upload_id,
)

TMP_DIR = f"{paths.RESERVED_DIR}/tmp"
UPLOADS_DIR = f"{paths.RESERVED_DIR}/uploads"
PATH_MAX = 4096  # what a POSIX kernel (or an SFTP server on one) opens, the final NUL included


@dataclass(frozen=True)
class Stat:
    is_dir: bool
    size: int


class FileSystem(ABC):
    """Primitives on full (store-native) paths; `resolve` is the only way to get one."""

    @abstractmethod
    def resolve(self, key: str) -> str:
        """The full path of relative `key`; 400 if it resolves (via symlinks) outside the root."""

    @abstractmethod
    def parent(self, full: str) -> str: ...

    @abstractmethod
    def stat(self, full: str) -> Stat | None: ...

    @abstractmethod
    def scandir(self, full: str) -> list[FileEntry]:
        """Entries of a folder, leaving out symlinks that lead outside the root."""

    @abstractmethod
    def read(self, full: str, start: int, end: int) -> Iterator[bytes]: ...

    @abstractmethod
    def write(self, full: str, chunks: Iterable[bytes]) -> int: ...

    @abstractmethod
    def makedirs(self, full: str) -> None: ...

    @abstractmethod
    def replace(self, source: str, target: str) -> None: ...

    @abstractmethod
    def remove(self, full: str) -> None: ...

    @abstractmethod
    def rmtree(self, full: str) -> int: ...

    def companion(self) -> AbstractContextManager[FileSystem]:
        """A second handle for reading while this one writes (copying within the store).

        SFTP needs a separate channel for that: interleaving prefetched reads with pipelined
        writes on one channel can stall both. Local files need nothing.
        """
        return nullcontext(self)


class TreeReader(ArtifactReader):
    """Holds the file system session (a pooled SFTP connection) until closed."""

    def __init__(self, session: AbstractContextManager, fs: FileSystem, full: str, size: int):
        self._session: AbstractContextManager | None = session
        self._fs, self._full, self.size = fs, full, size

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        return self._fs.read(self._full, start, self.size if end is None else end)

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.__exit__(None, None, None)


class TreeRepository(ArtifactRepository):
    """Repository logic on top of a `FileSystem` obtained per operation from `session()`."""

    @abstractmethod
    def session(self) -> AbstractContextManager[FileSystem]: ...

    # ------------------------------------------------------------- reading
    def list_folder(self, path: str) -> list[FileEntry]:
        path = paths.clean_path(path)
        with self.session() as fs:
            full = fs.resolve(path)
            stat = fs.stat(full)
            if stat is None or not stat.is_dir:
                return []
            entries = fs.scandir(full)
        if not path:
            entries = [entry for entry in entries if entry.name != paths.RESERVED_DIR]
        return sorted(entries, key=lambda entry: entry.name)

    def open_read(self, path: str) -> ArtifactReader:
        path = paths.clean_path(path)
        session = self.session()
        fs = session.__enter__()
        try:
            full = fs.resolve(path)
            stat = fs.stat(full)
            if stat is None:
                raise not_found(f"Artifact '{path}' does not exist")
            if stat.is_dir:
                raise invalid(f"Artifact path refers to a directory, not a file: '{path}'")
            return TreeReader(session, fs, full, stat.size)
        except BaseException as error:
            session.__exit__(type(error), error, error.__traceback__)
            raise

    # ------------------------------------------------------------- writing
    def write(self, path: str, chunks: Iterable[bytes]) -> int:
        path = _file_path(path)
        with self.session() as fs:
            return self._write(fs, path, chunks)

    def _write(self, fs: FileSystem, path: str, chunks: Iterable[bytes]) -> int:
        target = fs.resolve(path)
        stat = fs.stat(target)
        if stat is not None and stat.is_dir:
            raise invalid(f"Cannot write '{path}': it is a directory")
        temporary = fs.resolve(f"{TMP_DIR}/{uuid.uuid4().hex}")
        fs.makedirs(fs.parent(temporary))
        try:
            size = fs.write(temporary, chunks)
            _makedirs(fs, path, fs.parent(target))
            fs.replace(temporary, fs.resolve(path))
        except BaseException:
            _quietly(fs.remove, temporary)
            raise
        return size

    def delete(self, path: str) -> bool:
        path = _file_path(path)
        with self.session() as fs:
            full = fs.resolve(path)
            stat = fs.stat(full)
            if stat is None or stat.is_dir:
                return False
            fs.remove(full)
            return True

    def delete_prefix(self, path: str) -> int:
        path = paths.clean_path(path)
        with self.session() as fs:
            full = fs.resolve(path)
            stat = fs.stat(full)
            if stat is None:
                return 0
            if not stat.is_dir:
                fs.remove(full)
                return 1
            if not path:  # the root itself stays, and so does the reserved folder
                entries = [e for e in fs.scandir(full) if e.name != paths.RESERVED_DIR]
                return sum(_remove_entry(fs, fs.resolve(e.name), e.is_dir) for e in entries)
            return fs.rmtree(full)

    # ------------------------------------------------------------- staged multipart uploads
    def create_multipart(self, path: str) -> str:
        path = _file_path(path)
        upload_id = uuid.uuid4().hex
        with self.session() as fs:
            fs.resolve(path)
            folder = fs.resolve(f"{UPLOADS_DIR}/{upload_id}")
            fs.makedirs(folder)
            fs.write(fs.resolve(f"{UPLOADS_DIR}/{upload_id}/target"), [path.encode()])
        return upload_id

    def upload_part(
        self, path: str, upload_id: str, part_number: int, chunks: Iterable[bytes]
    ) -> str:
        path = _file_path(path)
        check_part_number(part_number)
        digest = hashlib.md5(usedforsecurity=False)

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        with self.session() as fs:
            self._check_upload(fs, path, upload_id)
            fs.write(fs.resolve(_part_key(upload_id, part_number)), hashed())
        return digest.hexdigest()

    def complete_multipart(self, path: str, upload_id: str, parts: list[Part]) -> None:
        path = _file_path(path)
        numbers = [check_part_number(part.number) for part in parts]
        if not numbers or numbers != sorted(set(numbers)):
            raise invalid("parts must be listed once each, in ascending part_number order")
        with self.session() as fs:
            self._check_upload(fs, path, upload_id)
            sources = [fs.resolve(_part_key(upload_id, number)) for number in numbers]
            missing = [n for n, full in zip(numbers, sources, strict=True) if fs.stat(full) is None]
            if missing:
                raise invalid(f"Parts {missing} of upload {upload_id} were never uploaded")
            with fs.companion() as reader:
                self._write(fs, path, _concatenated(reader, sources))
            fs.rmtree(fs.resolve(f"{UPLOADS_DIR}/{upload_id}"))

    def abort_multipart(self, path: str, upload_id: str) -> None:
        path = _file_path(path)
        with self.session() as fs:
            self._check_upload(fs, path, upload_id)
            fs.rmtree(fs.resolve(f"{UPLOADS_DIR}/{upload_id}"))

    def _check_upload(self, fs: FileSystem, path: str, upload_id: str) -> None:
        fs.resolve(path)  # a symlinked target is refused even when the upload id is wrong
        check_staged_upload_id(upload_id)
        target = fs.resolve(f"{UPLOADS_DIR}/{upload_id}/target")
        stat = fs.stat(target)
        if stat is None or stat.is_dir:
            raise not_found(f"Upload {upload_id} does not exist")
        if b"".join(fs.read(target, 0, stat.size)).decode() != path:
            raise invalid(f"Upload {upload_id} is not an upload to '{path}'")


def within_path_max(full: str, key: str) -> str:
    """`full`, unless the root and client path `key` together are longer than a POSIX path.

    The gate bounds `key` alone; the root's length is only known here. Such a path would fail
    with ENAMETOOLONG, which is the client's doing: a 400, not a 500.
    """
    size = len(full.encode("utf-8", "surrogateescape"))
    if size >= PATH_MAX:
        raise invalid(
            f"Invalid artifact path {paths.shown(key)}: too long for this artifact destination "
            f"({size} bytes with the destination's root; at most {PATH_MAX - 1})"
        )
    return full


def _file_path(path: str) -> str:
    path = paths.clean_path(path)
    if not path:
        raise invalid("An artifact file path is required")
    return path


def _part_key(upload_id: str, part_number: int) -> str:
    return f"{UPLOADS_DIR}/{upload_id}/part-{part_number:05d}"


def _concatenated(fs: FileSystem, sources: list[str]) -> Iterator[bytes]:
    for source in sources:
        stat = fs.stat(source)
        yield from fs.read(source, 0, stat.size if stat else 0)


def _makedirs(fs: FileSystem, path: str, folder: str) -> None:
    try:
        fs.makedirs(folder)
    except (FileExistsError, NotADirectoryError):
        raise invalid(f"Cannot write '{path}': a parent folder is a file") from None


def _remove_entry(fs: FileSystem, full: str, is_dir: bool) -> int:
    if is_dir:
        return fs.rmtree(full)
    fs.remove(full)
    return 1


def _quietly(action, *args) -> None:
    with suppress(OSError):
        action(*args)
