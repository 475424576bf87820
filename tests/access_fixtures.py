"""Servers with --auth for the access-control tests: an admin, users with a given grant."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .servers import ServerProcess, postgres_database, start_server

ADMIN = ("admin", "admin-password-1")
PASSWORD = "user-password-12"


@dataclass
class AuthServer:
    server: ServerProcess

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, method: str, path: str, auth=ADMIN, **kwargs) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", auth=auth, timeout=30, **kwargs)

    def ok(self, method: str, path: str, auth=ADMIN, **kwargs) -> dict:
        response = self.call(method, path, auth, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def user(self, username: str) -> tuple[str, str]:
        self.ok(
            "POST",
            "/api/2.0/mlflow/users/create",
            json={"username": username, "password": PASSWORD},
        )
        return (username, PASSWORD)

    def grant(self, username: str, resource_type: str, resource_id: str, permission: str) -> None:
        body = {
            "username": username,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "permission": permission,
        }
        self.ok("POST", "/api/3.0/mlflow/users/permissions/grant", json=body)

    def token(self, auth: tuple[str, str], name: str = "test") -> tuple[str, int]:
        answer = self.ok("POST", "/api/2.0/trackyard/tokens/create", auth, json={"name": name})
        return answer["token"], answer["token_info"]["id"]


def auth_env() -> dict[str, str]:
    return {"TRACKYARD_ADMIN_USERNAME": ADMIN[0], "TRACKYARD_ADMIN_PASSWORD": ADMIN[1]}


@contextmanager
def auth_server(data_dir: Path, uri: str, *args: str) -> Iterator[AuthServer]:
    process = start_server(data_dir, uri, "--auth", *args, env=auth_env())
    try:
        yield AuthServer(process)
    finally:
        process.stop()


@contextmanager
def database(backend: str, data_dir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / 'auth.db'}"
        return
    with postgres_database() as uri:
        yield uri


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
