"""PostgreSQL's connection pool: a request holds one connection and never waits for another.

A write that took a second connection while holding its first (to learn a table's column
types, once per table) deadlocked a freshly started server: with at least pool-size such
writes at once, every connection was held by a writer waiting for one more, and each request
failed after the pool's 30 s timeout.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .conftest import require_postgres
from .servers import postgres_database, start_server

POOL_SIZE = 5
READERS = 16
WRITERS = 2 * POOL_SIZE
STARTS = 3
# Well under the pool's 30 s timeout: a request that waits for a connection fails here.
REQUEST_TIMEOUT = 15


@pytest.fixture(autouse=True)
def _postgres() -> None:
    require_postgres()


def _post(session: httpx.Client, path: str, body: dict) -> dict:
    response = session.post(f"/api/2.0/mlflow/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _all_at_once(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`count` calls in threads of their own, released together by a barrier."""
    barrier = threading.Barrier(count)

    def one(index: int) -> httpx.Response:
        barrier.wait()
        return call(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _first_writes(experiment_id: str, run_id: str) -> list[Callable[[int], dict]]:
    """Bodies of writes that each insert a batch of rows into a table no request has written
    to since the server started: run params, run params + tags + metric blocks, registered
    model tags, logged model params and tags, experiment tags."""
    tag = [{"key": "t", "value": "v"}]
    return [
        lambda i: ("runs/log-parameter", {"run_id": run_id, "key": f"p{i}", "value": "1"}),
        lambda i: (
            "runs/log-batch",
            {
                "run_id": run_id,
                "params": [{"key": f"b{i}", "value": "1"}],
                "tags": [{"key": f"t{i}", "value": "1"}],
                "metrics": [{"key": f"m{i}", "value": 1.0, "timestamp": 1, "step": 0}],
            },
        ),
        lambda i: ("registered-models/create", {"name": f"model-{i}", "tags": tag}),
        lambda i: (
            "logged-models",
            {"experiment_id": experiment_id, "params": tag, "tags": tag},
        ),
        lambda i: ("experiments/create", {"name": f"experiment-{i}", "tags": tag}),
    ]


def _start_and_write_at_once(data_dir: Path) -> list[httpx.Response]:
    with postgres_database() as uri:
        server = start_server(data_dir, uri, env={"TRACKYARD_PG_POOL_SIZE": str(POOL_SIZE)})
        try:
            with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as session:
                name = f"pool-{uuid.uuid4().hex[:8]}"
                experiment_id = _post(session, "experiments/create", {"name": name})[
                    "experiment_id"
                ]
                run_id = _post(session, "runs/create", {"experiment_id": experiment_id})["run"][
                    "info"
                ]["run_id"]
                # Readers at once open every connection the pool may hold.
                reads = _all_at_once(
                    READERS,
                    lambda _: session.get("/api/2.0/mlflow/runs/get", params={"run_id": run_id}),
                )
                assert [r.status_code for r in reads] == [200] * READERS
                writes = _first_writes(experiment_id, run_id)

                def write(index: int) -> httpx.Response:
                    path, body = writes[index % len(writes)](index)
                    return session.post(f"/api/2.0/mlflow/{path}", json=body)

                return _all_at_once(WRITERS, write)
        finally:
            server.stop()


def test_pool_size_concurrent_first_writes_on_a_fresh_server_all_succeed(tmp_path):
    for start in range(STARTS):
        answers = _start_and_write_at_once(tmp_path / f"start-{start}")
        assert [(a.status_code, a.text) for a in answers if a.status_code != 200] == []
