"""Running the app under uvicorn, with the bounds a server on a shared network needs.

uvicorn bounds idle keep-alive connections, but not a connection that opens and sends
nothing, one that sends its request headers a byte at a time (slow-loris), or a body that
stops halfway; and by default it waits without end at shutdown for a client that stopped
reading a download. Here a request's headers must all arrive within `read_timeout` of the
connection opening (or of the request's first byte), a body may pause at most that long
between chunks, and SIGTERM gives in-flight requests `shutdown_grace` seconds, then cuts them.

The deadlines live in the connection's protocol, not in the app: a request whose headers and
body arrive together, as nearly all do, never arms a timer.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import ServerConfig
from .errors import ApiError
from .observability import log_config
from .wire import encode_json


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for request headers (from the connection's
    or the request's start) and one for each pause in a request body."""

    def __init__(self, *args: Any, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout
        self.timer: asyncio.TimerHandle | None = None
        self.in_headers = self.in_body = False
        self.since = 0.0  # when the headers began, or the body last moved

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.in_headers, self.since = True, self.loop.time()
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.in_body:
            self.since = self.loop.time()
        self._watch()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self.in_headers:  # the first request's headers count from the connection
            self.in_headers, self.since = True, self.loop.time()

    def on_headers_complete(self) -> None:
        self.in_headers, self.in_body = False, True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_body = False
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.in_headers = self.in_body = False
        self._watch()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """A timer while a request is incomplete, none otherwise."""
        waiting = self.in_headers or self.in_body
        if waiting and self.timer is None:
            self.timer = self.loop.call_at(self.since + self.read_timeout, self._expired)
        elif not waiting and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expired(self) -> None:
        self.timer = None
        if not (self.in_headers or self.in_body) or self.transport.is_closing():
            return
        if self.loop.time() < self.since + self.read_timeout:  # the body moved meanwhile
            self._watch()
            return
        if self.in_body:
            self._answer_body_timeout()
        self.transport.close()

    def _answer_body_timeout(self) -> None:
        """408 in MLflow's error shape, unless the app already answered; the app's pending
        read then sees the client gone and stops."""
        cycle = self.cycle
        if cycle is None or cycle.response_started:
            return
        error = ApiError(
            f"Request body not received: nothing arrived for {self.read_timeout:g} s.",
            "BAD_REQUEST",
            408,
        )
        body = encode_json(error.to_dict())
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            b"x-content-type-options: nosniff\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        cycle.disconnected = True
        cycle.message_event.set()


def run(app: Any, config: ServerConfig) -> None:
    """Serve `app` (an ASGI app, or the import string of a factory when several workers each
    build their own) until SIGTERM or Ctrl-C."""
    import uvicorn

    with _shared_metrics(config):
        uvicorn.run(
            app,
            factory=isinstance(app, str),
            host=config.host,
            port=config.port,
            workers=config.workers if config.workers > 1 else None,
            access_log=config.access_log or config.access_log_format == "json",
            log_config=log_config(config.access_log_format),
            log_level=None,
            http=partial(DeadlineProtocol, read_timeout=config.read_timeout),  # type: ignore[arg-type]
            timeout_keep_alive=config.keep_alive_timeout,  # type: ignore[arg-type]
            timeout_graceful_shutdown=config.shutdown_grace,  # type: ignore[arg-type]
            server_header=False,
        )


def _shared_metrics(config: ServerConfig) -> AbstractContextManager[None]:
    """Several workers with --expose-prometheus share a folder for their figures (imported
    only then: prometheus_client is no part of a plain start-up)."""
    if not config.expose_prometheus:
        return nullcontext()
    from .prometheus import shared_by_workers

    return shared_by_workers(config)
