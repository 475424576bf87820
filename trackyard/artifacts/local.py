"""Artifacts in a local folder (the default destination)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import invalid
from .base import CHUNK_SIZE, FileEntry
from .tree import FileSystem, Stat, TreeRepository, within_path_max

# What the file system says of a name the client chose: a segment over its NAME_MAX (some
# have less than the gate's 255 bytes), bytes its encoding refuses. The client's to fix: 400.
_CLIENT_ERRNOS = {errno.ENAMETOOLONG, errno.EILSEQ}


class LocalFileSystem(FileSystem):
    def __init__(self, root: str) -> None:
        os.makedirs(root, exist_ok=True)
        self.root = os.path.realpath(root)

    def _inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.root + os.sep)

    def resolve(self, key: str) -> str:
        full = within_path_max(os.path.join(self.root, *key.split("/")) if key else self.root, key)
        # realpath resolves every symlink that exists along the way, so a link inside the
        # store that points elsewhere is caught here, before any file is opened.
        if not self._inside(os.path.realpath(full)):
            raise invalid(f"Invalid artifact path '{key}': it leads outside the artifact root")
        return full

    def parent(self, full: str) -> str:
        return os.path.dirname(full)

    def stat(self, full: str) -> Stat | None:
        try:
            result = os.stat(full)
        except (FileNotFoundError, NotADirectoryError):
            return None
        is_dir = stat.S_ISDIR(result.st_mode)
        return Stat(is_dir, 0 if is_dir else result.st_size)

    def scandir(self, full: str) -> list[FileEntry]:
        entries = []
        with os.scandir(full) as listing:
            for entry in listing:
                if entry.is_symlink() and not self._inside(os.path.realpath(entry.path)):
                    continue
                try:
                    is_dir = entry.is_dir()
                    size = None if is_dir else entry.stat().st_size
                except OSError:  # a dangling symlink
                    continue
                entries.append(FileEntry(entry.name, is_dir, size))
        return entries

    def read(self, full: str, start: int, end: int) -> Iterator[bytes]:
        with open(full, "rb") as file:
            file.seek(start)
            remaining = end - start
            while remaining > 0:
                chunk = file.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def write(self, full: str, chunks: Iterable[bytes]) -> int:
        size = 0
        # O_NOFOLLOW: never write through a symlink, even one planted after `resolve`.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(full, flags, 0o644), "wb") as file:
            for chunk in chunks:
                file.write(chunk)
                size += len(chunk)
        return size

    def makedirs(self, full: str) -> None:
        os.makedirs(full, exist_ok=True)

    def replace(self, source: str, target: str) -> None:
        os.replace(source, target)

    def remove(self, full: str) -> None:
        os.remove(full)

    def rmtree(self, full: str) -> int:
        if os.path.islink(full):
            os.remove(full)
            return 1
        count = 0
        for folder, dirs, files in os.walk(full, topdown=False):
            for name in files:
                os.remove(os.path.join(folder, name))
                count += 1
            for name in dirs:  # symlinks to folders appear here and are not followed
                child = os.path.join(folder, name)
                os.remove(child) if os.path.islink(child) else os.rmdir(child)
        os.rmdir(full)
        return count


class LocalArtifactRepository(TreeRepository):
    """A folder on the server's disk; one shared `LocalFileSystem` serves every request."""

    def __init__(self, root: str) -> None:
        self.fs = LocalFileSystem(root)
        self.uri = Path(self.fs.root).as_uri()

    @contextmanager
    def session(self) -> Iterator[FileSystem]:
        try:
            yield self.fs
        except OSError as error:
            if error.errno not in _CLIENT_ERRNOS:
                raise
            raise invalid(
                f"Invalid artifact path: the artifact folder's file system refuses it "
                f"({error.strerror})"
            ) from None
