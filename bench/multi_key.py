"""A training loop's `log_metrics({...})` on PostgreSQL, checkout against checkout: round
trips to the database and wall time per call, in process.

    .venv/bin/python bench/multi_key.py /tmp/before /tmp/after [--keys 10] [--steps 1000]
                                        [--rounds 4]

Each checkout (`git worktree add /tmp/before <commit>`) runs in a process of its own on a
fresh database: one run, then `--steps` calls of `store.log_batch` with one point of each of
`--keys` keys at the next step (what `mlflow.log_metrics` sends), after 20 warm-up calls.
Round trips are counted from libpq's protocol trace of every connection: a Sync (a
statement of the extended protocol) or a simple Query (BEGIN, COMMIT) is one. The
checkouts take turns, reversing the order every other round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ADMIN_URI = "postgresql://postgres@127.0.0.1:5432/postgres"


def _trace_connections(path: str) -> None:
    """Every new psycopg connection writes libpq's protocol trace to `path`."""
    import psycopg

    trace = open(path, "w")  # noqa: SIM115 (open for the process's life)
    connect = psycopg.Connection.connect.__func__

    def traced(cls, *args, **kwargs):
        connection = connect(cls, *args, **kwargs)
        connection.pgconn.trace(trace.fileno())
        return connection

    psycopg.Connection.connect = classmethod(traced)


def _round_trips(path: str) -> int:
    count = 0
    with open(path) as trace:
        for line in trace:
            fields = line.split("\t")
            if len(fields) > 3 and fields[1] == "F" and fields[3].startswith(("Sync", "Query")):
                count += 1
    return count


def measure(keys: int, steps: int) -> None:
    import psycopg

    trace_path = tempfile.mktemp(prefix="bench-multi-key-", suffix=".trace")
    _trace_connections(trace_path)
    from trackyard.messages.tracking import BatchMetric
    from trackyard.store import open_database, open_store

    name = f"bench_multi_key_{os.getpid()}"
    with psycopg.connect(ADMIN_URI, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        db = open_database(ADMIN_URI.rsplit("/", 1)[0] + f"/{name}")
        store = open_store(db, tempfile.mkdtemp())
        experiment_id = store.create_experiment("multi-key", None, [])
        run_id = store.create_run(experiment_id, "", 0, "", []).info.run_id
        names = [f"metric_{number}" for number in range(keys)]

        def call(step: int) -> None:
            metrics = [
                BatchMetric(key=key, value=step / (i + 1), timestamp=1_000 + step, step=step)
                for i, key in enumerate(names)
            ]
            store.log_batch(run_id, metrics, [], [])

        for step in range(20):
            call(step)
        before, times = _round_trips(trace_path), []
        for step in range(20, 20 + steps):
            start = time.perf_counter()
            call(step)
            times.append((time.perf_counter() - start) * 1000)
        trips = (_round_trips(trace_path) - before) / steps
        history, _ = store.get_metric_history(run_id, names[-1], 100_000, "")
        assert len(history) == steps + 20, len(history)
        db.close()
    finally:
        with psycopg.connect(ADMIN_URI, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
        os.unlink(trace_path)
    times.sort()
    print(
        f"{trips:.1f} round trips a call; p50 {statistics.median(times):.2f} ms, "
        f"p99 {times[int(len(times) * 0.99)]:.2f} ms, mean {statistics.fmean(times):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="checkouts of trackyard to compare")
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        sys.path.insert(0, options.trees[0])
        measure(options.keys, options.steps)
        return
    for number in range(options.rounds):
        for tree in options.trees if number % 2 == 0 else reversed(options.trees):
            print(f"round {number + 1}, {tree}: ", end="", flush=True)
            command = [sys.executable, __file__, tree, "--child"]
            command += ["--keys", str(options.keys), "--steps", str(options.steps)]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
