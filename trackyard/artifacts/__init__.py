"""Artifact storage: one repository interface, a destination per `--artifacts-destination`.

- a local folder (the default),
- `sftp://user[:password]@host[:port]/path` (extra `trackyard[sftp]`),
- `s3://bucket/prefix` (extra `trackyard[s3]`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .base import ArtifactRepository
from .paths import direct_root, has_scheme

if TYPE_CHECKING:
    from ..config import ServerConfig

__all__ = ["ArtifactRepository", "experiment_root", "open_repository"]

PROXY_ARTIFACT_ROOT = "mlflow-artifacts:"


def experiment_root(config: ServerConfig) -> str:
    """Where new experiments put artifacts: behind our proxy unless told otherwise."""
    if config.default_artifact_root:
        return config.default_artifact_root
    if config.serve_artifacts:
        return PROXY_ARTIFACT_ROOT
    return direct_root(config.artifacts_destination)


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
