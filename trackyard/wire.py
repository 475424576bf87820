"""Reading requests into typed messages and writing messages as JSON responses.

MLflow's clients send GET fields as query parameters (repeated keys for lists, booleans as
"True"/"False") and everything else as a JSON body; both end up in the same Struct here.
"""

from __future__ import annotations

import json
import re
import typing
from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from .errors import ApiError
from .limits import MAX_BODY_BYTES, BodyBudget, body_too_large, declared_length

T = TypeVar("T")

_json_encoder = msgspec.json.Encoder()
JSON_MEDIA_TYPE = b"application/json"


def encode_json(content: Any) -> bytes:
    """Structs, dicts and lists alike, with msgspec."""
    return _json_encoder.encode(content)


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode_json(content)


def error_response(error: ApiError, path: str = "") -> JSONResponse:
    return JSONResponse(
        error.to_dict(), status_code=error.status, headers=error_headers(error, path)
    )


def error_headers(error: ApiError, path: str) -> dict[str, str]:
    """The error's headers, without a Basic challenge under /ajax-api/ (the web UI's alias):
    a browser answers a challenged 401 to a page's fetch with its own sign-in dialog, where
    the UI shows its sign-in page. The stock client calls /api/ and keeps the challenge."""
    if path.startswith("/ajax-api/"):
        return {k: v for k, v in error.headers.items() if k.lower() != "www-authenticate"}
    return error.headers


@cache
def _list_fields(message_type: type) -> frozenset[str]:
    """Fields that take repeated query parameters."""
    hints = typing.get_type_hints(message_type)
    return frozenset(
        name for name, hint in hints.items() if typing.get_origin(hint) in (list, tuple)
    )


@cache
def _bool_fields(message_type: type) -> frozenset[str]:
    """Fields that take "True"/"False" (and only these: a name may be "True")."""
    hints = typing.get_type_hints(message_type)
    return frozenset(
        name for name, hint in hints.items() if hint is bool or bool in typing.get_args(hint)
    )


def query_to_dict(query: str, message_type: type) -> dict[str, Any]:
    list_fields = _list_fields(message_type)
    bool_fields = _bool_fields(message_type)
    data: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in list_fields:
            data.setdefault(key, []).append(value)
        else:  # of repeated single values the last wins
            is_bool = key in bool_fields and value in ("True", "False")
            data[key] = value.lower() if is_bool else value
    return data


_API_DOCS = " See the API docs for more information about request parameters."
_AT_PATH = re.compile(r"^(?P<what>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`$")
_NOT_FOUND = object()


def _steps(path: str) -> list[str | int] | None:
    """`.metrics[0].value` as ["metrics", 0, "value"]; None for what we cannot follow."""
    steps: list[str | int] = []
    at = 0
    while at < len(path):
        step = _PATH_STEP.match(path, at)
        if step is None:
            return None
        steps.append(step.group(1) if step.group(1) is not None else int(step.group(2)))
        at = step.end()
    return steps


def _sent_value(steps: list[str | int], method: str, query: str, body: bytes, kind: type) -> Any:
    """The value the client sent at `steps`, decoded leniently (the error path only)."""
    try:
        value: Any = query_to_dict(query, kind) if method == "GET" else msgspec.json.decode(body)
        for step in steps:
            value = value[step]
    except (msgspec.DecodeError, LookupError, TypeError):
        return _NOT_FOUND
    return value


def _param(steps: list[str | int]) -> str:
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps).lstrip(".")


def _explain(
    error: msgspec.ValidationError, method: str, query: str, body: bytes, kind: type
) -> str:
    """msgspec's complaint in MLflow's words: the parameter's path and the value sent."""
    located = _AT_PATH.match(str(error))
    steps = _steps(located.group("path")) if located else None
    if located is None or steps is None:
        return f"Invalid value in request: {error}"
    if missing := _MISSING.match(located.group("what")):
        path = _param([*steps, missing["field"]])
        return f"Missing value for required parameter '{path}'.{_API_DOCS}"
    value = _sent_value(steps, method, query, body, kind)
    if value is _NOT_FOUND:
        return f"Invalid value in request: {error}"
    is_bool = method == "GET" and len(steps) == 1 and steps[0] in _bool_fields(kind)
    if is_bool and isinstance(value, str):
        return f"Invalid boolean value: {value}, must be 'true' or 'false'."
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return (
        f"Invalid value {shown} for parameter '{_param(steps)}' supplied:  Hint: Value was of "
        f"type '{type(value).__name__}'.{_API_DOCS}"
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, msgspec.Struct):
        return any(_has_nul(getattr(value, name)) for name in value.__struct_fields__)
    return False


_NUL_ERROR = "Invalid value in request: text may not contain NUL (\\u0000) characters."


def refuse_nul(values: Any) -> None:
    """PostgreSQL cannot store NUL in text; refuse it on every backend alike, as bad input.
    For values that do not pass `decode_message`, such as path parameters."""
    if _has_nul(values):
        raise ApiError(_NUL_ERROR, "INVALID_PARAMETER_VALUE")


async def read_body(
    scope: Scope, receive: Receive, budget: BodyBudget, json_only: bool = True
) -> bytes:
    """A JSON request's whole body, charged to `budget` until the request ends; refused past
    MAX_BODY_BYTES, or when not declared as JSON (a cross-site form or a "simple" request
    sends text/plain) unless `json_only` is off (OTLP's protobuf, whose endpoint checks its
    own types); ClientDisconnect (as Starlette raises it) where the client hangs up before
    sending it all."""
    declared = declared_length(scope)
    if declared is not None and declared > MAX_BODY_BYTES:
        raise body_too_large()
    budget.charge(scope, declared or 0)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise body_too_large()
        if declared is None or size > declared:
            budget.charge(scope, len(chunk))
        chunks.append(chunk)
        if not message.get("more_body", False):
            body = b"".join(chunks)
            if json_only:
                _check_json_type(scope, body)
            return body


def _check_json_type(scope: Scope, body: bytes) -> None:
    """MLflow's rule and messages; an empty body (a bare POST from the UI) needs no type."""
    media_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
    if media_type is None:
        if body:
            raise ApiError("Bad Request. Content-Type header is missing.")
    elif media_type.partition(b";")[0].strip().lower() != JSON_MEDIA_TYPE:
        raise ApiError("Bad Request. Content-Type must be one of ['application/json'].")


async def read_message(request: Request, message_type: type[T]) -> T:
    """Decode a Starlette request into `message_type` (see `decode_message`); its body is
    charged to the app's `state.body_budget`."""
    if request.method == "GET":
        body = b""
    else:
        body = await read_body(request.scope, request.receive, request.app.state.body_budget)
    return decode_message(request.method, request.url.query, body, message_type)


def decode_message(method: str, query: str, body: bytes, message_type: type[T]) -> T:
    """Decode a request into `message_type`, raising MLflow-shaped 400s on bad input."""
    try:
        if method == "GET":
            if "%00" in query:
                raise ApiError(_NUL_ERROR, "INVALID_PARAMETER_VALUE")
            return msgspec.convert(query_to_dict(query, message_type), message_type, strict=False)
        if not body.strip():
            body = b"{}"
        message = msgspec.json.decode(body, type=message_type, strict=False)
        if b"\\u0000" in body:
            refuse_nul(message)
        return message
    except msgspec.ValidationError as error:
        raise ApiError(
            _explain(error, method, query, body, message_type), "INVALID_PARAMETER_VALUE"
        ) from None
    except msgspec.DecodeError as error:
        raise ApiError(f"Malformed JSON in request body: {error}", "BAD_REQUEST") from None
    except RecursionError:
        raise ApiError(
            "Malformed JSON in request body: nested too deeply.", "BAD_REQUEST"
        ) from None
