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
rest of a log-metric call. An endpoint whose body is not a JSON message (OTLP's protobuf
export) declares a `reader` that builds its message from the raw body and headers, and may
answer with a `Reply` of its own media type. The rest are Starlette routes, where
`IndexedRouter` finds a fixed path's route by a dict lookup too.

An endpoint declared `quick` (bounded work: a training loop's log and get calls) runs on the
event loop itself when it is the only request in flight and the database lives in this process
(SQLite): handing it to a thread and back costs more than the call (two context switches, and
the GIL passed twice), and with nothing else in flight nobody waits for the loop meanwhile.
An endpoint whose work is bounded for some requests only (a search page read off an index,
but not a filtered scan) declares `quick` as a test of the request message.

An endpoint declared with a `Batch` (OTLP span exports) is served, on SQLite, by a thread of
its own, which takes every call waiting when it is free and stores them in one transaction
(see `trackyard/batch_lane.py`): many concurrent writers then cost no GIL contention.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial, partialmethod
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from .access import rules
from .access.accounts import User
from .access.guard import ANONYMOUS, Access, Caller, admit, request_credential
from .batch_lane import BatchLane, Outcome
from .errors import ApiError, internal_error
from .limits import BodyBudget
from .store_threads import StoreThreads

if TYPE_CHECKING:
    from .services import Services
from .wire import (
    JSONResponse,
    decode_message,
    encode_json,
    error_headers,
    read_body,
    refuse_nul,
)

M = TypeVar("M")
# A typed endpoint: the server's Services and the decoded request message in (and the
# Caller, for an endpoint declared to want it), a message out.
Handler = Callable[..., object]
RawEndpoint = Callable[[Request], Awaitable[Response]]
# Builds an endpoint's message from its request's scope (headers) and raw body, for a body
# that is not a JSON message (OTLP's protobuf); it must not block: it runs on the event loop.
Reader = Callable[[Scope, bytes], Any]
# Whether a request's work is bounded (see the module's docstring): for every request of the
# endpoint, or a test of the request's message.
Quick = bool | Callable[[Any], bool]
logger = logging.getLogger("trackyard")
# Worker threads for store calls; more than the PostgreSQL pool, so the pool is what queues.
API_THREADS = 32


@dataclass(frozen=True)
class Reply:
    """A handler's answer that is not JSON: sent as it is."""

    body: bytes
    media_type: str


@dataclass(frozen=True)
class Batch:
    """How a thread of its own serves an endpoint's calls together: `prepare` each message
    alone (its error answers that call alone), then `store` all that were prepared at once,
    an outcome each, in order. The endpoint's handler still serves a call alone where no
    lane runs (Starlette's routes)."""

    prepare: Callable[[Services, Any], Any]
    store: Callable[[Services, list[Any]], Sequence[Outcome]]


@dataclass(frozen=True)
class Endpoint(Generic[M]):
    method: str
    path: str
    request_type: type[M]
    handler: Handler
    versions: Sequence[str]
    quick: Quick
    # What a caller needs (trackyard/access/rules.py); None: an admin's alone, and the
    # permission matrix test fails.
    rule: rules.Rule | None = None
    # The handler takes a third argument, the `Caller` (filtered searches, the auth API).
    wants_caller: bool = False
    reader: Reader | None = None
    batch: Batch | None = None

    def admit(self, services: Services, message: Any, user: User | None) -> Caller:
        """The caller, once the rule is checked against the message when the server runs
        with --auth (`user` signed in already: see `signed_in`)."""
        access = services.access
        if access is None:
            return ANONYMOUS
        if user is not None:
            access.authorize(user, self.rule or rules.ADMIN_RULE, message)
        return Caller(access, user)

    def call(self, services: Services, message: Any, user: User | None) -> object:
        """The handler, behind the access layer."""
        caller = self.admit(services, message, user)
        result = self.invoke(services, message, caller)
        rule = self.rule or rules.ADMIN_RULE
        if rule.creates and caller.access is not None and user is not None:
            caller.access.after(user, rule, message, result)
        return result

    def serve_batch(
        self, services: Services, calls: Sequence[tuple[Any, User | None]]
    ) -> list[Outcome]:
        """Outcomes of (message, user) calls of a batched endpoint: each admitted and
        prepared alone, then stored together."""
        assert self.batch is not None
        outcomes: list[Outcome] = [(None, None)] * len(calls)
        ready: list[tuple[int, Any]] = []  # (position, prepared)
        for position, (message, user) in enumerate(calls):
            try:
                self.admit(services, message, user)
                ready.append((position, self.batch.prepare(services, message)))
            except Exception as error:
                outcomes[position] = (None, error)
        if ready:
            stored = self.batch.store(services, [prepared for _, prepared in ready])
            for (position, _), outcome in zip(ready, stored, strict=True):
                outcomes[position] = outcome
        return outcomes

    def call_as(self, services: Services, message: Any, caller: Caller) -> object:
        """The handler for a caller admitted already (GraphQL's fields call REST handlers):
        this endpoint's own rule is checked against them first."""
        if caller.access is not None and caller.user is not None:
            caller.access.authorize(caller.user, self.rule or rules.ADMIN_RULE, message)
        return self.invoke(services, message, caller)

    def invoke(self, services: Services, message: Any, caller: Caller) -> object:
        if not self.wants_caller:
            return self.handler(services, message)
        return self.handler(services, message, caller)

    def is_quick(self, message: Any) -> bool:
        return self.quick(message) if callable(self.quick) else self.quick

    @property
    def has_parameters(self) -> bool:
        return "{" in self.path

    def urls(self) -> list[str]:
        if self.path.startswith("/"):  # a URL of its own, outside the versioned API
            return [self.path]
        return [
            f"/{prefix}/{version}/{self.path}"
            for prefix in ("api", "ajax-api")
            for version in self.versions
        ]

    async def read(self, scope: Scope, receive: Receive, budget: BodyBudget) -> Any:
        """The request's message: decoded from its query or JSON body, or built by the
        endpoint's own `reader` from its raw body."""
        if self.reader is not None:
            return self.reader(scope, await read_body(scope, receive, budget, json_only=False))
        body = b"" if scope["method"] == "GET" else await read_body(scope, receive, budget)
        query = scope["query_string"].decode("latin-1")
        return decode_message(scope["method"], query, body, self.request_type)

    def starlette_routes(self) -> list[Route]:
        async def endpoint(request: Request) -> Response:
            services = request.app.state.services
            user = await signed_in(services.access, self.rule, request.scope, run_in_threadpool)
            budget = request.app.state.body_budget
            message = await self.read(request.scope, request.receive, budget)
            if request.path_params:
                refuse_nul(request.path_params)
                message = msgspec.structs.replace(message, **request.path_params)
            result = await run_in_threadpool(self.call, services, message, user)
            if isinstance(result, Reply):
                return Response(result.body, media_type=result.media_type)
            return JSONResponse({} if result is None else result)

        endpoint.__name__ = self.handler.__name__
        return [Route(url, endpoint, methods=[self.method]) for url in self.urls()]


class ApiRoutes:
    """Collects the endpoints of one API area: typed JSON endpoints and raw routes."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint[Any]] = []
        self.raw: list[BaseRoute] = []
        # (path, method, rule) of each raw route, for the permission matrix.
        self.raw_rules: list[tuple[str, str, rules.Rule | None]] = []

    def endpoint(
        self,
        method: str,
        path: str,
        request_type: type[M],
        versions: Sequence[str] = ("2.0",),
        quick: Quick = False,
        rule: rules.Rule | None = None,
        caller: bool = False,
        reader: Reader | None = None,
        batch: Batch | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare the decorated handler as `method path` (under /api/<version>/, or the URL
        itself if it starts with "/"); `quick`: see the module's docstring; `rule`: who may
        call it; `caller`: the handler takes the `Caller` as a third argument (always so for
        a FILTERED rule); `reader`: how its message is built from a body that is not JSON;
        `batch`: how a thread of its own serves its calls together."""
        # A batch grants nothing: a rule that creates (and so grants) answers one call.
        assert batch is None or rule is None or not rule.creates

        def decorate(handler: Handler) -> Handler:
            wants_caller = caller or (rule is not None and rule.scope == rules.FILTERED)
            self.endpoints.append(
                Endpoint(
                    method,
                    path,
                    request_type,
                    handler,
                    versions,
                    quick,
                    rule,
                    wants_caller,
                    reader,
                    batch,
                )
            )
            return handler

        return decorate

    get = partialmethod(endpoint, "GET")
    post = partialmethod(endpoint, "POST")
    patch = partialmethod(endpoint, "PATCH")
    delete = partialmethod(endpoint, "DELETE")

    def route(
        self, *paths: str, methods: Sequence[str] = ("GET",), rule: rules.Rule | None = None
    ) -> Callable:
        """Declare the decorated Starlette endpoint at each of `paths`, behind `rule` (its
        `pick` reads the Starlette request); the endpoint finds its `Caller` in
        `request.state.caller`."""

        def decorate(endpoint: RawEndpoint) -> RawEndpoint:
            guarded = _guarded(endpoint, rule or rules.ADMIN_RULE)
            self.raw += [Route(path, guarded, methods=list(methods)) for path in paths]
            self.raw_rules += [(path, method, rule) for path in paths for method in methods]
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


async def signed_in(
    access: Access | None,
    rule: rules.Rule | None,
    scope: Scope,
    run: Callable[..., Awaitable[Any]],
) -> User | None:
    """The user a request comes from (None: auth off, or an open route), before its body is
    read: a caller without valid credentials gets 401 whatever they sent. A credential seen
    in the last seconds costs a lookup; otherwise `run` checks it in a worker thread."""
    if access is None or (rule is not None and rule.scope == rules.OPEN):
        return None
    credential = request_credential(scope)
    return access.known_user(credential) or await run(access.authenticate, credential)


def _guarded(endpoint: RawEndpoint, rule: rules.Rule) -> RawEndpoint:
    """`endpoint` behind the access layer: the caller is admitted (in a worker thread: it may
    read the database or check a password) before the endpoint reads the request's body."""

    async def guarded(request: Request) -> Response:
        access = request.app.state.services.access
        if access is None:
            request.state.caller = ANONYMOUS
        else:
            credential = request_credential(request.scope)
            request.state.caller = await run_in_threadpool(admit, access, rule, request, credential)
        return await endpoint(request)

    guarded.__name__ = endpoint.__name__
    return guarded


class IndexedRouter(Router):
    """Starlette's router, but a request for a fixed path finds its route by one dict lookup.

    Starlette tries its routes' patterns one by one: `/v1/traces`, past 200 routes, took
    ~120 us to route, a twentieth of an OTLP export's server time. A fixed path whose request
    an earlier route could also match (`traces/{trace_id}` before `traces/search`) is left to
    the scan, so every request reaches the route that Starlette's order gives it.
    """

    def __init__(self, routes: Sequence[BaseRoute], **options: Any) -> None:
        super().__init__(list(routes), **options)
        self.fixed: dict[str, list[Route]] = {}
        for index, route in enumerate(self.routes):
            if not isinstance(route, Route) or "{" in route.path:
                continue
            if not any(_may_match(earlier, route) for earlier in self.routes[:index]):
                self.fixed.setdefault(route.path, []).append(route)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.fixed.get(scope["path"], ()):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def _may_match(earlier: BaseRoute, route: Route) -> bool:
    """Whether `earlier` could take a request for `route`'s fixed path (any method)."""
    if isinstance(earlier, Route):
        return "{" in earlier.path and earlier.path_regex.match(route.path) is not None
    return True  # a mount or a host: the scan decides


class ApiApp:
    """Serves the fixed-path JSON endpoints; everything else goes on to `fallback`.

    `in_process`: the database runs in this process (SQLite). Then a lone quick call may run
    on the event loop, and batched endpoints are served by their lanes: with one writer that
    commits for all, the threads' only contention is for the GIL. PostgreSQL's writes wait on
    round trips, which concurrent threads overlap (a lane made OTLP ingest 30 % slower there).
    """

    def __init__(
        self,
        areas: Sequence[ApiRoutes],
        services: Any,
        fallback: ASGIApp,
        body_budget: BodyBudget,
        in_process: bool = False,
    ) -> None:
        self.services = services
        # The access layer (trackyard server --auth); tests drive ApiApp with bare services.
        self.access = getattr(services, "access", None)
        self.fallback = fallback
        self.body_budget = body_budget
        self.in_process = in_process
        self.in_flight = 0  # HTTP requests of any path being served
        self.threads = StoreThreads(API_THREADS)
        self.by_route = {
            (endpoint.method, url): endpoint
            for area in areas
            for endpoint in area.endpoints
            if not endpoint.has_parameters
            for url in endpoint.urls()
        }
        self.lanes = {
            (endpoint.method, endpoint.path): BatchLane(
                partial(endpoint.serve_batch, services), f"trackyard-{endpoint.handler.__name__}"
            )
            for area in areas
            for endpoint in area.endpoints
            if in_process and endpoint.batch is not None and not endpoint.has_parameters
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
        media_type = b"application/json"
        try:
            status, result = 200, await self._call(endpoint, scope, receive)
            if isinstance(result, Reply):
                media_type, body = result.media_type.encode(), result.body
            else:
                body = encode_json({} if result is None else result)
        except ClientDisconnect:
            return
        except Exception as error:
            if not isinstance(error, ApiError):
                logger.exception("Unexpected error on %s %s", scope["method"], scope["path"])
                error = internal_error(error)
            status, body = error.status, encode_json(error.to_dict())
            found = error_headers(error, scope["path"])
            extra = [(k.lower().encode(), v.encode()) for k, v in found.items()]
        headers = [
            (b"content-type", media_type),
            (b"content-length", b"%d" % len(body)),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _call(self, endpoint: Endpoint, scope: Scope, receive: Receive) -> object:
        user = None
        if self.access is not None:
            user = await signed_in(self.access, endpoint.rule, scope, self.threads.run)
        message = await endpoint.read(scope, receive, self.body_budget)
        lane = self.lanes.get((endpoint.method, endpoint.path))
        if lane is not None:
            return await lane.submit((message, user))
        function: Callable[..., Any] = endpoint.handler
        args: tuple[Any, ...] = (self.services, message)
        if self.access is not None or endpoint.wants_caller:
            function, args = endpoint.call, (self.services, message, user)
        if self.in_process and self.in_flight == 1 and endpoint.is_quick(message):
            return function(*args)
        return await self.threads.run(function, *args)
