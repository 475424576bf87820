"""Benchmark trackyard against the reference ``mlflow server`` over the MLflow REST API.

    .venv/bin/python bench/run.py [--quick] [--only trackyard|mlflow]
                                  [--backend sqlite|postgresql] [--out docs/benchmarks.md]

Each server is started on a free loopback port with a fresh store, every workload in
``ALL_WORKLOADS`` (workloads.py and traces.py) runs against it, then it is stopped (its whole
process group is killed, also on Ctrl-C, SIGTERM, errors and the overall time limit).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType

from report import (
    SERVERS,
    ServerResults,
    environment,
    results_section,
    scaling_lines,
    table_lines,
    write_doc,
)
from servers import (
    REPO_ROOT,
    Server,
    ServerError,
    dist_version,
    ensure_mlflow_venv,
    make_server,
    settle_store,
    store_bytes,
)
from traces import TRACE_WORKLOADS
from workloads import (
    FULL,
    QUICK,
    TRACKYARD_ONLY,
    WORKLOADS,
    ApiError,
    Measurement,
    Target,
    Workload,
    new_http_client,
)

# Tracing before the memory after it all.
ALL_WORKLOADS = [*WORKLOADS[:-1], *TRACE_WORKLOADS, WORKLOADS[-1]]


class TimeLimitReached(BaseException):
    """Raised by SIGALRM; a BaseException so that no ``except Exception`` swallows it."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--only", choices=SERVERS, help="benchmark one server only")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only, leave --out alone")
    parser.add_argument(
        "--workloads",
        help="comma-separated subset of: " + ", ".join(name for name, _ in ALL_WORKLOADS),
    )
    parser.add_argument(
        "--mlflow-workers",
        type=int,
        help="pass --workers to mlflow server (default: not passed, i.e. mlflow's default 4)",
    )
    parser.add_argument(
        "--time-limit", type=int, default=3600, help="seconds for the whole run (default 3600)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the servers' data dirs")
    args = parser.parse_args(argv)
    known = {name for name, _ in ALL_WORKLOADS}
    if args.workloads and not set(args.workloads.split(",")) <= known:
        parser.error(f"--workloads: unknown names in {args.workloads!r}")
    return args


def install_stop_handlers(time_limit_s: int) -> None:
    """Turn SIGINT/SIGTERM/SIGHUP and the time limit into exceptions so cleanup code runs."""

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitReached(f"time limit of {time_limit_s}s reached")

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    # Ctrl-C -> KeyboardInterrupt even if SIGINT was ignored when we started (e.g. `cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    signal.alarm(time_limit_s)


def selected_workloads(args: argparse.Namespace) -> list[tuple[str, Workload]]:
    if not args.workloads:
        return list(ALL_WORKLOADS)
    wanted = set(args.workloads.split(","))
    return [(name, fn) for name, fn in ALL_WORKLOADS if name in wanted]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def report_failure(res: ServerResults, server: str, workload: str, message: str) -> None:
    """Record a failure and print it at once, loudly, with the request and response."""
    res.failures[workload] = message
    bar = "!" * 78
    print(f"{bar}\n{server} / {workload} FAILED\n{message}\n{bar}", file=sys.stderr, flush=True)


def run_workloads(
    target: Target, server: Server, workloads: list[tuple[str, Workload]], res: ServerResults
) -> None:
    """Run each workload once; a failure skips only that workload, a dead server all."""
    for index, (name, fn) in enumerate(workloads):
        if name in TRACKYARD_ONLY and target.name != "trackyard":
            res.not_measured.add(name)
            log(f"{target.name}: {name} not measured (trackyard only)")
            continue
        t0 = time.perf_counter()
        try:
            server.check_alive()
            measurements: list[Measurement] = fn(target)
        except ServerError as exc:
            report_failure(res, target.name, name, str(exc))
            for later, _ in workloads[index + 1 :]:
                res.failures[later] = "not run: the server had died"
            return
        except ApiError as exc:
            report_failure(res, target.name, name, str(exc))
            continue
        except Exception:  # e.g. a malformed answer the checks did not anticipate
            report_failure(res, target.name, name, traceback.format_exc())
            continue
        res.measurements += [(name, m) for m in measurements]
        shown = ", ".join(f"{m.label} = {m.value:.2f} {m.unit}" for m in measurements)
        log(f"{target.name}: {name} done in {time.perf_counter() - t0:.1f}s: {shown}")


def bench_server(name: str, args: argparse.Namespace, mlflow_python: Path | None) -> ServerResults:
    """Start one server, measure start-up and run all workloads against it, stop it."""
    res = ServerResults()
    sizes = QUICK if args.quick else FULL
    server = make_server(name, args.backend, mlflow_python, args.mlflow_workers, args.keep)
    try:
        log(f"{name}: starting: {shlex.join(server.argv)}")
        try:
            startup_s = server.start()
        except ServerError as exc:
            report_failure(res, name, "start-up", str(exc))
            return res
        res.measurements.append(
            ("start-up", Measurement("start-up: spawn to first 200 /health", startup_s, "s", False))
        )
        log(f"{name}: healthy after {startup_s:.2f}s on {server.base_url} (data {server.data_dir})")
        with new_http_client(server.base_url) as http:
            target = Target(
                name,
                server.base_url,
                http,
                sizes,
                sys.executable,
                server.rss_mib,
                settle=lambda: settle_store(server.store_uri),
                store_bytes=lambda: store_bytes(server.store_uri),
                cpu_seconds=server.cpu_seconds,
            )
            run_workloads(target, server, selected_workloads(args), res)
    finally:
        server.close()
        log(f"{name}: stopped")
    return res


def server_setup_line(args: argparse.Namespace) -> str:
    workers = args.mlflow_workers or "4 (its default)"
    return (
        f"backend: {args.backend}; mlflow server: uvicorn, {workers} workers, "
        "otherwise default flags; trackyard server: default flags; "
        f"sizes: {'--quick' if args.quick else 'full'}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([".venv/bin/python", "bench/run.py", *sys.argv[1:]])
    started = dt.datetime.now().astimezone()
    install_stop_handlers(args.time_limit)
    servers = [args.only] if args.only else list(SERVERS)
    try:
        mlflow_python = ensure_mlflow_venv(args.backend) if "mlflow" in servers else None
        env_lines = environment(
            REPO_ROOT,
            dist_version(mlflow_python, "mlflow") if mlflow_python else None,
            server_setup_line(args),
        )
        results = {name: bench_server(name, args, mlflow_python) for name in servers}
    except TimeLimitReached as exc:
        log(f"ABORTED: {exc}; servers stopped, nothing written")
        return 3
    except KeyboardInterrupt:
        log("interrupted; servers stopped, nothing written")
        return 130
    finally:
        signal.alarm(0)
    tables = [*table_lines(results), "", *scaling_lines(results)]
    print("\n" + "\n".join(tables) + "\n", flush=True)
    if not args.no_write:
        write_doc(args.out, results_section(command, started, env_lines, results), args.backend)
        log(f"wrote {args.out}")
    failed = [f"{s}/{w}" for s, r in results.items() for w in r.failures]
    if failed:
        log(f"FAILED workloads: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
