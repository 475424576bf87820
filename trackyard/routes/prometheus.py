"""`/metrics`: the Prometheus scrape endpoint, when the server runs with --expose-prometheus
(trackyard/prometheus.py); without it, the path is unknown (404), as in mlflow server."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..access import rules as r
from ..dispatch import ApiRoutes

api = ApiRoutes()


# With --auth, scrapers sign in as an admin (a token: Prometheus sends Bearer credentials).
@api.route("/metrics", rule=r.ADMIN_RULE)
async def metrics(request: Request) -> Response:
    exposed = request.app.state.prometheus
    if exposed is None:
        raise HTTPException(404, "Not Found")
    # Rendering reads the pool's figures, which may take the pool's lock: off the loop.
    body = await run_in_threadpool(exposed.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
