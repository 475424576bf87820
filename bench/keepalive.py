"""The benchmark's HTTP client: one keep-alive connection on the standard library.

Client, server and database share this machine's two cores, so whatever the client spends
per request is taken from the server under test. httpx spends about three times what
`http.client` does per small request (~0.25 ms against ~0.08 ms on an idle machine), which
shows up as server latency and caps concurrent throughput. Both servers get this client.
"""

from __future__ import annotations

import http.client
import json as jsonlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

# Errors that mean the server closed an idle keep-alive connection before our request.
_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True)
class Response:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class KeepAliveClient:
    """`request(method, path, json=..., params=...)` over one persistent connection."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def request(
        self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None
    ) -> Response:
        if params:
            path = f"{path}?{urlencode(params, doseq=True)}"
        body = None if json is None else jsonlib.dumps(json).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            return self._send(method, path, body, headers)
        except _STALE_CONNECTION:
            # An idle connection the server has closed: nothing was processed, send again.
            self._connection.close()
            return self._send(method, path, body, headers)

    def _send(self, method: str, path: str, body: bytes | None, headers: dict) -> Response:
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        return Response(response.status, response.read())

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> KeepAliveClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
