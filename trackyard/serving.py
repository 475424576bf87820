"""Running the app under uvicorn, with the bounds a server on a shared network needs.

uvicorn bounds idle keep-alive connections but not a connection that never finishes its
request headers (slow-loris) or opens and sends nothing, and by default waits without end at
shutdown for a client that stopped reading a download. Here a request's headers have a
deadline, and SIGTERM gives in-flight requests `shutdown_grace` seconds, then cuts them.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import ServerConfig


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose next request's headers have
    not all arrived `header_timeout` seconds after it opened or after the request began."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.header_deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self.header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _too_slow(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def run(app: Any, config: ServerConfig) -> None:
    """Serve `app` (an ASGI app, or the import string of a factory when several workers each
    build their own) until SIGTERM or Ctrl-C."""
    import uvicorn

    uvicorn.run(
        app,
        factory=isinstance(app, str),
        host=config.host,
        port=config.port,
        workers=config.workers if config.workers > 1 else None,
        access_log=config.access_log,
        log_level="warning",
        http=partial(HeaderDeadlineProtocol, header_timeout=config.read_timeout),  # type: ignore[arg-type]
        timeout_graceful_shutdown=config.shutdown_grace,  # type: ignore[arg-type]
        server_header=False,
    )
