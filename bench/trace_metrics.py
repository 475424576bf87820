"""Trace analytics in process: token-usage metrics (`traces/metrics`, TRACES view) over
100,000 traces, aggregated in SQL (the default) against the Python reading the same code
keeps as its fallback (TraceMetrics._in_python, what every token query ran before),
alternating, on SQLite and PostgreSQL. CPU time and wall clock, best of the rounds.

    .venv/bin/python -m bench.trace_metrics [--traces 100000] [--rounds 5]
        [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trackyard.store import open_database
from trackyard.store.db import Database
from trackyard.store.trace_metrics import Aggregation, MetricQuery, TraceMetrics

T0 = 1_767_225_600_000
HOUR = 3_600_000
NAMES = ["chat", "search", "summarise", "plan"]


def seed(db: Database, count: int) -> int:
    rng = random.Random(19)
    with db.write() as tx:
        tx.execute(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time,"
            " last_update_time) VALUES (?, ?, ?, ?, ?)",
            ["bench-tokens", "/tmp/x", "active", T0, T0],
        )
        experiment = tx.scalar("SELECT MAX(experiment_id) FROM experiments")
        first = (tx.scalar("SELECT MAX(id) FROM traces") or 0) + 1
        traces, tags, metadata = [], [], []
        for index in range(count):
            key = first + index
            when = T0 + index * (30 * 24 * HOUR // count)
            traces.append((key, f"tr-{key:032x}", experiment, when, rng.randint(50, 5000), "OK", 1))
            tags.append((key, "mlflow.traceName", NAMES[index % len(NAMES)]))
            i, o = rng.randint(10, 4000), rng.randint(10, 1500)
            usage = {"input_tokens": i, "output_tokens": o, "total_tokens": i + o}
            metadata.append((key, "mlflow.trace.tokenUsage", json.dumps(usage)))
            metadata.append((key, "mlflow.trace.session", f"s{index // 7}"))
        tx.many(
            "INSERT INTO traces (id, trace_id, experiment_id, request_time, execution_ms, state,"
            " finalized) VALUES (?, ?, ?, ?, ?, ?, ?)",
            traces,
        )
        tx.many("INSERT INTO trace_tags (trace_key, key, value) VALUES (?, ?, ?)", tags)
        tx.many("INSERT INTO trace_metadata (trace_key, key, value) VALUES (?, ?, ?)", metadata)
    return int(experiment)


def queries(experiment: int) -> dict[str, MetricQuery]:
    def query(aggs: list[str], dimensions: list[str], interval_ms: int | None) -> MetricQuery:
        return MetricQuery(
            experiment_ids=[experiment],
            view="TRACES",
            metric="total_tokens",
            aggregations=[Aggregation(kind) for kind in aggs],
            dimensions=dimensions,
            filters=[],
            interval_ms=interval_ms,
            start_ms=T0 if interval_ms else None,
            end_ms=T0 + 31 * 24 * HOUR if interval_ms else None,
            max_results=1000,
            offset=0,
        )

    return {
        "SUM, AVG": query(["SUM", "AVG"], [], None),
        "SUM by trace_name": query(["SUM"], ["trace_name"], None),
        "AVG, MAX by day": query(["AVG", "MAX"], [], 24 * HOUR),
    }


def timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = action()
    return time.process_time() - cpu, time.perf_counter() - wall, result


@contextmanager
def database(backend: str) -> Iterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            db = open_database(f"sqlite:///{Path(directory) / 'bench.db'}")
            try:
                yield db
            finally:
                db.close()
        return
    from tests.servers import postgres_database

    with postgres_database() as uri:
        db = open_database(uri)
        try:
            yield db
        finally:
            db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.traces:,} traces")
    for backend in args.backends.split(","):
        with database(backend) as db:
            started = time.perf_counter()
            experiment = seed(db, args.traces)
            print(f"{backend}: seeded in {time.perf_counter() - started:.1f} s")
            metrics = TraceMetrics(db)
            for name, query in queries(experiment).items():
                best: dict[str, tuple[float, float]] = {}
                answers = {}
                for _ in range(args.rounds):
                    for label, action in (
                        ("python", lambda q=query, m=metrics: m._in_python(q)),
                        ("sql", lambda q=query, m=metrics: m.query(q)),
                    ):
                        cpu, wall, answers[label] = timed(action)
                        old = best.get(label, (float("inf"), float("inf")))
                        best[label] = (min(old[0], cpu), min(old[1], wall))
                assert answers["python"] == answers["sql"], name
                (pc, pw), (sc, sw) = best["python"], best["sql"]
                print(
                    f"  {name:20} python {pc * 1000:7.1f} ms CPU {pw * 1000:7.1f} ms wall | "
                    f"sql {sc * 1000:6.1f} ms CPU {sw * 1000:6.1f} ms wall | "
                    f"{pw / sw:5.1f}x wall  ({len(answers['sql'][0])} points, same answer)"
                )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
