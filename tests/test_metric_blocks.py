"""Compressed metric blocks end to end (store/points.py): what the stock client logs reads
back exactly, through get-history and the sampled bulk-interval read, on both backends;
blocks stored uncompressed by earlier versions read back too, and are compressed when a
merge rewrites them."""

from __future__ import annotations

import math
import random
import struct

from mlflow.entities import Metric

from trackyard.store import points as pts

from .curves import training_curve
from .helpers import API
from .test_migrations import _execute

BULK = f"{API}/metrics/get-history-bulk-interval"


def _log(client, run_id: str, key: str, points) -> None:
    """The points by log-batch, 1000 a request (the batch limit)."""
    for start in range(0, len(points), 1000):
        batch = points[start : start + 1000]
        client.log_batch(run_id, metrics=[Metric(key, v, t, s) for s, t, v in batch])


def _exact(points) -> list[tuple[int, int, bytes]]:
    """(step, timestamp, the value's bytes): NaN equal to NaN, -0.0 unequal to 0.0."""
    return [(step, time, struct.pack("<d", value)) for step, time, value in points]


def _history(client, run_id: str, key: str) -> list[tuple[int, int, bytes]]:
    return _exact((m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key))


def _block_lengths(server, run_id: str) -> list[tuple[int, int]]:
    """(bytes, points) of each of the run's stored blocks."""
    rows = _execute(
        server.backend_store_uri,
        "SELECT points FROM metric_blocks WHERE run_id = "
        f"(SELECT id FROM runs WHERE run_uuid = '{run_id}') ORDER BY last_step, last_timestamp",
    )
    return [(len(blob), len(pts.unpack(bytes(blob)))) for (blob,) in rows]


def test_a_training_curve_is_stored_in_at_most_12_bytes_a_point(client, server, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _log(client, run_id, "loss", training_curve(3000))
    blocks = _block_lengths(server, run_id)
    assert sum(points for _, points in blocks) == 3000
    assert sum(size for size, _ in blocks) <= 12 * 3000


def test_a_training_curve_reads_back_exactly_in_history_and_samples(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    curve = training_curve(2500)
    _log(client, run_id, "loss", curve)
    assert _history(client, run_id, "loss") == _exact(curve)
    params = {"run_ids": [run_id], "metric_key": "loss", "max_results": 2500}
    sampled = http.get(BULK, params=params).json()["metrics"]
    assert [(p["step"], p["timestamp"], p["value"]) for p in sampled] == curve


def _hostile_points(rng: random.Random) -> list[tuple[int, int, float]]:
    """A curve with NaN, infinities, -0.0, any double, huge, negative and repeated steps
    mixed in, each (step, timestamp, value) once."""
    points = set(training_curve(600))
    specials = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]
    for index in range(300):
        step = rng.choice([-(2**63), 2**63 - 1, -rng.randint(1, 10**15), rng.randint(0, 9)])
        value = rng.choice(specials) if index % 2 else struct.unpack("<d", rng.randbytes(8))[0]
        if index % 2 or not math.isnan(value):  # JSON carries no NaN payloads
            points.add((step, rng.randint(-(2**40), 2**40), value))
    return list(points)


def test_hostile_points_read_back_exactly_from_a_compressed_block(client, server, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    points = _hostile_points(random.Random(7))
    _log(client, run_id, "odd", points)
    assert [size % pts.POINT_BYTES != 0 for size, _ in _block_lengths(server, run_id)] == [True]
    assert _history(client, run_id, "odd") == _exact(sorted(points, key=pts.order))


def test_blocks_stored_uncompressed_read_back_and_are_compressed_when_merged(
    client, server, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    curve = training_curve(800)
    _log(client, run_id, "loss", curve[:500])
    raw = struct.pack(
        "<500q500q500d", *(value for column in zip(*curve[:500], strict=True) for value in column)
    )
    literal = (
        f"X'{raw.hex()}'"
        if server.backend_store_uri.startswith("sqlite")
        else (f"decode('{raw.hex()}', 'hex')")
    )
    _execute(
        server.backend_store_uri,
        f"UPDATE metric_blocks SET points = {literal} WHERE run_id = "
        f"(SELECT id FROM runs WHERE run_uuid = '{run_id}')",
    )
    assert _block_lengths(server, run_id) == [(500 * pts.POINT_BYTES, 500)]
    assert _history(client, run_id, "loss") == _exact(curve[:500])

    _log(client, run_id, "loss", curve[400:])  # overlaps the stored block: a merge

    assert _history(client, run_id, "loss") == _exact(curve)
    ((size, count),) = _block_lengths(server, run_id)
    assert count == 800 and size < 12 * 800
