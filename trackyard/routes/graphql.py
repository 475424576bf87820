"""GraphQL (`/graphql`, and `/ajax-api/graphql` beside the REST aliases), which MLflow's web UI
reads runs, experiments and metric charts through; the schema and resolvers are in
`trackyard.graphql`.

One operation per request, as MLflow's server takes: a JSON object `{"query", "variables",
"operationName"}` in a POST body (read within the server's body bounds and JSON rule), or the
same as query parameters of a GET (queries only). A JSON array (a batch) is refused.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..access import rules as r
from ..dispatch import ApiRoutes
from ..graphql import execute
from ..wire import JSONResponse, decode_message, read_message

api = ApiRoutes()


class GetParameters(msgspec.Struct, kw_only=True):
    query: str | None = None
    variables: str | None = None
    operationName: str | None = None


class BadRequest(Exception):
    """A request that carries no single operation; answered 400 in GraphQL's shape."""


def _operation(query: Any, variables: Any, operation_name: Any) -> execute.Operation:
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("Must provide a query string.")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("Variables must be a JSON object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("operationName must be a string.")
    return execute.Operation(query, variables, operation_name)


def _from_get(request: Request) -> execute.Operation:
    params = decode_message("GET", request.url.query, b"", GetParameters)
    variables: Any = None
    if params.variables:
        try:
            variables = msgspec.json.decode(params.variables)
        except msgspec.DecodeError:
            raise BadRequest("Variables are invalid JSON.") from None
    return _operation(params.query, variables, params.operationName)


async def _from_post(request: Request) -> execute.Operation:
    body: Any = await read_message(request, object)
    if isinstance(body, list):
        raise BadRequest(
            "Batched GraphQL requests are not supported: send one operation per request."
        )
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return _operation(body.get("query"), body.get("variables"), body.get("operationName"))


@api.route("/graphql", "/ajax-api/graphql", methods=("GET", "POST"), rule=r.SIGNED_IN_RULE)
async def graphql(request: Request) -> Response:
    read_only = request.method == "GET"
    try:
        operation = _from_get(request) if read_only else await _from_post(request)
    except BadRequest as error:
        return JSONResponse({"data": None, "errors": [str(error)]}, status_code=400)
    services = request.app.state.services
    answer = await run_in_threadpool(
        execute.run_operation, services, operation, read_only, request.state.caller
    )
    return JSONResponse(answer.body, status_code=answer.status)
