"""OTLP span ingest, trackyard against trackyard: two or more checkouts side by side.

    .venv/bin/python bench/ab_otlp.py /tmp/before /tmp/after [--rounds 6] [--senders 8]

`git archive <commit> | tar -x -C /tmp/before` makes a checkout. Each tree's server runs on
SQLite in a folder of its own. Rounds alternate between the trees (reversing the order every
other round). In a round, `--senders` connections each post `--requests` traces of 10 spans
(one OTLP protobuf request each) at once, and the round reports the spans a second, the
server's CPU time a request, and its context switches (every thread's, from /proc) a
request: under concurrent writers, the switches show what the threads' hand-overs cost.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import threading
import time
from pathlib import Path

from ab import Server, call, start
from traces import export_body, post_spans, trace_spans

SPANS_PER_TRACE = 10


def context_switches(pid: int) -> int:
    """Voluntary and involuntary context switches of every thread of process `pid`."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        lines = status.splitlines()
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches" in line)
    return total


def one_round(server: Server, experiment_id: str, senders: int, requests: int) -> dict:
    bodies = [
        [export_body(trace_spans(SPANS_PER_TRACE)) for _ in range(requests)] for _ in range(senders)
    ]
    barrier = threading.Barrier(senders + 1)

    def send(own: list[bytes]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        post_spans(connection, experiment_id, export_body(trace_spans(2)))  # warm-up
        barrier.wait()
        for body in own:
            post_spans(connection, experiment_id, body)
        connection.close()

    threads = [threading.Thread(target=send, args=(own,)) for own in bodies]
    for thread in threads:
        thread.start()
    barrier.wait()
    cpu, switches, began = (
        server.cpu_seconds(),
        context_switches(server.process.pid),
        time.perf_counter(),
    )
    for thread in threads:
        thread.join()
    elapsed, count = time.perf_counter() - began, senders * requests
    return {
        "spans/s": count * SPANS_PER_TRACE / elapsed,
        "CPU ms a request": (server.cpu_seconds() - cpu) / count * 1e3,
        "switches a request": (context_switches(server.process.pid) - switches) / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="checkouts of trackyard to compare")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="requests a sender a round")
    options = parser.parse_args()
    servers = [start(tree, None) for tree in options.trees]
    figures: dict[str, list[dict]] = {server.tree: [] for server in servers}
    try:
        experiments = {
            server.tree: call(
                http.client.HTTPConnection("127.0.0.1", server.port),
                "experiments/create",
                {"name": "ab-otlp"},
            )["experiment_id"]
            for server in servers
        }
        for number in range(options.rounds):
            for server in servers if number % 2 == 0 else reversed(servers):
                figures[server.tree].append(
                    one_round(server, experiments[server.tree], options.senders, options.requests)
                )
    finally:
        for server in servers:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait()
    print(
        f"{options.senders} senders x {options.requests} requests of {SPANS_PER_TRACE} spans "
        "a round; median (range) over the rounds:"
    )
    for tree, rounds in figures.items():
        parts = []
        for name in rounds[0]:
            values = [figure[name] for figure in rounds]
            parts.append(
                f"{name} {statistics.median(values):,.2f} ({min(values):,.2f}-{max(values):,.2f})"
            )
        print(f"{tree}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
