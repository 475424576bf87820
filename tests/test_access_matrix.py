"""The permission matrix, generated from the route table: every route x every kind of caller
gets the status its declared rule says (401 without valid credentials, 403 below the rule's
level, through otherwise); a route open to any signed-in user answers each caller exactly as
SIGNED_IN_ANSWERS says. A route declared without a rule, or such a route without its
answers, fails here."""

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


def test_signed_in_answers_name_only_routes_open_to_any_signed_in_user() -> None:
    """A row left behind when its route's rule changed would check nothing."""
    signed_in = {(m, p) for m, p, rule in _routes() if rule and rule.scope == rules.SIGNED_IN}
    assert set(SIGNED_IN_ANSWERS) - signed_in == set()


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
    # StartTraceV3 names its experiment inside the trace it starts (checked in the handler).
    location = {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment}}
    started = {"trace_info": {"trace_id": "tr-matrix", "trace_location": location}}
    return {
        "url": f"{path}?{query}",
        "content": json.dumps({**fields, "trace": started}).encode(),
        "headers": {"Content-Type": "application/json"},
    }


OK = "200"
UNAUTHENTICATED = "401 UNAUTHENTICATED"
DENIED = "403 PERMISSION_DENIED"  # the access layer's, or a handler's (others' records)
NO_USER = "404 RESOURCE_DOES_NOT_EXIST"  # the admin asks about user "nobody"
TAKEN = "400 RESOURCE_ALREADY_EXISTS"
INVALID = "400 INVALID_PARAMETER_VALUE"


def _answers(user: str, admin: str = "", **levels: str) -> dict[str, str]:
    """What a SIGNED_IN route answers each signed-in caller: `user` for every non-admin
    unless `levels` names their own, `admin` for the admin (`user` if not given)."""
    return {**{level: levels.get(level, user) for level in LEVELS}, "admin": admin or user}


# What each route open to any signed-in user answers each of them, for the request `_request`
# makes ("status ERROR_CODE"): the route's own answer, exactly. A SIGNED_IN route missing
# here fails the matrix. Callers go from NONE to admin, so the first creator of a name wins.
SIGNED_IN_ANSWERS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/2.0/mlflow/users/current"): _answers(OK),
    ("GET", "/api/2.0/mlflow/users/get"): _answers(DENIED, NO_USER),
    ("PATCH", "/api/2.0/mlflow/users/update-password"): _answers(DENIED, INVALID),  # no password
    ("GET", "/api/3.0/mlflow/users/permissions/get"): _answers(DENIED, NO_USER),
    ("GET", "/api/3.0/mlflow/users/permissions/list"): _answers(DENIED, NO_USER),
    ("GET", "/api/3.0/mlflow/users/current/permissions"): _answers(OK),
    ("GET", "/api/3.0/mlflow/users/roles/list"): _answers(DENIED, NO_USER),
    ("POST", "/api/2.0/trackyard/tokens/create"): _answers(OK),
    ("GET", "/api/2.0/trackyard/tokens/list"): _answers(OK),
    ("POST", "/api/2.0/trackyard/tokens/revoke"): _answers(INVALID),  # no token id
    ("GET", "/api/2.0/trackyard/permissions/mine"): _answers(OK),
    ("GET", "/api/2.0/trackyard/permissions/experiments"): _answers(OK),
    ("POST", "/api/2.0/mlflow/experiments/create"): _answers(TAKEN, NONE=OK),
    # MANAGE deletes the model (registered-models/delete), so the admin makes it anew.
    ("POST", "/api/2.0/mlflow/registered-models/create"): _answers(TAKEN, OK),
    # StartTraceV3 needs EDIT on the experiment its trace names, checked in the handler.
    ("POST", "/api/3.0/mlflow/traces"): _answers(OK, NONE=DENIED, READ=DENIED),
    ("POST", "/ajax-api/3.0/mlflow/traces"): _answers(OK, NONE=DENIED, READ=DENIED),
    ("GET", "/graphql"): _answers("400"),
    ("POST", "/graphql"): _answers("400"),
    ("GET", "/ajax-api/graphql"): _answers("400"),
    ("POST", "/ajax-api/graphql"): _answers("400"),
}


def _expected(rule: rules.Rule | None, caller: str, method: str, path: str) -> str:
    """An exact answer ("status ERROR_CODE": the access layer's 401 or 403, a SIGNED_IN
    route's own from SIGNED_IN_ANSWERS), or 'through' (neither 401 nor 403: the handler's)."""
    if rule is None:
        return "a declared rule"
    if rule.scope == rules.OPEN:
        return "through"
    if caller in ("anonymous", "wrong password", "revoked token"):
        return UNAUTHENTICATED
    if rule.scope == rules.SIGNED_IN:
        return SIGNED_IN_ANSWERS.get((method, path), {}).get(caller, "a declared answer")
    if caller == "admin":
        return "through"
    if rule.scope == rules.FILTERED:
        return "through"
    if rule.scope == rules.ADMIN:
        return DENIED
    held = Level.NO_PERMISSIONS if caller == "NONE" else Level[caller]
    return "through" if held >= rule.level else DENIED


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
            expected = _expected(rule, caller, method, path)
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
            answer = f"{status} {_error_code(response)}".strip()
            if (
                expected in ("a declared rule", "a declared answer")
                or (expected == "through" and (status == 403 or challenged))
                or (expected[0].isdigit() and answer != expected)
            ):
                wrong.append(f"{caller}: {method} {path} -> {answer}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def _error_code(response: httpx.Response) -> str:
    """MLflow's error_code of an error answer; empty for success or a body without one."""
    if response.status_code < 400:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("error_code", "") if isinstance(body, dict) else ""
