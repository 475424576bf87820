"""What request handlers work with: the configuration and the stores it opened."""

from __future__ import annotations

from dataclasses import dataclass

from .access.guard import Access
from .artifacts.base import ArtifactRepository
from .config import ServerConfig
from .store.logged_models import LoggedModelStore
from .store.registry_interface import RegistryStore
from .store.traces import TraceStore
from .store.tracking_interface import TrackingStore


@dataclass
class Services:
    config: ServerConfig
    store: TrackingStore
    registry: RegistryStore
    logged_models: LoggedModelStore
    traces: TraceStore
    # Where proxied artifacts live (--artifacts-destination); see trackyard.artifacts.
    artifacts: ArtifactRepository | None = None
    # Who may do what (trackyard server --auth); None: everyone may do everything.
    access: Access | None = None
