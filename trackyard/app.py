"""The ASGI application: routes from every API area, one error model, stores opened once."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .config import ServerConfig
from .errors import ApiError
from .routes import experiments, meta, metrics, runs
from .services import Services
from .store import open_store
from .wire import error_response

CONFIG_ENV = "TRACKYARD_SERVER_CONFIG"
logger = logging.getLogger("trackyard")


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "ENDPOINT_NOT_FOUND", 405: "BAD_REQUEST"}.get(error.status_code, "BAD_REQUEST")
    message = f"{request.method} {request.url.path}: {error.detail}"
    response = error_response(ApiError(message, code))
    response.status_code = error.status_code
    return response


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("Unexpected error on %s %s", request.method, request.url.path)
    return error_response(ApiError(f"Internal error: {type(error).__name__}", "INTERNAL_ERROR"))


def create_app(config: ServerConfig) -> Starlette:
    store = open_store(config.backend_store_uri, config.experiment_artifact_root)
    routes = [
        *meta.routes(),
        *experiments.api.routes(),
        *runs.api.routes(),
        *metrics.api.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )
    app.state.services = Services(config=config, store=store)
    return app


def app_from_environment() -> Starlette:
    """Factory for uvicorn workers, which rebuild the app in each process from the config."""
    return create_app(ServerConfig(**json.loads(os.environ[CONFIG_ENV])))


def config_to_environment(config: ServerConfig) -> None:
    os.environ[CONFIG_ENV] = json.dumps(asdict(config))
