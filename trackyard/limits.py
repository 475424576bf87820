"""Bounds on what greedy clients can hold of a server process's memory, and the flags of
every bound on slow or stuck clients.

JSON bodies are held in memory whole, each up to `MAX_BODY_BYTES`; a `BodyBudget` bounds what
all of them hold at once, so eight concurrent 63 MiB bodies get 503 + Retry-After (which the
stock client backs off and retries) instead of a gigabyte. The deadlines for headers and
bodies live in `serving`, where the connection is.
"""

from __future__ import annotations

from typing import Any

import click
from starlette.types import Scope

from .errors import ApiError

# JSON requests are small (a full log-batch is under 2 MB); a larger body is refused before it
# fills the server's memory. Artifacts stream through endpoints of their own.
MAX_BODY_BYTES = 64 * 2**20
# Where a request records the body bytes it holds, so that they are given back when it ends.
_HELD = "trackyard.body_bytes"
RETRY_AFTER_SECONDS = "2"


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
        "--keep-alive-timeout",
        default=75.0,
        show_default=True,
        type=click.FloatRange(min=1),
        envvar="TRACKYARD_KEEP_ALIVE_TIMEOUT",
        help="Seconds an idle connection stays open for the client's next request.",
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
