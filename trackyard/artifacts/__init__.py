"""Artifact storage: one repository interface, a destination per `--artifacts-destination`.

- a local folder (the default),
- `sftp://user[:password]@host[:port]/path` (extra `trackyard[sftp]`),
- `s3://bucket/prefix` (extra `trackyard[s3]`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from .base import ArtifactRepository
from .paths import (
    clean_path,
    destination_path,
    direct_root,
    has_scheme,
    local_folder,
    resolve_if_local,
)

if TYPE_CHECKING:
    from ..config import ServerConfig

__all__ = ["ArtifactRepository", "Located", "experiment_root", "locate", "open_repository"]

PROXY_ARTIFACT_ROOT = "mlflow-artifacts:"


def experiment_root(config: ServerConfig) -> str:
    """Where new experiments put artifacts: behind our proxy unless told otherwise."""
    if config.default_artifact_root:
        return resolve_if_local(config.default_artifact_root)
    if config.serve_artifacts:
        return PROXY_ARTIFACT_ROOT
    return direct_root(config.artifacts_destination)


class Located(NamedTuple):
    """A stored artifact URI as a repository this server reads and the path inside it."""

    repository: ArtifactRepository
    path: str


def locate(
    config: ServerConfig, destination: ArtifactRepository | None, uri: str
) -> Located | None:
    """Where the artifacts a run or model URI names are, if this server may read them: inside
    its artifact destination, or inside the local folder the operator made the default
    artifact root. Paths go through `clean_path`, and the folder's repository refuses, as the
    destination's does, anything that leads outside it."""
    path = destination_path(uri, config.artifacts_destination)
    if path is not None and destination is not None:
        return Located(destination, path)
    folder = _default_root_folder(config.default_artifact_root)
    target = local_folder(uri)
    if folder is None or target is None:
        return None
    for root in (PurePath(folder), Path(folder).resolve()):
        if PurePath(target).is_relative_to(root):
            relative = PurePath(target).relative_to(root).as_posix()
            path = clean_path("" if relative == "." else relative)
            return Located(_folder_repository(folder), path)
    return None


def _default_root_folder(root: str | None) -> str | None:
    """The local folder a default artifact root names, None for remote ones."""
    return local_folder(resolve_if_local(root)) if root else None


@lru_cache(maxsize=4)
def _folder_repository(folder: str) -> ArtifactRepository:
    from .local import LocalArtifactRepository

    return LocalArtifactRepository(folder)


def open_repository(config: ServerConfig) -> ArtifactRepository:
    """The repository for the configured destination; remote ones connect lazily."""
    destination = config.artifacts_destination
    scheme = urlsplit(destination).scheme if has_scheme(destination) else ""
    try:
        return _open(config, destination, scheme)
    except ImportError as error:  # the optional extra is not installed
        raise RuntimeError(
            f"{scheme}:// artifact destinations need {error.name}: "
            f'pip install "trackyard[{scheme}]"'
        ) from error


def _open(config: ServerConfig, destination: str, scheme: str) -> ArtifactRepository:
    if scheme == "sftp":
        from .sftp import SftpArtifactRepository, SftpSettings

        settings = SftpSettings.from_uri(
            destination,
            key_file=config.sftp_key_file,
            known_hosts=config.sftp_known_hosts,
            insecure_skip_host_key_check=config.sftp_insecure_skip_host_key_check,
        )
        return SftpArtifactRepository(settings)
    if scheme == "s3":
        from .s3 import S3ArtifactRepository

        return S3ArtifactRepository(destination, config.s3_endpoint_url)
    from .local import LocalArtifactRepository

    if scheme == "file":
        from urllib.request import url2pathname

        return LocalArtifactRepository(url2pathname(urlsplit(destination).path))
    if scheme:
        raise ValueError(f"Unsupported artifacts destination scheme '{scheme}://'")
    return LocalArtifactRepository(destination)
