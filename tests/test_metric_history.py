"""Metric history: full histories in step order, 25,000-point pages, sampled ranges for charts."""

from __future__ import annotations

import base64
import itertools
import math

import pytest
from mlflow.entities import Metric, Param, RunTag

from .helpers import API, assert_error

HISTORY = f"{API}/metrics/get-history"
BULK = f"{API}/metrics/get-history-bulk-interval"


def _log_steps(client, run_id: str, key: str, steps, value=lambda step: float(step)) -> None:
    """Log one point per step, 1000 per log-batch request (the batch limit)."""
    steps = list(steps)
    for start in range(0, len(steps), 1000):
        client.log_batch(
            run_id,
            metrics=[Metric(key, value(step), 1_000 + step, step) for step in steps[start:][:1000]],
        )


def test_history_returns_every_point_in_step_order(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    for step in (5, 1, 3, 0, 4, 2):
        client.log_metric(run_id, "loss", step * 0.1, timestamp=100 + step, step=step)
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4, 5]
    assert [m.value for m in history] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert [m.timestamp for m in history] == [100, 101, 102, 103, 104, 105]
    assert {m.key for m in history} == {"loss"}


def test_history_keeps_several_points_at_one_step(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0, timestamp=20, step=0)
    client.log_metric(run_id, "m", 2.0, timestamp=10, step=0)
    client.log_metric(run_id, "m", 3.0, timestamp=30, step=1)
    history = client.get_metric_history(run_id, "m")
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (0, 10, 2.0),
        (0, 20, 1.0),
        (1, 30, 3.0),
    ]


def _points(client, run_id: str, key: str) -> list[tuple]:
    """History as (step, timestamp, value) with NaN spelled out, so lists compare equal."""
    return [
        (m.step, m.timestamp, "NaN" if math.isnan(m.value) else m.value)
        for m in client.get_metric_history(run_id, key)
    ]


def test_history_keeps_points_at_one_step_and_time_that_differ_only_in_value(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("m", v, 5, 0) for v in (2.0, math.nan, -1.0)])
    assert _points(client, run_id, "m") == [(0, 5, -1.0), (0, 5, 2.0), (0, 5, "NaN")]


def test_history_drops_exact_duplicates_within_one_batch(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    batch = [Metric("m", 0.5, 7, 1), Metric("m", math.nan, 7, 2), Metric("m", 0.25, 7, 0)]
    client.log_batch(run_id, metrics=batch + batch)
    assert _points(client, run_id, "m") == [(0, 7, 0.25), (1, 7, 0.5), (2, 7, "NaN")]


def test_a_retried_batch_adds_no_points(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    batch = [Metric("m", 0.5, 7, 1), Metric("m", math.nan, 7, 2), Metric("m", 0.25, 7, 0)]
    client.log_batch(run_id, metrics=batch)
    client.log_batch(run_id, metrics=batch)
    client.log_batch(run_id, metrics=[*batch[1:], Metric("m", 1.0, 7, 3)])
    assert _points(client, run_id, "m") == [
        (0, 7, 0.25),
        (1, 7, 0.5),
        (2, 7, "NaN"),
        (3, 7, 1.0),
    ]


def test_a_batch_repeating_a_stored_point_keeps_its_params_tags_and_new_points(
    client, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("m", 0.5, 7, 1)])
    client.log_batch(
        run_id,
        metrics=[Metric("m", 0.5, 7, 1), Metric("m", 0.75, 8, 2)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "x")],
    )
    run = client.get_run(run_id)
    assert (run.data.params, run.data.tags["t"]) == ({"p": "1"}, "x")
    assert _points(client, run_id, "m") == [(1, 7, 0.5), (2, 8, 0.75)]


def test_a_batch_starting_at_the_stored_latest_step_and_time_merges_with_it(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("m", 1.0, 5, 2), Metric("m", 1.0, 5, 3)])
    client.log_batch(run_id, metrics=[Metric("m", 2.0, 5, 3), Metric("m", 0.5, 6, 4)])
    assert _points(client, run_id, "m") == [(2, 5, 1.0), (3, 5, 1.0), (3, 5, 2.0), (4, 6, 0.5)]
    assert client.get_run(run_id).data.metrics == {"m": 0.5}


def test_a_batch_after_the_stored_points_makes_its_latest_by_step_time_then_value(
    client, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("m", 9.0, 1, 0)])
    at_last_step = [Metric("m", v, 8, 10) for v in (math.nan, 1.0, -3.0)]
    client.log_batch(run_id, metrics=[*at_last_step, Metric("m", 7.0, 9, 4)])
    assert client.get_run(run_id).data.metrics == {"m": 1.0}  # NaN below every number
    expected = [(0, 1, 9.0), (4, 9, 7.0), (10, 8, -3.0), (10, 8, 1.0), (10, 8, "NaN")]
    assert _points(client, run_id, "m") == expected


def test_batches_overlapping_earlier_ones_merge_into_one_ordered_history(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _log_steps(client, run_id, "m", range(10, 1510))  # two requests, two blocks
    client.log_batch(run_id, metrics=[Metric("m", -1.0, 5, step) for step in range(0, 1600, 50)])
    client.log_batch(
        run_id, metrics=[Metric("m", float(step), 1_000 + step, step) for step in (10, 11)]
    )
    expected = sorted(
        [(step, 1_000 + step, float(step)) for step in range(10, 1510)]
        + [(step, 5, -1.0) for step in range(0, 1600, 50)]
    )
    assert _points(client, run_id, "m") == expected


def test_a_batch_of_points_far_apart_lands_on_both_sides_of_the_batches_between(
    client, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    for first in (0, 1000, 2000, 3000):
        _log_steps(client, run_id, "m", range(first, first + 1000))
    far_apart = [Metric("m", -1.0, 5, step) for step in (500, 2500, 2501)]
    client.log_batch(run_id, metrics=far_apart)
    expected = sorted(
        [(step, 1_000 + step, float(step)) for step in range(4000)]
        + [(step, 5, -1.0) for step in (500, 2500, 2501)]
    )
    assert _points(client, run_id, "m") == expected


def test_single_points_at_one_step_and_time_are_all_kept_in_value_order(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    for value in (3.0, 1.0, math.nan, 2.0, 1.0):
        client.log_metric(run_id, "m", value, timestamp=7, step=4)
    assert _points(client, run_id, "m") == [(4, 7, 1.0), (4, 7, 2.0), (4, 7, 3.0), (4, 7, "NaN")]
    assert client.get_run(run_id).data.metrics["m"] == 3.0


def test_single_points_logged_in_falling_steps_come_back_in_order(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    for step in range(9, -1, -1):
        client.log_metric(run_id, "m", float(step), timestamp=100 - step, step=step)
    assert _points(client, run_id, "m") == [(step, 100 - step, float(step)) for step in range(10)]
    assert client.get_run(run_id).data.metrics["m"] == 9.0


def test_history_pages_cross_from_one_batch_to_the_next_without_loss(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _log_steps(client, run_id, "m", range(2_500))
    client.log_metric(run_id, "m", 0.5, timestamp=1, step=2_500)
    steps, params = [], {"run_id": run_id, "metric_key": "m", "max_results": 333}
    while True:
        page = http.get(HISTORY, params=params).json()
        steps += [point["step"] for point in page["metrics"]]
        if "next_page_token" not in page:
            break
        params["page_token"] = page["next_page_token"]
    assert steps == list(range(2_501))


def test_history_of_a_metric_never_logged_is_empty(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "other", 1.0)
    assert client.get_metric_history(run_id, "never") == []


def test_history_of_a_key_logged_only_in_another_run_is_empty(client, experiment_id):
    first = client.create_run(experiment_id).info.run_id
    second = client.create_run(experiment_id).info.run_id
    client.log_metric(first, "mine", 1.0)
    assert client.get_metric_history(second, "mine") == []


def test_history_of_an_unknown_run_is_404(http):
    response = http.get(HISTORY, params={"run_id": "f" * 32, "metric_key": "m"})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_history_keeps_non_finite_values(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    for step, value in enumerate([math.nan, math.inf, -math.inf, 0.0]):
        client.log_metric(run_id, "odd", value, step=step)
    values = [m.value for m in client.get_metric_history(run_id, "odd")]
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf, 0.0]


def test_a_batch_keeps_extreme_steps_timestamps_and_values_exactly(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    extremes = [
        (-(2**63), 0, math.nan),
        (-1, -(2**63), math.inf),
        (0, 2**63 - 1, -math.inf),
        (1, 1, -0.0),
        (2, 2, 5e-324),
        (2**63 - 1, 3, 1.7976931348623157e308),
    ]
    metrics = [Metric("edge", value, timestamp, step) for step, timestamp, value in extremes]
    client.log_batch(run_id, metrics=metrics)
    expected = [(s, t, "NaN" if math.isnan(v) else v) for s, t, v in extremes]
    assert _points(client, run_id, "edge") == expected


def test_long_history_comes_in_pages_of_25000_that_the_stock_client_follows(
    client, http, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    total = 26_000
    _log_steps(client, run_id, "long", range(total))

    first = http.get(HISTORY, params={"run_id": run_id, "metric_key": "long"})
    assert first.status_code == 200
    page = first.json()
    assert len(page["metrics"]) == 25_000
    assert page["next_page_token"]
    rest = http.get(
        HISTORY,
        params={"run_id": run_id, "metric_key": "long", "page_token": page["next_page_token"]},
    ).json()
    assert len(rest["metrics"]) == total - 25_000
    assert "next_page_token" not in rest

    history = client.get_metric_history(run_id, "long")
    assert len(history) == total
    assert [m.step for m in history] == list(range(total))


def test_history_pages_by_max_results_over_http(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _log_steps(client, run_id, "m", range(7))
    steps, token, pages = [], None, 0
    while True:
        params = {"run_id": run_id, "metric_key": "m", "max_results": 3}
        if token:
            params["page_token"] = token
        body = http.get(HISTORY, params=params).json()
        steps += [point["step"] for point in body["metrics"]]
        pages += 1
        token = body.get("next_page_token")
        if not token:
            break
    assert pages == 3
    assert steps == list(range(7))


def test_history_pages_of_one_point_walk_ties_and_non_finite_values_in_order(
    client, http, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    values = (math.nan, math.inf, 1.0, -math.inf)
    client.log_batch(run_id, metrics=[Metric("m", v, ts, 0) for v in values for ts in (5, 6)])
    client.log_batch(run_id, metrics=[Metric("m", 0.5, 5, 1)])
    points, params = [], {"run_id": run_id, "metric_key": "m", "max_results": 1}
    while True:
        page = http.get(HISTORY, params=params).json()
        points += [(p["step"], p["timestamp"], p["value"]) for p in page["metrics"]]
        if "next_page_token" not in page:
            break
        params["page_token"] = page["next_page_token"]
    expected = [(0, ts, v) for ts in (5, 6) for v in ("-Infinity", 1.0, "Infinity", "NaN")]
    assert points == [*expected, (1, 5, 0.5)]


@pytest.mark.parametrize(
    "token", [b"nope", b'{"after":[1,2]}', b'{"after":[1,2,"x"]}', b'{"after":[1e30,2,3]}']
)
def test_history_rejects_a_page_token_it_did_not_hand_out(client, http, experiment_id, token):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0)
    params = {"run_id": run_id, "metric_key": "m", "page_token": base64.b64encode(token)}
    response = http.get(HISTORY, params=params)
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_history_accepts_the_old_run_uuid_spelling(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0)
    body = http.get(HISTORY, params={"run_uuid": run_id, "metric_key": "m"}).json()
    assert [point["value"] for point in body["metrics"]] == [1.0]


# ---------------------------------------------------------------- get-history-bulk-interval


def _bulk(http, run_ids, key="m", **params) -> list[dict]:
    response = http.get(BULK, params={"run_ids": run_ids, "metric_key": key, **params})
    assert response.status_code == 200, response.text
    return response.json().get("metrics", [])


def _steps_by_run(points: list[dict]) -> dict[str, list[int]]:
    by_run: dict[str, list[int]] = {}
    for point in points:
        by_run.setdefault(point["run_id"], []).append(point["step"])
    return by_run


def test_bulk_interval_returns_every_point_of_several_runs(client, http, experiment_id):
    first = client.create_run(experiment_id).info.run_id
    second = client.create_run(experiment_id).info.run_id
    _log_steps(client, first, "m", range(10))
    _log_steps(client, second, "m", range(0, 20, 2))
    points = _bulk(http, [first, second])
    assert _steps_by_run(points) == {first: list(range(10)), second: list(range(0, 20, 2))}
    point = next(p for p in points if p["run_id"] == first and p["step"] == 3)
    assert point == {"key": "m", "value": 3.0, "timestamp": 1003, "step": 3, "run_id": first}


def test_bulk_interval_sampling_keeps_the_first_and_last_step(client, http, experiment_id):
    first = client.create_run(experiment_id).info.run_id
    second = client.create_run(experiment_id).info.run_id
    _log_steps(client, first, "m", range(1000))
    _log_steps(client, second, "m", range(5, 300, 5))
    by_run = _steps_by_run(_bulk(http, [first, second], max_results=10))
    for run_id, low, high in ((first, 0, 999), (second, 5, 295)):
        steps = by_run[run_id]
        assert steps == sorted(steps)
        assert steps[0] == low
        assert steps[-1] == high
        assert 2 <= len(set(steps)) <= 11


def test_bulk_interval_sampling_spreads_points_over_the_range(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _log_steps(client, run_id, "m", range(1000))
    steps = _steps_by_run(_bulk(http, [run_id], max_results=5))[run_id]
    # No two sampled steps bunch together: the range is covered, not just its start.
    gaps = [later - earlier for earlier, later in itertools.pairwise(steps)]
    assert min(gaps) >= 100
    assert max(gaps) <= 400


def test_bulk_interval_samples_across_batches_by_the_same_rule_as_within_one(
    client, http, experiment_id
):
    one, three = (client.create_run(experiment_id).info.run_id for _ in range(2))
    steps = range(0, 3000, 3)
    for run_id, parts in ((one, [steps]), (three, [steps[:333], steps[333:666], steps[666:]])):
        for part in parts:  # a block per batch
            client.log_batch(run_id, metrics=[Metric("m", float(s), 1_000 + s, s) for s in part])
    sampled = _steps_by_run(_bulk(http, [one, three], max_results=7))
    assert sampled[one] == sampled[three]
    assert (sampled[one][0], sampled[one][-1], len(sampled[one])) == (0, 2997, 7)


def test_bulk_interval_limits_steps_to_start_and_end(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _log_steps(client, run_id, "m", range(100))
    points = _bulk(http, [run_id], start_step=10, end_step=20)
    assert [p["step"] for p in points] == list(range(10, 21))
    sampled = _steps_by_run(_bulk(http, [run_id], start_step=10, end_step=90, max_results=3))
    assert sampled[run_id][0] == 10
    assert sampled[run_id][-1] == 90


def test_bulk_interval_skips_runs_without_the_metric(client, http, experiment_id):
    logged = client.create_run(experiment_id).info.run_id
    silent = client.create_run(experiment_id).info.run_id
    _log_steps(client, logged, "m", range(3))
    assert set(_steps_by_run(_bulk(http, [logged, silent]))) == {logged}


@pytest.mark.parametrize(
    "params",
    [
        {"max_results": 0},
        {"max_results": 2501},
        {"start_step": 5, "end_step": 1},
    ],
)
def test_bulk_interval_rejects_bad_ranges(client, http, experiment_id, params):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.get(BULK, params={"run_ids": [run_id], "metric_key": "m", **params})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_bulk_interval_takes_at_most_100_runs(http):
    run_ids = [f"{i:032x}" for i in range(101)]
    response = http.get(BULK, params={"run_ids": run_ids, "metric_key": "m"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_bulk_interval_without_runs_is_invalid(http):
    assert_error(http.get(BULK, params={"metric_key": "m"}), "INVALID_PARAMETER_VALUE", 400)
