"""Benchmark trackyard against the reference ``mlflow server`` over the MLflow REST API.

    .venv/bin/python bench/run.py [--quick] [--only trackyard|mlflow]
                                  [--backend sqlite|postgresql] [--out docs/benchmarks.md]

Both servers are started on free loopback ports with fresh stores, then every workload in
``ALL_WORKLOADS`` (workloads.py and traces.py) runs on one and then the other, side by side;
at the end they are stopped (each whole process group is killed, also on Ctrl-C, SIGTERM,
errors and the overall time limit).
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
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
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
    Measuring,
    Outcome,
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


@dataclass
class Bench:
    """One server under test as the run drives it."""

    name: str
    server: Server
    target: Target
    results: ServerResults = field(default_factory=ServerResults)
    dead: bool = False


def attempt(bench: Bench, workload: str, step: Callable[[], Outcome]) -> Outcome | None:
    """Run one step of a workload; a failure is recorded and gives None, a dead server also
    marks the server so its later workloads are not run."""
    try:
        bench.server.check_alive()
        return step()
    except ServerError as exc:
        report_failure(bench.results, bench.name, workload, str(exc))
        bench.dead = True
    except ApiError as exc:
        report_failure(bench.results, bench.name, workload, str(exc))
    except Exception:  # e.g. a malformed answer the checks did not anticipate
        report_failure(bench.results, bench.name, workload, traceback.format_exc())
    return None


def record(bench: Bench, workload: str, measurements: list[Measurement], t0: float) -> None:
    bench.results.measurements += [(workload, m) for m in measurements]
    shown = ", ".join(f"{m.label} = {m.value:.2f} {m.unit}" for m in measurements)
    log(f"{bench.name}: {workload} done in {time.perf_counter() - t0:.1f}s: {shown}")


def run_side_by_side(benches: list[Bench], workloads: list[tuple[str, Workload]]) -> None:
    """Run each workload on every server before the next workload, the first server taking
    turns. A workload that prepares first (seeding) is prepared on every server before any is
    measured, so its measurements sit next to each other in time: this shared machine has
    slow phases minutes long, and one falling on one server's half alone moved ratios 2x."""
    for index, (name, workload) in enumerate(workloads):
        order = benches if index % 2 == 0 else benches[::-1]
        measuring: list[tuple[Bench, Measuring, float]] = []
        for bench in order:
            if bench.dead:
                bench.results.failures[name] = "not run: the server had died"
                continue
            if name in TRACKYARD_ONLY and bench.name != "trackyard":
                bench.results.not_measured.add(name)
                log(f"{bench.name}: {name} not measured (trackyard only)")
                continue
            t0 = time.perf_counter()
            outcome = attempt(bench, name, partial(workload, bench.target))
            if callable(outcome):
                log(f"{bench.name}: {name} prepared in {time.perf_counter() - t0:.1f}s")
                measuring.append((bench, outcome, t0))
            elif outcome is not None:
                record(bench, name, outcome, t0)
        for bench, measure, t0 in measuring:
            measured = attempt(bench, name, measure)
            if isinstance(measured, list):
                record(bench, name, measured, t0)


def start_bench(
    name: str, args: argparse.Namespace, mlflow_python: Path | None, stack: ExitStack
) -> Bench:
    """Start one server (measuring its start-up) and its keep-alive client; ``stack`` closes
    both. Raises ServerError when the server does not come up."""
    server = make_server(name, args.backend, mlflow_python, args.mlflow_workers, args.keep)
    stack.callback(lambda: (server.close(), log(f"{name}: stopped")))
    log(f"{name}: starting: {shlex.join(server.argv)}")
    startup_s = server.start()
    log(f"{name}: healthy after {startup_s:.2f}s on {server.base_url} (data {server.data_dir})")
    http = stack.enter_context(new_http_client(server.base_url))
    target = Target(
        name,
        server.base_url,
        http,
        QUICK if args.quick else FULL,
        sys.executable,
        server.rss_mib,
        settle=lambda: settle_store(server.store_uri),
        store_bytes=lambda: store_bytes(server.store_uri),
        cpu_seconds=server.cpu_seconds,
    )
    bench = Bench(name, server, target)
    startup = Measurement("start-up: spawn to first 200 /health", startup_s, "s", False)
    bench.results.measurements.append(("start-up", startup))
    return bench


def bench_servers(
    names: list[str], args: argparse.Namespace, mlflow_python: Path | None
) -> dict[str, ServerResults]:
    """Start every server, one at a time, and wait until all are idle; then run the
    workloads on them side by side."""
    results: dict[str, ServerResults] = {}
    benches = []
    with ExitStack() as stack:
        for name in names:
            try:
                bench = start_bench(name, args, mlflow_python, stack)
            except ServerError as exc:
                results[name] = ServerResults()
                report_failure(results[name], name, "start-up", str(exc))
                continue
            benches.append(bench)
            results[name] = bench.results
        for bench in benches:
            log(f"{bench.name}: idle after {bench.server.wait_idle():.1f}s more")
        run_side_by_side(benches, selected_workloads(args))
    return results


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
        results = bench_servers(servers, args, mlflow_python)
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
