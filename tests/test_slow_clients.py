"""Bounds on slow, stuck and greedy clients: header and body deadlines, the memory that
request bodies may hold, deep JSON, and how long shutdown may take.

Clients here are raw sockets, as a slow-loris or a stalled uploader is. A socket read timeout
is the failure signal (the server never answered), not a measurement.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from .helpers import API, assert_error, unique
from .servers import ServerProcess, start_server

READ_TIMEOUT = 1  # the server's --read-timeout in this module, in seconds
KEEP_ALIVE = 3  # its --keep-alive-timeout
# How long a test waits for the server to act on a one-second deadline before failing.
PATIENCE = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("limits")
    process = start_server(
        data_dir,
        f"sqlite:///{data_dir / 'trackyard.db'}",
        "--read-timeout", str(READ_TIMEOUT),
        "--keep-alive-timeout", str(KEEP_ALIVE),
        "--max-body-memory-mb", "100",
    )  # fmt: skip
    yield process
    process.stop()


def connect(server: ServerProcess) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(PATIENCE)
    return sock


def request_head(method: str, path: str, length: int, content_type: str) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and as much of the body as arrived until the server closed."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
            if len(body) >= int(headers.get("content-length", -1)):
                return int(head.split()[1]), headers, body
    raise AssertionError(f"connection closed before a whole answer: {data[:200]!r}")


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes; a socket timeout (PATIENCE) fails the test."""
    return sock.recv(1) == b""


# ---------------------------------------------------------------- headers
def test_a_connection_that_sends_nothing_is_closed(server):
    with connect(server) as sock:
        assert closed_by_server(sock)


def test_a_slow_loris_request_is_closed_before_its_headers_finish(server):
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert closed_by_server(sock)


def ask_health(sock: socket.socket) -> None:
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert read_answer(sock)[::2] == (200, b"OK")


def test_a_keep_alive_connection_serves_requests_within_the_deadline(server):
    with connect(server) as sock:
        for _ in range(3):
            ask_health(sock)


def test_an_idle_connection_outlives_the_header_deadline_until_the_keep_alive_timeout(server):
    with connect(server) as sock:
        ask_health(sock)
        time.sleep(READ_TIMEOUT + 0.5)  # idle between requests is no slow request
        ask_health(sock)
        started = time.monotonic()
        assert closed_by_server(sock)
        assert time.monotonic() - started > KEEP_ALIVE - 1


def test_by_default_an_idle_connection_stays_open_past_the_gaps_of_a_training_loop(
    tmp_path,
):
    """A client that logs every few seconds reuses its connection; with uvicorn's 5 s
    default, a request sent as the server closed the idle connection was lost."""
    process = start_server(tmp_path, f"sqlite:///{tmp_path / 'trackyard.db'}")
    try:
        with connect(process) as sock:
            ask_health(sock)
            time.sleep(6)
            ask_health(sock)
    finally:
        process.stop()


# ---------------------------------------------------------------- bodies
def test_a_stalled_json_body_is_answered_408_and_closed(server):
    with connect(server) as sock:
        path = f"{API}/experiments/create"
        sock.sendall(request_head("POST", path, 1000, "application/json") + b'{"name": ')
        status, headers, body = read_answer(sock)
        assert status == 408
        assert json.loads(body)["error_code"] == "BAD_REQUEST"
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_a_stalled_artifact_upload_is_answered_408_and_stores_nothing(server):
    name = unique("stalled")
    path = f"/api/2.0/mlflow-artifacts/artifacts/{name}/big.bin"
    with connect(server) as sock:
        sock.sendall(request_head("PUT", path, 10 * 2**30, "application/octet-stream"))
        sock.sendall(b"x" * 5 * 2**20)
        status, _, _ = read_answer(sock)
        assert status == 408
    listing = httpx.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts", params={"path": name})
    assert listing.json().get("files", []) == []


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(server):
    with connect(server) as sock:
        sock.sendall(request_head("POST", f"{API}/runs/log-batch", 65 * 2**20, "application/json"))
        status, _, body = read_answer(sock)
        assert status == 413
        assert json.loads(body)["error_code"] == "BAD_REQUEST"


def test_bodies_over_the_memory_budget_get_503_with_retry_after(server):
    """The server holds at most 100 MiB of bodies: a second 60 MiB one must wait."""
    size = 60 * 2**20
    head = request_head("POST", f"{API}/runs/log-batch", size, "application/json")
    with connect(server) as first, connect(server) as second:
        first.sendall(head + b"{")
        second.sendall(head + b"{")
        status, headers, body = read_answer(second)
        assert status == 503
        assert json.loads(body)["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert int(headers["retry-after"]) > 0
        first.sendall(b" " * (size - 2) + b"}")
        status, _, body = read_answer(first)
        assert status == 400  # an empty log-batch: no run_id
    # The first body's bytes were given back: a request of the same size is taken again.
    response = httpx.post(
        f"{server.url}{API}/runs/log-batch",
        content=b"{" + b" " * (size - 2) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=PATIENCE,
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


# ---------------------------------------------------------------- deep JSON
@pytest.mark.parametrize("path", ["experiments/create", "runs/search", "runs/log-batch"])
@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_a_clear_400(server, path, depth):
    """Even in a field the endpoint does not know, which nothing else would look at."""
    body = '{"unknown": ' + "[" * depth + "]" * depth + "}"
    response = httpx.post(
        f"{server.url}{API}/{path}", content=body, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, "BAD_REQUEST", 400)
    assert "nested too deeply" in error["message"]


# ---------------------------------------------------------------- shutdown
def test_shutdown_is_bounded_by_the_grace_when_a_client_stops_reading(tmp_path):
    server = start_server(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "--shutdown-grace", "1")
    path = f"/api/2.0/mlflow-artifacts/artifacts/{unique('big')}/blob.bin"
    httpx.put(f"{server.url}{path}", content=b"\0" * 64 * 2**20, timeout=60).raise_for_status()
    with connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        sock.recv(1024)  # the download has started; nothing more is read
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            server.stop(signal.SIGKILL)
            pytest.fail("the server outlived its shutdown grace")


def test_shutdown_lets_an_in_flight_request_finish_within_the_grace(tmp_path):
    server = start_server(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "--shutdown-grace", "30")
    body = json.dumps({"name": unique("in-flight")}).encode()
    with connect(server) as sock:
        head = request_head("POST", f"{API}/experiments/create", len(body), "application/json")
        sock.sendall(head + body[:5])
        # Once a later request is answered, the server has taken this one in.
        assert httpx.get(f"{server.url}/health").status_code == 200
        server.process.send_signal(signal.SIGTERM)
        sock.sendall(body[5:])
        status, _, answer = read_answer(sock)
    assert status == 200, answer
    server.process.wait(timeout=PATIENCE)  # uvicorn ends by re-raising SIGTERM
