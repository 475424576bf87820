"""Runs through the stock mlflow client: lifecycle, params, metrics, tags, batches, inputs."""

from __future__ import annotations

import math
import time

import mlflow
import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from .helpers import API, assert_error, create_run


def test_start_run_creates_a_running_run_in_the_active_experiment(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id, run_name="first") as run:
        fetched = client.get_run(run.info.run_id)
        assert fetched.info.status == "RUNNING"
        assert fetched.info.run_name == "first"
        assert fetched.info.experiment_id == experiment_id
        assert fetched.info.lifecycle_stage == "active"
        assert fetched.info.start_time > 0
        assert fetched.info.end_time is None
        assert fetched.data.tags["mlflow.runName"] == "first"


def test_run_artifact_uri_is_under_the_experiment_location(client, experiment_id):
    run = client.create_run(experiment_id)
    assert run.info.artifact_uri == (
        f"mlflow-artifacts:/{experiment_id}/{run.info.run_id}/artifacts"
    )


def test_run_without_a_name_gets_a_generated_one(client, experiment_id):
    run = client.create_run(experiment_id)
    assert run.info.run_name
    assert client.get_run(run.info.run_id).data.tags["mlflow.runName"] == run.info.run_name


def test_end_run_finishes_the_run_with_an_end_time(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    finished = client.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.info.end_time >= finished.info.start_time


def test_run_that_raises_ends_failed(client, experiment_id):
    with pytest.raises(ValueError), mlflow.start_run(experiment_id=experiment_id) as run:
        raise ValueError("training blew up")
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_nested_run_records_its_parent(client, experiment_id):
    with (
        mlflow.start_run(experiment_id=experiment_id) as parent,
        mlflow.start_run(nested=True) as child,
    ):
        pass
    tags = client.get_run(child.info.run_id).data.tags
    assert tags["mlflow.parentRunId"] == parent.info.run_id


def test_set_terminated_sets_status_and_end_time(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_terminated(run_id, status="KILLED", end_time=1_700_000_000_123)
    info = client.get_run(run_id).info
    assert info.status == "KILLED"
    assert info.end_time == 1_700_000_000_123


def test_update_run_status_accepts_every_run_status(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    for status in ("SCHEDULED", "FAILED", "FINISHED", "RUNNING"):
        client.update_run(run_id, status=status)
        assert client.get_run(run_id).info.status == status


def test_update_run_renames_the_run_and_its_name_tag(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="before").info.run_id
    client.update_run(run_id, name="after")
    run = client.get_run(run_id)
    assert run.info.run_name == "after"
    assert run.data.tags["mlflow.runName"] == "after"


def test_setting_the_run_name_tag_renames_the_run(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="before").info.run_id
    client.set_tag(run_id, "mlflow.runName", "via-tag")
    assert client.get_run(run_id).info.run_name == "via-tag"


def test_log_param_and_log_params_are_stored_as_strings(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"name": "forest", "depth": 5, "flag": True})
    params = client.get_run(run.info.run_id).data.params
    assert params == {"lr": "0.01", "name": "forest", "depth": "5", "flag": "True"}


def test_relogging_a_param_with_the_same_value_succeeds(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "p", "same")
    client.log_param(run_id, "p", "same")
    client.log_batch(run_id, params=[Param("p", "same")])
    assert client.get_run(run_id).data.params == {"p": "same"}


def test_relogging_a_param_with_another_value_is_invalid_parameter_value(
    client, http, experiment_id
):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "p", "first")
    with pytest.raises(MlflowException) as raised:
        client.log_param(run_id, "p", "second")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    response = http.post(
        f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "p", "value": "third"}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    response = http.post(
        f"{API}/runs/log-batch",
        json={"run_id": run_id, "params": [{"key": "p", "value": "fourth"}]},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    assert client.get_run(run_id).data.params == {"p": "first"}


def test_empty_param_value_is_kept(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "empty", "")
    assert client.get_run(run_id).data.params == {"empty": ""}


def test_log_metric_with_step_and_timestamp(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "loss", 0.5, timestamp=1_700_000_000_000, step=3)
    (point,) = client.get_metric_history(run_id, "loss")
    assert (point.key, point.value, point.timestamp, point.step) == (
        "loss",
        0.5,
        1_700_000_000_000,
        3,
    )


def test_run_data_shows_the_latest_metric_value_by_step(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "acc", 0.9, step=2)
    client.log_metric(run_id, "acc", 0.1, step=5)
    client.log_metric(run_id, "acc", 0.7, step=1)
    assert client.get_run(run_id).data.metrics == {"acc": 0.1}


def test_log_metrics_logs_several_at_once(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metrics({"precision": 0.8, "recall": 0.6}, step=1)
    assert client.get_run(run.info.run_id).data.metrics == {"precision": 0.8, "recall": 0.6}


def test_asynchronous_logging_arrives_after_flush(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        for step in range(5):
            mlflow.log_metric("i", step, step=step, synchronous=False)
        mlflow.log_param("kind", "async", synchronous=False)
        mlflow.set_tag("mode", "async", synchronous=False)
        mlflow.flush_async_logging()
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"kind": "async"}
    assert fetched.data.tags["mode"] == "async"
    assert [m.value for m in client.get_metric_history(run.info.run_id, "i")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_metric_values_round_trip(client, experiment_id, value):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "odd", value, step=0)
    client.log_metric(run_id, "odd", 1.5, step=1)
    client.log_metric(run_id, "last", value, step=0)
    latest = client.get_run(run_id).data.metrics["last"]
    history = [m.value for m in client.get_metric_history(run_id, "odd")]
    if math.isnan(value):
        assert math.isnan(latest)
        assert math.isnan(history[0])
    else:
        assert latest == value
        assert history[0] == value
    assert history[1] == 1.5


def test_huge_finite_metric_values_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "big", 1.7976931348623157e308)
    client.log_metric(run_id, "tiny", -5e-324)
    metrics = client.get_run(run_id).data.metrics
    assert metrics == {"big": 1.7976931348623157e308, "tiny": -5e-324}


def test_int64_steps_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "s", 1.0, step=2**62)
    client.log_metric(run_id, "s", 2.0, step=-(2**62))
    steps = [m.step for m in client.get_metric_history(run_id, "s")]
    assert steps == [-(2**62), 2**62]


def test_set_tag_and_set_tags(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "team": "nlp"})
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["team"] == "nlp"
    assert tags["stage"] == "dev"


def test_delete_tag_removes_it(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "temporary", "yes")
    client.delete_tag(run_id, "temporary")
    assert "temporary" not in client.get_run(run_id).data.tags


def test_delete_unknown_tag_is_resource_does_not_exist(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    with pytest.raises(MlflowException) as raised:
        client.delete_tag(run_id, "never-set")
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_log_batch_writes_metrics_params_and_tags_together(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("m", float(step), now, step) for step in range(10)],
        params=[Param("p1", "a"), Param("p2", "b")],
        tags=[RunTag("t", "x")],
    )
    run = client.get_run(run_id)
    assert run.data.metrics == {"m": 9.0}
    assert run.data.params == {"p1": "a", "p2": "b"}
    assert run.data.tags["t"] == "x"
    assert len(client.get_metric_history(run_id, "m")) == 10


def test_log_batch_at_the_limits_is_accepted(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, params=[Param(f"p{i}", str(i)) for i in range(100)])
    client.log_batch(run_id, tags=[RunTag(f"t{i}", str(i)) for i in range(100)])
    client.log_batch(run_id, metrics=[Metric("m", 1.0, 0, i) for i in range(1000)])
    run = client.get_run(run_id)
    assert len(run.data.params) == 100
    assert sum(key.startswith("t") for key in run.data.tags) == 100
    assert len(client.get_metric_history(run_id, "m")) == 1000


def test_rejected_batch_writes_nothing(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "fixed", "1")
    response = http.post(
        f"{API}/runs/log-batch",
        json={
            "run_id": run_id,
            "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}],
            "tags": [{"key": "t", "value": "v"}],
            "params": [{"key": "new", "value": "x"}, {"key": "fixed", "value": "2"}],
        },
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    run = client.get_run(run_id)
    assert run.data.params == {"fixed": "1"}
    assert "t" not in run.data.tags
    assert run.data.metrics == {}
    assert client.get_metric_history(run_id, "m") == []


def test_batch_with_an_invalid_key_writes_nothing(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.post(
        f"{API}/runs/log-batch",
        json={
            "run_id": run_id,
            "metrics": [
                {"key": "good", "value": 1.0, "timestamp": 1, "step": 0},
                {"key": "../bad", "value": 1.0, "timestamp": 1, "step": 0},
            ],
        },
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    assert client.get_run(run_id).data.metrics == {}


def test_writing_to_a_deleted_run_is_refused_with_400(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    writes = [
        ("log-parameter", {"key": "p", "value": "v"}),
        ("log-metric", {"key": "m", "value": 1.0, "timestamp": 1, "step": 0}),
        ("set-tag", {"key": "t", "value": "v"}),
        ("log-batch", {"params": [{"key": "p", "value": "v"}]}),
        ("update", {"status": "FINISHED"}),
    ]
    for path, body in writes:
        response = http.post(f"{API}/runs/{path}", json={"run_id": run_id, **body})
        body = assert_error(response, "INVALID_PARAMETER_VALUE", 400)
        assert "active" in body["message"]
    with pytest.raises(MlflowException) as raised:
        client.log_param(run_id, "p", "v")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


_KNOWN_KEY_WRITES = {
    "one point": ("log-metric", {"key": "seen", "value": 9.0, "timestamp": 1, "step": 10}),
    "a series batch": (
        "log-batch",
        {"metrics": [{"key": "seen", "value": 9.0, "timestamp": 1, "step": s} for s in (10, 11)]},
    ),
}


@pytest.mark.parametrize("write", _KNOWN_KEY_WRITES.values(), ids=_KNOWN_KEY_WRITES.keys())
def test_a_known_metric_key_logged_to_a_deleted_or_unknown_run_stores_nothing(
    client, http, experiment_id, write
):
    # A key the server has seen takes PostgreSQL's one-statement path for one series.
    path, body = write
    run_id = client.create_run(experiment_id).info.run_id
    for step in range(3):
        client.log_metric(run_id, "seen", 1.0, step=step)
    client.delete_run(run_id)
    response = http.post(f"{API}/runs/{path}", json={"run_id": run_id, **body})
    assert assert_error(response, "INVALID_PARAMETER_VALUE", 400)["message"] == (
        f"The run {run_id} must be in the 'active' state. Current state is deleted."
    )
    unknown = http.post(f"{API}/runs/{path}", json={"run_id": "f" * 32, **body})
    assert_error(unknown, "RESOURCE_DOES_NOT_EXIST", 404)
    client.restore_run(run_id)
    assert [m.step for m in client.get_metric_history(run_id, "seen")] == [0, 1, 2]
    assert client.get_run(run_id).data.metrics == {"seen": 1.0}


def test_delete_run_and_restore_run(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    client.log_param(run_id, "after-restore", "ok")
    assert client.get_run(run_id).data.params == {"after-restore": "ok"}


def test_get_unknown_run_is_resource_does_not_exist(client):
    with pytest.raises(MlflowException) as raised:
        client.get_run("0123456789abcdef0123456789abcdef")
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_create_run_in_a_deleted_experiment_is_refused(client, http, experiment_id):
    client.delete_experiment(experiment_id)
    response = http.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_create_run_keeps_given_start_time_user_and_tags(client, http, experiment_id):
    run_id = create_run(
        http,
        experiment_id,
        start_time=1_600_000_000_000,
        user_id="ana",
        tags=[{"key": "origin", "value": "http"}],
    )
    run = client.get_run(run_id)
    assert run.info.start_time == 1_600_000_000_000
    assert run.info.user_id == "ana"
    assert run.data.tags["origin"] == "http"


def test_log_input_records_a_pandas_dataset_with_its_context(client, experiment_id):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(frame, name="train-set", targets="y")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(dataset, context="training")
    (logged,) = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert logged.dataset.name == "train-set"
    assert logged.dataset.digest == dataset.digest
    entity = dataset._to_mlflow_entity()
    assert logged.dataset.source_type == entity.source_type
    assert logged.dataset.source == entity.source
    assert logged.dataset.profile == entity.profile
    assert {tag.key: tag.value for tag in logged.tags} == {"mlflow.data.context": "training"}
    assert "x" in logged.dataset.schema


def test_logging_the_same_dataset_twice_records_it_once(client, experiment_id):
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    dataset = mlflow.data.from_pandas(frame, name="twice")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(dataset, context="training")
        mlflow.log_input(dataset, context="training")
    assert len(client.get_run(run.info.run_id).inputs.dataset_inputs) == 1


def test_latest_metric_at_one_step_is_the_one_with_the_newest_timestamp(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0, timestamp=200, step=3)
    client.log_metric(run_id, "m", 2.0, timestamp=100, step=3)
    assert client.get_run(run_id).data.metrics == {"m": 1.0}
    client.log_metric(run_id, "m", 3.0, timestamp=300, step=3)
    assert client.get_run(run_id).data.metrics == {"m": 3.0}


def test_latest_metric_ties_on_step_and_timestamp_go_to_the_larger_value(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 5.0, timestamp=100, step=1)
    client.log_metric(run_id, "m", 3.0, timestamp=100, step=1)
    assert client.get_run(run_id).data.metrics == {"m": 5.0}
    client.log_metric(run_id, "m", 7.0, timestamp=100, step=1)
    assert client.get_run(run_id).data.metrics == {"m": 7.0}


def test_latest_metric_within_one_batch_follows_the_same_rule(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[
            Metric("m", 9.0, 100, 1),
            Metric("m", 4.0, 300, 2),
            Metric("m", 6.0, 300, 2),
            Metric("m", 8.0, 200, 2),
            Metric("m", 1.0, 999, 0),
        ],
    )
    assert client.get_run(run_id).data.metrics == {"m": 6.0}


def test_update_run_accepts_status_numbers_over_http(http, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    response = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": 3})
    assert response.status_code == 200, response.text
    assert client.get_run(run_id).info.status == "FINISHED"


def test_update_run_without_a_name_keeps_the_name(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="keep-me").info.run_id
    client.update_run(run_id, status="FINISHED")
    assert client.get_run(run_id).info.run_name == "keep-me"


def test_restoring_a_run_of_a_deleted_experiment_is_refused(client, http, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_experiment(experiment_id)
    response = http.post(f"{API}/runs/restore", json={"run_id": run_id})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_unicode_keys_and_values_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "größe", "weiß 🌍")
    client.set_tag(run_id, "説明", "テスト")
    client.log_metric(run_id, "точность", 0.5)
    run = client.get_run(run_id)
    assert run.data.params == {"größe": "weiß 🌍"}
    assert run.data.tags["説明"] == "テスト"
    assert run.data.metrics == {"точность": 0.5}


def test_run_name_and_mlflow_run_name_tag_must_agree_at_creation(http, experiment_id):
    response = http.post(
        f"{API}/runs/create",
        json={
            "experiment_id": experiment_id,
            "run_name": "one",
            "tags": [{"key": "mlflow.runName", "value": "two"}],
        },
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_run_name_tag_alone_names_the_run(client, http, experiment_id):
    run_id = create_run(http, experiment_id, tags=[{"key": "mlflow.runName", "value": "from-tag"}])
    assert client.get_run(run_id).info.run_name == "from-tag"


def test_log_batch_of_exactly_1000_items_across_kinds_is_accepted(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 0, i) for i in range(800)],
        params=[Param(f"p{i}", "v") for i in range(100)],
        tags=[RunTag(f"t{i}", "v") for i in range(100)],
    )
    run = client.get_run(run_id)
    assert len(run.data.params) == 100
    assert len(client.get_metric_history(run_id, "m")) == 800


def test_the_stock_client_splits_batches_larger_than_the_server_limits(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("m", float(i), 0, i) for i in range(2500)],
        params=[Param(f"p{i}", "v") for i in range(250)],
    )
    assert len(client.get_metric_history(run_id, "m")) == 2500
    assert len(client.get_run(run_id).data.params) == 250


def test_resuming_a_finished_run_reopens_it_and_ends_it_again(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metric("m", 1.0, step=0)
    with mlflow.start_run(run_id=run.info.run_id):
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_metric("m", 2.0, step=1)
    resumed = client.get_run(run.info.run_id)
    assert resumed.info.status == "FINISHED"
    assert resumed.data.metrics == {"m": 2.0}


def test_end_run_with_a_status(client, experiment_id):
    run = mlflow.start_run(experiment_id=experiment_id)
    mlflow.end_run(status="KILLED")
    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_one_dataset_logged_by_two_runs_is_found_from_both(client, experiment_id):
    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0]}), name="shared-set")
    run_ids = []
    for context in ("training", "evaluation"):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_input(dataset, context=context)
            run_ids.append(run.info.run_id)
    found = client.search_runs([experiment_id], "datasets.name = 'shared-set'")
    assert sorted(r.info.run_id for r in found) == sorted(run_ids)
    contexts = [
        {t.key: t.value for t in client.get_run(run_id).inputs.dataset_inputs[0].tags}
        for run_id in run_ids
    ]
    assert contexts == [
        {"mlflow.data.context": "training"},
        {"mlflow.data.context": "evaluation"},
    ]
