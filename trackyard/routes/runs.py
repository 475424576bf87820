"""Runs: lifecycle, params, metrics, tags, inputs and outputs, search."""

from __future__ import annotations

import time

from .. import validation as check
from ..access import rules as r
from ..access.guard import Caller
from ..dispatch import ApiRoutes
from ..messages import tracking as m
from ..paging import page
from ..search.grammar import parse_filter
from ..search.request import search_arguments
from ..search.schemas import RUNS
from ..services import Services
from ..store.lifecycle import ACTIVE, DELETED

api = ApiRoutes()


def _run_id(req: m.RunRef) -> str:
    check.require(req.id, "run_id")
    return req.id


@api.post("mlflow/runs/create", m.CreateRun, quick=True, rule=r.experiment(r.EDIT))
def create_run(services: Services, req: m.CreateRun) -> dict:
    check.require(req.experiment_id, "experiment_id")
    check.max_length(req.run_name, check.MAX_RUN_NAME_LENGTH, "run_name")
    check.max_length(req.user_id, check.MAX_USER_ID_LENGTH, "user_id")
    tags = check.run_tags(req.tags)
    start_time = req.start_time if req.start_time is not None else int(time.time() * 1000)
    run = services.store.create_run(req.experiment_id, req.user_id, start_time, req.run_name, tags)
    return {"run": run}


@api.get("mlflow/runs/get", m.RunRef, quick=True, rule=r.run(r.READ))
def get_run(services: Services, req: m.RunRef) -> dict:
    return {"run": services.store.get_run(_run_id(req))}


@api.post("mlflow/runs/update", m.UpdateRun, quick=True, rule=r.run(r.EDIT))
def update_run(services: Services, req: m.UpdateRun) -> dict:
    status = None if req.status is None else check.run_status(req.status)
    check.max_length(req.run_name, check.MAX_RUN_NAME_LENGTH, "run_name")
    info = services.store.update_run(_run_id(req), status, req.end_time, req.run_name)
    return {"run_info": info}


@api.post("mlflow/runs/delete", m.RunRef, rule=r.run(r.MANAGE))
def delete_run(services: Services, req: m.RunRef) -> None:
    services.store.set_run_lifecycle(_run_id(req), DELETED)


@api.post("mlflow/runs/restore", m.RunRef, rule=r.run(r.MANAGE))
def restore_run(services: Services, req: m.RunRef) -> None:
    services.store.set_run_lifecycle(_run_id(req), ACTIVE)


def _checked_metrics(metrics: list[m.BatchMetric]) -> list[m.BatchMetric]:
    """MLflow's per-metric checks, in order; a key is checked once however often a batch
    repeats it (1000 points of one key would otherwise pay 1000 path normalisations)."""
    checked_keys: set[str] = set()
    for metric in metrics:
        if metric.key not in checked_keys:
            check.key(metric.key, "metric")
            checked_keys.add(metric.key)
        if metric.model_id:
            check.linked_metric(metric.dataset_name, metric.dataset_digest)
        if metric.value is None:
            raise check.invalid(
                f"Missing value for required parameter 'value' of metric '{metric.key}'."
            )
        if metric.timestamp is None:
            raise check.invalid(
                f"Missing value for required parameter 'timestamp' of metric '{metric.key}'."
            )
    return metrics


@api.post("mlflow/runs/log-metric", m.LogMetric, quick=True, rule=r.run(r.EDIT))
def log_metric(services: Services, req: m.LogMetric) -> None:
    metric = m.BatchMetric(
        key=req.key,
        value=req.value,
        timestamp=req.timestamp,
        step=req.step,
        model_id=req.model_id,
        dataset_name=req.dataset_name,
        dataset_digest=req.dataset_digest,
    )
    services.store.log_batch(_run_id(req), _checked_metrics([metric]), [], [])
    services.logged_models.link_metrics(_run_id(req), [metric])


@api.post("mlflow/runs/log-parameter", m.LogParam, quick=True, rule=r.run(r.EDIT))
def log_param(services: Services, req: m.LogParam) -> None:
    params = check.params([m.KeyValue(key=req.key, value=req.value)])
    services.store.log_batch(_run_id(req), [], params, [])


@api.post("mlflow/runs/set-tag", m.SetTag, quick=True, rule=r.run(r.EDIT))
def set_tag(services: Services, req: m.SetTag) -> None:
    tags = check.run_tags([m.KeyValue(key=req.key, value=req.value)])
    services.store.log_batch(_run_id(req), [], [], tags)


@api.post("mlflow/runs/delete-tag", m.DeleteTag, quick=True, rule=r.run(r.EDIT))
def delete_tag(services: Services, req: m.DeleteTag) -> None:
    check.require(req.key, "key")
    services.store.delete_tag(_run_id(req), req.key)


@api.post("mlflow/runs/log-batch", m.LogBatch, quick=True, rule=r.run(r.EDIT))
def log_batch(services: Services, req: m.LogBatch) -> None:
    run_id = _run_id(req)
    check.batch_limits(req.metrics, req.params, req.tags)
    metrics = _checked_metrics(req.metrics)
    services.store.log_batch(run_id, metrics, check.params(req.params), check.run_tags(req.tags))
    services.logged_models.link_metrics(run_id, metrics)


@api.post("mlflow/runs/log-inputs", m.LogInputs, quick=True, rule=r.run(r.EDIT))
def log_inputs(services: Services, req: m.LogInputs) -> None:
    run_id = _run_id(req)
    for item in req.datasets:
        check.require(item.dataset.name, "dataset.name")
        check.require(item.dataset.digest, "dataset.digest")
        check.max_length(item.dataset.name, check.MAX_DATASET_NAME_LENGTH, "name")
        check.max_length(item.dataset.digest, check.MAX_DATASET_DIGEST_LENGTH, "digest")
        check.max_length(
            item.dataset.source_type, check.MAX_DATASET_SOURCE_TYPE_LENGTH, "source_type"
        )
        for tag in item.tags:
            check.key(tag.key, "input tag")
    for model in req.models:
        check.require(model.model_id, "model_id")
        check.model_references(None, model.model_id)
    services.store.log_inputs(run_id, req.datasets, req.models)


@api.post("mlflow/runs/outputs", m.LogOutputs, quick=True, rule=r.run(r.EDIT))
def log_outputs(services: Services, req: m.LogOutputs) -> None:
    run_id = _run_id(req)
    for model in req.models:
        check.require(model.model_id, "model_id")
        check.model_references(None, model.model_id)
    services.store.log_outputs(run_id, req.models)


@api.post("mlflow/runs/search", m.SearchRuns, rule=r.FILTERED_RULE)
def search_runs(services: Services, req: m.SearchRuns, caller: Caller) -> dict:
    """Runs of the listed experiments the caller may read (the others are left out, as
    MLflow's auth app leaves them out)."""
    experiment_ids = caller.experiment_ids(check.experiment_ids(req.experiment_ids, "SearchRuns"))
    if not experiment_ids:
        return page("runs", [], None)
    runs, token = services.store.search_runs(
        experiment_ids=experiment_ids,
        view_type=check.view_type(req.run_view_type),
        **search_arguments(req, RUNS, check.MAX_RUNS_PER_SEARCH, "runs per page"),
    )
    return page("runs", runs, token)


@api.post("trackyard/runs/count", m.CountRuns, rule=r.FILTERED_RULE)
def count_runs(services: Services, req: m.CountRuns, caller: Caller) -> dict:
    """How many runs a runs/search with this scope and filter matches over all its pages
    (MLflow's search gives no total; the UI shows it beside a large experiment's table).
    Counts, as the search returns, only runs of experiments the caller may read."""
    experiment_ids = caller.experiment_ids(check.experiment_ids(req.experiment_ids, "CountRuns"))
    if not experiment_ids:
        return {"count": 0}
    clauses = check.filter_size(parse_filter(req.filter, RUNS))
    view_type = check.view_type(req.run_view_type)
    return {"count": services.store.count_runs(experiment_ids, clauses, view_type)}
