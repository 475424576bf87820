"""`--static-prefix`: the whole server (UI, API, artifact proxy) under one path, for a reverse
proxy that forwards `https://host/mlflow/...` unchanged, as `mlflow server --static-prefix`.

The stock client then takes `MLFLOW_TRACKING_URI=http://host:port/mlflow`. The UI needs nothing:
it fetches and links relative to its page (`ajax-api/...`, `static/...`, `#/...`), so `/mlflow/`
is all it must be served at; `/mlflow` redirects there.
"""

from __future__ import annotations

import re

import click
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import http_error
from .wire import error_response

# Path characters a prefix may hold: RFC 3986's unreserved ones, between slashes.
_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
# Answered outside the prefix too: a load balancer probes the server itself.
UNPREFIXED = frozenset({"/health"})


def normalise(value: str | None) -> str:
    """'/mlflow/' -> '/mlflow'; '' and '/' -> '' (no prefix). ValueError for anything that is
    not plain path segments."""
    text = (value or "").strip()
    if text in ("", "/"):
        return ""
    segments = text.strip("/").split("/")
    if not text.startswith("/") or not all(
        _SEGMENT.match(s) and s not in (".", "..") for s in segments
    ):
        raise ValueError(
            f"'{text}' is not a path prefix such as /mlflow: a leading slash, then letters, "
            "digits and . _ ~ - between slashes."
        )
    return "/" + "/".join(segments)


def _checked(context: click.Context, parameter: click.Parameter, value: str | None) -> str:
    try:
        return normalise(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


OPTIONS = [
    click.option(
        "--static-prefix",
        default="",
        envvar="TRACKYARD_STATIC_PREFIX",
        callback=_checked,
        help="Serve the UI and API under this path (e.g. /mlflow), behind a reverse proxy.",
    ),
]


class PathPrefix:
    """Serves `app` under `prefix`: the prefix is taken off each path before the app sees
    it, so routes, the UI and the browser guard stay as they are. Other paths are 404s."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self.raw_prefix = prefix.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(f"{self.prefix}/"):
            await self.app(self._inside(scope), receive, send)
        elif path in UNPREFIXED:
            await self.app(scope, receive, send)
        elif path == self.prefix and scope["type"] == "http":
            query = scope["query_string"].decode("latin-1")
            target = f"{self.prefix}/" + (f"?{query}" if query else "")
            await RedirectResponse(target, status_code=308)(scope, receive, send)
        elif scope["type"] == "http":
            error = http_error(scope["method"], path, 404, f"Not found under {self.prefix}/")
            await error_response(error)(scope, receive, send)

    def _inside(self, scope: Scope) -> Scope:
        inner = dict(scope)
        inner["path"] = scope["path"][len(self.prefix) :]
        raw = scope.get("raw_path")
        if raw is not None and raw.startswith(self.raw_prefix):
            inner["raw_path"] = raw[len(self.raw_prefix) :]
        return inner
