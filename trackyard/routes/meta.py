"""Health, version and server capabilities: what clients ask before anything else."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .. import MLFLOW_COMPATIBLE_VERSION
from ..access import rules as r
from ..dispatch import ApiRoutes
from ..wire import JSONResponse

api = ApiRoutes()


@api.route("/health", rule=r.OPEN_RULE)
async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


@api.route("/version", rule=r.OPEN_RULE)
async def version(request: Request) -> Response:
    return PlainTextResponse(MLFLOW_COMPATIBLE_VERSION)


@api.route(
    *(f"/{prefix}/3.0/mlflow/server-info" for prefix in ("api", "ajax-api")), rule=r.OPEN_RULE
)
async def server_info(request: Request) -> Response:
    services = request.app.state.services
    # Every destination takes multipart uploads through the proxy (trackyard.routes.artifacts);
    # downloads are plain streamed GETs with Range support, never presigned URLs.
    proxying = services.config.serve_artifacts and services.artifacts is not None
    return JSONResponse(
        {
            "store_type": "SqlStore",
            "workspaces_enabled": False,
            "multipart_uploads_enabled": proxying,
            "multipart_downloads_enabled": False,
        }
    )
