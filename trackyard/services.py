"""What request handlers work with: the configuration and the stores it opened."""

from __future__ import annotations

from dataclasses import dataclass

from .config import ServerConfig
from .store.base import TrackingStore


@dataclass
class Services:
    config: ServerConfig
    store: TrackingStore
