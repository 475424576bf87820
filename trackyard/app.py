"""The ASGI application: routes from every API area, one error model, stores opened once."""

from __future__ import annotations

import gc
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from functools import partial

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .access.guard import Access
from .access.options import default_level
from .artifacts import experiment_root, open_repository
from .config import ServerConfig
from .dispatch import ApiApp, IndexedRouter
from .errors import ApiError, http_error, internal_error
from .limits import BodyBudget
from .prefix import PathPrefix
from .routes import AREAS
from .security import BrowserGuard, BrowserPolicy
from .services import Services
from .store import open_database, open_model_stores, open_store
from .store.db import Database
from .store.traces import TraceStore
from .wire import error_response

CONFIG_ENV = "TRACKYARD_SERVER_CONFIG"
logger = logging.getLogger("trackyard")


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error, request.scope["path"])


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return error_response(
        http_error(request.method, request.url.path, error.status_code, error.detail)
    )


class UnexpectedErrors:
    """Answer a bug with MLflow's INTERNAL_ERROR shape and keep the connection usable.

    Starlette's own catch-all handler re-raises after responding, which makes uvicorn drop
    the keep-alive connection under the client's next request; this middleware does not.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception as error:
            logger.exception("Unexpected error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            await error_response(internal_error(error))(scope, receive, send)


@asynccontextmanager
async def _lifespan(database: Database, services: Services, app: Starlette) -> AsyncIterator[None]:
    """Before serving, freeze the start-up's objects; close the stores when the server
    stops: SQLite then folds its write-ahead log into the database file, and pooled
    connections say goodbye instead of being dropped."""
    freeze_startup_objects()
    yield
    repository = services.artifacts
    if repository is not None:
        await run_in_threadpool(repository.close)
    await run_in_threadpool(database.close)


def freeze_startup_objects() -> None:
    """Move every object alive now (modules, routes, the stores' caches: some 46,000 in a
    fresh server, living as long as it) out of the garbage collector's reach, so that a full
    collection walks only what came after. Under the team workload (issue 23) the readers'
    pages made full collections frequent, about one every 1.5 s, and each held the
    interpreter for 24-72 ms, stopping every request; frozen, they take 1-4 ms."""
    gc.collect()
    gc.freeze()


def create_app(config: ServerConfig, database: Database | None = None) -> ASGIApp:
    """The app over the backend store's `database`, opened here unless the caller did."""
    if database is None:
        database = open_database(config.backend_store_uri, migrate=not config.no_migrate)
    store = open_store(database, experiment_root(config))
    registry_store, logged_model_store = open_model_stores(database)
    services = Services(
        config=config,
        store=store,
        registry=registry_store,
        logged_models=logged_model_store,
        traces=TraceStore(database),
        artifacts=open_repository(config),
        access=Access(database, default_level(config)) if config.auth else None,
    )
    app = Starlette(
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
        middleware=[Middleware(UnexpectedErrors)],
    )
    app.router = IndexedRouter(
        [route for area in AREAS for route in area.routes()],
        lifespan=partial(_lifespan, database, services),
    )
    app.state.services = services
    app.state.body_budget = BodyBudget(config.max_body_memory_mb * 2**20)
    api = ApiApp(
        AREAS,
        services,
        fallback=app,
        body_budget=app.state.body_budget,
        in_process=database.in_process,
    )
    policy = BrowserPolicy.create(config.host, config.allowed_hosts, config.cors_allowed_origins)
    return _operated(BrowserGuard(api, policy), config, database, app, api)


def _operated(
    guarded: ASGIApp, config: ServerConfig, database: Database, app: Starlette, api: ApiApp
) -> ASGIApp:
    """The operator's switches around the app: Prometheus counts every answer (the guard's
    refusals too), and a path prefix comes off before anything else sees the path."""
    app.state.prometheus = None
    if config.expose_prometheus:
        from .prometheus import Instrumented, Metrics, route_template

        app.state.prometheus = Metrics(database)
        template = route_template(app.routes, frozenset(api.by_route))
        guarded = Instrumented(guarded, app.state.prometheus, template)
    return PathPrefix(guarded, config.static_prefix) if config.static_prefix else guarded


def app_from_environment() -> ASGIApp:
    """Factory for uvicorn workers, which rebuild the app in each process from the config."""
    return create_app(ServerConfig.from_json(json.loads(os.environ[CONFIG_ENV])))


def config_to_environment(config: ServerConfig) -> None:
    os.environ[CONFIG_ENV] = json.dumps(asdict(config))
