"""What a browser may do with the server: Host names, origins, CORS and security headers.

A tracking server on a laptop or a team network is within reach of every web page its users
open, and two browser attacks on it need no credential at all:

- Cross-site requests: a page on another origin sends a "simple" request (a POST with a
  text/plain body needs no preflight) and the server acts on it. A write whose Origin is
  neither the server's own nor an allowed one is refused here; `wire` refuses JSON bodies of
  any other content type as a second line.
- DNS rebinding: a hostile name is made to resolve to 127.0.0.1, so its page becomes
  same-origin with the server and may read answers too. Only the Host header tells, so a
  request for a name the server does not serve is refused. IP addresses and loopback names
  are always served: a rebinding page cannot send them, as the browser sends the name the
  page was loaded from.

Allowed origins get CORS headers and answered preflights. Every response says nosniff and may
be framed only by the server's own pages.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import click
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError
from .wire import error_response

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Health checks of load balancers and containers call these by address or service name.
UNCHECKED_PATHS = frozenset({"/health", "/version"})
LOOPBACK_NAMES = ("localhost", "*.localhost")
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::"})
# API answers and artifacts are never pages: nothing in them may load or run.
DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'self'"
SECURITY_HEADERS = [
    (b"content-security-policy", DEFAULT_CSP),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
]
PREFLIGHT_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
PREFLIGHT_MAX_AGE = b"600"


class Patterns:
    """Names or origins: exact, with `*` wildcards (`*.example.com`), or `*` for any."""

    def __init__(self, patterns: Iterable[str]) -> None:
        cleaned = {pattern.strip().lower().rstrip("/") for pattern in patterns} - {""}
        self.any = "*" in cleaned
        self.exact = frozenset(pattern for pattern in cleaned if "*" not in pattern)
        self.wildcards = tuple(pattern for pattern in cleaned if "*" in pattern)

    def __contains__(self, value: str) -> bool:
        return (
            self.any
            or value in self.exact
            or any(fnmatchcase(value, pattern) for pattern in self.wildcards)
        )


def host_name(host_header: str) -> str:
    """The name or address in a Host header, without its port, brackets or final dot."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        text = name
    return text.rstrip(".")


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _authority(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL or Host header value; None if it is neither."""
    try:
        parts = urlsplit(url if "//" in url else f"http://{url}")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def same_origin(origin: str, host_header: str) -> bool:
    """Whether `origin` names the host and port the request was sent to. The scheme is not
    compared: behind a TLS proxy the server cannot see the one the browser used."""
    target = _authority(origin)
    if target is None:
        return False
    scheme = origin.partition(":")[0]
    return _authority(f"{scheme}://{host_header}") == target


@dataclass(frozen=True)
class BrowserPolicy:
    hosts: Patterns
    origins: Patterns

    @classmethod
    def create(
        cls, bound_host: str, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]
    ) -> BrowserPolicy:
        """Served names: loopback names, the bound host's name, and `allowed_hosts`."""
        names = [*LOOPBACK_NAMES, *allowed_hosts]
        if bound_host not in WILDCARD_ADDRESSES:
            names.append(host_name(bound_host))
        return cls(Patterns(names), Patterns(allowed_origins))

    def serves(self, host_header: str | None) -> bool:
        if host_header is None:
            return self.hosts.any
        name = host_name(host_header)
        return name in self.hosts or is_address(name)

    def allows_origin(self, origin: str) -> bool:
        return origin.lower().rstrip("/") in self.origins


class BrowserGuard:
    """The ASGI layer that applies a `BrowserPolicy` before the app sees a request."""

    def __init__(self, app: ASGIApp, policy: BrowserPolicy) -> None:
        self.app = app
        self.policy = policy
        # A server is called by a handful of names: each is judged once (an address parse
        # and pattern matches cost more than the rest of this layer).
        self.serves = lru_cache(maxsize=256)(policy.serves)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = preflight = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                preflight = value
        cross_origin = origin is not None and not same_origin(origin, host or "")
        allowed = cross_origin and self.policy.allows_origin(origin or "")
        extra = self._cors_headers(origin) if allowed else []
        refusal = self._refusal(scope, host, origin if cross_origin and not allowed else None)
        if refusal is not None:
            await error_response(refusal)(scope, receive, _with_headers(send, extra))
        elif preflight is not None and scope["method"] == "OPTIONS" and cross_origin:
            await _preflight(scope, send, extra)
        else:
            await self.app(scope, receive, _with_headers(send, extra))

    def _refusal(self, scope: Scope, host: str | None, foreign: str | None) -> ApiError | None:
        """Why the request is refused, if it is: a Host not served, or a write (or its
        preflight) from an origin not allowed."""
        if scope["path"] not in UNCHECKED_PATHS and not self.serves(host):
            return ApiError(
                f"Host {host!r} is not served here (a DNS rebinding attempt, or a name to add "
                "with --allowed-hosts / TRACKYARD_ALLOWED_HOSTS).",
                "PERMISSION_DENIED",
            )
        if foreign is not None and (
            scope["method"] in STATE_CHANGING or scope["method"] == "OPTIONS"
        ):
            return ApiError(
                f"Cross-origin request from {foreign!r} refused: allow the origin with "
                "--cors-allowed-origins / TRACKYARD_CORS_ALLOWED_ORIGINS.",
                "PERMISSION_DENIED",
            )
        return None

    def _cors_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        if self.policy.origins.any:  # any origin, never with the user's credentials
            return [(b"access-control-allow-origin", b"*")]
        return [
            (b"access-control-allow-origin", (origin or "").encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]


async def _preflight(scope: Scope, send: Send, cors: list[tuple[bytes, bytes]]) -> None:
    requested = next(
        (value for name, value in scope["headers"] if name == b"access-control-request-headers"),
        b"",
    )
    headers = [
        *cors,
        (b"access-control-allow-methods", PREFLIGHT_METHODS),
        (b"access-control-max-age", PREFLIGHT_MAX_AGE),
        *([(b"access-control-allow-headers", requested)] if requested else []),
    ]
    await _with_headers(send, [])(
        {"type": "http.response.start", "status": 204, "headers": headers}
    )
    await send({"type": "http.response.body", "body": b""})


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """`send` adding the security headers (and `extra`) to the response's start, except
    those the app set itself (the UI's Content-Security-Policy, say)."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [header for header in SECURITY_HEADERS if header[0] not in present]
            message = {**message, "headers": [*headers, *extra]}
        await send(message)

    return send_with_headers


def _split(ctx: Any, param: Any, value: tuple[str, ...]) -> tuple[str, ...]:
    """Both repeated flags and one comma-separated value (as environment variables hold)."""
    return tuple(part.strip() for item in value for part in item.split(",") if part.strip())


# `trackyard server` flags for this layer; the keyword arguments match ServerConfig fields.
OPTIONS = [
    click.option(
        "--allowed-hosts",
        multiple=True,
        callback=_split,
        envvar=["TRACKYARD_ALLOWED_HOSTS", "MLFLOW_SERVER_ALLOWED_HOSTS"],
        help="Host names served besides IP addresses, localhost and the --host name; "
        "comma-separated, `*.example.com` wildcards, `*` for any.",
    ),
    click.option(
        "--cors-allowed-origins",
        multiple=True,
        callback=_split,
        envvar=["TRACKYARD_CORS_ALLOWED_ORIGINS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"],
        help="Web origins (https://app.example.com) whose pages may call the API; "
        "comma-separated, `*` for any (then without credentials). [default: none]",
    ),
]
