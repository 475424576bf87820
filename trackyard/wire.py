"""Reading requests into typed messages and writing messages as JSON responses.

MLflow's clients send GET fields as query parameters (repeated keys for lists, booleans as
"True"/"False") and everything else as a JSON body; both end up in the same Struct here.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError

T = TypeVar("T")

_json_encoder = msgspec.json.Encoder()


class JSONResponse(Response):
    """A response rendered with msgspec: Structs, dicts and lists alike."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _json_encoder.encode(content)


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.to_dict(), status_code=error.status)


@cache
def _list_fields(message_type: type) -> frozenset[str]:
    """Fields that take repeated query parameters."""
    hints = typing.get_type_hints(message_type)
    return frozenset(
        name for name, hint in hints.items() if typing.get_origin(hint) in (list, tuple)
    )


def query_to_dict(request: Request, message_type: type) -> dict[str, Any]:
    list_fields = _list_fields(message_type)
    params = request.query_params
    data: dict[str, Any] = {}
    for key in params:
        if key in list_fields:
            data[key] = params.getlist(key)
        else:
            value = params[key]
            data[key] = value.lower() if value in ("True", "False") else value
    return data


def _explain(error: msgspec.ValidationError) -> str:
    return f"Invalid value in request: {error}"


async def read_message(request: Request, message_type: type[T]) -> T:
    """Decode a request into `message_type`, raising MLflow-shaped 400s on bad input."""
    try:
        if request.method == "GET":
            return msgspec.convert(query_to_dict(request, message_type), message_type, strict=False)
        body = await request.body()
        if not body.strip():
            body = b"{}"
        return msgspec.json.decode(body, type=message_type, strict=False)
    except msgspec.ValidationError as error:
        raise ApiError(_explain(error), "INVALID_PARAMETER_VALUE") from None
    except msgspec.DecodeError as error:
        raise ApiError(f"Malformed JSON in request body: {error}", "BAD_REQUEST") from None
