"""HTTP routes, one module per API area.

Each area declares its endpoints on an `ApiRoutes` collector as plain functions taking the
server's `Services` and a typed request message and returning a message (or dict). The
collector turns them into Starlette routes under both `/api/<version>/` and the
`/ajax-api/<version>/` alias that MLflow's own UI uses, running the (blocking) store call in
a worker thread so the event loop stays free for other requests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..wire import JSONResponse, read_message

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    request_type: type
    handler: Handler
    versions: Sequence[str]

    def starlette_routes(self) -> list[Route]:
        endpoint = self._asgi_endpoint()
        return [
            Route(f"/{prefix}/{version}/{self.path}", endpoint, methods=[self.method])
            for prefix in ("api", "ajax-api")
            for version in self.versions
        ]

    def _asgi_endpoint(self) -> Callable[[Request], Any]:
        request_type, handler = self.request_type, self.handler

        async def endpoint(request: Request) -> Response:
            message = await read_message(request, request_type)
            if request.path_params:
                message = msgspec.structs.replace(message, **request.path_params)
            result = await run_in_threadpool(handler, request.app.state.services, message)
            return JSONResponse({} if result is None else result)

        endpoint.__name__ = handler.__name__
        return endpoint


class ApiRoutes:
    """Collects the endpoints of one API area."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def _add(self, method: str, path: str, request_type: type, versions: Sequence[str]):
        def decorate(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, request_type, handler, versions))
            return handler

        return decorate

    def get(self, path: str, request_type: type, versions: Sequence[str] = ("2.0",)):
        return self._add("GET", path, request_type, versions)

    def post(self, path: str, request_type: type, versions: Sequence[str] = ("2.0",)):
        return self._add("POST", path, request_type, versions)

    def patch(self, path: str, request_type: type, versions: Sequence[str] = ("2.0",)):
        return self._add("PATCH", path, request_type, versions)

    def delete(self, path: str, request_type: type, versions: Sequence[str] = ("2.0",)):
        return self._add("DELETE", path, request_type, versions)

    def routes(self) -> list[Route]:
        return [route for endpoint in self.endpoints for route in endpoint.starlette_routes()]
