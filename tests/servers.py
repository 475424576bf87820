"""Real trackyard server processes for tests, on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

POSTGRES_URI = os.environ.get(
    "TRACKYARD_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    url: str
    data_dir: Path
    backend_store_uri: str
    process: subprocess.Popen
    log_path: Path
    extra_args: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(
    data_dir: Path,
    backend_store_uri: str,
    *extra_args: str,
    port: int | None = None,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """Start `trackyard server` and wait until /health answers; `env` adds to the
    environment it inherits."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = data_dir / f"server-{port}.log"
    command = [
        sys.executable, "-m", "trackyard", "server",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--backend-store-uri", backend_store_uri,
        "--artifacts-destination", str(data_dir / "artifacts"),
        *extra_args,
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    server = ServerProcess(
        f"http://127.0.0.1:{port}", data_dir, backend_store_uri, process, log_path,
        list(extra_args),
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"trackyard server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"trackyard server did not answer in {timeout}s:\n{server.log()}")


@contextmanager
def running_server(data_dir: Path, backend_store_uri: str, *extra_args: str):
    server = start_server(data_dir, backend_store_uri, *extra_args)
    try:
        yield server
    finally:
        server.stop()


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URI, connect_timeout=3):
            return True
    except Exception:
        return False


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, uniquely named database, dropped afterwards; yields its URI.

    Its commits do not wait for the WAL flush (`synchronous_commit = off`): the tests kill
    trackyard servers, never PostgreSQL, so what they check is unchanged (a commit is seen by
    every session at once), while the suite stops waiting on this machine's slow fsync."""
    import psycopg

    name = f"trackyard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URI, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base, _, _ = POSTGRES_URI.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URI, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
