"""Server configuration, as `trackyard server` flags (and their environment variables) set it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    workers: int = 1

    @property
    def experiment_artifact_root(self) -> str:
        """Where new experiments put artifacts: behind our proxy unless told otherwise."""
        if self.default_artifact_root:
            return self.default_artifact_root
        if self.serve_artifacts:
            return PROXY_ARTIFACT_ROOT
        return Path(self.artifacts_destination).resolve().as_uri()
