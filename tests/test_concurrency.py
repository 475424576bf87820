"""Many writers, many servers, crashes: nothing acknowledged is lost, nothing is doubled.

These run against real server processes on a database of their own: PostgreSQL (the team
set-up) and, where the behaviour is the same promise, SQLite too.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from .conftest import require_postgres
from .servers import ServerProcess, postgres_database, start_server

WRITERS = 8


@pytest.fixture
def postgres_uri() -> Iterator[str]:
    require_postgres()
    with postgres_database() as uri:
        yield uri


def _post(session: httpx.Client, path: str, body: dict) -> dict:
    response = session.post(f"/api/2.0/mlflow/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _new_run(url: str, experiment_name: str) -> str:
    with httpx.Client(base_url=url) as session:
        experiment = _post(session, "experiments/create", {"name": experiment_name})
        run = _post(
            session,
            "runs/create",
            {"experiment_id": experiment["experiment_id"], "start_time": 1},
        )
    return run["run"]["info"]["run_id"]


def _history(url: str, run_id: str, key: str) -> list[dict]:
    client = MlflowClient(url)
    return [
        {"step": m.step, "value": m.value, "timestamp": m.timestamp}
        for m in client.get_metric_history(run_id, key)
    ]


def test_two_servers_on_one_postgres_database_see_each_others_writes(postgres_uri, tmp_path):
    first = start_server(tmp_path / "a", postgres_uri)
    second = start_server(tmp_path / "b", postgres_uri)
    try:
        run_id = _new_run(first.url, "shared across servers")

        def write(writer: int) -> None:
            url = (first, second)[writer % 2].url
            with httpx.Client(base_url=url) as session:
                _post(
                    session,
                    "runs/log-parameter",
                    {"run_id": run_id, "key": f"p{writer}", "value": str(writer)},
                )
                for step in range(25):
                    _post(session, "runs/log-metric",
                          {"run_id": run_id, "key": f"m{writer}", "value": step * 1.5,
                           "timestamp": 1000 + step, "step": step})  # fmt: skip

        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, range(WRITERS)))

        for server in (first, second):
            run = MlflowClient(server.url).get_run(run_id)
            assert run.data.params == {f"p{w}": str(w) for w in range(WRITERS)}
            for writer in range(WRITERS):
                steps = [p["step"] for p in _history(server.url, run_id, f"m{writer}")]
                assert steps == list(range(25))
    finally:
        first.stop()
        second.stop()


def test_eight_threads_logging_to_one_run_lose_and_duplicate_nothing(database_uri, tmp_path):
    server = start_server(tmp_path, database_uri)
    try:
        run_id = _new_run(server.url, "one busy run")

        def write(writer: int) -> None:
            with httpx.Client(base_url=server.url) as session:
                for batch in range(5):
                    metrics = [
                        {"key": "loss", "value": float(writer), "timestamp": 7,
                         "step": writer * 1000 + batch * 100 + i}
                        for i in range(100)
                    ]  # fmt: skip
                    _post(session, "runs/log-batch", {"run_id": run_id, "metrics": metrics})

        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, range(WRITERS)))

        steps = [point["step"] for point in _history(server.url, run_id, "loss")]
        expected = sorted(w * 1000 + b * 100 + i for w in range(WRITERS) for b in range(5)
                          for i in range(100))  # fmt: skip
        assert steps == expected
        latest = MlflowClient(server.url).get_run(run_id).data.metrics["loss"]
        assert latest == float(WRITERS - 1)  # the point with the largest step
    finally:
        server.stop()


def test_eight_threads_logging_single_points_to_one_series_keep_its_order(database_uri, tmp_path):
    server = start_server(tmp_path, database_uri)
    try:
        run_id = _new_run(server.url, "single points")

        def write(writer: int) -> None:
            with httpx.Client(base_url=server.url) as session:
                for i in range(40):  # interleaved steps: each writer often lands behind another
                    point = {"key": "m", "value": 1.0, "timestamp": 5, "step": i * WRITERS + writer}
                    _post(session, "runs/log-metric", {"run_id": run_id, **point})
                    _post(session, "runs/log-metric", {"run_id": run_id, **point})  # a retry

        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, range(WRITERS)))

        steps = [point["step"] for point in _history(server.url, run_id, "m")]
        assert steps == list(range(40 * WRITERS))
    finally:
        server.stop()


def test_a_rejected_write_among_concurrent_writers_rolls_back_alone(database_uri, tmp_path):
    """Concurrent writes may share a transaction (SQLite commits them in groups); a write that
    fails half-way must take none of its own changes and none of the others' with it."""
    server = start_server(tmp_path, database_uri)
    try:
        run_id = _new_run(server.url, "rejected among many")
        with httpx.Client(base_url=server.url) as session:
            _post(session, "runs/log-parameter", {"run_id": run_id, "key": "fixed", "value": "1"})

        def write(writer: int) -> None:
            with httpx.Client(base_url=server.url) as session:
                for batch in range(20):
                    step = writer * 100 + batch
                    body = {
                        "run_id": run_id,
                        "params": [{"key": f"p{step}", "value": "x"}],
                        "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": step}],
                    }
                    if batch % 2:  # inserts its new param, then finds "fixed" changed: 400
                        body["params"].append({"key": "fixed", "value": "2"})
                        response = session.post("/api/2.0/mlflow/runs/log-batch", json=body)
                        assert response.status_code == 400, response.text
                    else:
                        _post(session, "runs/log-batch", body)  # fmt: skip

        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, range(WRITERS)))

        accepted = [w * 100 + b for w in range(WRITERS) for b in range(0, 20, 2)]
        params = MlflowClient(server.url).get_run(run_id).data.params
        assert params == {"fixed": "1", **{f"p{step}": "x" for step in accepted}}
        assert [point["step"] for point in _history(server.url, run_id, "m")] == sorted(accepted)
    finally:
        server.stop()


def test_one_batch_retried_by_eight_writers_at_once_is_stored_once(database_uri, tmp_path):
    server = start_server(tmp_path, database_uri)
    try:
        run_id = _new_run(server.url, "retried batch")
        barrier = threading.Barrier(WRITERS)
        keys = ("a", "b")

        def write(round_: int) -> None:
            metrics = [
                {"key": key, "value": 0.5, "timestamp": 7, "step": round_ * 300 + step}
                for step in range(300)
                for key in keys
            ]
            with httpx.Client(base_url=server.url) as session:
                barrier.wait()
                _post(session, "runs/log-batch", {"run_id": run_id, "metrics": metrics})

        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, [0, 0, 0, 0, 1, 1, 1, 1]))

        for key in keys:
            assert [point["step"] for point in _history(server.url, run_id, key)] == list(
                range(600)
            )
    finally:
        server.stop()


def test_concurrent_set_experiment_with_one_name_gives_everyone_the_same_id(server):
    name = f"raced-{uuid.uuid4().hex[:8]}"
    mlflow.set_tracking_uri(server.url)
    barrier = threading.Barrier(WRITERS)

    def set_experiment(_: int) -> str:
        barrier.wait()
        return mlflow.set_experiment(name).experiment_id

    with ThreadPoolExecutor(WRITERS) as pool:
        ids = set(pool.map(set_experiment, range(WRITERS)))
    assert len(ids) == 1
    assert MlflowClient(server.url).get_experiment_by_name(name).experiment_id in ids


def test_concurrent_create_experiment_with_one_name_lets_exactly_one_win(server):
    name = f"created-once-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(WRITERS)

    def create(_: int) -> str:
        barrier.wait()
        try:
            return MlflowClient(server.url).create_experiment(name)
        except MlflowException as error:
            return error.error_code

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(create, range(WRITERS)))
    winners = [outcome for outcome in outcomes if outcome != "RESOURCE_ALREADY_EXISTS"]
    assert len(winners) == 1
    assert outcomes.count("RESOURCE_ALREADY_EXISTS") == WRITERS - 1


def test_acknowledged_writes_survive_a_server_killed_mid_load(database_uri, tmp_path):
    server = start_server(tmp_path, database_uri)
    run_id = _new_run(server.url, "killed mid write")
    acknowledged: list[int] = []
    stop = threading.Event()

    def write(writer: int) -> None:
        with httpx.Client(base_url=server.url, timeout=5) as session:
            for batch in range(writer * 10_000, writer * 10_000 + 2_000):
                if stop.is_set():
                    return
                metrics = [{"key": "m", "value": 1.0, "timestamp": batch, "step": batch * 10 + i}
                           for i in range(10)]  # fmt: skip
                try:
                    response = session.post(
                        "/api/2.0/mlflow/runs/log-batch",
                        json={"run_id": run_id, "metrics": metrics,
                              "params": [{"key": f"b{batch}", "value": "x"}]},
                    )  # fmt: skip
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    acknowledged.append(batch)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(write, writer) for writer in range(4)]
        deadline = time.monotonic() + 30
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop(signal.SIGKILL)
        stop.set()
        for future in futures:
            future.result()
    assert len(acknowledged) >= 40

    restarted = start_server(tmp_path / "after", database_uri)
    try:
        points: dict[int, int] = {}
        for point in _history(restarted.url, run_id, "m"):
            points[point["timestamp"]] = points.get(point["timestamp"], 0) + 1
        params = MlflowClient(restarted.url).get_run(run_id).data.params
        for batch in acknowledged:
            assert points.get(batch) == 10 and f"b{batch}" in params
        # Every batch is all or nothing, acknowledged or not.
        assert set(points.values()) == {10}
        assert {int(key[1:]) for key in params} == set(points)
    finally:
        restarted.stop()


def test_servers_starting_together_on_an_empty_database_migrate_once(postgres_uri, tmp_path):
    servers: list[ServerProcess] = []
    with ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(start_server, tmp_path / f"s{index}", postgres_uri) for index in range(4)
        ]
        servers = [future.result() for future in futures]
    try:
        names = {tuple(e.name for e in MlflowClient(s.url).search_experiments()) for s in servers}
        assert names == {("Default",)}
    finally:
        for server in servers:
            server.stop()


def test_several_workers_serve_one_port(database_uri, tmp_path):
    server = start_server(tmp_path, database_uri, "--workers", "2")
    try:
        run_id = _new_run(server.url, "two workers")
        with httpx.Client(base_url=server.url) as session:
            for step in range(50):
                _post(
                    session,
                    "runs/log-metric",
                    {"run_id": run_id, "key": "k", "value": 1, "timestamp": 1, "step": step},
                )
        assert [p["step"] for p in _history(server.url, run_id, "k")] == list(range(50))
    finally:
        server.stop()
