"""Bounds on what slow, stuck or greedy clients can hold of a server process.

A request body is read within a deadline between its chunks, so a client that declares 10 GiB
and stalls after 5 MiB is answered 408 and let go rather than holding its connection (and a
thread of an upload) forever. JSON bodies are held in memory whole, each up to
`MAX_BODY_BYTES`; a `BodyBudget` bounds what all of them hold at once, so eight concurrent
63 MiB bodies get 503 + Retry-After (which the stock client backs off and retries) instead of
a gigabyte. Headers have their deadline in `serving`, where the connection is.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError

if sys.version_info >= (3, 11):
    from asyncio import timeout as deadline
else:  # pragma: no cover - the backport of asyncio.timeout
    from async_timeout import timeout as deadline

# JSON requests are small (a full log-batch is under 2 MB); a larger body is refused before it
# fills the server's memory. Artifacts stream through endpoints of their own.
MAX_BODY_BYTES = 64 * 2**20
# Where a request records the body bytes it holds, so that they are given back when it ends.
_HELD = "trackyard.body_bytes"
RETRY_AFTER_SECONDS = "2"
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def body_too_large() -> ApiError:
    return ApiError(
        f"Request body larger than {MAX_BODY_BYTES // 2**20} MiB: JSON requests are small.",
        "BAD_REQUEST",
        413,
    )


class BodyBudget:
    """Bytes of JSON request bodies one server process holds at once. The event loop is the
    only user, so no lock: charges and refunds happen between awaits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def charge(self, scope: Scope, size: int) -> None:
        """Hold `size` more bytes for this request until `refund`; 503 if over the limit."""
        if self.held + size > self.limit:
            raise ApiError(
                "The server is holding as many request bodies as it may; retry shortly.",
                "TEMPORARILY_UNAVAILABLE",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        self.held += size
        scope[_HELD] = scope.get(_HELD, 0) + size

    def refund(self, scope: Scope) -> None:
        """Give back what the request held; call once, when it has been answered."""
        self.held -= scope.pop(_HELD, 0)


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyDeadline:
    """Answers 408 (and closes the connection) when a request body pauses longer than
    `seconds` between chunks. Only while the body is incomplete: a response streaming to a
    slow reader is the server's to bound at shutdown, not here."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        complete = timed_out = False

        async def receive_in_time() -> Message:
            nonlocal complete, timed_out
            if complete:
                return await receive()
            try:
                async with deadline(self.seconds):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                raise ApiError(
                    f"Request body not received: nothing arrived for {self.seconds:g} s.",
                    "BAD_REQUEST",
                    408,
                ) from None
            complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        async def send_closing(message: Message) -> None:
            if timed_out and message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive_in_time, send_closing)


def _mib(ctx: Any, param: Any, value: int) -> int:
    if value < MAX_BODY_BYTES // 2**20:
        raise click.BadParameter(f"at least {MAX_BODY_BYTES // 2**20} (one largest request)")
    return value


# `trackyard server` flags for these bounds; the keyword arguments match ServerConfig fields.
OPTIONS = [
    click.option(
        "--read-timeout",
        default=60.0,
        show_default=True,
        type=click.FloatRange(min=1),
        envvar="TRACKYARD_READ_TIMEOUT",
        help="Seconds a client may take to send a request's headers, and to pause in a body.",
    ),
    click.option(
        "--max-body-memory-mb",
        default=256,
        show_default=True,
        callback=_mib,
        envvar="TRACKYARD_MAX_BODY_MEMORY_MB",
        help="MiB of JSON request bodies a server process holds at once; past it, 503.",
    ),
    click.option(
        "--shutdown-grace",
        default=10.0,
        show_default=True,
        type=click.FloatRange(min=0),
        envvar="TRACKYARD_SHUTDOWN_GRACE",
        help="Seconds in-flight requests get to finish on SIGTERM before they are cut.",
    ),
]
