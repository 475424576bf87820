"""trackyard/runs/count: the total the UI shows beside a large experiment's runs table, for
the same scope and filter as runs/search (MLflow's search gives none)."""

from __future__ import annotations

import httpx
import pytest
from mlflow import MlflowClient

from .helpers import assert_error

COUNT = "/api/2.0/trackyard/runs/count"


def count(http: httpx.Client, **body) -> int:
    response = http.post(COUNT, json=body)
    assert response.status_code == 200, response.text
    return response.json()["count"]


@pytest.fixture
def five_runs(client: MlflowClient, experiment_id: str) -> str:
    """Five runs with loss 0..4 and kind a/b; the last one deleted."""
    ids = []
    for number in range(5):
        run = client.create_run(experiment_id, run_name=f"trial-{number}")
        client.log_metric(run.info.run_id, "loss", float(number))
        client.log_param(run.info.run_id, "kind", "a" if number % 2 else "b")
        ids.append(run.info.run_id)
    client.delete_run(ids[-1])
    return experiment_id


def test_count_is_the_active_runs_of_the_experiments(http, five_runs: str) -> None:
    assert count(http, experiment_ids=[five_runs]) == 4


def test_count_follows_the_view_type(http, five_runs: str) -> None:
    assert count(http, experiment_ids=[five_runs], run_view_type="ALL") == 5
    assert count(http, experiment_ids=[five_runs], run_view_type="DELETED_ONLY") == 1


def test_count_applies_the_filter_as_search_does(http, five_runs: str) -> None:
    assert count(http, experiment_ids=[five_runs], filter="metrics.loss >= 2") == 2
    assert count(http, experiment_ids=[five_runs], filter="params.kind = 'a'") == 2
    assert (
        count(http, experiment_ids=[five_runs], filter="attributes.run_name LIKE 'trial-1%'") == 1
    )
    assert count(http, experiment_ids=[five_runs], filter="metrics.never_logged > 0") == 0


def test_count_of_unknown_or_no_experiments_is_zero(http) -> None:
    assert count(http, experiment_ids=["987654321"]) == 0
    assert count(http, experiment_ids=[]) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"experiment_ids": ["0"], "filter": "metrics.loss >>> 1"},
        {"experiment_ids": ["0"], "filter": "nonsense.key = 1"},
        {"experiment_ids": ["0"], "run_view_type": "SOME"},
        {"experiment_ids": [str(n) for n in range(10_001)]},
        {"experiment_ids": "0"},
    ],
)
def test_bad_count_requests_are_refused_with_400(http, body: dict) -> None:
    assert_error(http.post(COUNT, json=body), "INVALID_PARAMETER_VALUE", 400)


def test_a_count_request_that_is_not_json_is_refused(http) -> None:
    response = http.post(COUNT, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(response, "BAD_REQUEST", 400)
