"""kill -9 durability: a write the server acknowledged with 200 is never lost.

A real server (1 or 2 worker processes, SQLite or PostgreSQL) takes writes from a few client
threads: runs, log-metric, log-batch with params, tags and metrics (some of them landing among
stored points, so stored blocks are rewritten), set-tag. The whole process group is killed
with SIGKILL while they write, the server is restarted on the same database and artifact
folder, and everything acknowledged so far, in this round or an earlier one, must be there;
the store must then still read consistently and take writes.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .servers import ServerProcess, start_server

API = "/api/2.0/mlflow"
ROUNDS = 3
WRITERS = 3
MAX_OPS = 20_000  # per writer and round: a bound only, the kill comes long before it
ACKS_BEFORE_KILL = 40 * WRITERS
RUN_EVERY = 40  # a writer starts a new run every RUN_EVERY operations

Point = tuple[int, int, float]  # (step, timestamp, value), the order MLflow's latest uses


@dataclass
class Ledger:
    """Everything the server acknowledged with 200, across rounds; thread-safe."""

    runs: set[str] = field(default_factory=set)
    params: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    tags: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    points: dict[tuple[str, str], set[Point]] = field(default_factory=lambda: defaultdict(set))
    refused: list[str] = field(default_factory=list)  # answers other than 200: server bugs
    acks: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def acknowledged(self, record: Record) -> None:
        with self.changed:
            record(self)
            self.acks += 1
            self.changed.notify_all()

    def add(self, run_id: str, key: str, point: Point) -> None:
        self.points[(run_id, key)].add(point)


Record = Callable[[Ledger], None]


def _metric(key: str, point: Point) -> dict:
    step, timestamp, value = point
    return {"key": key, "value": value, "timestamp": timestamp, "step": step}


def _operation(run_id: str, name: str, op: int, base: int) -> tuple[str, dict, Record]:
    """Request `op` of a writer: (endpoint, body, what to record once it is acknowledged)."""
    point: Point = (op, base + op, op * 0.5)
    if op % 3 == 0:  # one point after the series' latest: PostgreSQL's one-statement path
        body = {"run_id": run_id, **_metric(f"{name}.m", point)}
        return "runs/log-metric", body, lambda ledger: ledger.add(run_id, f"{name}.m", point)
    if op % 3 == 1:  # a param, a tag, a point after one series and one among another's points
        earlier: Point = (max(op - 7, 0), base + op, -op * 0.25)
        body = {
            "run_id": run_id,
            "params": [{"key": f"{name}.p{op}", "value": str(op)}],
            "tags": [{"key": f"{name}.t{op}", "value": str(op)}],
            "metrics": [_metric(f"{name}.b", point), _metric(f"{name}.m", earlier)],
        }

        def record(ledger: Ledger) -> None:
            ledger.params[run_id][f"{name}.p{op}"] = str(op)
            ledger.tags[run_id][f"{name}.t{op}"] = str(op)
            ledger.add(run_id, f"{name}.b", point)
            ledger.add(run_id, f"{name}.m", earlier)

        return "runs/log-batch", body, record
    key, value = f"{name}.s{op}", f"tag {op}"
    body = {"run_id": run_id, "key": key, "value": value}
    return "runs/set-tag", body, lambda ledger: ledger.tags[run_id].update({key: value})


def _post(http: httpx.Client, endpoint: str, body: dict, ledger: Ledger) -> dict | None:
    """The answer's JSON if the server acknowledged the write, else None."""
    response = http.post(f"{API}/{endpoint}", json=body)
    if response.status_code == 200:
        return response.json()
    with ledger.changed:
        ledger.refused.append(f"{endpoint}: {response.status_code} {response.text[:200]}")
    return None


def _write(url: str, experiment_id: str, name: str, base: int, ledger: Ledger) -> None:
    """Write until the server goes away (or MAX_OPS), recording what was acknowledged."""
    run_id = ""
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            for op in range(MAX_OPS):
                if op % RUN_EVERY == 0:
                    created = _post(http, "runs/create", {"experiment_id": experiment_id}, ledger)
                    if created is None:
                        return
                    run_id = created["run"]["info"]["run_id"]
                    ledger.acknowledged(lambda ledger, run=run_id: ledger.runs.add(run))
                    continue
                endpoint, body, record = _operation(run_id, name, op, base)
                if _post(http, endpoint, body, ledger) is not None:
                    ledger.acknowledged(record)
    except httpx.TransportError:  # killed: the request in flight was never acknowledged
        return
    finally:
        with ledger.changed:  # a writer that stops early must not leave the killer waiting
            ledger.changed.notify_all()


def _kill_mid_stream(server: ServerProcess, experiment_id: str, round_: int, ledger: Ledger):
    """Writers at full speed; SIGKILL to the server's process group once they are going."""
    target = ledger.acks + ACKS_BEFORE_KILL
    with ThreadPoolExecutor(WRITERS) as pool:
        writers = [
            pool.submit(_write, server.url, experiment_id, f"r{round_}w{w}", w * 10**6, ledger)
            for w in range(WRITERS)
        ]
        with ledger.changed:
            ledger.changed.wait_for(
                lambda: ledger.acks >= target or all(w.done() for w in writers), timeout=120
            )
            going = ledger.acks >= target
        server.stop(signal.SIGKILL)
        for writer in writers:
            writer.result()
    assert going, f"the writers never got going: {ledger.refused}\n{server.log()[-3000:]}"


def _history(http: httpx.Client, run_id: str, key: str) -> set[Point]:
    response = http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": key})
    assert response.status_code == 200, response.text
    page = response.json()
    assert "next_page_token" not in page  # a few hundred points: one page
    return {(p["step"], p["timestamp"], p["value"]) for p in page.get("metrics", [])}


def _check_run(http: httpx.Client, run_id: str, ledger: Ledger) -> None:
    """Every acknowledged write of the run is there, and its latest metrics match history."""
    response = http.get(f"{API}/runs/get", params={"run_id": run_id})
    assert response.status_code == 200, response.text
    data = response.json()["run"]["data"]
    params = {p["key"]: p["value"] for p in data.get("params", [])}
    tags = {t["key"]: t["value"] for t in data.get("tags", [])}
    assert ledger.params[run_id].items() <= params.items()
    assert ledger.tags[run_id].items() <= tags.items()
    latest = {m["key"]: (m["step"], m["timestamp"], m["value"]) for m in data.get("metrics", [])}
    acknowledged_keys = {key for run, key in ledger.points if run == run_id}
    assert acknowledged_keys <= set(latest)
    for key, point in latest.items():
        history = _history(http, run_id, key)
        assert ledger.points.get((run_id, key), set()) <= history, key
        assert point == max(history), key


def _check_writable(http: httpx.Client, experiment_id: str) -> None:
    """After the crash the store takes new runs and points, and reads them back."""
    created = http.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
    assert created.status_code == 200, created.text
    run_id = created.json()["run"]["info"]["run_id"]
    metric = _metric("after", (7, 1_000, 1.0))
    logged = http.post(f"{API}/runs/log-metric", json={"run_id": run_id, **metric})
    assert logged.status_code == 200, logged.text
    assert _history(http, run_id, "after") == {(7, 1_000, 1.0)}
    run = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert run["data"]["metrics"] == [metric]


@pytest.mark.parametrize("workers", [1, 2])
def test_no_acknowledged_write_is_lost_to_kill_9(database_uri, tmp_path: Path, workers: int):
    data_dir = tmp_path / "server"
    options = ("--workers", str(workers))
    server = start_server(data_dir, database_uri, *options)
    try:
        created = httpx.post(
            f"{server.url}{API}/experiments/create", json={"name": f"kill-{uuid.uuid4().hex[:8]}"}
        )
        assert created.status_code == 200, created.text
        experiment_id = created.json()["experiment_id"]
        ledger = Ledger()
        for round_ in range(ROUNDS):
            _kill_mid_stream(server, experiment_id, round_, ledger)
            assert ledger.refused == []
            server = start_server(data_dir, database_uri, *options)
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for run_id in sorted(ledger.runs):
                    _check_run(http, run_id, ledger)
                _check_writable(http, experiment_id)
    finally:
        server.stop()
