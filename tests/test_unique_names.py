"""Unique names and keys under concurrent writers: one wins, the rest get MLflow's
RESOURCE_ALREADY_EXISTS (400), never a 500 that the stock client retries for minutes.

A rename checks the name, then updates: on PostgreSQL a concurrent writer can take the name
between the two, and the database's unique key is what refuses the loser.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from trackyard.store import open_database
from trackyard.store.db import Database, UniqueViolation

RACERS = 16


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _race(server_url: str, requests: list[Callable[[httpx.Client], httpx.Response]]) -> list:
    """Each request on a client of its own, all released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def run(index: int) -> None:
        with httpx.Client(base_url=server_url, timeout=30) as session:
            barrier.wait()
            answers[index] = requests[index](session)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _exactly_one_wins(answers: list[httpx.Response], message: str) -> None:
    assert sorted(a.status_code for a in answers) == [200] + [400] * (len(answers) - 1), [
        (a.status_code, a.text) for a in answers
    ]
    for loser in (a for a in answers if a.status_code == 400):
        assert loser.json() == {"error_code": "RESOURCE_ALREADY_EXISTS", "message": message}


def _create_experiments(http: httpx.Client, count: int) -> dict[str, str]:
    """Fresh experiments: id -> name."""
    names = [_unique("renamed-from") for _ in range(count)]
    return {
        http.post("/api/2.0/mlflow/experiments/create", json={"name": name}).json()[
            "experiment_id"
        ]: name
        for name in names
    }


def _experiment_name(http: httpx.Client, experiment_id: str) -> str:
    answer = http.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": experiment_id})
    return answer.json()["experiment"]["name"]


def test_concurrent_renames_of_experiments_to_one_name_let_exactly_one_win(server, http):
    experiments = _create_experiments(http, RACERS)
    target = _unique("one-name")

    def rename(experiment_id: str) -> Callable[[httpx.Client], httpx.Response]:
        body = {"experiment_id": experiment_id, "new_name": target}
        return lambda session: session.post("/api/2.0/mlflow/experiments/update", json=body)

    answers = _race(server.url, [rename(e) for e in experiments])

    _exactly_one_wins(answers, f"Experiment '{target}' already exists.")
    names = {e: _experiment_name(http, e) for e in experiments}
    (winner,) = [e for e, answer in zip(experiments, answers, strict=True) if answer.is_success]
    assert names == {**experiments, winner: target}


def test_experiment_creates_and_renames_racing_for_one_name_let_exactly_one_win(server, http):
    experiments = _create_experiments(http, RACERS // 2)
    target = _unique("one-name")
    create = [
        lambda session: session.post("/api/2.0/mlflow/experiments/create", json={"name": target})
    ] * (RACERS // 2)
    rename = [
        lambda session, e=e: session.post(
            "/api/2.0/mlflow/experiments/update", json={"experiment_id": e, "new_name": target}
        )
        for e in experiments
    ]

    answers = _race(server.url, create + rename)

    _exactly_one_wins(answers, f"Experiment '{target}' already exists.")
    found = http.get("/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": target})
    assert found.status_code == 200


def _create_models(http: httpx.Client, count: int) -> list[str]:
    names = [_unique("model-from") for _ in range(count)]
    for name in names:
        answer = http.post("/api/2.0/mlflow/registered-models/create", json={"name": name})
        assert answer.status_code == 200, answer.text
    return names


def test_concurrent_renames_of_registered_models_to_one_name_let_exactly_one_win(server, http):
    models = _create_models(http, RACERS)
    target = _unique("one-model")

    def rename(name: str) -> Callable[[httpx.Client], httpx.Response]:
        body = {"name": name, "new_name": target}
        return lambda session: session.post("/api/2.0/mlflow/registered-models/rename", json=body)

    answers = _race(server.url, [rename(name) for name in models])

    _exactly_one_wins(answers, f"Registered Model (name={target}) already exists.")
    (winner,) = [name for name, answer in zip(models, answers, strict=True) if answer.is_success]
    for name in models:
        got = http.get("/api/2.0/mlflow/registered-models/get", params={"name": name})
        assert got.status_code == (404 if name == winner else 200)


def test_concurrent_creates_of_one_registered_model_let_exactly_one_win(server, http):
    target = _unique("created-once")
    body = {"name": target, "tags": [{"key": "k", "value": "v"}]}
    create = [lambda session: session.post("/api/2.0/mlflow/registered-models/create", json=body)]

    answers = _race(server.url, create * RACERS)

    _exactly_one_wins(answers, f"Registered Model (name={target}) already exists.")
    model = http.get("/api/2.0/mlflow/registered-models/get", params={"name": target}).json()
    assert model["registered_model"]["tags"] == [{"key": "k", "value": "v"}]


@pytest.fixture
def database(database_uri: str) -> Iterator[Database]:
    db = open_database(database_uri)
    yield db
    db.close()


def test_a_write_that_breaks_any_unique_key_is_resource_already_exists(database):
    with database.write() as tx:
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("taken",))

    with pytest.raises(UniqueViolation) as raised, database.write() as tx:
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("new",))
        tx.execute("INSERT INTO metric_keys (key) VALUES (?)", ("taken",))

    assert (raised.value.error_code, raised.value.status) == ("RESOURCE_ALREADY_EXISTS", 400)
    assert raised.value.table == "metric_keys"
    with database.read() as tx:
        assert tx.all("SELECT key FROM metric_keys ORDER BY key") == [("taken",)]
