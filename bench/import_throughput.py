"""`trackyard import` throughput: an MLflow 3.17.2 SQLite tracking database of 10,000 runs and
1,000,000 metric points (4 keys, 100 points a run, 5 params and 2 tags a run), generated in
MLflow's own schema (tests/mlflow_source.py: MLflow's store creates it, rows go in with
executemany), imported into a fresh trackyard SQLite store and, where PostgreSQL answers, a
fresh PostgreSQL database.

    .venv/bin/python bench/import_throughput.py [--runs 10000] [--points-per-run 100]
        [--export-import [--export-import-runs 1000]]

`--export-import` also moves a database the mlflow-export-import way (the route MLflow's
users have for copying between servers): `mlflow server` 3.17.2 over the source database,
`export-experiments --experiments all` into a folder, then `import-experiments` from that
folder into a fresh trackyard server on SQLite, each phase timed, beside `trackyard import`
of the same database into SQLite. mlflow-export-import 1.2.0 is installed with mlflow 3.17.2
into a venv of its own (bench/.venv-export-import), never into the project's. It makes one
request per run and per metric history, so it gets its own size (`--export-import-runs`,
default: `--runs`); both routes then move that database, and the report says which size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import Server, dist_version, free_port, server_command  # noqa: E402
from tests.mlflow_source import generate_mlflow_db  # noqa: E402
from tests.servers import postgres_available, postgres_database  # noqa: E402

EXPORT_IMPORT_VENV = ROOT / "bench" / ".venv-export-import"
EXPORT_IMPORT_VERSION = "1.2.0"
MLFLOW_VERSION = "3.17.2"
PIP_TIMEOUT_S = 1800
# How many imported runs have their histories read back to check the points came across.
CHECKED_RUNS = 20


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
        f"{label:<34} {seconds:7.1f} s  {runs / seconds:8,.1f} runs/s  "
        f"{points / seconds:10,.0f} points/s",
        flush=True,
    )


def generate(path: Path, runs: int, points_per_run: int) -> None:
    started = time.perf_counter()
    generate_mlflow_db(path, runs, points_per_run)
    print(f"generated {runs} runs, {runs * points_per_run} points in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip


# --- the mlflow-export-import route -------------------------------------------------------


def ensure_export_import_venv() -> Path:
    """bench/.venv-export-import with mlflow-export-import and the stock mlflow; its python."""
    python = EXPORT_IMPORT_VENV / "bin" / "python"
    if not python.exists():
        print(f"[bench] creating {EXPORT_IMPORT_VENV}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "venv", str(EXPORT_IMPORT_VENV)], timeout=300, check=True
        )
    wanted = {"mlflow-export-import": EXPORT_IMPORT_VERSION, "mlflow": MLFLOW_VERSION}
    missing = [f"{dist}=={v}" for dist, v in wanted.items() if dist_version(python, dist) != v]
    # Imported by its every command but missing from its requirements.
    missing += [dist for dist in ("tabulate",) if dist_version(python, dist) is None]
    if missing:
        print(f"[bench] pip install {' '.join(missing)} into {EXPORT_IMPORT_VENV}", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *missing],
            timeout=PIP_TIMEOUT_S,
            check=True,
        )
    return python


def started_server(name: str, store: str, folder: Path, python: Path | None) -> Server:
    """Server `name` ("mlflow" or "trackyard") over `store`, answering /health."""
    data_dir = folder / name
    data_dir.mkdir()
    port = free_port()
    argv, env = server_command(name, port, store, data_dir, python, None)
    # mlflow server's background job runner (a dozen huey processes) has nothing to do here.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    server = Server(name, argv, port, data_dir, env, store_uri=store)
    server.start()
    return server


def export_import_phase(python: Path, command: str, tracking_uri: str, log: Path, *args: str):
    """One mlflow-export-import command against `tracking_uri`; its time in seconds."""
    tool = python.parent / command
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
    started = time.perf_counter()
    with log.open("wb") as out:
        done = subprocess.run([str(tool), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{command} failed ({done.returncode}):\n{tail}")
    return time.perf_counter() - started


def check_moved(tracking_uri: str, runs: int, points_per_run: int) -> None:
    """The target holds every run, and the histories of a sample hold every point: the
    tool reports a failed experiment or run on its output and goes on, exit code 0."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    found, token = [], None
    while True:
        page = client.search_runs(ids, max_results=1000, page_token=token)
        found += page
        token = page.token
        if not token:
            break
    if len(found) != runs:
        raise SystemExit(f"export-import moved {len(found)} runs of {runs}")
    for run in found[:CHECKED_RUNS]:
        points = sum(
            len(client.get_metric_history(run.info.run_id, key)) for key in run.data.metrics
        )
        if points != points_per_run:
            raise SystemExit(f"run {run.info.run_id}: {points} points of {points_per_run}")


def export_import_route(source: Path, runs: int, points_per_run: int, folder: Path) -> None:
    """`trackyard import` and the mlflow-export-import route, each moving `source`."""
    points = runs * points_per_run
    report(
        f"trackyard import ({runs} runs)",
        runs,
        points,
        timed_import(source, f"sqlite:///{folder / 'direct.db'}"),
    )
    python = ensure_export_import_venv()
    exported = folder / "exported"
    mlflow = started_server("mlflow", f"sqlite:///{source}", folder, python)
    try:
        export_s = export_import_phase(
            python, "export-experiments", mlflow.base_url, folder / "export.log",
            "--experiments", "all", "--output-dir", str(exported),
        )  # fmt: skip
    finally:
        mlflow.close()
    trackyard = started_server("trackyard", f"sqlite:///{folder / 'target.db'}", folder, None)
    try:
        import_s = export_import_phase(
            python, "import-experiments", trackyard.base_url, folder / "import.log",
            "--input-dir", str(exported),
        )  # fmt: skip
        check_moved(trackyard.base_url, runs, points_per_run)
    finally:
        trackyard.close()
    report("  export-experiments (mlflow server)", runs, points, export_s)
    report("  import-experiments (trackyard)", runs, points, import_s)
    report(f"mlflow-export-import ({runs} runs)", runs, points, export_s + import_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points-per-run", type=int, default=100)
    parser.add_argument(
        "--export-import",
        action="store_true",
        help="also move a database the mlflow-export-import way (installs it into a bench venv)",
    )
    parser.add_argument(
        "--export-import-runs",
        type=int,
        help="runs of the database both routes move for that comparison (default: --runs)",
    )
    args = parser.parse_args()
    points = args.runs * args.points_per_run
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = folder / "mlflow.db"
        generate(source, args.runs, args.points_per_run)
        seconds = timed_import(source, f"sqlite:///{folder / 'trackyard.db'}")
        report("into SQLite", args.runs, points, seconds)
        if postgres_available():
            with postgres_database() as uri:
                report("into PostgreSQL", args.runs, points, timed_import(source, uri))
        if args.export_import:
            runs = args.export_import_runs or args.runs
            if runs != args.runs:
                source = folder / "smaller.db"
                generate(source, runs, args.points_per_run)
            export_import_route(source, runs, args.points_per_run, folder)


if __name__ == "__main__":
    main()
