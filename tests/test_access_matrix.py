"""The permission matrix, generated from the route table: every route x every kind of caller
gets the status its declared rule says (401 without valid credentials, 403 below the rule's
level, through otherwise). A route declared without a rule fails here."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest

from trackyard.access import rules
from trackyard.access.levels import Level
from trackyard.routes import AREAS

from .access_fixtures import ADMIN, PASSWORD, auth_server, bearer, database
from .conftest import BACKENDS, require_postgres

LEVELS = ("NONE", "READ", "EDIT", "MANAGE")


def _routes() -> list[tuple[str, str, rules.Rule | None]]:
    """(method, path, rule) of every route: typed endpoints under /api, raw routes as
    declared."""
    found = []
    for area in AREAS:
        for endpoint in area.endpoints:
            found.append((endpoint.method, endpoint.urls()[0], endpoint.rule))
        found += [(method, path, rule) for path, method, rule in area.raw_rules]
    return found


def test_every_route_declares_a_rule() -> None:
    missing = [f"{method} {path}" for method, path, rule in _routes() if rule is None]
    assert missing == []


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    """A server at default NO_PERMISSIONS; an experiment, run, logged model and registered
    model made by the admin; users holding READ, EDIT or MANAGE on both, one holding none."""
    if request.param == "postgres":
        require_postgres()
    data_dir = tmp_path_factory.mktemp(f"matrix-{request.param}")
    with (
        database(request.param, data_dir) as uri,
        auth_server(data_dir, uri, "--auth-default-permission", "NO_PERMISSIONS") as server,
    ):
        ids = _resources(server)
        users = {}
        for level in LEVELS:
            users[level] = server.user(f"user-{level.lower()}")
            if level != "NONE":
                server.grant(users[level][0], "experiment", ids["experiment"], level)
                server.grant(users[level][0], "registered_model", ids["model"], level)
        revoked, token_id = server.token(users["MANAGE"], "revoked")
        server.ok(
            "POST", "/api/2.0/trackyard/tokens/revoke", users["MANAGE"], json={"id": token_id}
        )
        yield server, ids, users, revoked


def _resources(server) -> dict[str, str]:
    experiment = server.ok("POST", "/api/2.0/mlflow/experiments/create", json={"name": "matrix"})
    experiment_id = experiment["experiment_id"]
    run = server.ok("POST", "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id})
    model = server.ok(
        "POST", "/api/2.0/mlflow/logged-models", json={"experiment_id": experiment_id, "name": "m"}
    )
    server.ok("POST", "/api/2.0/mlflow/registered-models/create", json={"name": "matrix-model"})
    trace = server.ok("POST", "/api/2.0/mlflow/traces", json={"experiment_id": experiment_id})
    return {
        "trace": trace["trace_info"]["request_id"],
        "experiment": experiment_id,
        "run": run["run"]["info"]["run_id"],
        "logged_model": model["model"]["info"]["model_id"],
        "model": "matrix-model",
    }


def _request(method: str, path: str, ids: dict[str, str]) -> dict:
    """A request naming the world's resources in every field a rule may read."""
    experiment, run, trace = ids["experiment"], ids["run"], ids["trace"]
    path = (
        path.replace("{model_id}", ids["logged_model"])
        .replace("{trace_id}", trace)
        .replace("{request_id}", trace)
        .replace("{assessment_id}", "a-none")
        .replace("{tag_key:path}", "k")
        .replace("{path:artifact_path}", f"{experiment}/{run}/artifacts/f.txt")
    )
    fields = {
        "experiment_id": experiment,
        "experiment_ids": [experiment],
        "experiment_name": "matrix",
        "run_id": run,
        "run_uuid": run,
        "run_ids": [run],
        "name": ids["model"],
        "version": "1",
        "resource_type": "experiment",
        "resource_id": experiment,
        "username": "nobody",
        "path": f"{experiment}/{run}/artifacts",
        "metric_key": "m",
        "trace_id": trace,
        "trace_ids": [trace],
        "request_id": trace,
    }
    if method in ("GET", "HEAD"):
        return {"url": f"{path}?{urlencode(fields, doseq=True)}"}
    if path == "/v1/traces":  # OTLP names the experiment in a header
        return {"url": path, "headers": {"x-mlflow-experiment-id": experiment}}
    query = urlencode({"run_uuid": run, "path": "f.txt", "name": ids["model"]})
    return {
        "url": f"{path}?{query}",
        "content": json.dumps(fields).encode(),
        "headers": {"Content-Type": "application/json"},
    }


def _expected(rule: rules.Rule | None, caller: str) -> str:
    """'401', '403', 'through' (neither), or 'signed in' (not 401: the handler may still
    refuse, as the auth API does for other users' records)."""
    if rule is None:
        return "a declared rule"
    if rule.scope == rules.OPEN:
        return "through"
    if caller in ("anonymous", "wrong password", "revoked token"):
        return "401"
    if caller == "admin":
        return "through"
    if rule.scope == rules.SIGNED_IN:
        return "signed in"
    if rule.scope == rules.FILTERED:
        return "through"
    if rule.scope == rules.ADMIN:
        return "403"
    held = Level.NO_PERMISSIONS if caller == "NONE" else Level[caller]
    return "through" if held >= rule.level else "403"


def _credentials(caller: str, users: dict, revoked: str) -> dict:
    if caller == "anonymous":
        return {}
    if caller == "wrong password":
        return {"auth": (users["READ"][0], PASSWORD + "x")}
    if caller == "revoked token":
        return {"token": revoked}
    return {"auth": ADMIN if caller == "admin" else users[caller]}


# Callers from least to most allowed: what a MANAGE user deletes is gone for the admin only.
CALLERS = ("anonymous", "wrong password", "revoked token", *LEVELS, "admin")


def test_permission_matrix(world) -> None:
    server, ids, users, revoked = world
    wrong = []
    for caller in CALLERS:
        for method, path, rule in _routes():
            expected = _expected(rule, caller)
            request = _request(method, path, ids)
            credentials = _credentials(caller, users, revoked)
            if "token" in credentials:
                request["headers"] = {
                    **request.get("headers", {}),
                    **bearer(credentials.pop("token")),
                }
            url = request.pop("url")
            response = httpx.request(method, server.url + url, timeout=30, **request, **credentials)
            status = response.status_code
            # The access layer's 401 challenges; a handler's own (a failed sign-in) does not.
            challenged = status == 401 and "www-authenticate" in response.headers
            if (
                expected == "a declared rule"
                or (expected == "401" and status != 401)
                or (expected == "403" and status != 403)
                or (expected == "through" and (status == 403 or challenged))
                or (expected == "signed in" and status == 401)
            ):
                wrong.append(f"{caller}: {method} {path} -> {status}, expected {expected}")
    assert not wrong, "\n".join(wrong)
