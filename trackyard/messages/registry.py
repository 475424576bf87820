"""Registered models, model versions, tags and aliases: MLflow's model_registry.proto."""

from __future__ import annotations

from .base import Message
from .tracking import KeyValue

RegisteredModelTag = KeyValue
ModelVersionTag = KeyValue

# ---------------------------------------------------------------- entities


class RegisteredModelAlias(Message, kw_only=True):
    alias: str
    version: str


class ModelVersion(Message, kw_only=True):
    name: str
    version: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    user_id: str | None = None
    current_stage: str | None = None
    description: str | None = None
    source: str | None = None
    run_id: str | None = None
    status: str | None = None
    status_message: str | None = None
    tags: list[ModelVersionTag] = []
    run_link: str | None = None
    aliases: list[str] = []
    model_id: str | None = None


class RegisteredModel(Message, kw_only=True):
    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    user_id: str | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = []
    tags: list[RegisteredModelTag] = []
    aliases: list[RegisteredModelAlias] = []


# ---------------------------------------------------------------- registered model requests


class ModelName(Message, kw_only=True):
    """GetRegisteredModel and DeleteRegisteredModel."""

    name: str = ""


class CreateRegisteredModel(Message, kw_only=True):
    name: str = ""
    tags: list[RegisteredModelTag] = []
    description: str | None = None
    deployment_job_id: str | None = None


class RenameRegisteredModel(Message, kw_only=True):
    name: str = ""
    new_name: str = ""


class UpdateRegisteredModel(Message, kw_only=True):
    name: str = ""
    description: str | None = None
    deployment_job_id: str | None = None


class SearchRegisteredModels(Message, kw_only=True):
    filter: str = ""
    max_results: int = 100
    order_by: list[str] = []
    page_token: str = ""


class GetLatestVersions(Message, kw_only=True):
    name: str = ""
    stages: list[str] = []


class SetRegisteredModelTag(Message, kw_only=True):
    name: str = ""
    key: str = ""
    value: str | None = None


class DeleteRegisteredModelTag(Message, kw_only=True):
    name: str = ""
    key: str = ""


class SetRegisteredModelAlias(Message, kw_only=True):
    name: str = ""
    alias: str = ""
    version: str = ""


class RegisteredModelAliasRef(Message, kw_only=True):
    """DeleteRegisteredModelAlias and GetModelVersionByAlias."""

    name: str = ""
    alias: str = ""


# ---------------------------------------------------------------- model version requests


class CreateModelVersion(Message, kw_only=True):
    name: str = ""
    source: str = ""
    run_id: str | None = None
    tags: list[ModelVersionTag] = []
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None


class ModelVersionRef(Message, kw_only=True):
    """GetModelVersion, DeleteModelVersion and GetModelVersionDownloadUri."""

    name: str = ""
    version: str | int = ""


class UpdateModelVersion(ModelVersionRef, kw_only=True):
    description: str | None = None


class TransitionModelVersionStage(ModelVersionRef, kw_only=True):
    stage: str = ""
    archive_existing_versions: bool = False


class SearchModelVersions(Message, kw_only=True):
    filter: str = ""
    max_results: int = 200_000
    order_by: list[str] = []
    page_token: str = ""


class SetModelVersionTag(ModelVersionRef, kw_only=True):
    key: str = ""
    value: str | None = None


class DeleteModelVersionTag(ModelVersionRef, kw_only=True):
    key: str = ""
