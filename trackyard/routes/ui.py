"""The web UI: index.html at `/` and the static assets under `/static`.

Everything else (/api, /ajax-api, /health, /version, /get-artifact, ...) belongs to the API
routes, which the app lists before these. The UI routes by URL hash (`/#/experiments/1`,
as MLflow's links printed by the client look), so the server only ever serves `/`.
"""

from __future__ import annotations

from functools import cache

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ..ui import STATIC_DIR

# Revalidate on every load (a cheap 304 thanks to ETag) so an upgraded server never runs
# against modules a browser cached from the previous version.
_NO_CACHE = {"Cache-Control": "no-cache"}


class _RevalidatedStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_NO_CACHE)
        return response


@cache
def _index_html() -> str:
    """index.html with a modulepreload link per module: the browser then fetches them all at
    once instead of discovering the import graph one level at a time."""
    modules = sorted(
        path.relative_to(STATIC_DIR).as_posix()
        for path in [*STATIC_DIR.glob("js/**/*.js"), *STATIC_DIR.glob("vendor/*.js")]
    )
    links = "\n".join(f'  <link rel="modulepreload" href="static/{name}">' for name in modules)
    return (STATIC_DIR / "index.html").read_text().replace("  <!-- modulepreload -->", links)


async def index(request: Request) -> Response:
    return HTMLResponse(_index_html(), headers=_NO_CACHE)


def routes() -> list[BaseRoute]:
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount("/static", app=_RevalidatedStaticFiles(directory=STATIC_DIR), name="static"),
    ]
