"""The team workload: many training jobs logging at once while people browse, on PostgreSQL.

    .venv/bin/python bench/team.py [--targets trackyard,workers4,pair,mlflow]
                                   [--duration 20] [--idle 10] [--step-ms 100] ...

For each target in turn, on a fresh PostgreSQL database of its own (127.0.0.1:5432, user
postgres): seed an experiment of finished runs, create one run per writer, then for
``--duration`` seconds

- 64 writers, each a training loop over its own run: "compute" for ``--step-ms``, then log
  the step synchronously, as the stock client does: one ``runs/log-metric`` (the loss), one
  ``runs/log-batch`` with ``--keys`` metrics of that step (``mlflow.log_metrics({...})``),
  and every ``--batch-every`` steps a ``runs/log-batch`` of ``--batch-points`` buffered
  points. The writers are coroutines in ``--writer-procs`` processes, each with its own
  keep-alive connection (64 real processes would take the two cores from the servers);
- 4 readers, each a person with the experiment open in the UI: the runs table's pages
  (``runs/search``, 200 a page, newest first, following the page token), the chart of the
  newest runs' loss and one run's chart (``metrics/get-history-bulk-interval``, 1000 points,
  as the UI asks), then ``--read-pause-ms`` of reading.

Then the readers go on alone for ``--idle`` seconds (the idle reads: same data, no writes).
PostgreSQL's connections to the target's database are sampled from ``pg_stat_activity``.

The targets: ``trackyard`` (one process), ``workers4`` (``--workers 4``), ``pair`` (two
trackyard servers behind bench/balancer.py on one port) and ``mlflow`` (``mlflow server``
of the project venv with its default workers). Every answer must be HTTP 200; anything else
counts as an error (and is shown), the writers carry on. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing as mp
import os
import random
import shlex
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from aio_http import AsyncKeepAlive, HttpError, run
from servers import (
    BENCH_DIR,
    PG_ADMIN_DSN,
    PG_URI_PREFIX,
    Server,
    ServerError,
    create_pg_database,
    drop_pg_database,
    free_port,
    fresh_dir,
    process_tree,
    server_command,
    settle_store,
)
from workloads import (
    FULL,
    Target,
    create_run,
    new_http_client,
    percentile,
    run_parallel,
    seed_search_experiment,
)

TARGETS = ("trackyard", "workers4", "pair", "mlflow")
API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"  # the UI's prefix
UI_PAGE = 200  # the runs table's page (trackyard/ui/static/js/views/runs/table-model.js)
UI_CHART_POINTS = 1000  # a chart's sampled points (metric-charts.js)
ERROR_EXAMPLES = 5
RECONNECT_PAUSE_S = 0.05
PG_SAMPLE_S = 0.25
READY_TIMEOUT_S = 120
WRITES = ("log-metric", "log-metrics", "log-batch")
READS = ("search page", "chart")


@dataclass(frozen=True)
class Load:
    """The workload's shape (the command-line flags)."""

    writers: int = 64
    writer_procs: int = 4
    readers: int = 4
    duration_s: float = 20.0
    idle_s: float = 10.0
    step_ms: float = 100.0
    keys: int = 4
    batch_every: int = 10
    batch_points: int = 100
    seed_runs: int = 300
    read_pause_ms: float = 100.0
    chart_runs: int = 10
    startup_timeout_s: float = 600.0  # mlflow server took 113-139 s at a load average of 30


@dataclass
class Samples:
    """What clients saw: latencies (s) by request kind, errors, points written."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    points: int = 0
    last_done: float = 0.0  # wall clock of the last answered request
    cpu_s: float = 0.0  # the client processes' CPU time from the start signal on

    def add(self, other: Samples) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.errors += other.errors
        self.error_examples += other.error_examples[: ERROR_EXAMPLES - len(self.error_examples)]
        self.points += other.points
        self.last_done = max(self.last_done, other.last_done)
        self.cpu_s += other.cpu_s

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_examples) < ERROR_EXAMPLES:
            self.error_examples.append(message[:500])

    def merged(self, kinds: tuple[str, ...]) -> list[float]:
        return sorted(v for kind in kinds for v in self.latencies.get(kind, []))


# --- the clients (run in their own processes) ---------------------------------------------


async def timed(
    client: AsyncKeepAlive, kind: str, method: str, path: str, body: bytes, out: Samples
) -> bytes | None:
    """One request; its latency if answered 200, else an error (the caller carries on)."""
    t0 = time.perf_counter()
    try:
        status, content = await client.request(method, path, body)
    except HttpError as exc:
        out.error(f"{kind}: {exc}")
        await asyncio.sleep(RECONNECT_PAUSE_S)
        return None
    if status != 200:
        out.error(f"{kind}: {method} {path} -> HTTP {status}: {content[:300]!r}")
        return None
    out.latencies.setdefault(kind, []).append(time.perf_counter() - t0)
    out.last_done = time.time()
    return content


def step_requests(run_id: str, step: int, load: Load) -> Iterator[tuple[str, str, list]]:
    """A training step's requests: (kind, endpoint, metric points)."""
    ts = int(time.time() * 1000)
    loss = 1.0 / (step + 1)
    yield "log-metric", "runs/log-metric", [("loss", loss, ts, step)]
    yield "log-metrics", "runs/log-batch", [(f"m{k}", loss * k, ts, step) for k in range(load.keys)]
    if load.batch_every and step % load.batch_every == load.batch_every - 1:
        first = step // load.batch_every * load.batch_points
        points = [
            ("grad_norm", 1.0 / (s + 1), ts, s) for s in range(first, first + load.batch_points)
        ]
        yield "log-batch", "runs/log-batch", points


def request_body(endpoint: str, run_id: str, points: list) -> bytes:
    if endpoint == "runs/log-metric":
        key, value, ts, step = points[0]
        body: dict = {"run_id": run_id, "key": key, "value": value, "timestamp": ts, "step": step}
    else:
        keys = ("key", "value", "timestamp", "step")
        body = {"run_id": run_id, "metrics": [dict(zip(keys, p, strict=True)) for p in points]}
    return json.dumps(body).encode()


async def writer(
    client: AsyncKeepAlive, run_id: str, load: Load, start: float, end: float, out: Samples
) -> None:
    """One training loop: compute (sleep), log the step, until the end of the write phase."""
    await asyncio.sleep(max(0.0, start - time.time()) + random.random() * load.step_ms / 1000)
    step = 0
    while time.time() < end:
        for kind, endpoint, points in step_requests(run_id, step, load):
            body = request_body(endpoint, run_id, points)
            if await timed(client, kind, "POST", f"{API}/{endpoint}", body, out) is not None:
                out.points += len(points)
        step += 1
        await asyncio.sleep(load.step_ms / 1000)


def search_body(experiment_id: str, page_token: str | None) -> bytes:
    body = {
        "experiment_ids": [experiment_id],
        "run_view_type": "ACTIVE_ONLY",
        "order_by": ["attributes.start_time DESC"],
        "max_results": UI_PAGE,
    }
    if page_token:
        body["page_token"] = page_token
    return json.dumps(body).encode()


def chart_path(run_ids: list[str], key: str) -> str:
    query = urlencode(
        {"run_ids": run_ids, "metric_key": key, "max_results": UI_CHART_POINTS}, doseq=True
    )
    return f"{AJAX}/metrics/get-history-bulk-interval?{query}"


async def ui_visit(client: AsyncKeepAlive, experiment_id: str, load: Load, out: Samples) -> None:
    """The runs table page by page, then the newest runs' loss chart and one run's chart."""
    run_ids: list[str] = []
    token: str | None = None
    while True:
        body = search_body(experiment_id, token)
        content = await timed(client, "search page", "POST", f"{AJAX}/runs/search", body, out)
        if content is None:
            return
        page = json.loads(content)
        run_ids += [run["info"]["run_id"] for run in page.get("runs", [])]
        token = page.get("next_page_token")
        if not token:
            break
    newest = run_ids[: load.chart_runs]
    await timed(client, "chart", "GET", chart_path(newest, "loss"), b"", out)
    await timed(client, "chart", "GET", chart_path(newest[:1], "m1"), b"", out)


async def reader(
    client: AsyncKeepAlive,
    experiment_id: str,
    load: Load,
    phases: list[tuple[Callable[[], bool], Callable[[], bool], Samples]],
) -> None:
    """UI visits with a pause between, recorded per phase: (has begun, has ended, samples)."""
    for begun, ended, out in phases:
        while not begun():
            await asyncio.sleep(0.05)
        while not ended():
            await ui_visit(client, experiment_id, load, out)
            await asyncio.sleep(load.read_pause_ms / 1000)


async def _connect_all(port: int, count: int) -> list[AsyncKeepAlive]:
    """Clients with an open connection each (a /health request opens it)."""
    clients = [AsyncKeepAlive("127.0.0.1", port) for _ in range(count)]
    for client in clients:
        status, _ = await client.request("GET", "/health")
        if status != 200:
            raise HttpError(f"/health -> {status}")
    return clients


async def _wait_event(event: Any) -> None:
    await asyncio.get_running_loop().run_in_executor(None, event.wait)


async def _writers_main(port: int, run_ids: list[str], load: Load, sync: Sync) -> Samples:
    clients = await _connect_all(port, len(run_ids))
    sync.ready.put("ready")
    await _wait_event(sync.go)
    cpu0, start = time.process_time(), sync.start.value
    out = Samples()
    end = start + load.duration_s
    jobs = [writer(c, r, load, start, end, out) for c, r in zip(clients, run_ids, strict=True)]
    await asyncio.gather(*jobs)
    out.cpu_s = time.process_time() - cpu0
    return out


async def _readers_main(port: int, experiment_id: str, load: Load, sync: Sync) -> list[Samples]:
    clients = await _connect_all(port, load.readers)
    sync.ready.put("ready")
    await _wait_event(sync.go)
    cpu0, start = time.process_time(), sync.start.value
    end = start + load.duration_s
    under_write, idle = Samples(), Samples()
    idle_end: list[float] = []

    def idle_begun() -> bool:
        if sync.writers_done.is_set() and not idle_end:
            idle_end.append(time.time() + load.idle_s)
        return bool(idle_end)

    phases = [
        (lambda: time.time() >= start, lambda: time.time() >= end, under_write),
        (idle_begun, lambda: time.time() >= idle_end[0], idle),
    ]
    await asyncio.gather(*(reader(c, experiment_id, load, phases) for c in clients))
    under_write.cpu_s = time.process_time() - cpu0
    return [under_write, idle]


@dataclass
class Sync:
    """Shared between the harness and its client processes."""

    ready: Any  # queue: one "ready" per process once its connections are open
    go: Any  # event: start.value is set
    start: Any  # shared double: wall-clock start of the write phase
    writers_done: Any  # event: every writer process has reported
    results: Any  # queue: (role, index, samples or traceback)


def client_process(role: str, index: int, port: int, work: Any, load: Load, sync: Sync) -> None:
    """Entry point of a client process: its writers, or the readers."""
    try:
        if role == "writers":
            result: Any = run(_writers_main(port, work, load, sync))
        else:
            result = run(_readers_main(port, work, load, sync))
        sync.results.put((role, index, result))
    except BaseException:
        sync.results.put((role, index, traceback.format_exc()))
        sync.ready.put("failed")


# --- the harness --------------------------------------------------------------------------


@dataclass
class Outcome:
    """One target's figures."""

    name: str
    writes: Samples
    reads_under_write: Samples
    reads_idle: Samples
    write_window_s: float
    pg_max: int
    pg_mean: float
    pg_active_max: int
    server_cpu_s: float
    machine_busy: float  # share of all cores busy during the write phase, anyone's work


def drive(port: int, experiment_id: str, run_ids: list[str], load: Load) -> tuple:
    """Run the client processes against ``port``: (writes, reads under write, idle reads,
    the write phase's length in s: start to the last answered write, the machine's busy share
    over that phase)."""
    ctx = mp.get_context("spawn")
    sync = Sync(ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0), ctx.Event(), ctx.Queue())
    n = load.writer_procs
    jobs: list[tuple[str, int, Any]] = [("writers", i, run_ids[i::n]) for i in range(n)]
    jobs.append(("readers", 0, experiment_id))
    procs = [
        ctx.Process(target=client_process, args=(role, i, port, work, load, sync))
        for role, i, work in jobs
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            if sync.ready.get(timeout=READY_TIMEOUT_S) != "ready":
                raise RuntimeError(f"a client process failed:\n{sync.results.get(timeout=5)[2]}")
        sync.start.value = start = time.time() + 0.2
        sync.go.set()
        cpu_at_start, busy_share = machine_cpu_ticks(), 0.0
        writes, writers_in, reads = Samples(), 0, []
        for _ in procs:
            role, _, result = sync.results.get(timeout=load.duration_s + load.idle_s + 600)
            if isinstance(result, str):
                raise RuntimeError(f"a {role} process failed:\n{result}")
            if role == "readers":
                reads = result
                continue
            writes.add(result)
            writers_in += 1
            if writers_in == n:
                sync.writers_done.set()
                busy_share = busy_between(cpu_at_start, machine_cpu_ticks())
    finally:
        sync.writers_done.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return writes, reads[0], reads[1], writes.last_done - start, busy_share


class PgSampler:
    """Connections to one database in pg_stat_activity, sampled every PG_SAMPLE_S in a thread."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.samples: list[tuple[int, int]] = []  # (connections, active ones)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sql = (
            "SELECT count(*), count(*) FILTER (WHERE state = 'active') "
            "FROM pg_stat_activity WHERE datname = %s"
        )
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            while not self._stop.wait(PG_SAMPLE_S):
                row = conn.execute(sql, (self.database,)).fetchone()
                assert row is not None
                self.samples.append((int(row[0]), int(row[1])))

    @contextmanager
    def running(self) -> Iterator[PgSampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their descendants (from /proc)."""
    ticks = 0
    for root in pids:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat's first line: busy is
    all but idle and iowait, steal (the hypervisor's) included; guest time is already in
    user, so it is left out."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def busy_between(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


# --- the targets --------------------------------------------------------------------------


def _server(name: str, uri: str, extra: list[str], mlflow: bool, load: Load, keep: bool) -> Server:
    cleanups: list[Callable[[], None]] = []
    data_dir = fresh_dir(f"team-{name}", cleanups, keep)
    port = free_port()
    kind = "mlflow" if mlflow else "trackyard"
    argv, env = server_command(kind, port, uri, data_dir, Path(sys.executable), None)
    server = Server(name, [*argv, *extra], port, data_dir, env, cleanups=cleanups, store_uri=uri)
    server.startup_timeout_s = load.startup_timeout_s
    return server


def _balancer(ports: list[int], keep: bool) -> Server:
    cleanups: list[Callable[[], None]] = []
    data_dir = fresh_dir("team-balancer", cleanups, keep)
    port = free_port()
    argv = [sys.executable, str(BENCH_DIR / "balancer.py"), str(port), *map(str, ports)]
    return Server("balancer", argv, port, data_dir, dict(os.environ), cleanups=cleanups)


def start_target(name: str, uri: str, load: Load, keep: bool) -> tuple[list[Server], Server | None]:
    """The target's servers (started, in order) and its balancer if it has one."""
    servers: list[Server] = []
    balancer = None
    try:
        if name == "pair":
            servers.append(_server("pair-a", uri, [], False, load, keep))
            servers[0].start()
            servers.append(_server("pair-b", uri, ["--no-migrate"], False, load, keep))
            servers[1].start()
            balancer = _balancer([s.port for s in servers], keep)
            balancer.start()
        else:
            extra = ["--workers", "4"] if name == "workers4" else []
            servers.append(_server(name, uri, extra, name == "mlflow", load, keep))
            servers[0].start()
    except BaseException:
        stop_all(servers, balancer)
        raise
    return servers, balancer


def stop_all(servers: list[Server], balancer: Server | None) -> None:
    for server in [*([balancer] if balancer else []), *reversed(servers)]:
        server.close()


def bench_target(name: str, load: Load, keep: bool) -> Outcome:
    """Fresh database, servers up, seed, drive the clients, measure; always cleans up."""
    database = f"bench_team_{name}_{os.getpid()}"
    create_pg_database(database)
    try:
        uri = PG_URI_PREFIX + database
        log(f"{name}: starting")
        servers, balancer = start_target(name, uri, load, keep)
        try:
            front = balancer or servers[0]
            log(f"{name}: up ({', '.join(f'{s.startup_s:.1f}s' for s in servers)}); seeding")
            experiment_id, run_ids = seed(front.base_url, load)
            settle_store(uri)
            log(f"{name}: seeded; {load.writers} writers, {load.readers} readers")
            pids = [s.proc.pid for s in servers if s.proc is not None]
            cpu0 = cpu_seconds(pids)
            with PgSampler(database).running() as sampler:
                writes, busy, idle, window, machine = drive(
                    front.port, experiment_id, run_ids, load
                )
            cpu = cpu_seconds(pids) - cpu0
            for server in servers:
                server.check_alive()
        finally:
            stop_all(servers, balancer)
    finally:
        drop_pg_database(database)
    conns = [c for c, _ in sampler.samples] or [0]
    active = [a for _, a in sampler.samples] or [0]
    return Outcome(
        name,
        writes,
        busy,
        idle,
        window,
        max(conns),
        sum(conns) / len(conns),
        max(active),
        cpu,
        machine,
    )


def seed(base_url: str, load: Load) -> tuple[str, list[str]]:
    """An experiment of ``seed_runs`` finished runs (params and metrics, as bench/run.py's
    search workload seeds them), then one new run per writer: the newest runs."""
    with new_http_client(base_url) as http:
        target = Target("team", base_url, http, FULL, sys.executable, lambda: 0.0)
        seeded = seed_search_experiment(target, load.seed_runs, sequential_runs=0)
        exp = seeded.experiment_id
        run_ids = run_parallel(target, list(range(load.writers)), lambda t, _: create_run(t, exp))
    return exp, run_ids


# --- the report ---------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[team {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:,.1f}" if values else "-"


def write_rate(outcome: Outcome) -> float:
    count = len(outcome.writes.merged(WRITES))
    return count / outcome.write_window_s if outcome.write_window_s > 0 else 0.0


def cpu_per_request(outcome: Outcome) -> float:
    """Server CPU seconds per answered request (writes and both phases' reads): unlike the
    rates, this barely moves with the machine's load."""
    answered = sum(
        len(values)
        for samples in (outcome.writes, outcome.reads_under_write, outcome.reads_idle)
        for values in samples.latencies.values()
    )
    return outcome.server_cpu_s / answered if answered else 0.0


TARGET_LABELS = {
    "trackyard": "trackyard, 1 process",
    "workers4": "trackyard --workers 4",
    "pair": "2 trackyard servers + balancer",
    "mlflow": "mlflow server (default workers)",
}


def table(outcomes: list[Outcome]) -> list[str]:
    """The Markdown table: one row per target, ratios against mlflow server where it ran."""
    mlflow = next((o for o in outcomes if o.name == "mlflow"), None)
    head = (
        "| target | writes/s | points/s | write p50 / p99 ms | reads under write p50 / p99 ms "
        "| idle reads p50 / p99 ms | read p99 under write / idle | errors | PG connections "
        "max (mean), active max | server CPU s (ms a request) | machine busy while writing "
        "| writes vs mlflow |"
    )
    lines = [head, "|" + "---|" * 12]
    for o in outcomes:
        writes, busy, idle = (
            o.writes.merged(WRITES),
            o.reads_under_write.merged(READS),
            o.reads_idle.merged(READS),
        )
        rate = write_rate(o)
        ratio = f"{rate / write_rate(mlflow):.2f}x" if mlflow and write_rate(mlflow) else "-"
        read_ratio = f"{percentile(busy, 99) / percentile(idle, 99):.2f}x" if busy and idle else "-"
        errors = o.writes.errors + o.reads_under_write.errors + o.reads_idle.errors
        lines.append(
            f"| {TARGET_LABELS[o.name]} | {rate:,.0f} | {o.writes.points / o.write_window_s:,.0f} "
            f"| {ms(writes, 50)} / {ms(writes, 99)} | {ms(busy, 50)} / {ms(busy, 99)} "
            f"| {ms(idle, 50)} / {ms(idle, 99)} | {read_ratio} | {errors} "
            f"| {o.pg_max} ({o.pg_mean:.1f}), {o.pg_active_max} "
            f"| {o.server_cpu_s:.1f} ({cpu_per_request(o) * 1000:.2f}) "
            f"| {o.machine_busy:.0%} | {ratio} |"
        )
    return lines


def detail(outcome: Outcome) -> list[str]:
    """Per request kind: count and p50 / p99, and the first errors."""
    lines = [
        f"{TARGET_LABELS[outcome.name]}: client processes' CPU from the start "
        f"writers {outcome.writes.cpu_s:.1f} s, readers {outcome.reads_under_write.cpu_s:.1f} s"
    ]
    for phase, samples in (
        ("writes", outcome.writes),
        ("reads under write", outcome.reads_under_write),
        ("idle reads", outcome.reads_idle),
    ):
        for kind, values in sorted(samples.latencies.items()):
            values = sorted(values)
            figures = f"p50 {ms(values, 50)} ms, p99 {ms(values, 99)} ms"
            lines.append(f"  {phase}, {kind}: {len(values)} x, {figures}")
        lines += [f"  {phase} error: {example}" for example in samples.error_examples]
    return lines


def parse_args(argv: list[str]) -> tuple[list[str], Load, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help="comma-separated subset of " + ", ".join(TARGETS),
    )
    defaults = Load()
    for name, value in dataclasses.asdict(defaults).items():
        flag = "--" + name.removesuffix("_s").replace("_", "-")
        parser.add_argument(
            flag, dest=name, type=type(value), default=value, help=f"default {value}"
        )
    parser.add_argument("--keep", action="store_true", help="keep the servers' data dirs (logs)")
    args = parser.parse_args(argv)
    targets = args.targets.split(",")
    if not set(targets) <= set(TARGETS):
        parser.error(f"--targets: unknown names in {args.targets!r}")
    load = Load(**{name: getattr(args, name) for name in dataclasses.asdict(defaults)})
    return targets, load, args.keep


def main(argv: list[str]) -> int:
    targets, load, keep = parse_args(argv)
    log(f"command: {shlex.join(['.venv/bin/python', 'bench/team.py', *argv])}")
    log(f"load: {load}; uptime: {os.getloadavg()}")
    outcomes, failed = [], []
    for name in targets:
        try:
            outcome = bench_target(name, load, keep)
        except (ServerError, RuntimeError) as exc:  # a server that never came up, a client
            log(f"{name}: FAILED, the other targets go on:\n{exc}")
            failed.append(f"{TARGET_LABELS[name]}: failed: {str(exc).splitlines()[0]}")
            continue
        outcomes.append(outcome)
        log(f"{name}: done; load average {os.getloadavg()}")
        print("\n".join(detail(outcome)), flush=True)
    print("\n" + "\n".join([*table(outcomes), *failed]) + "\n", flush=True)
    errors = sum(
        o.writes.errors + o.reads_under_write.errors + o.reads_idle.errors for o in outcomes
    )
    return 1 if errors or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
