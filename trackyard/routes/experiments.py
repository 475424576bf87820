"""Experiments: create, get, search, rename, delete, restore, tags."""

from __future__ import annotations

from .. import validation as check
from ..access import rules as r
from ..access.guard import Caller
from ..artifacts.paths import resolve_if_local
from ..dispatch import ApiRoutes
from ..errors import not_found
from ..messages import tracking as m
from ..paging import page
from ..search.request import search_arguments
from ..search.schemas import EXPERIMENTS
from ..services import Services
from ..store.lifecycle import ACTIVE, DELETED

api = ApiRoutes()


@api.post("mlflow/experiments/create", m.CreateExperiment, rule=r.CREATES_EXPERIMENT)
def create_experiment(services: Services, req: m.CreateExperiment) -> dict:
    name = check.experiment_name(req.name)
    for tag in req.tags:
        check.key(tag.key, "tag")
        check.max_length(tag.value, check.MAX_EXPERIMENT_TAG_VALUE_LENGTH, "value")
    location = resolve_if_local(req.artifact_location) if req.artifact_location else None
    experiment_id = services.store.create_experiment(name, location, req.tags)
    return {"experiment_id": experiment_id}


@api.get("mlflow/experiments/get", m.GetExperiment, quick=True, rule=r.experiment(r.READ))
def get_experiment(services: Services, req: m.GetExperiment) -> dict:
    check.require(req.experiment_id, "experiment_id")
    return {"experiment": services.store.get_experiment(req.experiment_id)}


@api.get(
    "mlflow/experiments/get-by-name",
    m.GetExperimentByName,
    quick=True,
    rule=r.on("experiment_name", r.READ, "experiment_name"),
)
def get_experiment_by_name(services: Services, req: m.GetExperimentByName) -> dict:
    check.require(req.experiment_name, "experiment_name")
    experiment = services.store.get_experiment_by_name(req.experiment_name)
    if experiment is None:
        raise not_found(f"Could not find experiment with name '{req.experiment_name}'")
    return {"experiment": experiment}


def search_experiments(services: Services, req: m.SearchExperiments, caller: Caller) -> dict:
    experiments, token = services.store.search_experiments(
        view_type=check.view_type(req.view_type),
        visible=caller.visible("experiment"),
        **search_arguments(
            req, EXPERIMENTS, check.MAX_EXPERIMENTS_PER_SEARCH, "experiments per page"
        ),
    )
    return page("experiments", experiments, token)


api.post("mlflow/experiments/search", m.SearchExperiments, rule=r.FILTERED_RULE)(search_experiments)
api.get("mlflow/experiments/search", m.SearchExperiments, rule=r.FILTERED_RULE)(search_experiments)


@api.post("mlflow/experiments/update", m.UpdateExperiment, rule=r.experiment(r.EDIT))
def update_experiment(services: Services, req: m.UpdateExperiment) -> None:
    check.require(req.experiment_id, "experiment_id")
    services.store.rename_experiment(req.experiment_id, check.experiment_name(req.new_name))


@api.post("mlflow/experiments/delete", m.ExperimentId, rule=r.experiment(r.MANAGE))
def delete_experiment(services: Services, req: m.ExperimentId) -> None:
    check.require(req.experiment_id, "experiment_id")
    services.store.set_experiment_lifecycle(req.experiment_id, DELETED)


@api.post("mlflow/experiments/restore", m.ExperimentId, rule=r.experiment(r.MANAGE))
def restore_experiment(services: Services, req: m.ExperimentId) -> None:
    check.require(req.experiment_id, "experiment_id")
    services.store.set_experiment_lifecycle(req.experiment_id, ACTIVE)


@api.post("mlflow/experiments/set-experiment-tag", m.SetExperimentTag, rule=r.experiment(r.EDIT))
def set_experiment_tag(services: Services, req: m.SetExperimentTag) -> None:
    check.require(req.experiment_id, "experiment_id")
    check.key(req.key, "tag")
    check.max_length(req.value, check.MAX_EXPERIMENT_TAG_VALUE_LENGTH, "value")
    services.store.set_experiment_tag(req.experiment_id, req.key, req.value)


@api.post(
    "mlflow/experiments/delete-experiment-tag", m.DeleteExperimentTag, rule=r.experiment(r.EDIT)
)
def delete_experiment_tag(services: Services, req: m.DeleteExperimentTag) -> None:
    check.require(req.experiment_id, "experiment_id")
    check.require(req.key, "key")
    services.store.delete_experiment_tag(req.experiment_id, req.key)
