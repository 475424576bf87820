"""log_metrics({...}): a batch of several keys' points, as a training loop logs one each
step. On PostgreSQL such a batch of known keys whose points follow their series goes in as
one statement (store/metric_writes.py); whichever way a batch takes, the histories and
latest metrics read back are the ones the transaction way gives, on both backends."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException

KEYS = ("loss", "accuracy", "lr", "grad_norm")


def _history(client, run_id: str, key: str) -> list[tuple]:
    """(step, timestamp, value) with NaN spelled out, so lists compare equal."""
    return [
        (m.step, m.timestamp, "NaN" if math.isnan(m.value) else m.value)
        for m in client.get_metric_history(run_id, key)
    ]


def _latest(client, run_id: str) -> dict[str, object]:
    metrics = client.get_run(run_id).data.metrics
    return {key: "NaN" if math.isnan(value) else value for key, value in metrics.items()}


def _batch(step: int, timestamp: int, values: dict[str, float]) -> list[Metric]:
    return [Metric(key, value, timestamp, step) for key, value in values.items()]


def test_a_training_loops_log_metrics_reads_back_every_key(tracking_uri, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        for step in range(30):
            mlflow.log_metrics(
                {key: step + index / 10 for index, key in enumerate(KEYS)}, step=step
            )
    client = MlflowClient()
    for index, key in enumerate(KEYS):
        history = client.get_metric_history(run.info.run_id, key)
        assert [(m.step, m.value) for m in history] == [(s, s + index / 10) for s in range(30)]
    assert _latest(client, run.info.run_id) == {key: 29 + i / 10 for i, key in enumerate(KEYS)}


def test_nan_beside_a_number_at_the_latest_step_leaves_the_number_latest(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 10, {"a": 1.0, "b": 2.0}))
    tied = [*_batch(1, 20, {"a": math.nan, "b": 5.0}), *_batch(1, 20, {"a": 3.0, "b": math.nan})]
    client.log_batch(run_id, metrics=tied)
    assert _history(client, run_id, "a") == [(0, 10, 1.0), (1, 20, 3.0), (1, 20, "NaN")]
    assert _history(client, run_id, "b") == [(0, 10, 2.0), (1, 20, 5.0), (1, 20, "NaN")]
    assert _latest(client, run_id) == {"a": 3.0, "b": 5.0}


def test_a_nan_after_a_number_becomes_the_latest_of_its_key(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 10, {"a": 1.0, "b": 2.0}))
    client.log_batch(run_id, metrics=_batch(1, 20, {"a": math.nan, "b": math.inf}))
    assert _latest(client, run_id) == {"a": "NaN", "b": math.inf}
    assert _history(client, run_id, "a") == [(0, 10, 1.0), (1, 20, "NaN")]


def test_a_retried_multi_key_batch_adds_no_points(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 10, {"a": 1.0, "b": 2.0}))
    batch = _batch(1, 20, {"a": 3.0, "b": 4.0})
    client.log_batch(run_id, metrics=batch)
    client.log_batch(run_id, metrics=batch)
    assert _history(client, run_id, "a") == [(0, 10, 1.0), (1, 20, 3.0)]
    assert _history(client, run_id, "b") == [(0, 10, 2.0), (1, 20, 4.0)]


def test_a_batch_with_one_key_behind_its_latest_writes_every_key(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(5, 50, {"a": 1.0, "b": 2.0}))
    client.log_batch(run_id, metrics=[Metric("a", 3.0, 60, 6), Metric("b", 4.0, 10, 1)])
    assert _history(client, run_id, "a") == [(5, 50, 1.0), (6, 60, 3.0)]
    assert _history(client, run_id, "b") == [(1, 10, 4.0), (5, 50, 2.0)]
    assert _latest(client, run_id) == {"a": 3.0, "b": 2.0}


def test_a_batch_with_a_key_new_to_the_run_writes_every_key(client, experiment_id):
    first = client.create_run(experiment_id).info.run_id
    client.log_batch(first, metrics=_batch(0, 10, {"a": 1.0, "b": 2.0, "c": 3.0}))
    second = client.create_run(experiment_id).info.run_id
    client.log_batch(second, metrics=_batch(0, 10, {"a": 1.0, "b": 2.0}))
    client.log_batch(second, metrics=_batch(1, 20, {"a": 5.0, "b": 6.0, "c": 7.0}))
    assert _latest(client, second) == {"a": 5.0, "b": 6.0, "c": 7.0}
    assert _history(client, second, "c") == [(1, 20, 7.0)]


def test_several_points_of_several_keys_in_one_batch_read_back_in_order(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 10, {"a": 0.0, "b": 0.0}))
    later = [Metric(key, step * 2.0, 100 + step, step) for step in (3, 1, 2) for key in "ab"]
    client.log_batch(run_id, metrics=later)
    expected = [(0, 10, 0.0), (1, 101, 2.0), (2, 102, 4.0), (3, 103, 6.0)]
    assert _history(client, run_id, "a") == _history(client, run_id, "b") == expected
    assert _latest(client, run_id) == {"a": 6.0, "b": 6.0}


def test_a_multi_key_batch_to_a_deleted_run_stores_nothing(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 10, {"a": 1.0, "b": 2.0}))
    client.delete_run(run_id)
    with pytest.raises(MlflowException) as raised:
        client.log_batch(run_id, metrics=_batch(1, 20, {"a": 3.0, "b": 4.0}))
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    client.restore_run(run_id)
    assert _latest(client, run_id) == {"a": 1.0, "b": 2.0}
    assert _history(client, run_id, "b") == [(0, 10, 2.0)]


def test_writers_racing_on_the_same_keys_of_one_run_lose_nothing(client, experiment_id):
    """Four writers log interleaved steps of the same keys: most batches find another's
    point ahead of theirs and take the transaction way, the rest the one statement."""
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 0, dict.fromkeys(KEYS, 0.0)))

    def write(writer: int) -> None:
        for step in range(1 + writer, 81, 4):
            client.log_batch(run_id, metrics=_batch(step, step, dict.fromkeys(KEYS, step / 2)))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    expected = [(step, step, step / 2) for step in range(81)]
    for key in KEYS:
        assert _history(client, run_id, key) == expected
    assert _latest(client, run_id) == dict.fromkeys(KEYS, 40.0)


def test_a_multi_key_batch_of_hundreds_of_points_a_key_reads_back(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=_batch(0, 10, {"a": 0.5, "b": 0.25}))
    later = [Metric(key, step / 3, 1_000 + step, step) for step in range(1, 501) for key in "ab"]
    client.log_batch(run_id, metrics=later)
    for key, first in (("a", 0.5), ("b", 0.25)):
        expected = [(0, 10, first)] + [(s, 1_000 + s, s / 3) for s in range(1, 501)]
        assert _history(client, run_id, key) == expected


def test_multi_key_batches_read_back_as_batches_with_a_param_do(client, experiment_id):
    """A batch with a param always takes the transaction way: the same points logged both
    ways give the same histories and latest metrics, ties, NaN and retries included."""
    batches = [
        _batch(0, 10, {"a": 1.0, "b": math.nan, "c": 0.5}),
        _batch(1, 20, {"a": math.nan, "b": 2.0, "c": -0.0}),
        [*_batch(2, 30, {"a": 3.0, "b": math.nan}), *_batch(2, 30, {"a": math.nan, "b": 4.0})],
        _batch(2, 30, {"a": 3.0, "b": 4.0}),  # a retry
        _batch(1, 25, {"a": 9.0, "c": 7.0}),  # behind the latest
        _batch(3, 40, {"a": math.inf, "b": -math.inf, "c": math.nan}),
    ]
    one_way = client.create_run(experiment_id).info.run_id
    other_way = client.create_run(experiment_id).info.run_id
    for number, batch in enumerate(batches):
        client.log_batch(one_way, metrics=batch)
        client.log_batch(other_way, metrics=batch, params=[Param(f"p{number}", "x")])
    for key in "abc":
        assert _history(client, one_way, key) == _history(client, other_way, key)
    assert _latest(client, one_way) == _latest(client, other_way)
