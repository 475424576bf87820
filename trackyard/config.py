"""Server configuration, as `trackyard server` flags (and their environment variables) set it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path("trackyard-data")


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    backend_store_uri: str = f"sqlite:///{DATA_DIR / 'trackyard.db'}"
    artifacts_destination: str = str(DATA_DIR / "artifacts")
    default_artifact_root: str | None = None
    serve_artifacts: bool = True
    # Start-up leaves the schema alone and refuses one short of head (`trackyard db upgrade`).
    no_migrate: bool = False
    # Artifact destination options (see docs/artifacts.md).
    sftp_key_file: str | None = None
    sftp_known_hosts: str | None = None
    sftp_insecure_skip_host_key_check: bool = False
    s3_endpoint_url: str | None = None
    workers: int = 1
    access_log: bool = False
    # Who may call the server from a browser (see trackyard/security.py): Host names served
    # (empty: loopback names, IP addresses and the bound host) and cross-origin web origins.
    allowed_hosts: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    # Bounds on slow or stuck clients (see trackyard/limits.py and trackyard/serving.py).
    shutdown_grace: float = 10.0
    read_timeout: float = 60.0
    # Longer than the 60 s idle timeout of common proxies and load balancers, so the proxy
    # closes first; and far from the gaps of a training loop that logs every few seconds,
    # whose request would otherwise meet the server's close (uvicorn's default is 5 s).
    keep_alive_timeout: float = 75.0
    max_body_memory_mb: int = 256
    # Operator switches (trackyard/prefix.py, trackyard/observability.py).
    static_prefix: str = ""
    expose_prometheus: bool = False
    access_log_format: str = "text"
    # Access control (see trackyard/access/): off by default; the permission of a signed-in
    # user where no grant exists.
    auth: bool = False
    auth_default_permission: str = "READ"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerConfig:
        """The config a worker process receives as JSON, which turned tuples into lists."""
        fields: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**fields)
