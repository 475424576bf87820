"""Metric curves as training loops log them, for the block codec's tests."""

from __future__ import annotations

import random
import struct


def training_curve(count: int, seed: int = 0) -> list[tuple[int, int, float]]:
    """(step, timestamp, value): steps 0..count-1, timestamps in ms a few apart, float32
    values cast to float64 (a framework's `.item()`)."""
    rng = random.Random(seed)
    timestamp, loss, points = 1_764_000_000_000, 2.5, []
    for step in range(count):
        timestamp += rng.randint(2, 9)
        loss = loss * 0.999 + rng.gauss(0, 0.01)
        points.append((step, timestamp, struct.unpack("<f", struct.pack("<f", loss))[0]))
    return points
