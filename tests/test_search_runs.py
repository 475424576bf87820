"""Searching runs: MLflow's filter grammar, ordering, view types and paging."""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from .helpers import API, assert_error, create_run, unique


@dataclass
class Fixture:
    experiment_id: str
    alpha: str
    beta: str
    gamma: str
    delta: str

    def names(self, run_ids: list[str]) -> list[str]:
        by_id = {self.alpha: "alpha", self.beta: "beta", self.gamma: "gamma", self.delta: "delta"}
        return [by_id[run_id] for run_id in run_ids]


@pytest.fixture
def runs(client, experiment_id) -> Fixture:
    """Four runs with overlapping data, started in the order alpha, beta, gamma, delta.

    | run   | mlflow.user | status   | acc | loss | params.model | depth | tags.team | tier |
    |-------|-------------|----------|-----|------|--------------|-------|-----------|------|
    | alpha | ana         | FINISHED | 0.9 | 0.3  | forest       | 3     | vision    | b    |
    | beta  | bo          | RUNNING  | 0.5 | -    | Forest-XL    | 5     | nlp       | c    |
    | gamma | ana         | FAILED   | -   | 0.1  | -            | -     | -         | -    |
    | delta | cy          | KILLED   | 0.7 | 0.2  | boost        | 1     | Vision    | a    |

    (metrics.acc and metrics.loss at step 0; params and tags as shown, "-" when absent.)
    """
    specs = [
        ("alpha", "ana", "FINISHED", {"acc": 0.9, "loss": 0.3}, "forest", "vision", "3", "b"),
        ("beta", "bo", "RUNNING", {"acc": 0.5}, "Forest-XL", "nlp", "5", "c"),
        ("gamma", "ana", "FAILED", {"loss": 0.1}, None, None, None, None),
        ("delta", "cy", "KILLED", {"acc": 0.7, "loss": 0.2}, "boost", "Vision", "1", "a"),
    ]
    ids = []
    for index, (name, user, status, metrics, model, team, depth, tier) in enumerate(specs):
        run = client.create_run(
            experiment_id, start_time=1_000_000 + index * 1000, run_name=name, tags={}
        )
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(key, value, 0, 0) for key, value in metrics.items()],
            params=[Param("model", model), Param("depth", depth)] if model else [],
            tags=([RunTag("team", team), RunTag("tier", tier)] if team else [])
            + [RunTag("mlflow.user", user), RunTag("dotted.key with space", name)],
        )
        if status != "RUNNING":
            client.set_terminated(run_id, status=status)
        ids.append(run_id)
    return Fixture(experiment_id, *ids)


def search(client, fixture: Fixture, filter_string: str = "", **kwargs) -> list[str]:
    found = client.search_runs([fixture.experiment_id], filter_string, **kwargs)
    return fixture.names([run.info.run_id for run in found])


# ---------------------------------------------------------------- defaults


def test_default_order_is_newest_start_time_first(client, runs):
    assert search(client, runs) == ["delta", "gamma", "beta", "alpha"]


def test_search_returns_whole_runs_with_data(client, runs):
    (run,) = client.search_runs([runs.experiment_id], "attributes.run_name = 'alpha'")
    assert run.data.metrics == {"acc": 0.9, "loss": 0.3}
    assert run.data.params == {"model": "forest", "depth": "3"}
    assert run.data.tags["team"] == "vision"
    assert run.info.status == "FINISHED"


def _log_everything(http: httpx.Client, run_id: str, index: int) -> None:
    """Params, tags, metrics (a NaN among them), two datasets with input tags, a model input
    and two model outputs: every part of a run that a page loads besides its row."""
    batch = {
        "run_id": run_id,
        "params": [{"key": "depth", "value": str(index)}, {"key": "algo", "value": "tree"}],
        "tags": [{"key": "team", "value": f"t{index}"}],
        "metrics": [
            {"key": "m", "value": float(index), "timestamp": 5, "step": 2},
            {"key": "loss", "value": "NaN", "timestamp": 6, "step": 0},
        ],
    }
    datasets = [
        {
            "dataset": {
                "name": f"train-{index}",
                "digest": f"d{index}",
                "source_type": "local",
                "source": "{}",
                "schema": "{}",
                "profile": "{}",
            },
            "tags": [{"key": "mlflow.data.context", "value": "training"}],
        },
        {"dataset": {"name": "eval", "digest": "e"}, "tags": []},
    ]
    outputs = [{"model_id": f"m-out-{index}", "step": 3}, {"model_id": "m-shared", "step": 0}]
    for path, body in [
        ("runs/log-batch", batch),
        (
            "runs/log-inputs",
            {"run_id": run_id, "datasets": datasets, "models": [{"model_id": f"m-in-{index}"}]},
        ),
        ("runs/outputs", {"run_id": run_id, "models": outputs}),
    ]:
        assert http.post(f"{API}/{path}", json=body).status_code == 200


@pytest.mark.parametrize("order_by", [[], ["metrics.m DESC"]])
def test_a_page_holds_each_run_whole_as_get_run_answers_it(http, experiment_id, order_by):
    full = [create_run(http, experiment_id, start_time=index) for index in range(3)]
    for index, run_id in enumerate(full):
        _log_everything(http, run_id, index)
    bare = create_run(http, experiment_id, start_time=10, run_name="bare")
    body = {"experiment_ids": [experiment_id], "order_by": order_by}
    page = http.post(f"{API}/runs/search", json=body).json()["runs"]
    by_id = {run["info"]["run_id"]: run for run in page}
    assert set(by_id) == {bare, *full}
    for run_id, run in by_id.items():
        got = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()
        assert run == got["run"]
    whole = by_id[full[2]]
    assert whole["data"]["params"] == [
        {"key": "algo", "value": "tree"},
        {"key": "depth", "value": "2"},
    ]
    assert whole["data"]["metrics"] == [
        {"key": "loss", "value": "NaN", "timestamp": 6, "step": 0},
        {"key": "m", "value": 2.0, "timestamp": 5, "step": 2},
    ]
    assert {"key": "team", "value": "t2"} in whole["data"]["tags"]
    datasets = whole["inputs"]["dataset_inputs"]
    assert [(d["dataset"]["name"], d.get("tags", [])) for d in datasets] == [
        ("eval", []),  # in the order the datasets were first logged in the experiment
        ("train-2", [{"key": "mlflow.data.context", "value": "training"}]),
    ]
    assert datasets[1]["dataset"]["source"] == "{}"
    assert whole["inputs"]["model_inputs"] == [{"model_id": "m-in-2"}]
    assert sorted(whole["outputs"]["model_outputs"], key=lambda m: m["model_id"]) == [
        {"model_id": "m-out-2", "step": 3},
        {"model_id": "m-shared"},  # step 0, the default, is left out
    ]
    assert by_id[bare]["data"].get("params", []) == []
    assert by_id[bare].get("inputs", {}).get("dataset_inputs", []) == []


def test_search_across_several_experiments(client, runs):
    other = client.create_experiment(f"other-{runs.experiment_id}")
    other_run = client.create_run(other).info.run_id
    found = client.search_runs([runs.experiment_id, other])
    assert {run.info.run_id for run in found} == {
        runs.alpha,
        runs.beta,
        runs.gamma,
        runs.delta,
        other_run,
    }


# ---------------------------------------------------------------- metrics


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.acc = 0.5", ["beta"]),
        ("metrics.acc != 0.5", ["delta", "alpha"]),
        ("metrics.acc > 0.7", ["alpha"]),
        ("metrics.acc >= 0.7", ["delta", "alpha"]),
        ("metrics.acc < 0.7", ["beta"]),
        ("metrics.acc <= 0.7", ["delta", "beta"]),
        ("metric.loss < 0.25", ["delta", "gamma"]),
        ("metrics.acc > 0.6 AND metrics.loss < 0.3", ["delta"]),
        ("metrics.unknown > 0", []),
    ],
)
def test_metric_comparators(client, runs, filter_string, expected):
    assert search(client, runs, filter_string) == expected


def test_metric_filter_compares_the_latest_value(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 10.0, step=1)
    client.log_metric(run_id, "m", 1.0, step=2)
    client.log_metric(run_id, "m", 50.0, step=0)
    assert client.search_runs([experiment_id], "metrics.m > 5") == []
    assert [r.info.run_id for r in client.search_runs([experiment_id], "metrics.m = 1")] == [run_id]


def test_metric_filter_accepts_integers_and_negative_and_exponent_numbers(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", -2.5)
    for filter_string in ("metrics.m < 0", "metrics.m > -3", "metrics.m = -2.5e0"):
        assert [r.info.run_id for r in client.search_runs([experiment_id], filter_string)] == [
            run_id
        ]


# ---------------------------------------------------------------- params and tags


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("params.model = 'forest'", ["alpha"]),
        ("params.model != 'forest'", ["delta", "beta"]),
        ("params.model LIKE 'Forest%'", ["beta"]),
        ("params.model LIKE '%o%'", ["delta", "beta", "alpha"]),
        ("params.model LIKE 'fores_'", ["alpha"]),
        ("params.model ILIKE 'forest%'", ["beta", "alpha"]),
        ("params.model IS NULL", ["gamma"]),
        ("params.model IS NOT NULL", ["delta", "beta", "alpha"]),
        ("param.model = 'boost'", ["delta"]),
        ("parameters.model = 'boost'", ["delta"]),
    ],
)
def test_param_comparators(client, runs, filter_string, expected):
    assert search(client, runs, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("tags.team = 'vision'", ["alpha"]),
        ("tags.team != 'vision'", ["delta", "beta"]),
        ("tags.team LIKE 'V%'", ["delta"]),
        ("tags.team ILIKE 'v%'", ["delta", "alpha"]),
        ("tags.team IS NULL", ["gamma"]),
        ("tags.team IS NOT NULL", ["delta", "beta", "alpha"]),
        ("tag.team = 'nlp'", ["beta"]),
        ("tags.`team` = 'nlp'", ["beta"]),
        ("tags.\"team\" = 'nlp'", ["beta"]),
    ],
)
def test_tag_comparators(client, runs, filter_string, expected):
    assert search(client, runs, filter_string) == expected


def test_backquoted_key_with_dots_and_spaces(client, runs):
    assert search(client, runs, "tags.`dotted.key with space` = 'beta'") == ["beta"]


def test_double_quoted_key_with_dots_and_spaces(client, runs):
    assert search(client, runs, "tags.\"dotted.key with space\" = 'gamma'") == ["gamma"]


def test_dotted_key_without_quotes(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "val.acc", 0.5)
    client.log_param(run_id, "model.depth", "3")
    found = client.search_runs(
        [experiment_id], "metrics.val.acc = 0.5 AND params.model.depth = '3'"
    )
    assert [run.info.run_id for run in found] == [run_id]


def test_double_quoted_string_value(client, runs):
    assert search(client, runs, 'params.model = "boost"') == ["delta"]


def test_like_treats_percent_and_underscore_as_wildcards_only(client, experiment_id):
    plain = client.create_run(experiment_id).info.run_id
    client.set_tag(plain, "v", "a_b")
    other = client.create_run(experiment_id).info.run_id
    client.set_tag(other, "v", "axb")
    assert len(client.search_runs([experiment_id], "tags.v LIKE 'a_b'")) == 2
    assert len(client.search_runs([experiment_id], "tags.v LIKE 'a%'")) == 2
    assert [r.info.run_id for r in client.search_runs([experiment_id], "tags.v = 'a_b'")] == [plain]


# ---------------------------------------------------------------- attributes


def test_run_id_in_and_not_in(client, runs):
    assert search(client, runs, f"attributes.run_id IN ('{runs.alpha}', '{runs.gamma}')") == [
        "gamma",
        "alpha",
    ]
    assert search(client, runs, f"run_id NOT IN ('{runs.alpha}', '{runs.gamma}')") == [
        "delta",
        "beta",
    ]


def test_run_id_equality(client, runs):
    assert search(client, runs, f"attributes.run_id = '{runs.beta}'") == ["beta"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("attributes.run_name = 'alpha'", ["alpha"]),
        ("run_name != 'alpha'", ["delta", "gamma", "beta"]),
        ("attributes.run_name LIKE '%ta'", ["delta", "beta"]),
        ("attributes.run_name ILIKE 'GAM%'", ["gamma"]),
        ("attributes.`Run name` = 'beta'", ["beta"]),
    ],
)
def test_run_name_filters(client, runs, filter_string, expected):
    assert search(client, runs, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("attributes.status = 'FINISHED'", ["alpha"]),
        ("status != 'RUNNING'", ["delta", "gamma", "alpha"]),
        ("attributes.status LIKE 'F%'", ["gamma", "alpha"]),
        ("attributes.status ILIKE 'killed'", ["delta"]),
    ],
)
def test_status_filters(client, runs, filter_string, expected):
    assert search(client, runs, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("attributes.start_time = 1001000", ["beta"]),
        ("attributes.start_time != 1001000", ["delta", "gamma", "alpha"]),
        ("attributes.start_time > 1001000", ["delta", "gamma"]),
        ("attributes.start_time >= 1001000", ["delta", "gamma", "beta"]),
        ("attributes.start_time < 1001000", ["alpha"]),
        ("attributes.start_time <= 1001000", ["beta", "alpha"]),
        ("attributes.created < 1001000", ["alpha"]),
    ],
)
def test_start_time_comparators(client, runs, filter_string, expected):
    assert search(client, runs, filter_string) == expected


def test_end_time_filter(client, runs):
    assert search(client, runs, "attributes.end_time > 0") == ["delta", "gamma", "alpha"]


def test_user_id_filters(client, http, experiment_id):
    ids = {}
    for user in ("ana", "Ana", "bo"):
        response = http.post(
            f"{API}/runs/create", json={"experiment_id": experiment_id, "user_id": user}
        )
        ids[user] = response.json()["run"]["info"]["run_id"]

    def users(filter_string: str) -> set[str]:
        found = client.search_runs([experiment_id], filter_string)
        return {run.info.user_id for run in found}

    assert users("attributes.user_id = 'ana'") == {"ana"}
    assert users("attributes.user_id != 'ana'") == {"Ana", "bo"}
    assert users("attributes.user_id LIKE 'A%'") == {"Ana"}
    assert users("attributes.user_id ILIKE 'a%'") == {"ana", "Ana"}


def test_artifact_uri_like(client, runs):
    pattern = f"mlflow-artifacts:/{runs.experiment_id}/{runs.gamma}/%"
    assert search(client, runs, f"attributes.artifact_uri LIKE '{pattern}'") == ["gamma"]


def test_list_comparison_on_other_attributes_is_rejected(client, runs):
    with pytest.raises(MlflowException) as raised:
        client.search_runs([runs.experiment_id], "attributes.run_name IN ('alpha')")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


# ---------------------------------------------------------------- datasets


@pytest.fixture
def dataset_runs(client, experiment_id) -> dict[str, str]:
    train = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="train-data")
    evaluation = mlflow.data.from_pandas(pd.DataFrame({"x": [3, 4, 5]}), name="eval-data")
    ids = {}
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(train, context="training")
        ids["train"] = run.info.run_id
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(evaluation, context="evaluation")
        ids["eval"] = run.info.run_id
    with mlflow.start_run(experiment_id=experiment_id) as run:
        ids["none"] = run.info.run_id
    ids["train_digest"] = train.digest
    return ids


def _found(client, experiment_id, filter_string) -> set[str]:
    return {run.info.run_id for run in client.search_runs([experiment_id], filter_string)}


def test_dataset_name_filters(client, experiment_id, dataset_runs):
    ids = dataset_runs
    assert _found(client, experiment_id, "datasets.name = 'train-data'") == {ids["train"]}
    assert _found(client, experiment_id, "datasets.name != 'train-data'") == {ids["eval"]}
    assert _found(client, experiment_id, "datasets.name LIKE '%-data'") == {
        ids["train"],
        ids["eval"],
    }
    assert _found(client, experiment_id, "datasets.name ILIKE 'EVAL%'") == {ids["eval"]}
    assert _found(client, experiment_id, "datasets.name IN ('eval-data', 'x')") == {ids["eval"]}
    assert _found(client, experiment_id, "datasets.name NOT IN ('eval-data')") == {ids["train"]}


def test_dataset_digest_and_context_filters(client, experiment_id, dataset_runs):
    ids = dataset_runs
    digest = ids["train_digest"]
    assert _found(client, experiment_id, f"datasets.digest = '{digest}'") == {ids["train"]}
    assert _found(client, experiment_id, "datasets.context = 'evaluation'") == {ids["eval"]}
    assert _found(client, experiment_id, "datasets.context IN ('training', 'evaluation')") == {
        ids["train"],
        ids["eval"],
    }


# ---------------------------------------------------------------- order_by


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("metrics.acc ASC", ["beta", "delta", "alpha", "gamma"]),
        ("metrics.`acc` ASC", ["beta", "delta", "alpha", "gamma"]),
        ("metrics.acc DESC", ["alpha", "delta", "beta", "gamma"]),
        ("metrics.acc desc", ["alpha", "delta", "beta", "gamma"]),
        ("metrics.loss", ["gamma", "delta", "alpha", "beta"]),
        ("metrics.loss DESC", ["alpha", "delta", "gamma", "beta"]),
        ("params.depth ASC", ["delta", "alpha", "beta", "gamma"]),
        ("params.depth DESC", ["beta", "alpha", "delta", "gamma"]),
        ("tags.tier ASC", ["delta", "alpha", "beta", "gamma"]),
        ("tags.tier DESC", ["beta", "alpha", "delta", "gamma"]),
        ("tags.`tier` DESC", ["beta", "alpha", "delta", "gamma"]),
    ],
)
def test_order_by_puts_runs_missing_the_key_last_in_both_directions(
    client, runs, order_by, expected
):
    assert search(client, runs, order_by=[order_by]) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("attributes.start_time ASC", ["alpha", "beta", "gamma", "delta"]),
        ("attributes.start_time DESC", ["delta", "gamma", "beta", "alpha"]),
        ("attributes.run_name ASC", ["alpha", "beta", "delta", "gamma"]),
        ("attributes.run_name DESC", ["gamma", "delta", "beta", "alpha"]),
        ("attributes.status ASC", ["gamma", "alpha", "delta", "beta"]),
        ("attributes.status DESC", ["beta", "delta", "alpha", "gamma"]),
        ("run_name", ["alpha", "beta", "delta", "gamma"]),
    ],
)
def test_order_by_attributes(client, runs, order_by, expected):
    assert search(client, runs, order_by=[order_by]) == expected


def test_order_by_end_time_puts_unfinished_runs_last(client, runs):
    ascending = search(client, runs, order_by=["attributes.end_time ASC"])
    descending = search(client, runs, order_by=["attributes.end_time DESC"])
    assert ascending[-1] == descending[-1] == "beta"


def test_order_by_two_keys(client, runs):
    found = search(client, runs, order_by=["tags.`mlflow.user` ASC", "metrics.loss DESC"])
    assert found == ["alpha", "gamma", "beta", "delta"]


def test_ties_in_order_by_fall_back_to_newest_first(client, experiment_id):
    ids = [
        client.create_run(experiment_id, start_time=5000 + i, tags={"same": "x"}).info.run_id
        for i in range(3)
    ]
    found = client.search_runs([experiment_id], order_by=["tags.same ASC"])
    assert [run.info.run_id for run in found] == ids[::-1]


def test_order_by_metric_puts_nan_after_numbers_and_before_missing(client, experiment_id):
    """MLflow's order: values, then NaN, then runs without the metric, in both directions."""
    named = {}
    for index, (name, value) in enumerate(
        [("one", 1.0), ("nan", math.nan), ("none", None), ("two", 2.0)]
    ):
        run_id = client.create_run(experiment_id, start_time=1000 + index, run_name=name)
        run_id = run_id.info.run_id
        if value is not None:
            client.log_metric(run_id, "m", value)
        named[run_id] = name

    def order(direction: str) -> list[str]:
        found = client.search_runs([experiment_id], order_by=[f"metrics.m {direction}"])
        return [named[run.info.run_id] for run in found]

    assert order("ASC") == ["one", "two", "nan", "none"]
    assert order("DESC") == ["two", "one", "nan", "none"]


# ---------------------------------------------------------------- view types and paging


def test_run_view_type_selects_active_deleted_or_all(client, runs):
    client.delete_run(runs.beta)
    assert search(client, runs) == ["delta", "gamma", "alpha"]
    assert search(client, runs, run_view_type=ViewType.ACTIVE_ONLY) == ["delta", "gamma", "alpha"]
    assert search(client, runs, run_view_type=ViewType.DELETED_ONLY) == ["beta"]
    assert search(client, runs, run_view_type=ViewType.ALL) == ["delta", "gamma", "beta", "alpha"]


def test_paging_covers_every_run_exactly_once(client, experiment_id):
    expected = {
        client.create_run(experiment_id, start_time=1000 + i % 3).info.run_id for i in range(23)
    }
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = client.search_runs([experiment_id], max_results=5, page_token=token)
        assert len(page) <= 5
        seen += [run.info.run_id for run in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 5
    assert len(seen) == len(expected) == 23
    assert set(seen) == expected


def test_last_full_page_has_no_next_token(client, experiment_id):
    for _ in range(4):
        client.create_run(experiment_id)
    first = client.search_runs([experiment_id], max_results=2)
    second = client.search_runs([experiment_id], max_results=2, page_token=first.token)
    assert first.token
    assert len(second) == 2
    assert not second.token


def test_fluent_search_runs_returns_a_pandas_frame(tracking_uri, runs):
    frame = mlflow.search_runs(
        experiment_ids=[runs.experiment_id], filter_string="metrics.acc > 0.6"
    )
    assert isinstance(frame, pd.DataFrame)
    assert sorted(frame["tags.mlflow.runName"]) == ["alpha", "delta"]
    assert sorted(frame["metrics.acc"]) == [0.7, 0.9]
    assert set(frame["params.model"]) == {"forest", "boost"}


def test_fluent_search_runs_by_experiment_name(tracking_uri, client, runs):
    name = client.get_experiment(runs.experiment_id).name
    frame = mlflow.search_runs(experiment_names=[name], order_by=["attributes.run_name ASC"])
    assert list(frame["tags.mlflow.runName"]) == ["alpha", "beta", "delta", "gamma"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "filter_string",
    [
        "metrics.acc > 'high'",
        "params.model > 'a'",
        "params.model = 3",
        "metrics.acc LIKE '1%'",
        "unknown.key = 'x'",
        "attributes.nope = 'x'",
        "metrics.acc > 0.5 OR metrics.loss < 1",
        "(metrics.acc > 0.5)",
        "metrics.acc >",
        "metrics.acc 0.5",
        "tags.team = 'a' AND",
        "params.model IN ('forest')",
        "run_id IN 'abc'",
        "tags.team = 'unterminated",
    ],
)
def test_bad_filter_is_invalid_parameter_value(http, runs, filter_string):
    response = http.post(
        f"{API}/runs/search",
        json={"experiment_ids": [runs.experiment_id], "filter": filter_string},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize(
    "order_by", ["metrics.acc SIDEWAYS", "nope.key ASC", "attributes.nope", "", "metrics.acc ASC x"]
)
def test_bad_order_by_is_invalid_parameter_value(http, runs, order_by):
    response = http.post(
        f"{API}/runs/search",
        json={"experiment_ids": [runs.experiment_id], "order_by": [order_by]},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_bad_filter_through_the_stock_client(client, runs):
    with pytest.raises(MlflowException) as raised:
        client.search_runs([runs.experiment_id], "metrics.acc >> 1")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_keywords_are_case_insensitive(client, runs):
    assert search(client, runs, "params.model like 'f%' and tags.team ilike 'VISION'") == ["alpha"]
    assert search(client, runs, "params.model is null") == ["gamma"]
    assert search(client, runs, f"run_id not in ('{runs.alpha}')") == ["delta", "gamma", "beta"]


def test_quoted_values_may_contain_keywords_and_operators(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "note", "a AND b >= 'c'")
    found = client.search_runs([experiment_id], "tags.note = \"a AND b >= 'c'\"")
    assert [run.info.run_id for run in found] == [run_id]


def test_numbers_with_leading_dot_and_exponent(client, runs):
    assert search(client, runs, "metrics.acc > .8") == ["alpha"]
    assert search(client, runs, "metrics.loss < 1.5e-1") == ["gamma"]


def test_default_max_results_is_1000(http, experiment_id):
    for start in range(0, 1001, 100):
        for i in range(start, min(start + 100, 1001)):
            response = http.post(
                f"{API}/runs/create", json={"experiment_id": experiment_id, "start_time": i}
            )
            assert response.status_code == 200
    body = http.post(f"{API}/runs/search", json={"experiment_ids": [experiment_id]}).json()
    assert len(body["runs"]) == 1000
    assert body["next_page_token"]
    rest = http.post(
        f"{API}/runs/search",
        json={"experiment_ids": [experiment_id], "page_token": body["next_page_token"]},
    ).json()
    assert [run["info"]["start_time"] for run in rest["runs"]] == [0]
    assert "next_page_token" not in rest


def test_paging_with_a_filter_and_a_metric_order(client, experiment_id):
    ids = []
    for i in range(12):
        run_id = client.create_run(experiment_id).info.run_id
        client.log_metric(run_id, "score", float(i % 4))
        client.set_tag(run_id, "keep", "yes" if i % 3 else "no")
        ids.append(run_id)
    seen, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id],
            "tags.keep = 'yes'",
            order_by=["metrics.score DESC"],
            max_results=3,
            page_token=token,
        )
        seen += [(run.data.metrics["score"], run.info.run_id) for run in page]
        token = page.token
        if not token:
            break
    expected = {run_id for i, run_id in enumerate(ids) if i % 3}
    assert {run_id for _, run_id in seen} == expected
    assert len(seen) == len(expected)
    scores = [score for score, _ in seen]
    assert scores == sorted(scores, reverse=True)


def test_whitespace_around_comparators_is_optional(client, runs):
    assert search(client, runs, "metrics.acc>0.8") == ["alpha"]
    assert search(client, runs, "params.model='boost'") == ["delta"]
    assert search(client, runs, "metrics.loss>=-1 AND metrics.loss<0.15") == ["gamma"]


# ---------------------------------------------------------------- keyset page tokens


@pytest.fixture
def mixed(client, experiment_id) -> list[str]:
    """Twelve runs: metric `m` tied, NaN, infinite or absent; param `p` tied or absent;
    several runs share a start time, so ties fall through to the run id."""
    values = [1.0, 1.0, math.nan, None, -math.inf, 2.5, 1.0, None, math.inf, math.nan, 0.0, 2.5]
    ids = []
    for index, value in enumerate(values):
        run_id = client.create_run(experiment_id, start_time=1000 + index // 3).info.run_id
        metrics = [] if value is None else [Metric("m", value, 0, 0)]
        params = [Param("p", "xy"[index % 2])] if index % 4 else []
        client.log_batch(run_id, metrics=metrics, params=params)
        ids.append(run_id)
    return ids


def paged_ids(client, experiment_id: str, page_size: int, **kwargs) -> list[str]:
    seen, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id], max_results=page_size, page_token=token, **kwargs
        )
        seen += [run.info.run_id for run in page]
        token = page.token
        if not token:
            return seen


@pytest.mark.parametrize(
    "order_by",
    [
        [],
        ["metrics.m ASC"],
        ["metrics.m DESC"],
        ["params.p ASC", "metrics.m DESC"],
        ["params.p DESC", "attributes.start_time ASC"],
        ["attributes.end_time DESC", "params.p ASC"],
        ["metrics.m DESC", "params.p DESC"],
    ],
)
def test_keyset_pages_join_up_to_the_one_page_order(client, experiment_id, mixed, order_by):
    whole = paged_ids(client, experiment_id, 100, order_by=order_by)
    assert sorted(whole) == sorted(mixed)
    for page_size in (1, 2, 5):
        assert paged_ids(client, experiment_id, page_size, order_by=order_by) == whole


def test_keyset_pages_with_a_filter(client, experiment_id, mixed):
    whole = paged_ids(
        client, experiment_id, 100, filter_string="params.p = 'y'", order_by=["metrics.m DESC"]
    )
    assert len(whole) == 6
    assert (
        paged_ids(
            client, experiment_id, 1, filter_string="params.p = 'y'", order_by=["metrics.m DESC"]
        )
        == whole
    )


def test_page_token_of_another_order_is_invalid_parameter_value(http, experiment_id, mixed):
    first = http.post(
        f"{API}/runs/search",
        json={"experiment_ids": [experiment_id], "max_results": 1, "order_by": ["metrics.m"]},
    ).json()
    response = http.post(
        f"{API}/runs/search",
        json={
            "experiment_ids": [experiment_id],
            "page_token": first["next_page_token"],
            "order_by": ["metrics.m", "params.p"],
        },
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def _token(body: dict) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        "bm90IGpzb24=",
        _token({"offset": 5}),
        _token({"segment": 0, "after": [1000]}),
        _token({"segment": 1, "after": [1000, "abc"]}),
        _token({"segment": -1, "after": [1000, "abc"]}),
        _token({"segment": 0, "after": ["1000", "abc"]}),
        _token({"segment": 0, "after": [2**64, "abc"]}),
        _token({"segment": 0, "after": [1000, None]}),
        _token({"segment": 0, "after": [1000, "a\u0000b"]}),
        _token({"segment": 0, "after": [True, "abc"]}),
        _token({"segment": 0, "after": [1000, "abc"], "extra": 1}),
        _token({"segment": 0, "after": {"a": 1}}),
    ],
)
def test_bad_page_token_is_invalid_parameter_value(http, experiment_id, mixed, token):
    response = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "page_token": token}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


@pytest.mark.parametrize("value", ["zz", "nan", 1.5, None])
def test_bad_metric_value_in_page_token_is_invalid_parameter_value(
    http, experiment_id, mixed, value
):
    body = {"experiment_ids": [experiment_id], "order_by": ["metrics.m DESC"]}
    token = _token({"segment": 0, "after": [value, 1000, "abc"]})
    response = http.post(f"{API}/runs/search", json={**body, "page_token": token})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- larger experiments


@dataclass
class Large:
    """An experiment of more runs than a search reads one by one (it walks the order key's
    index instead), and a smaller one whose runs share its keys."""

    experiment_id: str
    other_id: str
    runs: dict[str, dict]  # run id -> experiment, start_time, m (None: missing), params

    def ids(self, experiment_id: str, **params: str) -> list[str]:
        return [
            run_id
            for run_id, run in self.runs.items()
            if run["experiment"] == experiment_id
            and all(run[key] == value for key, value in params.items())
        ]

    def mlflow_order(self, run_ids: list[str], key: str, descending: bool) -> list[str]:
        """MLflow's order by one key: values (either direction), then NaN, then runs without
        it; ties newest first, then by run id."""
        newest_first = sorted(
            run_ids, key=lambda run_id: (-self.runs[run_id]["start_time"], run_id)
        )
        value = {run_id: self.runs[run_id][key] for run_id in run_ids}
        missing = [run_id for run_id in newest_first if value[run_id] is None]
        nan = [run_id for run_id in newest_first if value[run_id] != value[run_id]]
        numbers = [run_id for run_id in newest_first if run_id not in {*missing, *nan}]
        # Python's sort is stable in both directions: ties keep the newest-first order.
        return [*sorted(numbers, key=value.__getitem__, reverse=descending), *nan, *missing]


@pytest.fixture(scope="module")
def large(server) -> Large:
    """1300 runs, one in ten in the other experiment. metrics.m is 0..6 (long runs of ties),
    NaN or missing; params.p alternates x and y; params.keep = 'y' for one run in 37, whose
    m is below every other's; params.sparse = 'y' for one run in 20."""
    runs: dict[str, dict] = {}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        ids = [
            http.post(f"{API}/experiments/create", json={"name": unique(name)}).json()[
                "experiment_id"
            ]
            for name in ("large", "large-other")
        ]
        for index in range(1300):
            keep = index % 37 == 0
            run = {
                "experiment": ids[1] if index % 10 == 0 else ids[0],
                "start_time": index,
                "m": {1: math.nan, 2: None}.get(index % 50, index % 7 - (9.0 if keep else 0.0)),
                "p": "xy"[index % 2],
                "keep": "y" if keep else "n",
                "sparse": "y" if index % 20 == 3 else "n",
            }
            run_id = create_run(http, run["experiment"], start_time=index)
            batch = {
                "run_id": run_id,
                "metrics": []
                if run["m"] is None
                else [
                    {
                        "key": "m",
                        "value": "NaN" if math.isnan(run["m"]) else run["m"],
                        "timestamp": 0,
                    }
                ],
                "params": [{"key": key, "value": run[key]} for key in ("p", "keep", "sparse")],
            }
            assert http.post(f"{API}/runs/log-batch", json=batch).status_code == 200
            runs[run_id] = run
    return Large(ids[0], ids[1], runs)


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("page_size", [97, 1000])  # 1000: more than the walk would read
def test_pages_ordered_by_a_metric_over_a_large_experiment(client, large, descending, page_size):
    order = f"metrics.m {'DESC' if descending else 'ASC'}"
    found = paged_ids(client, large.experiment_id, page_size, order_by=[order])
    assert found == large.mlflow_order(large.ids(large.experiment_id), "m", descending)


def test_pages_ordered_by_a_param_over_a_large_experiment(client, large):
    found = paged_ids(client, large.experiment_id, 60, order_by=["params.p DESC"])
    assert found == large.mlflow_order(large.ids(large.experiment_id), "p", True)


def test_paging_a_selective_filter_over_a_large_experiment_ordered_by_a_metric(client, large):
    """The few matches sit lower in the order than the walk of the key's index reaches."""
    found = paged_ids(
        client,
        large.experiment_id,
        4,
        filter_string="params.keep = 'y'",
        order_by=["metrics.m DESC"],
    )
    assert found == large.mlflow_order(large.ids(large.experiment_id, keep="y"), "m", True)


@pytest.mark.parametrize("page_size", [60, 97])
def test_a_page_of_a_sparse_filter_goes_on_past_the_walk_of_a_large_experiment(
    client, large, page_size
):
    """Fewer matches than a page among the entries a walk reads: the rest follow them, each
    once, however many runs share the value where the walk stopped."""
    found = paged_ids(
        client,
        large.experiment_id,
        page_size,
        filter_string="params.sparse = 'y'",
        order_by=["metrics.m DESC"],
    )
    assert found == large.mlflow_order(large.ids(large.experiment_id, sparse="y"), "m", True)


def test_paging_a_small_experiment_whose_order_key_a_large_one_shares(client, large):
    """Most runs with the key are in the other experiment, where a walk of it would go."""
    found = paged_ids(client, large.other_id, 7, order_by=["metrics.m DESC"])
    assert found == large.mlflow_order(large.ids(large.other_id), "m", True)


def test_paging_filters_of_every_kind_over_a_large_experiment_ordered_by_a_metric(client, large):
    """Metric, param and attribute filters, and a key that must be missing, over a walk."""
    found = paged_ids(
        client,
        large.experiment_id,
        50,
        filter_string=(
            "metrics.m >= 2 AND params.p = 'x' AND params.sparse != 'y' "
            "AND attributes.start_time > 100 AND params.absent IS NULL"
        ),
        order_by=["metrics.m DESC"],
    )
    expected = [
        run_id
        for run_id in large.ids(large.experiment_id, p="x")
        if (large.runs[run_id]["m"] or 0) >= 2
        and large.runs[run_id]["sparse"] != "y"
        and large.runs[run_id]["start_time"] > 100
    ]
    assert found == large.mlflow_order(expected, "m", True)


def test_a_search_stays_right_once_its_experiment_shrinks_below_the_walk(server, client):
    """A search of more runs than it reads one by one walks the order key (and the server
    remembers that the experiment is that large); deleting runs brings it below that size,
    and the same search still leaves them out."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        experiment_id = http.post(
            f"{API}/experiments/create", json={"name": unique("shrinking")}
        ).json()["experiment_id"]
        run_ids = []
        for index in range(1002):
            run_id = create_run(http, experiment_id, start_time=index)
            metric = {"key": "m", "value": index, "timestamp": 0}
            assert (
                http.post(
                    f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [metric]}
                ).status_code
                == 200
            )
            run_ids.append(run_id)
    top = [
        run.info.run_id
        for run in client.search_runs([experiment_id], order_by=["metrics.m DESC"], max_results=5)
    ]
    assert top == run_ids[::-1][:5]
    for run_id in run_ids[-3:]:
        client.delete_run(run_id)
    top = [
        run.info.run_id
        for run in client.search_runs([experiment_id], order_by=["metrics.m DESC"], max_results=5)
    ]
    assert top == run_ids[::-1][3:8]
