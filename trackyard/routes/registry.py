"""The model registry: registered models, versions, stages, tags and aliases."""

from __future__ import annotations

from .. import validation as check
from ..access import rules as r
from ..access.guard import Caller
from ..dispatch import ApiRoutes
from ..messages import registry as m
from ..messages.tracking import KeyValue
from ..model_sources import resolve
from ..paging import page
from ..search.request import search_arguments
from ..search.schemas import MODEL_VERSIONS, REGISTERED_MODELS
from ..services import Services

api = ApiRoutes()
IS_PROMPT_TAG = "mlflow.prompt.is_prompt"


# ---------------------------------------------------------------- registered models


@api.post("mlflow/registered-models/create", m.CreateRegisteredModel, rule=r.CREATES_MODEL)
def create_registered_model(services: Services, req: m.CreateRegisteredModel) -> dict:
    model = services.registry.create_registered_model(
        check.new_model_name(req.name), check.registry_tags(req.tags), req.description
    )
    return {"registered_model": model}


@api.get("mlflow/registered-models/get", m.ModelName, rule=r.registered_model(r.READ))
def get_registered_model(services: Services, req: m.ModelName) -> dict:
    return {"registered_model": services.registry.get_registered_model(check.model_name(req.name))}


@api.post(
    "mlflow/registered-models/rename", m.RenameRegisteredModel, rule=r.registered_model(r.EDIT)
)
def rename_registered_model(services: Services, req: m.RenameRegisteredModel) -> dict:
    name = check.model_name(req.name)
    model = services.registry.rename_registered_model(
        name, check.new_model_name(req.new_name, "new_name")
    )
    return {"registered_model": model}


@api.patch(
    "mlflow/registered-models/update", m.UpdateRegisteredModel, rule=r.registered_model(r.EDIT)
)
def update_registered_model(services: Services, req: m.UpdateRegisteredModel) -> dict:
    name = check.model_name(req.name)
    return {"registered_model": services.registry.update_registered_model(name, req.description)}


@api.delete("mlflow/registered-models/delete", m.ModelName, rule=r.registered_model(r.MANAGE))
def delete_registered_model(services: Services, req: m.ModelName) -> None:
    services.registry.delete_registered_model(check.model_name(req.name))


def search_registered_models(
    services: Services, req: m.SearchRegisteredModels, caller: Caller
) -> dict:
    models, token = services.registry.search_registered_models(
        visible=caller.visible("registered_model"),
        **search_arguments(
            req,
            REGISTERED_MODELS,
            check.MAX_REGISTERED_MODELS_PER_SEARCH,
            "registered models per page",
        ),
    )
    return page("registered_models", models, token)


api.get("mlflow/registered-models/search", m.SearchRegisteredModels, rule=r.FILTERED_RULE)(
    search_registered_models
)


def get_latest_versions(services: Services, req: m.GetLatestVersions) -> dict:
    stages = [check.stage(stage) for stage in req.stages]
    versions = services.registry.get_latest_versions(check.model_name(req.name), stages)
    return {"model_versions": versions}


api.post(
    "mlflow/registered-models/get-latest-versions",
    m.GetLatestVersions,
    rule=r.registered_model(r.READ),
)(get_latest_versions)
api.get(
    "mlflow/registered-models/get-latest-versions",
    m.GetLatestVersions,
    rule=r.registered_model(r.READ),
)(get_latest_versions)


@api.post(
    "mlflow/registered-models/set-tag", m.SetRegisteredModelTag, rule=r.registered_model(r.EDIT)
)
def set_registered_model_tag(services: Services, req: m.SetRegisteredModelTag) -> None:
    value = "" if req.value is None else req.value
    check.registry_tag(req.key, value)
    services.registry.set_registered_model_tag(check.model_name(req.name), req.key, value)


@api.delete(
    "mlflow/registered-models/delete-tag",
    m.DeleteRegisteredModelTag,
    rule=r.registered_model(r.EDIT),
)
def delete_registered_model_tag(services: Services, req: m.DeleteRegisteredModelTag) -> None:
    check.key(req.key, "tag")
    services.registry.delete_registered_model_tag(check.model_name(req.name), req.key)


# ---------------------------------------------------------------- aliases


@api.post(
    "mlflow/registered-models/alias", m.SetRegisteredModelAlias, rule=r.registered_model(r.EDIT)
)
def set_registered_model_alias(services: Services, req: m.SetRegisteredModelAlias) -> None:
    name = check.model_name(req.name)
    alias = check.alias(req.alias, reserved=True)
    services.registry.set_registered_model_alias(name, alias, check.model_version(req.version))


@api.delete(
    "mlflow/registered-models/alias", m.RegisteredModelAliasRef, rule=r.registered_model(r.EDIT)
)
def delete_registered_model_alias(services: Services, req: m.RegisteredModelAliasRef) -> None:
    services.registry.delete_registered_model_alias(
        check.model_name(req.name), check.alias(req.alias)
    )


@api.get(
    "mlflow/registered-models/alias", m.RegisteredModelAliasRef, rule=r.registered_model(r.READ)
)
def get_model_version_by_alias(services: Services, req: m.RegisteredModelAliasRef) -> dict:
    version = services.registry.get_model_version_by_alias(
        check.model_name(req.name), check.alias(req.alias)
    )
    return {"model_version": version}


# ---------------------------------------------------------------- model versions


def _is_prompt(tags: list[KeyValue]) -> bool:
    return ({tag.key: tag.value for tag in tags}.get(IS_PROMPT_TAG) or "").lower() == "true"


@api.post("mlflow/model-versions/create", m.CreateModelVersion, rule=r.registered_model(r.EDIT))
def create_model_version(services: Services, req: m.CreateModelVersion) -> dict:
    name = check.model_name(req.name)
    check.require(req.source, "source")
    check.model_references(req.run_id, req.model_id)
    tags = check.registry_tags(req.tags)
    prompt = _is_prompt(tags)
    if prompt:  # a prompt's "source" is a pointer in its own namespace, not files
        source, storage, run_id, model_id = req.source, req.source, req.run_id, req.model_id
    else:
        resolved = resolve(services, req.source, req.run_id, req.model_id)
        source, storage = resolved.source, resolved.storage_location
        run_id, model_id = resolved.run_id, resolved.model_id
    version = services.registry.create_model_version(
        name, source, storage, run_id, tags, req.run_link, req.description, model_id
    )
    if model_id and not prompt:
        services.logged_models.add_model_version(model_id, name, version.version)
    return {"model_version": version}


def _version(req: m.ModelVersionRef) -> tuple[str, int]:
    return check.model_name(req.name), check.model_version(req.version)


@api.get("mlflow/model-versions/get", m.ModelVersionRef, rule=r.registered_model(r.READ))
def get_model_version(services: Services, req: m.ModelVersionRef) -> dict:
    return {"model_version": services.registry.get_model_version(*_version(req))}


@api.patch("mlflow/model-versions/update", m.UpdateModelVersion, rule=r.registered_model(r.EDIT))
def update_model_version(services: Services, req: m.UpdateModelVersion) -> dict:
    version = services.registry.update_model_version(*_version(req), req.description)
    return {"model_version": version}


@api.post(
    "mlflow/model-versions/transition-stage",
    m.TransitionModelVersionStage,
    rule=r.registered_model(r.EDIT),
)
def transition_model_version_stage(services: Services, req: m.TransitionModelVersionStage) -> dict:
    name, number = _version(req)
    stage = check.stage(req.stage)
    if req.archive_existing_versions and stage not in check.ACTIVE_STAGES:
        raise check.invalid(
            f"Model version transition cannot archive existing model versions because "
            f"'{req.stage}' is not an Active stage. Valid stages are {list(check.ACTIVE_STAGES)}"
        )
    version = services.registry.transition_model_version_stage(
        name, number, stage, req.archive_existing_versions
    )
    return {"model_version": version}


@api.delete("mlflow/model-versions/delete", m.ModelVersionRef, rule=r.registered_model(r.MANAGE))
def delete_model_version(services: Services, req: m.ModelVersionRef) -> None:
    services.registry.delete_model_version(*_version(req))


@api.get(
    "mlflow/model-versions/get-download-uri", m.ModelVersionRef, rule=r.registered_model(r.READ)
)
def get_model_version_download_uri(services: Services, req: m.ModelVersionRef) -> dict:
    return {"artifact_uri": services.registry.get_model_version_download_uri(*_version(req))}


def search_model_versions(services: Services, req: m.SearchModelVersions, caller: Caller) -> dict:
    versions, token = services.registry.search_model_versions(
        visible=caller.visible("registered_model"),
        **search_arguments(
            req, MODEL_VERSIONS, check.MAX_MODEL_VERSIONS_PER_SEARCH, "model versions per page"
        ),
    )
    return page("model_versions", versions, token)


api.get("mlflow/model-versions/search", m.SearchModelVersions, rule=r.FILTERED_RULE)(
    search_model_versions
)


@api.post("mlflow/model-versions/set-tag", m.SetModelVersionTag, rule=r.registered_model(r.EDIT))
def set_model_version_tag(services: Services, req: m.SetModelVersionTag) -> None:
    value = "" if req.value is None else req.value
    check.registry_tag(req.key, value)
    services.registry.set_model_version_tag(*_version(req), req.key, value)


@api.delete(
    "mlflow/model-versions/delete-tag", m.DeleteModelVersionTag, rule=r.registered_model(r.EDIT)
)
def delete_model_version_tag(services: Services, req: m.DeleteModelVersionTag) -> None:
    check.key(req.key, "tag")
    services.registry.delete_model_version_tag(*_version(req), req.key)
