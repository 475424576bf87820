"""Downloading one file of a registered model version or a logged model, as a web UI does.

`/model-versions/get-artifact?name=&version=&path=` and
`/ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files?artifact_file_path=` are not part of
MLflow's REST protos, but its UI uses them to show a model's files; both stream from the
artifact destination behind the proxy.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import validation as check
from ..access import rules as r
from ..artifacts import Located, locate
from ..artifacts.paths import clean_path, join, redact
from ..dispatch import ApiRoutes
from ..errors import ApiError, invalid
from ..services import Services
from .artifacts import send_artifact

api = ApiRoutes()


def artifact_root(services: Services, uri: str) -> Located:
    """The repository and folder a stored artifact URI (or `runs:/`) names: inside our
    destination, or inside the local folder configured as default artifact root."""
    if uri.startswith("runs:/"):
        run_id, _, rest = uri[len("runs:/") :].partition("/")
        run_uri = services.store.get_run(run_id).info.artifact_uri or ""
        uri = f"{run_uri.rstrip('/')}/{rest}" if rest else run_uri
    located = locate(services.config, services.artifacts, uri)
    if located is None:
        raise ApiError(
            f"This server cannot read artifacts at {redact(uri)}: they are outside its "
            "artifact destination",
            "NOT_IMPLEMENTED",
        )
    return located


def _version_root(services: Services, name: str, version: int) -> Located:
    return artifact_root(services, services.registry.get_model_version_download_uri(name, version))


def _logged_model_root(services: Services, model_id: str) -> Located:
    return artifact_root(services, services.logged_models.get(model_id).info.artifact_uri or "")


@api.route("/model-versions/get-artifact", rule=r.registered_model(r.READ, r.query("name")))
async def model_version_file(request: Request) -> Response:
    services: Services = request.app.state.services
    params = request.query_params
    path = clean_path(params.get("path"))  # before the version is looked up, as MLflow checks
    name = check.model_name(params.get("name", ""))
    version = check.model_version(params.get("version", ""))
    repository, root = await run_in_threadpool(_version_root, services, name, version)
    return await send_artifact(request, repository, join(root, path))


@api.route(
    *(
        f"/{prefix}/2.0/mlflow/logged-models/{{model_id}}/artifacts/files"
        for prefix in ("ajax-api", "api")
    ),
    rule=r.logged_model(r.READ, r.path_param("model_id")),
)
async def logged_model_file(request: Request) -> Response:
    services: Services = request.app.state.services
    path = request.query_params.get("artifact_file_path")
    if not path:
        raise invalid('Request must include the "artifact_file_path" query parameter.')
    path = clean_path(path)
    model_id = request.path_params["model_id"]
    repository, root = await run_in_threadpool(_logged_model_root, services, model_id)
    return await send_artifact(request, repository, join(root, path))
