"""The benchmark workloads: named functions that take a ``Target`` and return measurements.

Every workload talks plain MLflow REST over HTTP, so the trackyard server and the
reference ``mlflow server`` run exactly the same requests. Each response is checked
(status 200 and the fields we use) and any deviation raises ``ApiError`` with the exact
request and response: a benchmark that silently times errors is worse than none.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import queue
import random
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

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


# --- configuration and results ------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does; ``--quick`` and later scaling runs swap these."""

    log_metric_calls: int = 2000
    client_loop_calls: int = 500
    batch_calls: int = 20
    concurrent_clients: int = 8
    concurrent_calls_each: int = 250
    search_runs: int = 2000
    search_repeats: int = 10
    page_all_repeats: int = 3
    history_points: int = 100_000
    history_repeats: int = 3


FULL = Sizes()
QUICK = Sizes(
    log_metric_calls=300,
    client_loop_calls=100,
    batch_calls=5,
    concurrent_calls_each=50,
    search_runs=200,
    search_repeats=5,
    history_points=10_000,
)


@dataclass
class Target:
    """One running server as the workloads see it: where it is and how to measure it."""

    name: str
    base_url: str
    http: httpx.Client
    sizes: Sizes
    client_python: str
    rss_mib: Callable[[], float]
    settle: Callable[[], None] = lambda: None

    @property
    def tracking_uri(self) -> str:
        return self.base_url


@dataclass(frozen=True)
class Measurement:
    """One number for the results table; ``higher_is_better`` decides the ratio direction."""

    label: str
    value: float
    unit: str
    higher_is_better: bool


Workload = Callable[[Target], list[Measurement]]


class ApiError(RuntimeError):
    """A request failed or answered something we did not expect (message has both sides)."""


# --- HTTP helpers -------------------------------------------------------------------------


def new_http_client(base_url: str) -> httpx.Client:
    """A keep-alive client; identical settings for both servers."""
    return httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S)


def _clip(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _describe(method: str, url: str, body: Any, params: Any, resp: httpx.Response | None) -> str:
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
    except httpx.HTTPError as exc:
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
    cmd = [target.client_python, str(BENCH_DIR / "client_loop.py"), target.tracking_uri, run_id]
    # No client-side retries: an error must fail the benchmark, not be retried for minutes.
    env = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "60"}
    out = _run_checked([*cmd, str(n)], env, CLIENT_LOOP_TIMEOUT_S)
    result = json.loads(out.strip().splitlines()[-1])
    points = fetch_history(target, run_id, "loss", max_pages=n // HISTORY_PAGE + 2)
    require(len(points) == n, f"{n} 'loss' points after the client loop", {"got": len(points)})
    return [Measurement(f"MlflowClient.log_metric x{n}", n / result["seconds"], "ops/s", True)]


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
    t0 = time.perf_counter()
    for i in range(calls):
        batch = metric_points("loss", i * BATCH_METRICS, BATCH_METRICS)
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


def seed_search_experiment(
    target: Target, n_runs: int
) -> tuple[str, dict[str, tuple[dict, dict]], float]:
    """Create ``n_runs`` runs (runs/create + one log-batch each); returns id, data, seconds."""
    exp = create_experiment(target, f"bench-search-{n_runs}")
    rng = random.Random(42)
    seeded: dict[str, tuple[dict, dict]] = {}
    base_time = now_ms() - n_runs
    t0 = time.perf_counter()
    for i in range(n_runs):
        run_id = create_run(target, exp, start_time=base_time + i)
        params, metrics = _seed_run_data(rng, i)
        body = {
            "run_id": run_id,
            "params": [{"key": k, "value": v} for k, v in params.items()],
            "metrics": [
                {"key": k, "value": v, "timestamp": base_time, "step": 0}
                for k, v in metrics.items()
            ],
        }
        call(target, "POST", "runs/log-batch", body)
        seeded[run_id] = (params, metrics)
    return exp, seeded, time.perf_counter() - t0


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


def search_runs(target: Target) -> list[Measurement]:
    """Seed an experiment, then time a filtered+ordered page and a full paging pass."""
    n = target.sizes.search_runs
    exp, seeded, seed_s = seed_search_experiment(target, n)
    target.settle()
    expected = _expected_page(seeded)
    _timed_filtered_search(target, exp, expected)  # warm-up (caches, query plans)
    filtered = [
        _timed_filtered_search(target, exp, expected) for _ in range(target.sizes.search_repeats)
    ]
    paged = [_timed_page_all(target, exp, n) for _ in range(target.sizes.page_all_repeats)]
    return [
        Measurement(f"seed {n} runs (create + log-batch)", n / seed_s, "runs/s", True),
        Measurement(
            f"search {n} runs: filter + order, {SEARCH_PAGE}/page (median)",
            statistics.median(filtered) * 1000,
            "ms",
            False,
        ),
        Measurement(
            f"search: page all {n} runs by {PAGE_ALL_SIZE} (median)",
            statistics.median(paged) * 1000,
            "ms",
            False,
        ),
    ]


def metric_history(target: Target) -> list[Measurement]:
    """One long metric (log-batch by 1000), read back page by page via get-history."""
    points = target.sizes.history_points
    run_id = create_run(target, create_experiment(target, f"bench-history-{points}"))
    for first in range(0, points, BATCH_METRICS):
        batch = metric_points("curve", first, min(BATCH_METRICS, points - first))
        call(target, "POST", "runs/log-batch", {"run_id": run_id, "metrics": batch})
    pages = points // HISTORY_PAGE + 2
    timings = []
    for _ in range(target.sizes.history_repeats):
        t0 = time.perf_counter()
        got = fetch_history(target, run_id, "curve", pages)
        timings.append(time.perf_counter() - t0)
        steps = {p.get("step", 0) for p in got}
        require(len(got) == points and len(steps) == points, f"{points} distinct points", len(got))
    label = f"get-history {points} points, pages of {HISTORY_PAGE} (median)"
    return [Measurement(label, statistics.median(timings) * 1000, "ms", False)]


def loaded_memory(target: Target) -> list[Measurement]:
    """RSS after all workloads: how much the server keeps after real traffic."""
    return [Measurement("RSS after all workloads", target.rss_mib(), "MiB", False)]


def with_sizes(workload: Workload, **overrides: int) -> Workload:
    """The same workload with some sizes changed, e.g. for scaling runs.

    ``("search-10k", with_sizes(search_runs, search_runs=10_000))``
    """

    def run(target: Target) -> list[Measurement]:
        sized = dataclasses.replace(target, sizes=dataclasses.replace(target.sizes, **overrides))
        return workload(sized)

    return run


WORKLOADS: list[tuple[str, Workload]] = [
    ("idle-memory", idle_memory),
    ("log-metric", log_metric_sequential),
    ("client-loop", client_loop),
    ("log-batch", log_batch_throughput),
    ("concurrent", concurrent_log_metric),
    ("search", search_runs),
    ("get-history", metric_history),
    ("loaded-memory", loaded_memory),
]
