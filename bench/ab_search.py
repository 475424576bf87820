"""The bench's filtered, ordered search page over 10k runs, trackyard against trackyard: two
or more checkouts side by side on one seeded PostgreSQL database.

    .venv/bin/python bench/ab_search.py /tmp/before /tmp/after [--rounds 12] [--pages 30]

`git archive <commit> | tar -x -C /tmp/before` makes a checkout. The first tree's server
seeds the runs as bench/workloads.py does (the same params and metrics, 8 clients at once)
into a database of this run's own, dropped afterwards; then every tree's server answers the
same page, which must be the expected one, and rounds alternate between them (reversing the
order every other round). Each round times `--pages` pages sent one at a time over one
keep-alive connection and reports the median clock per page, the server process's CPU per
page and PostgreSQL's (every backend of the database; only one server asks at a time).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from ab import POSTGRES, Server, call, postgres, start
from servers import CLOCK_TICKS, cpu_ticks
from workloads import SEARCH_FILTER, SEARCH_ORDER, SEARCH_PAGE, _expected_page, _seed_run_data


def seed(server: Server, runs: int) -> tuple[str, list[str]]:
    """An experiment of `runs` runs seeded as the bench seeds; its id and the expected page."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    experiment_id = call(connection, "experiments/create", {"name": "ab-search"})["experiment_id"]
    rng = random.Random(42)
    data = [_seed_run_data(rng, index) for index in range(runs)]
    base_time = int(time.time() * 1000) - runs

    def one(index: int) -> str:
        params, metrics = data[index]
        local = http.client.HTTPConnection("127.0.0.1", server.port)
        start_time = base_time + index
        body = {"experiment_id": experiment_id, "start_time": start_time}
        run_id = call(local, "runs/create", body)["run"]["info"]["run_id"]
        batch = {
            "run_id": run_id,
            "params": [{"key": k, "value": v} for k, v in params.items()],
            "metrics": [
                {"key": k, "value": v, "timestamp": start_time, "step": 0}
                for k, v in metrics.items()
            ],
        }
        call(local, "runs/log-batch", batch)
        local.close()
        return run_id

    with ThreadPoolExecutor(8) as pool:
        run_ids = list(pool.map(one, range(runs)))
    return experiment_id, _expected_page(dict(zip(run_ids, data, strict=True)))


def backend_cpu_seconds(database: str) -> float:
    """CPU time of every PostgreSQL backend connected to `database`, from /proc."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchall()
    return sum(cpu_ticks(pid) for (pid,) in pids) / CLOCK_TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="checkouts of trackyard to compare")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--pages", type=int, default=30)
    options = parser.parse_args()
    database = f"bench_ab_search_{os.getpid()}"
    postgres(f"CREATE DATABASE {database}")
    uri = f"{POSTGRES}/{database}"
    servers: list[Server] = []
    try:
        servers.append(start(options.trees[0], uri))
        experiment_id, expected = seed(servers[0], options.runs)
        postgres_analyze(uri)
        servers += [start(tree, uri) for tree in options.trees[1:]]
        body = {
            "experiment_ids": [experiment_id],
            "filter": SEARCH_FILTER,
            "order_by": [SEARCH_ORDER],
            "max_results": SEARCH_PAGE,
        }
        connections = {s.port: http.client.HTTPConnection("127.0.0.1", s.port) for s in servers}
        for server in servers:
            page = call(connections[server.port], "runs/search", body)
            if [run["info"]["run_id"] for run in page["runs"]] != expected:
                raise RuntimeError(f"{server.tree}: not the expected page")
            for _ in range(10):  # warm-up: prepared statements, caches
                call(connections[server.port], "runs/search", body)
        figures: dict[str, dict[str, list[float]]] = {
            s.tree: {"clock": [], "server": [], "postgres": []} for s in servers
        }
        for number in range(options.rounds):
            for server in servers if number % 2 == 0 else reversed(servers):
                connection, clock = connections[server.port], []
                cpu, backend = server.cpu_seconds(), backend_cpu_seconds(database)
                for _ in range(options.pages):
                    began = time.perf_counter()
                    call(connection, "runs/search", body)
                    clock.append(time.perf_counter() - began)
                own = figures[server.tree]
                own["clock"].append(statistics.median(clock) * 1e3)
                own["server"].append((server.cpu_seconds() - cpu) / options.pages * 1e3)
                used = backend_cpu_seconds(database) - backend
                own["postgres"].append(used / options.pages * 1e3)
    finally:
        for server in servers:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait()
        postgres(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print(f"filtered, ordered page of {SEARCH_PAGE} over {options.runs:,} runs, ms per page:")
    print("medians of the rounds' figures (clock: each round's median; range over rounds)")
    for tree, own in figures.items():
        clock = own["clock"]
        print(
            f"{tree}: clock {statistics.median(clock):.2f} ({min(clock):.1f}-{max(clock):.1f}), "
            f"server CPU {statistics.median(own['server']):.2f}, "
            f"PostgreSQL CPU {statistics.median(own['postgres']):.2f}"
        )
    first = figures[options.trees[0]]
    for tree, own in list(figures.items())[1:]:
        ratios = {  # each round against the first tree's same round: the load moves less
            name: statistics.median(a / b for a, b in zip(own[name], first[name], strict=True))
            for name in ("clock", "server", "postgres")
        }
        print(
            f"{tree} / {options.trees[0]}, median of the rounds' ratios: "
            + ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
        )


def postgres_analyze(uri: str) -> None:
    """What bench/servers.py's settle_store does after seeding: table statistics."""
    import psycopg

    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute("ANALYZE")


if __name__ == "__main__":
    main()
