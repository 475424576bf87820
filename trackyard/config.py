"""Server configuration, as `trackyard server` flags (and their environment variables) set it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .artifacts.paths import direct_root

DATA_DIR = Path("trackyard-data")
PROXY_ARTIFACT_ROOT = "mlflow-artifacts:"


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    backend_store_uri: str = f"sqlite:///{DATA_DIR / 'trackyard.db'}"
    artifacts_destination: str = str(DATA_DIR / "artifacts")
    default_artifact_root: str | None = None
    serve_artifacts: bool = True
    # Artifact destination options (see docs/artifacts.md).
    sftp_key_file: str | None = None
    sftp_known_hosts: str | None = None
    sftp_insecure_skip_host_key_check: bool = False
    s3_endpoint_url: str | None = None
    workers: int = 1

    @property
    def experiment_artifact_root(self) -> str:
        """Where new experiments put artifacts: behind our proxy unless told otherwise."""
        if self.default_artifact_root:
            return self.default_artifact_root
        if self.serve_artifacts:
            return PROXY_ARTIFACT_ROOT
        return direct_root(self.artifacts_destination)
