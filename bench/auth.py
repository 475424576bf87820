"""What sign-in costs: log-metric with `trackyard server --auth` against without, side by side.

Starts, on one backend, trackyard without --auth, trackyard with --auth (called with HTTP
Basic and with a Bearer token), and, unless --no-mlflow, `mlflow server --app-name
basic-auth` (Basic; its credential cache off, as it ships; from the project's venv when it
holds that mlflow with its auth extra, else bench/.venv-mlflow). Every server
runs at once; the measurements alternate between them round by round, so a change in the
machine's load touches all alike, and the medians of the rounds are compared.

Workloads, as in run.py: `log-metric` (sequential calls on one keep-alive connection; its
throughput, and the server process tree's CPU time a call, read from /proc, which the
machine's other load barely moves) and `concurrent` (8 client processes, each logging to its
own run, released together). "vs auth off" is the share of auth-off's figure kept (for CPU:
auth-off's CPU a call over the variant's).

    .venv/bin/python bench/auth.py [--backend sqlite|postgresql] [--rounds 5] [--calls 1000]
                                   [--no-mlflow] [--mlflow-workers N]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import (
    CLOCK_TICKS,
    MLFLOW_VERSION,
    Server,
    cpu_ticks,
    create_pg_database,
    dist_version,
    drop_pg_database,
    ensure_mlflow_venv,
    make_server,
    process_tree,
)

ADMIN, PASSWORD = "admin", "bench-admin-password"
CLIENTS = 8


@dataclass
class Variant:
    """One server and the header its calls carry."""

    label: str
    server: Server
    headers: dict[str, str] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    sequential: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # server CPU per sequential call
    concurrent: list[float] = field(default_factory=list)


def basic(username: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def call(port: int, method: str, path: str, body: dict, headers: dict[str, str]) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            method, path, json.dumps(body), {"Content-Type": "application/json", **headers}
        )
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data or b"{}")


def cpu_seconds(server: Server) -> float:
    """User + system CPU of the server's process tree, from /proc: unlike throughput, it
    barely moves when other work shares the machine."""
    pids = process_tree(server.proc.pid if server.proc else 0)
    return sum(map(cpu_ticks, pids)) / CLOCK_TICKS


def log_metrics(port: int, headers: dict[str, str], run_id: str, count: int) -> float:
    """`count` log-metric calls on one keep-alive connection; seconds taken."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent = {"Content-Type": "application/json", **headers}
    started = time.perf_counter()
    for step in range(count):
        body = json.dumps(
            {
                "run_id": run_id,
                "key": "loss",
                "value": 1.0 / (step + 1),
                "timestamp": 1,
                "step": step,
            }
        )
        try:
            status = post(connection, body, sent)
        except (http.client.RemoteDisconnected, ConnectionResetError):
            # The server closed the kept-alive connection between two calls (a worker
            # restarted, a keep-alive timeout under load): a client reconnects and sends again.
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = post(connection, body, sent)
        if status != 200:
            raise RuntimeError(f"log-metric on port {port}: {status}")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def post(connection: http.client.HTTPConnection, body: str, headers: dict[str, str]) -> int:
    """One log-metric call; its HTTP status."""
    connection.request("POST", "/api/2.0/mlflow/runs/log-metric", body, headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _client(port: int, headers: dict, run_id: str, count: int, ready, start, results) -> None:
    log_metrics(port, headers, run_id, 5)  # warm the connection and the server's caches
    ready.put(True)
    start.wait(120)
    began = time.perf_counter()
    log_metrics(port, headers, run_id, count)
    results.put((began, time.perf_counter()))


def concurrent(variant: Variant, count: int) -> float:
    """Total ops/s of CLIENTS processes logging at once."""
    context = mp.get_context("spawn")
    ready, results, start = context.Queue(), context.Queue(), context.Event()
    port = variant.server.port
    processes = [
        context.Process(
            target=_client, args=(port, variant.headers, run, count, ready, start, results)
        )
        for run in variant.run_ids[:CLIENTS]
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    start.set()
    spans = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    return len(processes) * count / (max(e for _, e in spans) - min(b for b, _ in spans))


def prepare(variant: Variant) -> None:
    """An experiment and CLIENTS + 1 runs, made by the caller the variant stands for."""
    port = variant.server.port
    experiment = call(
        port,
        "POST",
        "/api/2.0/mlflow/experiments/create",
        {"name": f"bench-auth-{time.monotonic_ns()}"},
        variant.headers,
    )["experiment_id"]
    for _ in range(CLIENTS + 1):
        run = call(
            port,
            "POST",
            "/api/2.0/mlflow/runs/create",
            {"experiment_id": experiment},
            variant.headers,
        )
        variant.run_ids.append(run["run"]["info"]["run_id"])


def private_store(server: Server, backend: str, suffix: str) -> None:
    """A PostgreSQL database of the server's own (make_server names one per harness process,
    which every server of a kind here would share)."""
    if backend != "postgresql":
        return
    name = f"bench_{server.name}_{suffix}_{os.getpid()}"
    create_pg_database(name)
    server.cleanups.append(lambda: drop_pg_database(name))
    uri = f"{server.store_uri.rsplit('/', 1)[0]}/{name}"
    server.argv = [uri if part == server.store_uri else part for part in server.argv]
    server.store_uri = uri


def start(server: Server) -> None:
    """Start `server`; one that does not come up is stopped (its workers too) before the
    error goes on, since no Variant holds it yet."""
    try:
        server.start()
    except BaseException:
        server.stop()
        server.close()
        raise


def trackyard_variants(backend: str) -> list[Variant]:
    plain = make_server("trackyard", backend, None, None, keep=False)
    secured = make_server("trackyard", backend, None, None, keep=False)
    private_store(secured, backend, "auth")
    secured.argv += ["--auth"]
    secured.env.update(TRACKYARD_ADMIN_USERNAME=ADMIN, TRACKYARD_ADMIN_PASSWORD=PASSWORD)
    for server in (plain, secured):
        start(server)
    user = ("bench-user", "bench-user-password")
    call(secured.port, "POST", "/api/2.0/mlflow/users/create",
         {"username": user[0], "password": user[1]}, basic(ADMIN, PASSWORD))  # fmt: skip
    token = call(secured.port, "POST", "/api/2.0/trackyard/tokens/create", {"name": "bench"},
                 basic(*user))["token"]  # fmt: skip
    return [
        Variant("trackyard, auth off", plain),
        Variant("trackyard --auth, Basic", secured, basic(*user)),
        Variant("trackyard --auth, Bearer token", secured, {"Authorization": f"Bearer {token}"}),
    ]


def mlflow_python(backend: str) -> Path:
    """The project venv's python when it has mlflow at MLFLOW_VERSION with its auth extra
    (Flask-WTF; the tests drive `get_app_client` with it), else bench/.venv-mlflow's."""
    here = Path(sys.executable)
    if dist_version(here, "mlflow") == MLFLOW_VERSION and dist_version(here, "Flask-WTF"):
        return here
    return ensure_mlflow_venv(backend)


def mlflow_variants(backend: str, workers: int | None) -> list[Variant]:
    python = mlflow_python(backend)
    variants = []
    for ttl in (0,):  # as it ships: each request checks the password's hash
        server = make_server("mlflow", backend, python, workers, keep=False)
        private_store(server, backend, f"auth{ttl}")
        config = server.data_dir / "basic_auth.ini"
        config.write_text(
            "[mlflow]\ndefault_permission = READ\n"
            f"database_uri = sqlite:///{server.data_dir / 'basic_auth.db'}\n"
            f"admin_username = {ADMIN}\nadmin_password = {PASSWORD}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            f"auth_cache_ttl_seconds = {ttl}\n"
        )
        server.argv += ["--app-name", "basic-auth"]
        server.env["MLFLOW_AUTH_CONFIG_PATH"] = str(config)
        server.env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = "bench-secret"
        start(server)
        label = f"mlflow basic-auth, Basic, credential cache {ttl or 'off'}{' s' if ttl else ''}"
        variants.append(Variant(label, server, basic(ADMIN, PASSWORD)))
    return variants


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000, help="sequential calls a round")
    parser.add_argument("--each", type=int, default=200, help="calls per concurrent client")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument(
        "--mlflow-workers",
        type=int,
        help="pass --workers N to mlflow server (its default is 4; at a high load average its "
        "supervisor kills workers that are slow to answer its pings, and 1 runs no supervisor)",
    )
    args = parser.parse_args()
    variants: list[Variant] = []
    try:
        variants += trackyard_variants(args.backend)
        if not args.no_mlflow:
            variants += mlflow_variants(args.backend, args.mlflow_workers)
        for variant in variants:
            prepare(variant)
            log_metrics(variant.server.port, variant.headers, variant.run_ids[-1], 50)
        for number in range(args.rounds):
            for variant in variants:
                cpu = cpu_seconds(variant.server)
                seconds = log_metrics(
                    variant.server.port, variant.headers, variant.run_ids[-1], args.calls
                )
                variant.cpu_us.append((cpu_seconds(variant.server) - cpu) / args.calls * 1e6)
                variant.sequential.append(args.calls / seconds)
                variant.concurrent.append(concurrent(variant, args.each))
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for server in {id(v.server): v.server for v in variants}.values():
            server.stop()
            server.close()
    report(variants, args)
    return 0


def report(variants: list[Variant], args: argparse.Namespace) -> None:
    base_seq = statistics.median(variants[0].sequential)
    base_conc = statistics.median(variants[0].concurrent)
    print(f"\n{args.backend}, {args.rounds} alternating rounds, medians:\n")
    base_cpu = statistics.median(variants[0].cpu_us)
    print(
        f"| server | log-metric ops/s | vs auth off | server CPU a call | vs auth off "
        f"| {CLIENTS} clients ops/s | vs auth off |"
    )
    print("|---|---|---|---|---|---|---|")
    for variant in variants:
        seq, conc = statistics.median(variant.sequential), statistics.median(variant.concurrent)
        cpu = statistics.median(variant.cpu_us)
        print(f"| {variant.label} | {seq:,.0f} | {seq / base_seq:.0%} | {cpu:,.0f} us "
              f"| {base_cpu / cpu:.0%} | {conc:,.0f} | {conc / base_conc:.0%} |")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
