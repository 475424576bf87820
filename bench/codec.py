"""The metric block codec (trackyard/store/points.py), checkout against checkout.

    .venv/bin/python bench/codec.py /tmp/before /tmp/after [--points 1000000]
                                    [--backends sqlite,postgresql]

For each checkout (`git worktree add /tmp/before <commit>`), in a process of its own:
- the codec alone: bytes per point of three curves cut into blocks as log-batch cuts them,
  and the best of a few runs of `pack`, `unpack` and `columns` over them, per 1M points;
- the store in process: a training curve of `--points` points written by log-batch of
  1000, the stored block bytes per point, then the best and median of sampled reads (320
  points of the whole range and of its first tenth, as the UI's charts ask) and of reading
  the whole history in get-history's pages of 25,000.

The checkouts take turns per backend, so a busy machine slows them alike. Over HTTP, the
get-history workloads of `bench/run.py` (run from each checkout) give the served figures
and the database's growth per point.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

ADMIN_URI = "postgresql://postgres@127.0.0.1:5432/postgres"


def training_curve(count: int, seed: int = 0) -> list[tuple[int, int, float]]:
    """Steps 0.., timestamps in ms a few apart, float32 values as float64 (`.item()`)."""
    rng = random.Random(seed)
    timestamp, loss, points = 1_764_000_000_000, 2.5, []
    for step in range(count):
        timestamp += rng.randint(2, 9)
        loss = loss * 0.99999 + rng.gauss(0, 0.01)
        points.append((step, timestamp, struct.unpack("<f", struct.pack("<f", loss))[0]))
    return points


def bench_curve(count: int) -> list[tuple[int, int, float]]:
    """bench/workloads.py's metric: 1/(step + 1) as a double, one timestamp a batch."""
    return [(step, 1_764_000_000_000 + step // 1000, 1.0 / (step + 1)) for step in range(count)]


def random_doubles(count: int, seed: int = 1) -> list[tuple[int, int, float]]:
    """What compresses least: 40-bit random timestamps, any double."""
    rng = random.Random(seed)
    return [
        (step, rng.getrandbits(40), struct.unpack("<d", rng.randbytes(8))[0])
        for step in range(count)
    ]


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best and median milliseconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def codec_figures(points: int) -> None:
    from trackyard.store import points as pts

    curves = [
        ("training curve (float32 values)", training_curve(points)),
        ("bench curve (1/(s+1) doubles)", bench_curve(points)),
        ("random doubles", random_doubles(points // 5)),
    ]
    for name, curve in curves:
        blocks = list(pts.split(curve))
        blobs = [pts.pack(block) for block in blocks]
        per_million = 1_000_000 / len(curve)
        print(f"  {name}: {sum(map(len, blobs)) / len(curve):.2f} bytes/point")
        for label, fn in [
            ("pack", lambda: [pts.pack(block) for block in blocks]),  # noqa: B023
            ("unpack", lambda: [pts.unpack(blob) for blob in blobs]),  # noqa: B023
            ("columns", lambda: pts.columns(blobs)),  # noqa: B023
        ]:
            best, _ = timed(fn, 5)
            print(f"    {label:8} {best * per_million:7.1f} ms per 1M points (best of 5)")


def store_figures(backend: str, points: int) -> None:
    import psycopg

    from trackyard.messages.tracking import BatchMetric
    from trackyard.store import open_database, open_store

    name = f"bench_codec_{os.getpid()}"
    if backend == "sqlite":
        uri = f"sqlite:///{tempfile.mkdtemp()}/codec.db"
    else:
        with psycopg.connect(ADMIN_URI, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        uri = ADMIN_URI.rsplit("/", 1)[0] + f"/{name}"
    try:
        db = open_database(uri)
        store = open_store(db, tempfile.mkdtemp())
        run_id = store.create_run(store.create_experiment("codec", None, []), "", 0, "", [])
        run_id = run_id.info.run_id
        curve = training_curve(points)
        for start in range(0, points, 1000):
            batch = curve[start : start + 1000]
            metrics = [BatchMetric(key="loss", value=v, timestamp=t, step=s) for s, t, v in batch]
            store.log_batch(run_id, metrics, [], [])
        with db.read() as tx:
            stored = tx.scalar("SELECT SUM(LENGTH(points)) FROM metric_blocks")
        print(f"  {backend}: {points:,} points, stored blocks {stored / points:.2f} bytes/point")

        def history() -> None:
            token, count = "", 0
            while True:
                page, token = store.get_metric_history(run_id, "loss", 25_000, token)
                count += len(page)
                if not token:
                    assert count == points, count
                    return

        reads = [
            ("sampled, 320 of all", 9, lambda: store.get_metric_history_sampled(
                [run_id], "loss", None, None, 320)),
            ("sampled, 320 of the first tenth", 9, lambda: store.get_metric_history_sampled(
                [run_id], "loss", 0, points // 10, 320)),
            ("history in pages of 25,000", 3, history),
        ]  # fmt: skip
        for label, repeats, fn in reads:
            best, median = timed(fn, repeats)
            print(f"    {label:32} best {best:7.1f} ms, median {median:7.1f} ms")
        db.close()
    finally:
        if backend == "postgresql":
            with psycopg.connect(ADMIN_URI, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="checkouts of trackyard to compare")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--part", help=argparse.SUPPRESS)  # in the child: what to measure
    options = parser.parse_args()
    if options.part:
        sys.path.insert(0, options.trees[0])
        if options.part == "codec":
            codec_figures(options.points)
        else:
            store_figures(options.part, options.points)
        return
    parts = ["codec", *options.backends.split(",")]
    for part in parts:
        for tree in options.trees:
            print(f"{tree} ({part}, load average {os.getloadavg()[0]:.1f})", flush=True)
            subprocess.run(
                [sys.executable, __file__, tree, "--part", part, "--points", str(options.points)],
                check=True,
            )


if __name__ == "__main__":
    main()
