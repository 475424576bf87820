"""How requests reach the endpoints that the route modules (`trackyard.routes`) declare.

Each API area declares its endpoints on an `ApiRoutes` collector: typed JSON endpoints as plain
functions taking the server's `Services` and a request message and returning a message (or
dict), and raw Starlette endpoints (streams, files, pages) with `route`. Every typed endpoint
answers under both `/api/<version>/` and the `/ajax-api/<version>/` alias that MLflow's own UI
uses, and runs its (blocking) store call in a worker thread so that the event loop stays free
for other requests.

Endpoints with fixed paths, which is nearly all of them and every one a training loop calls, are
served by `ApiApp` in front of Starlette: one dict lookup and raw ASGI messages, because
Starlette's pattern-by-pattern routing, request objects and anyio thread hop cost more than the
rest of a log-metric call. Paths with parameters are served by Starlette routes.

An endpoint declared `quick` (bounded work: a training loop's log and get calls) runs on the
event loop itself when it is the only request in flight and the database lives in this process
(SQLite): handing it to a thread and back costs more than the call (two context switches, and
the GIL passed twice), and with nothing else in flight nobody waits for the loop meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partialmethod
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, internal_error
from .limits import BodyBudget

if TYPE_CHECKING:
    from .services import Services
from .wire import (
    JSONResponse,
    decode_message,
    encode_json,
    read_body,
    read_message,
    refuse_nul,
)

M = TypeVar("M")
# A typed endpoint: the server's Services and the decoded request message in, a message out.
Handler = Callable[["Services", M], object]
RawEndpoint = Callable[[Request], Awaitable[Response]]
logger = logging.getLogger("trackyard")
# Worker threads for store calls; more than the PostgreSQL pool, so the pool is what queues.
API_THREADS = 32


@dataclass(frozen=True)
class Endpoint(Generic[M]):
    method: str
    path: str
    request_type: type[M]
    handler: Handler[M]
    versions: Sequence[str]
    quick: bool

    @property
    def has_parameters(self) -> bool:
        return "{" in self.path

    def urls(self) -> list[str]:
        return [
            f"/{prefix}/{version}/{self.path}"
            for prefix in ("api", "ajax-api")
            for version in self.versions
        ]

    def starlette_routes(self) -> list[Route]:
        request_type, handler = self.request_type, self.handler

        async def endpoint(request: Request) -> Response:
            message: Any = await read_message(request, request_type)
            if request.path_params:
                refuse_nul(request.path_params)
                message = msgspec.structs.replace(message, **request.path_params)
            result = await run_in_threadpool(handler, request.app.state.services, message)
            return JSONResponse({} if result is None else result)

        endpoint.__name__ = handler.__name__
        return [Route(url, endpoint, methods=[self.method]) for url in self.urls()]


class ApiRoutes:
    """Collects the endpoints of one API area: typed JSON endpoints and raw routes."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint[Any]] = []
        self.raw: list[BaseRoute] = []

    def endpoint(
        self,
        method: str,
        path: str,
        request_type: type[M],
        versions: Sequence[str] = ("2.0",),
        quick: bool = False,
    ) -> Callable[[Handler[M]], Handler[M]]:
        """Declare the decorated handler as `method path`; `quick`: see the module's docstring."""

        def decorate(handler: Handler[M]) -> Handler[M]:
            self.endpoints.append(Endpoint(method, path, request_type, handler, versions, quick))
            return handler

        return decorate

    get = partialmethod(endpoint, "GET")
    post = partialmethod(endpoint, "POST")
    patch = partialmethod(endpoint, "PATCH")
    delete = partialmethod(endpoint, "DELETE")

    def route(self, *paths: str, methods: Sequence[str] = ("GET",)) -> Callable:
        """Declare the decorated Starlette endpoint at each of `paths`."""

        def decorate(endpoint: RawEndpoint) -> RawEndpoint:
            self.raw += [Route(path, endpoint, methods=list(methods)) for path in paths]
            return endpoint

        return decorate

    def mount(self, route: BaseRoute) -> None:
        """Add a route that is not one endpoint (a Mount of static files)."""
        self.raw.append(route)

    def routes(self) -> list[BaseRoute]:
        """Starlette routes for every endpoint: `ApiApp` answers the typed fixed paths first,
        and these serve the rest and say 405 to a known path's wrong method."""
        typed = [route for endpoint in self.endpoints for route in endpoint.starlette_routes()]
        return [*typed, *self.raw]


class ApiApp:
    """Serves the fixed-path JSON endpoints; everything else goes on to `fallback`.

    `quick_inline`: whether a lone quick call may run on the event loop (see above).
    """

    def __init__(
        self,
        areas: Sequence[ApiRoutes],
        services: Any,
        fallback: ASGIApp,
        body_budget: BodyBudget,
        quick_inline: bool = False,
    ) -> None:
        self.services = services
        self.fallback = fallback
        self.body_budget = body_budget
        self.quick_inline = quick_inline
        self.in_flight = 0  # HTTP requests of any path being served
        self.threads = StoreThreads(API_THREADS)
        self.by_route = {
            (endpoint.method, url): endpoint
            for area in areas
            for endpoint in area.endpoints
            if not endpoint.has_parameters
            for url in endpoint.urls()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._serve(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.body_budget.refund(scope)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.by_route.get((scope["method"], scope["path"]))
        if endpoint is None:  # includes a known path with another method: Starlette says 405
            await self.fallback(scope, receive, send)
            return
        extra: list[tuple[bytes, bytes]] = []
        try:
            status, body = 200, await self._call(endpoint, scope, receive)
        except ClientDisconnect:
            return
        except Exception as error:
            if not isinstance(error, ApiError):
                logger.exception("Unexpected error on %s %s", scope["method"], scope["path"])
                error = internal_error(error)
            status, body = error.status, encode_json(error.to_dict())
            extra = [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _call(self, endpoint: Endpoint, scope: Scope, receive: Receive) -> bytes:
        if scope["method"] == "GET":
            body = b""
        else:
            body = await read_body(scope, receive, self.body_budget)
        query = scope["query_string"].decode("latin-1")
        message: Any = decode_message(scope["method"], query, body, endpoint.request_type)
        if endpoint.quick and self.quick_inline and self.in_flight == 1:
            result = endpoint.handler(self.services, message)
        else:
            result = await self.threads.run(endpoint.handler, self.services, message)
        return encode_json({} if result is None else result)


class StoreThreads:
    """Threads for the blocking store calls, answering straight into asyncio futures.

    `loop.run_in_executor` chains a concurrent.futures.Future to an asyncio one through
    callbacks and locks; here a thread hands its result to the event loop with one
    `call_soon_threadsafe`, which halves the cost of the hop (~80 -> ~40 us of CPU a call on
    this project's 2-core test machine). The threads are daemons, as no call outlives the
    server that awaits it.
    """

    def __init__(self, size: int) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        for number in range(size):
            name = f"trackyard-api-{number}"
            threading.Thread(target=self._work, name=name, daemon=True).start()

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.jobs.put((loop, future, function, args))
        return await future

    def _work(self) -> None:
        while True:
            loop, future, function, args = self.jobs.get()
            outcome: tuple[Any, BaseException | None]
            try:
                outcome = (function(*args), None)
            except BaseException as error:  # goes to the awaiting request, which answers it
                outcome = (None, error)
            # A loop closed meanwhile (the server stopped) leaves nobody to answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, *outcome)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the client went away and its request task was cancelled
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
