"""Server CPU per call, trackyard against trackyard: two or more checkouts side by side.

    .venv/bin/python bench/ab.py /tmp/before /tmp/after [--rounds 6] [--calls 3000]

`git worktree add /tmp/before <commit>` makes a checkout. Each tree's server runs on SQLite
from its own temporary folder (or, with `--backend postgresql`, on a database of its own on
the local PostgreSQL, dropped afterwards); rounds alternate between them (reversing the
order every other round), and each measures the server process's own CPU time (user +
system, from /proc) for `--calls` log-metric calls, a thirtieth as many log-batch calls of
1000 points and a fifth as many search pages, sent one at a time over one keep-alive
connection; then the batches' points read back, in get-history's pages of 25,000 and as the
UI's sampled read. CPU time, unlike throughput, barely moves when the machine is busy with
something else, so a refactor's cost shows even on a shared machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from servers import CLOCK_TICKS, cpu_ticks

API = "/api/2.0/mlflow"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def postgres(sql: str) -> None:
    """One statement on the local PostgreSQL's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(sql)


@dataclass
class Server:
    tree: str
    process: subprocess.Popen
    port: int
    log_metric_us: list[float] = field(default_factory=list)
    log_batch_us: list[float] = field(default_factory=list)
    search_us: list[float] = field(default_factory=list)
    history_us: list[float] = field(default_factory=list)
    sampled_us: list[float] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        return cpu_ticks(self.process.pid) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(tree: str, store_uri: str | None) -> Server:
    folder, port = tempfile.mkdtemp(prefix="bench-ab-"), free_port()
    command = [
        sys.executable, "-m", "trackyard", "server", "--port", str(port),
        "--backend-store-uri", store_uri or f"sqlite:///{folder}/trackyard.db",
        "--artifacts-destination", f"{folder}/artifacts",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=folder, env={**os.environ, "PYTHONPATH": tree},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    for _ in range(400):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port)
            connection.request("GET", "/health")
            connection.getresponse().read()
            return Server(tree, process, port)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server of {tree} did not start")


def answer(connection: http.client.HTTPConnection, path: str) -> dict:
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
    return json.loads(data)


def call(connection: http.client.HTTPConnection, path: str, body: dict) -> dict:
    headers = {"Content-Type": "application/json"}
    connection.request("POST", f"{API}/{path}", json.dumps(body), headers)
    return answer(connection, path)


def get(connection: http.client.HTTPConnection, path: str) -> dict:
    connection.request("GET", f"{API}/{path}")
    return answer(connection, path)


def measure(server: Server, calls: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    name = f"ab-{time.time_ns()}"
    experiment_id = call(connection, "experiments/create", {"name": name})["experiment_id"]
    run = call(connection, "runs/create", {"experiment_id": experiment_id})["run"]
    run_id = run["info"]["run_id"]
    start = server.cpu_seconds()
    for step in range(calls):
        point = {"run_id": run_id, "key": "loss", "value": 1 / (step + 1), "timestamp": 1}
        call(connection, "runs/log-metric", {**point, "step": step})
    server.log_metric_us.append((server.cpu_seconds() - start) / calls * 1e6)
    batches = calls // 30
    start = server.cpu_seconds()
    for batch in range(batches):
        metrics = [
            {"key": "acc", "value": step / 1000, "timestamp": 1, "step": batch * 1000 + step}
            for step in range(1000)
        ]
        call(connection, "runs/log-batch", {"run_id": run_id, "metrics": metrics})
    server.log_batch_us.append((server.cpu_seconds() - start) / batches * 1e6)
    pages = calls // 5
    start = server.cpu_seconds()
    for _ in range(pages):
        call(connection, "runs/search", {"experiment_ids": [experiment_id], "max_results": 10})
    server.search_us.append((server.cpu_seconds() - start) / pages * 1e6)
    measure_reads(server, connection, run_id, batches * 1000)


def measure_reads(
    server: Server, connection: http.client.HTTPConnection, run_id: str, points: int
) -> None:
    """The log-batch points read back: the whole history in get-history's pages of 25,000
    (server CPU per 1000 points), and the UI's sampled read of 320 points (per read)."""
    start = server.cpu_seconds()
    query = f"run_id={run_id}&metric_key=acc&max_results=25000"
    token, read = "", 0
    while True:
        page = get(connection, f"metrics/get-history?{query}&page_token={token}")
        read += len(page.get("metrics", []))
        token = page.get("next_page_token", "")
        if not token:
            break
    if read != points:
        raise RuntimeError(f"get-history: {read} points of {points}")
    server.history_us.append((server.cpu_seconds() - start) / points * 1000 * 1e6)
    reads = 20
    start = server.cpu_seconds()
    for _ in range(reads):
        get(connection, f"metrics/get-history-bulk-interval?run_ids={run_id}&metric_key=acc")
    server.sampled_us.append((server.cpu_seconds() - start) / reads * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="checkouts of trackyard to compare")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    options = parser.parse_args()
    databases = [f"bench_ab_{os.getpid()}_{number}" for number in range(len(options.trees))]
    if options.backend == "postgresql":
        for name in databases:
            postgres(f"CREATE DATABASE {name}")
    uris = [f"{POSTGRES}/{name}" if options.backend == "postgresql" else None for name in databases]
    servers = [start(tree, uri) for tree, uri in zip(options.trees, uris, strict=True)]
    try:
        for number in range(options.rounds):
            for server in servers if number % 2 == 0 else reversed(servers):
                measure(server, options.calls)
    finally:
        for server in servers:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait()
        if options.backend == "postgresql":
            for name in databases:
                postgres(f"DROP DATABASE IF EXISTS {name}")
    print("server CPU per call, median (each round), microseconds")
    for server in servers:
        rounds = ", ".join(f"{value:.0f}" for value in server.log_metric_us)
        print(f"{server.tree}: log-metric {statistics.median(server.log_metric_us):.0f} ({rounds})")
        print(f"{server.tree}: log-batch of 1000 {statistics.median(server.log_batch_us):.0f}")
        print(f"{server.tree}: search page {statistics.median(server.search_us):.0f}")
        history = statistics.median(server.history_us)
        print(f"{server.tree}: get-history, per 1000 points read {history:.0f}")
        sampled = statistics.median(server.sampled_us)
        print(f"{server.tree}: get-history-bulk-interval (320 points) {sampled:.0f}")


if __name__ == "__main__":
    main()
