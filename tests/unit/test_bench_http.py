"""The team benchmark's asyncio HTTP client reads answers as both servers send them:
Content-Length bodies and chunked ones."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "aio_http.py"
_SPEC = importlib.util.spec_from_file_location("bench_aio_http", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
aio_http = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(aio_http)


def _read(raw: bytes) -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        status, headers = aio_http.parse_head(await reader.readuntil(b"\r\n\r\n"))
        return status, await aio_http.read_body(reader, headers)

    return asyncio.run(go())


def test_content_length_body_is_read_exactly() -> None:
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}extra"
    assert _read(raw) == (200, b"{}")


def test_chunked_body_is_joined() -> None:
    head = b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = head + b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert _read(raw) == (400, b"abcde")


def test_a_non_http_status_line_is_an_error() -> None:
    with pytest.raises(aio_http.HttpError):
        aio_http.parse_head(b"SSH-2.0-OpenSSH\r\n\r\n")
