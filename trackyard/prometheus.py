"""`--expose-prometheus`: request counts and latency by endpoint, and database pool use, at
`/metrics` in the Prometheus text format (prometheus_client).

With several worker processes (`--workers`), each writes its figures to files in one folder
(prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR, made by `shared_by_workers`
unless the operator set it) and the worker that answers a scrape sums them all; pool figures
are then refreshed every few seconds by each worker and summed over the live ones.

Requests are labelled by the route's template (`/ajax-api/2.0/mlflow/runs/get`,
`/static/{path}`), never the raw path, so a client cannot grow the series without bound; paths
no route knows count as `unmatched`. Pool figures are read when Prometheus scrapes, so serving
pays only for the counter and the histogram: a clock read, two dict look-ups and two updates.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .store.db import Database

if TYPE_CHECKING:
    from .config import ServerConfig

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
# Latency buckets in seconds: a log call takes well under a millisecond, a search of 100k
# runs tens of milliseconds, an artifact download seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SHARED_FOLDER = "PROMETHEUS_MULTIPROC_DIR"
POOL_METRIC = "trackyard_db_pool_connections"
POOL_HELP = (
    "Database connections by state: max, open, in_use, idle; and callers waiting "
    "(SQLite: its one write connection). Summed over worker processes."
)
# How often each of several workers records its pool figures for the others' scrapes.
POOL_REFRESH_SECONDS = 2.0


@contextmanager
def shared_by_workers(config: ServerConfig) -> Iterator[None]:
    """While several workers serve with --expose-prometheus: a folder for their figures, named
    in the environment they inherit, removed when they have stopped. An operator's own
    PROMETHEUS_MULTIPROC_DIR is used as it is, and kept."""
    if not config.expose_prometheus or config.workers <= 1 or os.environ.get(SHARED_FOLDER):
        yield
        return
    folder = tempfile.mkdtemp(prefix="trackyard-prometheus-")
    os.environ[SHARED_FOLDER] = folder
    try:
        yield
    finally:
        del os.environ[SHARED_FOLDER]
        shutil.rmtree(folder, ignore_errors=True)


class PoolCollector(Collector):
    """The database's connections by state, read at scrape time (Database.pool_stats)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(POOL_METRIC, POOL_HELP, labels=["state"])
        for state, value in self.database.pool_stats().items():
            family.add_metric([state], value)
        yield family


class Metrics:
    """The server's metrics, in a registry of its own (not the process-wide default)."""

    def __init__(self, database: Database) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "trackyard_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "trackyard_http_request_duration_seconds",
            "Time from a request's arrival to its answer's end, by method and route template.",
            ["method", "endpoint"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.database = database
        self.shared = bool(os.environ.get(SHARED_FOLDER))
        if self.shared:
            self.pool = Gauge(
                POOL_METRIC, POOL_HELP, ["state"], multiprocess_mode="livesum", registry=None
            )
            self._record_pool()
            threading.Thread(target=self._keep_recording_pool, daemon=True).start()
        else:
            self.registry.register(PoolCollector(database))
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        """One answered request; label children are looked up once per combination."""
        counter = self._counters.get((method, endpoint, status))
        if counter is None:
            counter = self.requests.labels(method, endpoint, str(status))
            self._counters[(method, endpoint, status)] = counter
        timer = self._timers.get((method, endpoint))
        if timer is None:
            timer = self._timers[(method, endpoint)] = self.latency.labels(method, endpoint)
        counter.inc()
        timer.observe(seconds)

    def render(self) -> bytes:
        if not self.shared:
            return generate_latest(self.registry)
        self._record_pool()
        every_worker = CollectorRegistry()
        MultiProcessCollector(every_worker)
        return generate_latest(every_worker)

    def _record_pool(self) -> None:
        for state, value in self.database.pool_stats().items():
            self.pool.labels(state).set(value)

    def _keep_recording_pool(self) -> None:
        while True:
            time.sleep(POOL_REFRESH_SECONDS)
            self._record_pool()


def route_template(routes: Sequence[BaseRoute], fixed: frozenset[tuple[str, str]]) -> Callable:
    """A function from a request's scope to the template of the route serving it: a fixed
    API path is its own template (one set look-up); others are matched as Starlette would."""

    def template(scope: Scope) -> str:
        method, path = scope["method"], scope["path"]
        if (method, path) in fixed:
            return path
        for route in routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:  # PARTIAL: the path with another method (405)
                return _template_of(route)
        return UNMATCHED

    return template


def _template_of(route: BaseRoute) -> str:
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    if isinstance(route, Route):
        return route.path
    return UNMATCHED


class Instrumented:
    """Counts and times every HTTP request `app` answers."""

    def __init__(self, app: ASGIApp, metrics: Metrics, template: Callable[[Scope], str]) -> None:
        self.app = app
        self.metrics = metrics
        self.template = template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Before the app runs: routing rewrites the scope's path and root_path as it goes.
        endpoint = self.template(scope)
        status = 500  # unless the app starts an answer: it failed, or the client left

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.metrics.observe(method, endpoint, status, time.perf_counter() - started)
