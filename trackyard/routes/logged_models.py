"""MLflow 3 logged models: what `log_model` and autologging create before uploading files."""

from __future__ import annotations

from .. import validation as check
from ..access import rules as r
from ..access.guard import Caller
from ..artifacts.paths import clean_path, join
from ..dispatch import ApiRoutes
from ..messages import logged_models as m
from ..paging import page
from ..search.grammar import parse_filter
from ..search.schemas import LOGGED_MODELS
from ..services import Services
from ..store.logged_models import COLUMNS, DatasetScope, ModelOrder
from .model_files import artifact_root

api = ApiRoutes()
BASE = "mlflow/logged-models"
FINAL_STATUSES = ("LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED")


def _model_id(model_id: str) -> str:
    check.require(model_id, "model_id")
    return model_id


@api.post(BASE, m.CreateLoggedModel, rule=r.experiment(r.EDIT))
def create_logged_model(services: Services, req: m.CreateLoggedModel) -> dict:
    check.require(req.experiment_id, "experiment_id")
    check.logged_model_name(req.name or None)
    check.max_length(req.model_type, check.MAX_MODEL_TYPE_LENGTH, "model_type")
    check.max_length(req.source_run_id, check.MAX_RUN_ID_LENGTH, "source_run_id")
    model = services.logged_models.create(
        experiment_id=req.experiment_id,
        name=req.name or None,
        model_type=req.model_type,
        source_run_id=req.source_run_id,
        params=check.params(req.params),
        tags=check.registry_tags(req.tags),
    )
    return {"model": model}


@api.get(BASE + "/{model_id}", m.LoggedModelRef, rule=r.logged_model(r.READ))
def get_logged_model(services: Services, req: m.LoggedModelRef) -> dict:
    return {"model": services.logged_models.get(_model_id(req.model_id), req.allow_deleted)}


def _status(value: str | int | None) -> int:
    name = m.STATUS_NAMES.get(value, "") if isinstance(value, int) else str(value or "")
    if name.isdigit():
        name = m.STATUS_NAMES.get(int(name), "")
    if name not in FINAL_STATUSES:
        raise check.invalid(
            f"Invalid status '{value}' for a finalized logged model: use one of "
            f"{list(FINAL_STATUSES)}."
        )
    return m.STATUS_NUMBERS[name]


@api.patch(BASE + "/{model_id}", m.FinalizeLoggedModel, rule=r.logged_model(r.EDIT))
def finalize_logged_model(services: Services, req: m.FinalizeLoggedModel) -> dict:
    model = services.logged_models.finalize(_model_id(req.model_id), _status(req.status))
    return {"model": model}


@api.delete(BASE + "/{model_id}", m.LoggedModelRef, rule=r.logged_model(r.MANAGE))
def delete_logged_model(services: Services, req: m.LoggedModelRef) -> None:
    services.logged_models.delete(_model_id(req.model_id))


@api.patch(BASE + "/{model_id}/tags", m.SetLoggedModelTags, rule=r.logged_model(r.EDIT))
def set_logged_model_tags(services: Services, req: m.SetLoggedModelTags) -> None:
    services.logged_models.set_tags(_model_id(req.model_id), check.registry_tags(req.tags))


@api.delete(
    BASE + "/{model_id}/tags/{tag_key:path}", m.DeleteLoggedModelTag, rule=r.logged_model(r.EDIT)
)
def delete_logged_model_tag(services: Services, req: m.DeleteLoggedModelTag) -> None:
    check.require(req.tag_key, "tag_key")
    services.logged_models.delete_tag(_model_id(req.model_id), req.tag_key)


@api.post(BASE + "/{model_id}/params", m.LogLoggedModelParams, rule=r.logged_model(r.EDIT))
def log_logged_model_params(services: Services, req: m.LogLoggedModelParams) -> None:
    check.batch_limits([], req.params, [])
    services.logged_models.log_params(_model_id(req.model_id), check.params(req.params))


def _order(item: m.LoggedModelOrderBy) -> ModelOrder:
    field = item.field_name.strip()
    if not field:
        raise check.invalid("`field_name` in the `order_by` clause must be specified.")
    dataset = None
    if item.dataset_name:
        dataset = DatasetScope(item.dataset_name, item.dataset_digest or None)
    elif item.dataset_digest:
        raise check.invalid(
            "`dataset_digest` can only be specified if `dataset_name` is also specified."
        )
    if "." in field:
        if field.split(".", 1)[0] != "metrics":
            raise check.invalid(
                f"Invalid order by field name: {field}, only `metrics.<name>` is allowed."
            )
        return ModelOrder(field, item.ascending, dataset)
    canonical = LOGGED_MODELS.attributes.get(field, (field, ""))[0]
    if canonical not in COLUMNS:
        raise check.invalid(f"Invalid order by field name: {field}.")
    return ModelOrder(canonical, item.ascending, dataset)


@api.post(BASE + "/search", m.SearchLoggedModels, rule=r.FILTERED_RULE)
def search_logged_models(services: Services, req: m.SearchLoggedModels, caller: Caller) -> dict:
    check.require(req.experiment_ids, "experiment_ids")
    if any(not dataset.dataset_name for dataset in req.datasets):
        raise check.invalid("`dataset_name` in the `datasets` clause must be specified.")
    models, token = services.logged_models.search(
        experiment_ids=caller.experiment_ids(
            check.experiment_ids(req.experiment_ids, "SearchLoggedModels")
        ),
        clauses=check.filter_size(parse_filter(req.filter, LOGGED_MODELS)),
        datasets=[DatasetScope(d.dataset_name, d.dataset_digest or None) for d in req.datasets],
        max_results=check.max_results(
            req.max_results or 50, check.MAX_LOGGED_MODELS_PER_SEARCH, "logged models per page"
        ),
        order_by=[_order(item) for item in req.order_by],
        page_token=req.page_token,
    )
    return page("models", models, token)


@api.get(
    BASE + "/{model_id}/artifacts/directories",
    m.ListLoggedModelArtifacts,
    rule=r.logged_model(r.READ),
)
def list_logged_model_artifacts(services: Services, req: m.ListLoggedModelArtifacts) -> dict:
    """One folder of the model's files, with paths relative to the model's artifact root."""
    folder = clean_path(req.artifact_directory_path)  # before the model, as MLflow checks
    root_uri = services.logged_models.get(_model_id(req.model_id)).info.artifact_uri or ""
    repository, root = artifact_root(services, root_uri)
    files = [
        {
            "path": join(folder, entry.name),
            "is_dir": entry.is_dir,
            **({} if entry.is_dir or entry.size is None else {"file_size": entry.size}),
        }
        for entry in repository.list_folder(join(root, folder))
    ]
    return {"root_uri": root_uri, "files": files}
