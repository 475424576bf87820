"""The benchmark workloads: named functions that take a ``Target`` and return measurements.

Every workload talks plain MLflow REST over HTTP, so the trackyard server and the
reference ``mlflow server`` run exactly the same requests. Each response is checked
(status 200 and the fields we use) and any deviation raises ``ApiError`` with the exact
request and response: a benchmark that silently times errors is worse than none.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import multiprocessing as mp
import os
import queue
import random
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keepalive import KeepAliveClient, Response

BENCH_DIR = Path(__file__).resolve().parent
HTTP_TIMEOUT_S = 120.0
RSS_SAMPLE_S = 0.5
RSS_STABLE_SAMPLES = 5  # stable = within 1% over 2 s
RSS_SETTLE_MAX_S = 30.0
WARMUP_CALLS = 20
CLIENT_LOOP_TIMEOUT_S = 900
CONCURRENT_TIMEOUT_S = 900
SEARCH_FILTER = "metrics.m1 > 0.5 AND params.p1 = 'a'"
SEARCH_ORDER = "metrics.m2 DESC"
SEARCH_PAGE = 100
PAGE_ALL_SIZE = 1000
HISTORY_PAGE = 25_000
BATCH_METRICS = 1000
MIB = 1024 * 1024


# --- configuration and results ------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does; ``--quick`` swaps in smaller ones."""

    log_metric_calls: int = 2000
    client_loop_calls: int = 500
    batch_calls: int = 20
    concurrent_clients: int = 8
    concurrent_calls_each: int = 250
    seed_clients: int = 8  # parallel keep-alive connections that seed data (not timed ops)
    seed_sequential_runs: int = 500  # the first runs seeded one by one: the "seed" row
    search_runs: int = 10_000
    search_small_runs: int = 1000
    search_large_runs: int = 100_000
    search_repeats: int = 10
    page_all_repeats: int = 3
    history_points: int = 100_000
    history_small_points: int = 10_000
    history_large_points: int = 1_000_000
    history_repeats: int = 3
    trace_client_traces: int = 200
    otlp_senders: int = 8
    # Traces of 10 spans, one per request: 8,000 spans, so that trackyard's measure lasts
    # about a second, not the 0.3 s in which one burst of other work moved 2,000 spans' rate.
    otlp_requests_each: int = 100
    trace_search_traces: int = 10_000
    trace_search_large: int = 100_000
    trace_get_spans: int = 500


FULL = Sizes()
QUICK = Sizes(
    log_metric_calls=300,
    client_loop_calls=100,
    batch_calls=5,
    concurrent_calls_each=50,
    seed_sequential_runs=100,
    search_runs=1000,
    search_small_runs=100,
    search_large_runs=10_000,
    search_repeats=5,
    history_points=10_000,
    history_small_points=1000,
    history_large_points=100_000,
    trace_client_traces=50,
    otlp_requests_each=20,
    trace_search_traces=1000,
    trace_search_large=10_000,
)


@dataclass
class Target:
    """One running server as the workloads see it: where it is and how to measure it."""

    name: str
    base_url: str
    http: KeepAliveClient
    sizes: Sizes
    client_python: str
    rss_mib: Callable[[], float]
    settle: Callable[[], None] = lambda: None
    store_bytes: Callable[[], int] = lambda: 0
    cpu_seconds: Callable[[], float] = lambda: 0.0  # the server's process tree's CPU

    @property
    def tracking_uri(self) -> str:
        return self.base_url


@dataclass(frozen=True)
class Measurement:
    """One number for the results; ``higher_is_better`` decides the ratio direction.

    A measurement with a ``series`` is one point of a scaling table (the same operation at
    several ``size``s, e.g. runs in the experiment); the others form the main table.
    """

    label: str
    value: float
    unit: str
    higher_is_better: bool
    series: str = ""
    size: int = 0


Measuring = Callable[[], list[Measurement]]
# A workload measures at once, or prepares (seeding a store takes minutes) and returns its
# measuring step, which run.py runs next to the other server's (see run_side_by_side).
Outcome = list[Measurement] | Measuring
Workload = Callable[[Target], Outcome]


class ApiError(RuntimeError):
    """A request failed or answered something we did not expect (message has both sides)."""


# --- HTTP helpers -------------------------------------------------------------------------


def new_http_client(base_url: str) -> KeepAliveClient:
    """A keep-alive client (see keepalive.py); identical settings for both servers."""
    return KeepAliveClient(base_url, timeout=HTTP_TIMEOUT_S)


def _clip(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _describe(method: str, url: str, body: Any, params: Any, resp: Response | None) -> str:
    lines = [f"request:  {method} {url}"]
    if params:
        lines.append(f"  params: {_clip(json.dumps(params))}")
    if body is not None:
        lines.append(f"  body:   {_clip(json.dumps(body))}")
    if resp is not None:
        lines.append(f"response: HTTP {resp.status_code}")
        lines.append(f"  body:   {_clip(resp.text)}")
    return "\n".join(lines)


def call(
    target: Target,
    method: str,
    endpoint: str,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One MLflow REST call; returns the JSON body or raises ApiError with request+response."""
    url = f"/api/2.0/mlflow/{endpoint}"
    try:
        resp = target.http.request(method, url, json=body, params=params)
    except (OSError, http.client.HTTPException) as exc:
        raise ApiError(f"{exc!r}\n{_describe(method, url, body, params, None)}") from exc
    if resp.status_code != 200:
        raise ApiError(_describe(method, url, body, params, resp))
    try:
        data = resp.json()
    except ValueError:
        raise ApiError("body is not JSON\n" + _describe(method, url, body, params, resp)) from None
    if not isinstance(data, dict):
        raise ApiError("body is not a JSON object\n" + _describe(method, url, body, params, resp))
    return data


def require(ok: bool, what: str, data: Any) -> None:
    """Fail loudly when a 200 answer does not contain what the workload relies on."""
    if not ok:
        raise ApiError(f"unexpected answer: {what}\n  got: {_clip(json.dumps(data))}")


def now_ms() -> int:
    return int(time.time() * 1000)


def create_experiment(target: Target, name: str) -> str:
    data = call(target, "POST", "experiments/create", {"name": name})
    require("experiment_id" in data, "experiments/create without experiment_id", data)
    return str(data["experiment_id"])


def create_run(target: Target, experiment_id: str, start_time: int | None = None) -> str:
    body = {"experiment_id": experiment_id, "start_time": start_time or now_ms()}
    data = call(target, "POST", "runs/create", body)
    run_id = data.get("run", {}).get("info", {}).get("run_id")
    require(bool(run_id), "runs/create without run.info.run_id", data)
    return str(run_id)


def log_metric(target: Target, run_id: str, key: str, value: float, step: int) -> None:
    body = {"run_id": run_id, "key": key, "value": value, "timestamp": now_ms(), "step": step}
    call(target, "POST", "runs/log-metric", body)


def metric_points(key: str, first_step: int, count: int) -> list[dict[str, Any]]:
    """``count`` points of metric ``key`` at consecutive steps from ``first_step``."""
    ts = now_ms()
    return [
        {"key": key, "value": 1.0 / (s + 1), "timestamp": ts, "step": s}
        for s in range(first_step, first_step + count)
    ]


def fetch_history(target: Target, run_id: str, key: str, max_pages: int) -> list[dict]:
    """All points of one metric, paging metrics/get-history like the stock client does."""
    points: list[dict] = []
    params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": HISTORY_PAGE}
    for _ in range(max_pages):
        data = call(target, "GET", "metrics/get-history", params=params)
        points.extend(data.get("metrics", []))
        token = data.get("next_page_token")
        if not token:
            return points
        params = {**params, "page_token": token}
    raise ApiError(f"metrics/get-history: still a next_page_token after {max_pages} pages")


def run_parallel(
    target: Target, items: Sequence[Any], fn: Callable[[Target, Any], Any]
) -> list[Any]:
    """``fn(target, item)`` for all items over ``seed_clients`` keep-alive connections at once.

    Only for seeding data, never for a timed operation: one connection to mlflow server
    stalls ~40 ms per request, which would make a 10k-run experiment take a quarter of an
    hour. Each thread has its own connection; results come back in item order; the first
    error stops the other threads and is raised.
    """
    if not items:
        return []
    k = min(target.sizes.seed_clients, len(items))
    stop = threading.Event()

    def worker(chunk: Sequence[Any]) -> list[Any]:
        with new_http_client(target.base_url) as http:
            own = dataclasses.replace(target, http=http)
            results = []
            for item in chunk:
                if stop.is_set():
                    raise ApiError("stopped: another seeding connection failed")
                results.append(fn(own, item))
            return results

    pool = ThreadPoolExecutor(max_workers=k, thread_name_prefix="bench-seed")
    try:
        futures = [pool.submit(worker, items[i::k]) for i in range(k)]
        wait(futures, return_when=FIRST_EXCEPTION)
        errors = [f.exception() for f in futures if f.done() and f.exception()]
        if errors:
            raise errors[0]
        chunks = [f.result() for f in futures]
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
    out: list[Any] = [None] * len(items)
    for i, chunk in enumerate(chunks):
        out[i::k] = chunk
    return out


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --- workloads ----------------------------------------------------------------------------


def idle_memory(target: Target) -> list[Measurement]:
    """RSS after start-up plus a handful of ordinary requests (lazy imports done)."""
    exp = create_experiment(target, "bench-idle")
    call(target, "GET", "experiments/get", params={"experiment_id": exp})
    call(target, "POST", "experiments/search", {"max_results": 10})
    run_id = create_run(target, exp)
    log_metric(target, run_id, "x", 1.0, 0)
    call(target, "POST", "runs/search", {"experiment_ids": [exp], "max_results": 10})
    return [Measurement("idle RSS, process tree", settled_rss(target), "MiB", False)]


def settled_rss(target: Target) -> float:
    """RSS once it stops growing: servers may keep spawning helpers well after /health is OK.

    (mlflow server's job runner keeps starting and importing for several seconds.)
    """
    samples = [target.rss_mib()]
    deadline = time.monotonic() + RSS_SETTLE_MAX_S
    while time.monotonic() < deadline:
        time.sleep(RSS_SAMPLE_S)
        samples.append(target.rss_mib())
        window = samples[-RSS_STABLE_SAMPLES:]
        if len(window) == RSS_STABLE_SAMPLES and max(window) - min(window) <= 0.01 * max(window):
            break
    return samples[-1]


def log_metric_sequential(target: Target) -> list[Measurement]:
    """Single-metric POSTs one after another: the per-request cost of the server."""
    run_id = create_run(target, create_experiment(target, "bench-log-metric"))
    for i in range(WARMUP_CALLS):
        log_metric(target, run_id, "warmup", float(i), i)
    n = target.sizes.log_metric_calls
    latencies: list[float] = []
    t_start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        log_metric(target, run_id, "loss", 1.0 / (i + 1), i)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - t_start
    latencies.sort()
    return [
        Measurement(f"log-metric x{n} sequential", n / elapsed, "ops/s", True),
        Measurement("log-metric latency p50", percentile(latencies, 50) * 1000, "ms", False),
        Measurement("log-metric latency p99", percentile(latencies, 99) * 1000, "ms", False),
    ]


def client_loop(target: Target) -> list[Measurement]:
    """The stock ``MlflowClient.log_metric`` loop in its own process (project venv)."""
    run_id = create_run(target, create_experiment(target, "bench-client-loop"))
    n = target.sizes.client_loop_calls
    calls_per_s = client_loop_calls_per_s(target, run_id, n)
    points = fetch_history(target, run_id, "loss", max_pages=n // HISTORY_PAGE + 2)
    require(len(points) == n, f"{n} 'loss' points after the client loop", {"got": len(points)})
    return [Measurement(f"MlflowClient.log_metric x{n}", calls_per_s, "ops/s", True)]


def client_loop_calls_per_s(target: Target, run_id: str, n: int) -> float:
    """Calls per second of ``bench/client_loop.py``'s timed loop of ``n`` calls."""
    cmd = [target.client_python, str(BENCH_DIR / "client_loop.py"), target.tracking_uri, run_id]
    # No client-side retries: an error must fail the benchmark, not be retried for minutes.
    env = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "60"}
    out = _run_checked([*cmd, str(n)], env, CLIENT_LOOP_TIMEOUT_S)
    result = json.loads(out.strip().splitlines()[-1])
    return n / result["seconds"]


def _run_checked(cmd: list[str], extra_env: dict[str, str], timeout: float) -> str:
    """Run a helper process; raise with its output if it fails."""
    proc = subprocess.run(
        cmd, env={**os.environ, **extra_env}, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise ApiError(f"{cmd[1]} failed ({proc.returncode}):\n{_clip(proc.stderr, 6000)}")
    return proc.stdout


def log_batch_throughput(target: Target) -> list[Measurement]:
    """log-batch with 1000 metrics per call (distinct steps): bulk write throughput."""
    run_id = create_run(target, create_experiment(target, "bench-log-batch"))
    calls = target.sizes.batch_calls
    call(target, "POST", "runs/log-batch", {"run_id": run_id, "metrics": metric_points("w", 0, 10)})
    # Built before the clock starts: the server's throughput is measured, not the client's
    # making of 1000 dicts per call (the JSON encoding stays in the timed loop).
    batches = [metric_points("loss", i * BATCH_METRICS, BATCH_METRICS) for i in range(calls)]
    t0 = time.perf_counter()
    for batch in batches:
        call(target, "POST", "runs/log-batch", {"run_id": run_id, "metrics": batch})
    elapsed = time.perf_counter() - t0
    label = f"log-batch {BATCH_METRICS} metrics x{calls}"
    return [Measurement(label, calls * BATCH_METRICS / elapsed, "points/s", True)]


def _concurrent_worker(base_url: str, run_id: str, count: int, events: Any, start: Any) -> None:
    """One client process: warm up, wait for the common start, log ``count`` metrics."""
    try:
        with new_http_client(base_url) as http:
            target = Target("worker", base_url, http, FULL, "", lambda: 0.0)
            log_metric(target, run_id, "warmup", 0.0, 0)
            events.put(("ready", "", 0.0))
            if not start.wait(CONCURRENT_TIMEOUT_S):
                raise TimeoutError("start signal never came")
            t0 = time.monotonic()
            for i in range(count):
                log_metric(target, run_id, "loss", 1.0 / (i + 1), i)
            events.put(("done", t0, time.monotonic()))
    except BaseException as exc:  # report everything: the parent must fail loudly
        events.put(("error", str(exc) if isinstance(exc, ApiError) else repr(exc), 0.0))


def _next_event(events: Any, procs: list[Any], kind: str, deadline: float) -> tuple:
    """Next worker event of ``kind``; raise on a worker error, a dead worker or time-out."""
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.5)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise ApiError("a concurrent client process died without reporting") from None
            continue
        if event[0] == "error":
            raise ApiError(f"a concurrent client failed:\n{event[1]}")
        require(event[0] == kind, f"worker event {kind}", event)
        return event
    raise ApiError(f"concurrent clients: no '{kind}' within {CONCURRENT_TIMEOUT_S}s")


def concurrent_log_metric(target: Target) -> list[Measurement]:
    """N client processes (no shared GIL) each logging to its own run at the same time."""
    exp = create_experiment(target, "bench-concurrent")
    n, each = target.sizes.concurrent_clients, target.sizes.concurrent_calls_each
    run_ids = [create_run(target, exp) for _ in range(n)]
    ctx = mp.get_context("spawn")
    events, start = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_concurrent_worker, args=(target.base_url, rid, each, events, start))
        for rid in run_ids
    ]
    deadline = time.monotonic() + CONCURRENT_TIMEOUT_S
    try:
        for proc in procs:
            proc.start()
        for _ in procs:
            _next_event(events, procs, "ready", deadline)
        start.set()
        done = [_next_event(events, procs, "done", deadline) for _ in procs]
    finally:
        _reap(procs)
    elapsed = max(d[2] for d in done) - min(d[1] for d in done)
    return [Measurement(f"log-metric {n} processes x{each}", n * each / elapsed, "ops/s", True)]


def _reap(procs: list[Any]) -> None:
    """Join the client processes, killing any that are still running."""
    for proc in procs:
        if proc.pid is None:
            continue
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)


def _seed_run_data(rng: random.Random, i: int) -> tuple[dict[str, str], dict[str, float]]:
    """Params p0..p9 (p1 cycles a/b/c so the filter matches a third) and metrics m0..m9."""
    params = {f"p{k}": f"v{rng.randrange(100)}" for k in range(10)}
    params["p1"] = "abc"[i % 3]
    metrics = {f"m{k}": rng.random() for k in range(10)}
    return params, metrics


@dataclass
class SeededExperiment:
    """A search experiment: its id, each run's (params, metrics), and how long seeding took."""

    experiment_id: str
    runs: dict[str, tuple[dict, dict]]
    sequential_runs: int
    sequential_s: float
    parallel_s: float


def _seed_run(target: Target, experiment_id: str, job: tuple[int, dict, dict]) -> str:
    """One seeded run: runs/create, then one log-batch with its params and metrics."""
    start_time, params, metrics = job
    run_id = create_run(target, experiment_id, start_time=start_time)
    body = {
        "run_id": run_id,
        "params": [{"key": k, "value": v} for k, v in params.items()],
        "metrics": [
            {"key": k, "value": v, "timestamp": start_time, "step": 0} for k, v in metrics.items()
        ],
    }
    call(target, "POST", "runs/log-batch", body)
    return run_id


def seed_search_experiment(target: Target, n_runs: int, sequential_runs: int) -> SeededExperiment:
    """``n_runs`` runs: the first ``sequential_runs`` one by one, the rest in parallel."""
    exp = create_experiment(target, f"bench-search-{n_runs}")
    rng = random.Random(42)
    data = [_seed_run_data(rng, i) for i in range(n_runs)]
    base_time = now_ms() - n_runs
    jobs = [(base_time + i, params, metrics) for i, (params, metrics) in enumerate(data)]
    head = min(sequential_runs, n_runs)
    t0 = time.perf_counter()
    run_ids = [_seed_run(target, exp, job) for job in jobs[:head]]
    t1 = time.perf_counter()
    run_ids += run_parallel(target, jobs[head:], lambda t, job: _seed_run(t, exp, job))
    t2 = time.perf_counter()
    return SeededExperiment(exp, dict(zip(run_ids, data, strict=True)), head, t1 - t0, t2 - t1)


def _expected_page(seeded: dict[str, tuple[dict, dict]]) -> list[str]:
    """Run ids the filtered, ordered search must return, computed locally."""
    hits = [rid for rid, (p, m) in seeded.items() if m["m1"] > 0.5 and p["p1"] == "a"]
    hits.sort(key=lambda rid: seeded[rid][1]["m2"], reverse=True)
    return hits[:SEARCH_PAGE]


def _timed_filtered_search(target: Target, exp: str, expected: list[str]) -> float:
    """One filtered, ordered page; checks it returns exactly the expected runs in order."""
    body = {
        "experiment_ids": [exp],
        "filter": SEARCH_FILTER,
        "order_by": [SEARCH_ORDER],
        "max_results": SEARCH_PAGE,
    }
    t0 = time.perf_counter()
    data = call(target, "POST", "runs/search", body)
    elapsed = time.perf_counter() - t0
    got = [r["info"]["run_id"] for r in data.get("runs", [])]
    require(got == expected, f"runs/search {body} returns the {len(expected)} expected runs", got)
    return elapsed


def _median_search_page_s(target: Target, seeded: SeededExperiment) -> float:
    """Median of ``search_repeats`` filtered, ordered pages, after one warm-up page."""
    expected = _expected_page(seeded.runs)
    exp = seeded.experiment_id
    _timed_filtered_search(target, exp, expected)  # warm-up (caches, query plans)
    repeats = target.sizes.search_repeats
    return statistics.median(_timed_filtered_search(target, exp, expected) for _ in range(repeats))


def _timed_page_all(target: Target, exp: str, n_runs: int) -> float:
    """Page through every run of the experiment by 1000, following next_page_token."""
    body: dict[str, Any] = {"experiment_ids": [exp], "max_results": PAGE_ALL_SIZE}
    seen: set[str] = set()
    t0 = time.perf_counter()
    for _ in range(n_runs // PAGE_ALL_SIZE + 2):
        data = call(target, "POST", "runs/search", body)
        seen.update(r["info"]["run_id"] for r in data.get("runs", []))
        token = data.get("next_page_token")
        if not token:
            break
        body = {**body, "page_token": token}
    elapsed = time.perf_counter() - t0
    require(len(seen) == n_runs, f"paging runs/search yields all {n_runs} runs", len(seen))
    return elapsed


def _search_point(page_s: float, n_runs: int) -> Measurement:
    """The filtered, ordered page at ``n_runs`` runs as a point of the search scaling series."""
    label = f"search page at {n_runs:,} runs (median)"
    return Measurement(label, page_s * 1000, "ms", False, "search page", n_runs)


def search_runs(target: Target) -> Measuring:
    """Seed an experiment; measuring: a filtered+ordered page and a full paging pass."""
    sizes = target.sizes
    n = sizes.search_runs
    seeded = seed_search_experiment(target, n, sizes.seed_sequential_runs)
    target.settle()
    head, rest = seeded.sequential_runs, n - seeded.sequential_runs
    seeding = [
        Measurement(
            f"seed runs one by one, first {head} (create + log-batch)",
            head / seeded.sequential_s,
            "runs/s",
            True,
        ),
    ]
    if rest:
        label = f"seed {rest} more runs over {sizes.seed_clients} connections in parallel"
        seeding.append(Measurement(label, rest / seeded.parallel_s, "runs/s", True))

    def measure() -> list[Measurement]:
        page_s = _median_search_page_s(target, seeded)
        paged = [
            _timed_page_all(target, seeded.experiment_id, n) for _ in range(sizes.page_all_repeats)
        ]
        return [
            *seeding,
            Measurement(
                f"search {n} runs: filter + order, {SEARCH_PAGE}/page (median)",
                page_s * 1000,
                "ms",
                False,
            ),
            Measurement(
                f"search: page all {n} runs by {PAGE_ALL_SIZE} (median)",
                statistics.median(paged) * 1000,
                "ms",
                False,
            ),
            _search_point(page_s, n),
        ]

    return measure


def search_scaling(target: Target, n_runs: int) -> Measuring:
    """The search page alone at another experiment size (seeded fully in parallel)."""
    seeded = seed_search_experiment(target, n_runs, 0)
    target.settle()
    return lambda: [_search_point(_median_search_page_s(target, seeded), n_runs)]


def _write_metric(target: Target, run_id: str, key: str, points: int) -> None:
    """``points`` consecutive steps of ``key``, by log-batch of 1000 over parallel connections."""

    def batch(t: Target, first: int) -> None:
        metrics = metric_points(key, first, min(BATCH_METRICS, points - first))
        call(t, "POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics})

    run_parallel(target, range(0, points, BATCH_METRICS), batch)


def _timed_history(target: Target, run_id: str, points: int) -> float:
    """Read all points of the metric once, page by page; every step must come back once."""
    t0 = time.perf_counter()
    got = fetch_history(target, run_id, "curve", points // HISTORY_PAGE + 2)
    elapsed = time.perf_counter() - t0
    steps = {p.get("step", 0) for p in got}
    require(len(got) == points and len(steps) == points, f"{points} distinct points", len(got))
    return elapsed


def measure_history(target: Target, points: int, repeats: int) -> tuple[float, int]:
    """One metric of ``points`` steps: median get-history seconds, database growth in bytes.

    The growth is measured from after runs/create to after the last log-batch, the same
    way for both servers (``Target.store_bytes``), so it is the metric points' own cost.
    """
    run_id = create_run(target, create_experiment(target, f"bench-history-{points}"))
    before = target.store_bytes()
    _write_metric(target, run_id, "curve", points)
    grown = target.store_bytes() - before
    timings = [_timed_history(target, run_id, points) for _ in range(repeats)]
    return statistics.median(timings), grown


def _history_points(points: int, read_s: float, grown: int, repeats: int) -> list[Measurement]:
    """get-history time and bytes per point at ``points`` as points of their scaling series."""
    how = f"median of {repeats}" if repeats > 1 else "one read"
    return [
        Measurement(
            f"get-history at {points:,} points ({how})",
            read_s * 1000,
            "ms",
            False,
            "get-history",
            points,
        ),
        Measurement(
            f"storage at {points:,} points", grown / points, "bytes/point", False, "storage", points
        ),
    ]


def metric_history(target: Target) -> list[Measurement]:
    """The main table's get-history row (100k points), and its scaling points."""
    points, repeats = target.sizes.history_points, target.sizes.history_repeats
    read_s, grown = measure_history(target, points, repeats)
    label = f"get-history {points} points, pages of {HISTORY_PAGE} (median)"
    return [
        Measurement(label, read_s * 1000, "ms", False),
        *_history_points(points, read_s, grown, repeats),
    ]


def history_small(target: Target) -> list[Measurement]:
    """get-history and storage at the small size (10k points), for the scaling table."""
    points, repeats = target.sizes.history_small_points, target.sizes.history_repeats
    return _history_points(points, *measure_history(target, points, repeats), repeats)


def history_large(target: Target) -> list[Measurement]:
    """get-history at the large size (1M points, read once: minutes in mlflow server), and
    the storage rows of the main table, measured on those points.
    """
    points = target.sizes.history_large_points
    read_s, grown = measure_history(target, points, 1)
    return [
        Measurement(
            f"storage: database growth per 1M metric points (measured on {points:,})",
            grown / points * 1e6 / MIB,
            "MiB",
            False,
        ),
        Measurement("storage: bytes per metric point", grown / points, "bytes", False),
        *_history_points(points, read_s, grown, 1),
    ]


def loaded_memory(target: Target) -> list[Measurement]:
    """RSS after all workloads: how much the server keeps after real traffic."""
    return [Measurement("RSS after all workloads", target.rss_mib(), "MiB", False)]


WORKLOADS: list[tuple[str, Workload]] = [
    ("idle-memory", idle_memory),
    ("log-metric", log_metric_sequential),
    ("client-loop", client_loop),
    ("log-batch", log_batch_throughput),
    ("concurrent", concurrent_log_metric),
    ("search-1k", lambda t: search_scaling(t, t.sizes.search_small_runs)),
    ("search", search_runs),
    ("search-100k", lambda t: search_scaling(t, t.sizes.search_large_runs)),
    ("get-history-10k", history_small),
    ("get-history", metric_history),
    ("get-history-1m", history_large),
    ("loaded-memory", loaded_memory),
]
# Too slow against mlflow server (hours of seeding): measured for trackyard only.
TRACKYARD_ONLY = frozenset({"search-100k", "trace-search-100k"})
