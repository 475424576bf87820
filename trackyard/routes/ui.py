"""The web UI: index.html at `/` and the static assets under `/static`.

Everything else (/api, /ajax-api, /health, /version, /get-artifact, ...) belongs to the API
routes, which the app lists before these. The UI routes by URL hash (`/#/experiments/1`,
as MLflow's links printed by the client look), so the server only ever serves `/`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ..access import rules as r
from ..dispatch import ApiRoutes
from ..ui import STATIC_DIR

api = ApiRoutes()

# Revalidate on every load (a cheap 304 thanks to ETag) so an upgraded server never runs
# against modules a browser cached from the previous version.
_NO_CACHE = {"Cache-Control": "no-cache"}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


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


@cache
def _content_security_policy() -> str:
    """Scripts only from the server's own files, plus index.html's one inline script by its
    hash. Styles may be inline (the charts and the sandboxed HTML preview set them); images
    may be data: URLs (notebook outputs, Markdown); nothing else leaves the origin."""
    inline = _INLINE_SCRIPT.findall((STATIC_DIR / "index.html").read_text())
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    )


@api.route("/", methods=("GET", "HEAD"), rule=r.OPEN_RULE)
async def index(request: Request) -> Response:
    headers = {**_NO_CACHE, "Content-Security-Policy": _content_security_policy()}
    return HTMLResponse(_index_html(), headers=headers)


api.mount(Mount("/static", app=_RevalidatedStaticFiles(directory=STATIC_DIR), name="static"))
