"""Where an MLflow deployment's artifacts are, and copying them into trackyard's destination.

A stored location is read as it is when it names a local folder (a path or a `file:` URI).
A proxied server's locations (`mlflow-artifacts:/...`, or its HTTP route) name a path inside
the old server's `--artifacts-destination`, which `--from-artifacts` gives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from ..artifacts.base import CHUNK_SIZE, ArtifactRepository
from ..artifacts.paths import PROXY_ROUTE, clean_path, destination_path, join, local_folder
from ..errors import ApiError


def readable_folder(uri: str | None, from_artifacts: str | None) -> str | None:
    """The local folder a stored artifact location's files are in, if this machine has it."""
    if not uri:
        return None
    parts = urlsplit(uri)
    proxied = parts.scheme == "mlflow-artifacts" or (
        parts.scheme in ("http", "https") and PROXY_ROUTE in parts.path
    )
    if proxied:
        if from_artifacts is None:
            return None
        path = parts.path.split(PROXY_ROUTE, 1)[-1] if PROXY_ROUTE in parts.path else parts.path
        try:
            relative = clean_path(path.lstrip("/"))
        except ApiError:  # '..' and the like: never read outside the old root
            return None
        return os.path.join(from_artifacts, *relative.split("/"))
    return local_folder(uri)


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            yield chunk


class Copier:
    """Copies a folder's files below a stored location of the destination; counts them."""

    def __init__(self, destination: ArtifactRepository, destination_uri: str) -> None:
        self.destination = destination
        self.destination_uri = destination_uri
        self.files = 0
        self.bytes = 0

    def copy(self, folder: str, location: str) -> None:
        """Every file below `folder` into the place `location` (a URI this store will hold)
        names. Files are replaced: a rerun after an interruption writes them again. Symbolic
        links are not followed (MLflow never stores one; one could lead outside the run)."""
        prefix = destination_path(location, self.destination_uri)
        if prefix is None:
            raise ValueError(f"{location} is not inside the artifacts destination")
        root = Path(folder)
        if not root.is_dir():
            return
        for dirpath, _dirnames, filenames in os.walk(root):
            for filename in filenames:
                source = Path(dirpath, filename)
                if source.is_symlink():
                    continue
                relative = source.relative_to(root).as_posix()
                self.bytes += self.destination.write(
                    join(prefix, clean_path(relative)), _file_chunks(str(source))
                )
                self.files += 1
