"""A minimal asyncio HTTP/1.1 client over one keep-alive connection, for many simulated
clients in few processes.

The team workload runs 64 writers and 4 readers on a 2-core machine that also runs the
servers and PostgreSQL. One OS process or thread per client would spend more CPU on the
client side than the servers spend answering; coroutines over raw streams (uvloop when
installed) cost a few tens of microseconds a request. Only what the MLflow REST API needs:
a JSON or empty body out, a Content-Length or chunked body back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_HEADER_END = b"\r\n\r\n"


class HttpError(RuntimeError):
    """The connection failed or the answer was not HTTP/1.1 as we read it."""


class AsyncKeepAlive:
    """``await request(method, path, body)`` -> (status, body) over one persistent connection.

    A connection the server closed while idle is replaced before the request; one that
    fails during a request raises, and the next request reconnects.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self._reader is not None and self._reader.at_eof():
            self.close()  # the server closed the idle connection (its keep-alive timeout)
        if self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                raise HttpError(f"connect to {self.host}:{self.port}: {exc!r}") from exc
        assert self._reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            self._writer.write(head.encode() + body)
            status, headers = parse_head(await self._reader.readuntil(_HEADER_END))
            content = await read_body(self._reader, headers)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            self.close()
            raise HttpError(f"{method} {path}: {exc!r}") from exc
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, content

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status code and lower-cased header names of a response head (status line + headers)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"not an HTTP/1.x status line: {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    """The body as Content-Length or chunked transfer coding says (no trailers expected)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append((await reader.readexactly(size + 2))[:-2])
    return await reader.readexactly(int(headers.get("content-length", "0")))


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop's event loop where installed (uvicorn[standard] brings it)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
