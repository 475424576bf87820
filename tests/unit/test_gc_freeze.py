"""The server freezes its start-up objects before serving (trackyard/app.py), so that a full
garbage collection under load walks only what came after (issue 23)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from trackyard.app import create_app, freeze_startup_objects
from trackyard.config import ServerConfig


def test_freeze_moves_the_live_objects_out_of_the_collectors_reach():
    gc.unfreeze()
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 10_000
        assert sum(gc.get_count()) < 1_000
    finally:
        gc.unfreeze()


def test_the_app_freezes_at_start_up(tmp_path: Path):
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 't.db'}",
        artifacts_destination=str(tmp_path / "artifacts"),
    )
    app = create_app(config)
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []
    frozen: list[int] = []

    async def receive() -> dict:
        return next(events)

    async def send(message: dict) -> None:
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            frozen.append(gc.get_freeze_count())

    gc.unfreeze()
    try:
        asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    finally:
        gc.unfreeze()
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert frozen[0] > 10_000
