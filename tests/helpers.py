"""Assertions shared by the test modules."""

from __future__ import annotations

import uuid

import httpx

API = "/api/2.0/mlflow"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_error(response: httpx.Response, error_code: str, status: int) -> dict:
    """An MLflow-shaped JSON error with exactly this code and HTTP status."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert (response.status_code, body["error_code"]) == (status, error_code), body
    return body


def create_run(http: httpx.Client, experiment_id: str, **fields) -> str:
    response = http.post(f"{API}/runs/create", json={"experiment_id": experiment_id, **fields})
    assert response.status_code == 200, response.text
    return response.json()["run"]["info"]["run_id"]
