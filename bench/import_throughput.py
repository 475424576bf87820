"""`trackyard import` throughput: an MLflow 3.17.2 SQLite tracking database of 10,000 runs and
1,000,000 metric points (4 keys, 100 points a run, 5 params and 2 tags a run), generated in
MLflow's own schema (tests/mlflow_source.py: MLflow's store creates it, rows go in with
executemany), imported into a fresh trackyard SQLite store and, where PostgreSQL answers, a
fresh PostgreSQL database.

    .venv/bin/python bench/import_throughput.py [--runs 10000] [--points-per-run 100]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mlflow_source import generate_mlflow_db  # noqa: E402
from tests.servers import postgres_available, postgres_database  # noqa: E402


def timed_import(source: Path, store: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trackyard", "import", "--from", f"sqlite:///{source}",
         "--to", store, "--keep-artifact-uris"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def report(label: str, runs: int, points: int, seconds: float) -> None:
    print(
        f"{label:<22} {seconds:7.1f} s  {runs / seconds:8,.0f} runs/s  "
        f"{points / seconds:10,.0f} points/s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points-per-run", type=int, default=100)
    args = parser.parse_args()
    points = args.runs * args.points_per_run
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "mlflow.db"
        started = time.perf_counter()
        generate_mlflow_db(source, args.runs, args.points_per_run)
        print(f"generated {args.runs} runs, {points} points in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        seconds = timed_import(source, f"sqlite:///{Path(folder) / 'trackyard.db'}")
        report("into SQLite", args.runs, points, seconds)
        if postgres_available():
            with postgres_database() as uri:
                report("into PostgreSQL", args.runs, points, timed_import(source, uri))


if __name__ == "__main__":
    main()
