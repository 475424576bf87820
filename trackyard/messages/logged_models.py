"""MLflow 3 logged models: the LoggedModel* messages of service.proto."""

from __future__ import annotations

import msgspec

from .base import Message
from .tracking import KeyValue, Metric

LoggedModelTag = KeyValue
LoggedModelParameter = KeyValue

STATUS_NAMES = {
    0: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    1: "LOGGED_MODEL_PENDING",
    2: "LOGGED_MODEL_READY",
    3: "LOGGED_MODEL_UPLOAD_FAILED",
}
STATUS_NUMBERS = {name: number for number, name in STATUS_NAMES.items()}

# ---------------------------------------------------------------- entities


class LoggedModelRegistrationInfo(Message, kw_only=True):
    name: str
    version: str


class LoggedModelInfo(Message, kw_only=True):
    model_id: str
    experiment_id: str
    name: str
    creation_timestamp_ms: int | None = None
    last_updated_timestamp_ms: int | None = None
    artifact_uri: str | None = None
    status: str | None = None
    creator_id: int | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: list[LoggedModelTag] = []
    registrations: list[LoggedModelRegistrationInfo] = []


class LoggedModelData(Message, kw_only=True):
    params: list[LoggedModelParameter] = []
    metrics: list[Metric] = []


class LoggedModel(Message, kw_only=True):
    info: LoggedModelInfo
    data: LoggedModelData = msgspec.field(default_factory=LoggedModelData)


# ---------------------------------------------------------------- requests


class CreateLoggedModel(Message, kw_only=True):
    experiment_id: str = ""
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[LoggedModelParameter] = []
    tags: list[LoggedModelTag] = []


class LoggedModelRef(Message, kw_only=True):
    """GetLoggedModel and DeleteLoggedModel; the id comes from the path."""

    model_id: str = ""
    allow_deleted: bool = False


class FinalizeLoggedModel(Message, kw_only=True):
    model_id: str = ""
    status: str | int | None = None


class SetLoggedModelTags(Message, kw_only=True):
    model_id: str = ""
    tags: list[LoggedModelTag] = []


class DeleteLoggedModelTag(Message, kw_only=True):
    model_id: str = ""
    tag_key: str = ""


class LogLoggedModelParams(Message, kw_only=True):
    model_id: str = ""
    params: list[LoggedModelParameter] = []


class ListLoggedModelArtifacts(Message, kw_only=True):
    model_id: str = ""
    artifact_directory_path: str | None = None
    page_token: str = ""


class DatasetFilter(Message, kw_only=True):
    dataset_name: str = ""
    dataset_digest: str | None = None


class LoggedModelOrderBy(Message, kw_only=True):
    field_name: str = ""
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None


class SearchLoggedModels(Message, kw_only=True):
    experiment_ids: list[str] = []
    filter: str = ""
    datasets: list[DatasetFilter] = []
    max_results: int = 50
    order_by: list[LoggedModelOrderBy] = []
    page_token: str = ""
