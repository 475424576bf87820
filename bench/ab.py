"""Server CPU per call, trackyard against trackyard: two or more checkouts side by side.

    .venv/bin/python bench/ab.py /tmp/before /tmp/after [--rounds 6] [--calls 3000]

`git worktree add /tmp/before <commit>` makes a checkout. Each tree's server runs on SQLite
from its own temporary folder; rounds alternate between them (reversing the order every
other round), and each measures the server process's own CPU time (user + system, from
/proc) for `--calls` log-metric calls, a thirtieth as many log-batch calls of 1000 points
and a fifth as many search pages, sent one at a time
over one keep-alive connection. CPU time, unlike throughput, barely moves when the machine
is busy with something else, so a refactor's cost shows even on a shared machine.
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
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
API = "/api/2.0/mlflow"


@dataclass
class Server:
    tree: str
    process: subprocess.Popen
    port: int
    log_metric_us: list[float] = field(default_factory=list)
    log_batch_us: list[float] = field(default_factory=list)
    search_us: list[float] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(tree: str) -> Server:
    folder, port = tempfile.mkdtemp(prefix="bench-ab-"), free_port()
    command = [
        sys.executable, "-m", "trackyard", "server", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{folder}/trackyard.db",
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


def call(connection: http.client.HTTPConnection, path: str, body: dict) -> dict:
    headers = {"Content-Type": "application/json"}
    connection.request("POST", f"{API}/{path}", json.dumps(body), headers)
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
    return json.loads(data)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="checkouts of trackyard to compare")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=3000)
    options = parser.parse_args()
    servers = [start(tree) for tree in options.trees]
    try:
        for number in range(options.rounds):
            for server in servers if number % 2 == 0 else reversed(servers):
                measure(server, options.calls)
    finally:
        for server in servers:
            os.killpg(server.process.pid, signal.SIGTERM)
    print("server CPU per call, median (each round), microseconds")
    for server in servers:
        rounds = ", ".join(f"{value:.0f}" for value in server.log_metric_us)
        print(f"{server.tree}: log-metric {statistics.median(server.log_metric_us):.0f} ({rounds})")
        print(f"{server.tree}: log-batch of 1000 {statistics.median(server.log_batch_us):.0f}")
        print(f"{server.tree}: search page {statistics.median(server.search_us):.0f}")


if __name__ == "__main__":
    main()
