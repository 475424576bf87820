"""Access control through real servers and the stock client: Basic and Bearer credentials,
MLflow's basic-auth client, search filtering with paging, revocation across servers, and
hostile input to the auth API (clear 4xx, nothing changed)."""

from __future__ import annotations

import time

import httpx
import pytest

from .access_fixtures import ADMIN, PASSWORD, AuthServer, auth_server, bearer, database
from .conftest import BACKENDS, require_postgres
from .servers import postgres_database, start_server
from .test_migrations import _execute


@pytest.fixture(scope="module", params=BACKENDS)
def secured(request, tmp_path_factory):
    if request.param == "postgres":
        require_postgres()
    data_dir = tmp_path_factory.mktemp(f"auth-{request.param}")
    with database(request.param, data_dir) as uri, auth_server(data_dir, uri) as server:
        yield server


@pytest.fixture
def stock_env(monkeypatch, secured: AuthServer):
    """The stock client's environment, pointed at the secured server; credentials unset."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", secured.url)
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _log_and_read(name: str) -> list[float]:
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment_id = client.create_experiment(name)
    run = client.create_run(experiment_id)
    for step in range(3):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    return [m.value for m in client.get_metric_history(run.info.run_id, "loss")]


def test_stock_client_logs_with_basic_credentials(secured, stock_env) -> None:
    username, password = secured.user("basic-user")
    stock_env.setenv("MLFLOW_TRACKING_USERNAME", username)
    stock_env.setenv("MLFLOW_TRACKING_PASSWORD", password)
    assert _log_and_read("basic-logged") == [1.0, 0.5, 1 / 3]


def test_stock_client_logs_with_a_bearer_token(secured, stock_env) -> None:
    token, _ = secured.token(secured.user("bearer-user"))
    stock_env.setenv("MLFLOW_TRACKING_TOKEN", token)
    assert _log_and_read("bearer-logged") == [1.0, 0.5, 1 / 3]


def test_stock_client_without_credentials_is_unauthenticated(secured, stock_env) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as raised:
        MlflowClient().search_experiments()
    assert raised.value.error_code == "UNAUTHENTICATED"


def test_stock_client_is_denied_another_users_experiment(secured, stock_env) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    owner = secured.user("owner-user")
    experiment = secured.ok(
        "POST", "/api/2.0/mlflow/experiments/create", owner, json={"name": "owned"}
    )
    username, password = secured.user("outsider-user")
    secured.grant(username, "experiment", experiment["experiment_id"], "DENY")
    stock_env.setenv("MLFLOW_TRACKING_USERNAME", username)
    stock_env.setenv("MLFLOW_TRACKING_PASSWORD", password)
    with pytest.raises(MlflowException) as raised:
        MlflowClient().create_run(experiment["experiment_id"])
    assert raised.value.error_code == "PERMISSION_DENIED"


def test_runs_count_counts_only_the_callers_readable_experiments(secured) -> None:
    owner = secured.user("count-owner")
    ids = []
    for name, runs in (("count-open", 3), ("count-closed", 2)):
        experiment = secured.ok(
            "POST", "/api/2.0/mlflow/experiments/create", owner, json={"name": name}
        )
        ids.append(experiment["experiment_id"])
        for _ in range(runs):
            body = {"experiment_id": ids[-1]}
            secured.ok("POST", "/api/2.0/mlflow/runs/create", owner, json=body)
    outsider = secured.user("count-outsider")
    secured.grant(outsider[0], "experiment", ids[1], "DENY")
    path, body = "/api/2.0/trackyard/runs/count", {"experiment_ids": ids}
    assert secured.ok("POST", path, owner, json=body) == {"count": 5}
    assert secured.ok("POST", path, outsider, json=body) == {"count": 3}
    only_closed = {"experiment_ids": ids[1:]}
    assert secured.ok("POST", path, outsider, json=only_closed) == {"count": 0}


def test_basic_auth_app_client_creates_users_and_grants(secured, stock_env) -> None:
    from mlflow.server import get_app_client

    stock_env.setenv("MLFLOW_TRACKING_USERNAME", ADMIN[0])
    stock_env.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN[1])
    client = get_app_client("basic-auth", secured.url)
    user = client.create_user("app-client-user", PASSWORD)
    assert (user.username, user.is_admin) == ("app-client-user", False)
    assert client.get_user("app-client-user").id == user.id
    experiment = secured.ok("POST", "/api/2.0/mlflow/experiments/create", json={"name": "granted"})
    client.grant_user_permission(
        "app-client-user", "experiment", experiment["experiment_id"], "EDIT"
    )
    answer = client.get_user_permission(
        "app-client-user", "experiment", experiment["experiment_id"]
    )
    assert (answer.allowed, answer.permission) == (True, "EDIT")
    run = secured.ok(
        "POST",
        "/api/2.0/mlflow/runs/create",
        ("app-client-user", PASSWORD),
        json={"experiment_id": experiment["experiment_id"]},
    )
    assert run["run"]["info"]["experiment_id"] == experiment["experiment_id"]
    client.update_user_admin("app-client-user", True)
    assert client.get_user("app-client-user").is_admin
    client.delete_user("app-client-user")
    assert (
        secured.call("GET", "/api/2.0/mlflow/users/get?username=app-client-user").status_code == 404
    )


def test_classic_2x_permission_endpoints_grant_and_answer(secured) -> None:
    username, _ = secured.user("classic-user")
    experiment = secured.ok("POST", "/api/2.0/mlflow/experiments/create", json={"name": "classic"})
    body = {
        "experiment_id": experiment["experiment_id"],
        "username": username,
        "permission": "READ",
    }
    created = secured.ok("POST", "/api/2.0/mlflow/experiments/permissions/create", json=body)
    assert created["experiment_permission"]["permission"] == "READ"
    secured.ok(
        "PATCH",
        "/api/2.0/mlflow/experiments/permissions/update",
        json={**body, "permission": "MANAGE"},
    )
    query = f"experiment_id={experiment['experiment_id']}&username={username}"
    got = secured.ok("GET", f"/api/2.0/mlflow/experiments/permissions/get?{query}")
    assert got["experiment_permission"]["permission"] == "MANAGE"
    secured.ok("DELETE", "/api/2.0/mlflow/experiments/permissions/delete", json=body)
    gone = secured.call("GET", f"/api/2.0/mlflow/experiments/permissions/get?{query}")
    assert gone.status_code == 404


def test_search_pages_through_exactly_the_readable_experiments(tmp_path) -> None:
    """400 experiments, 150 of them granted READ to a user at default NO_PERMISSIONS: the
    user's pages of 40 hold exactly those 150, each once."""
    with auth_server(
        tmp_path,
        f"sqlite:///{tmp_path / 'paging.db'}",
        "--auth-default-permission",
        "NO_PERMISSIONS",
    ) as server:
        _check_paging(server)


def test_search_paging_on_postgres(tmp_path) -> None:
    require_postgres()
    with (
        postgres_database() as uri,
        auth_server(tmp_path, uri, "--auth-default-permission", "NO_PERMISSIONS") as server,
    ):
        _check_paging(server)


def _check_paging(server: AuthServer) -> None:
    reader = server.user("pager")
    granted = set()
    with httpx.Client(base_url=server.url, auth=ADMIN, timeout=30) as http:
        for number in range(400):
            answer = http.post("/api/2.0/mlflow/experiments/create", json={"name": f"e{number}"})
            experiment_id = answer.json()["experiment_id"]
            if number % 8 < 3:
                body = {"username": reader[0], "resource_type": "experiment",
                        "resource_id": experiment_id, "permission": "READ"}  # fmt: skip
                assert (
                    http.post("/api/3.0/mlflow/users/permissions/grant", json=body).status_code
                    == 200
                )
                granted.add(experiment_id)
    assert len(granted) == 150
    seen: list[str] = []
    token = ""
    while True:
        page = server.ok(
            "POST", "/api/2.0/mlflow/experiments/search", reader,
            json={"max_results": 40, "page_token": token},
        )  # fmt: skip
        seen += [experiment["experiment_id"] for experiment in page["experiments"]]
        token = page.get("next_page_token", "")
        if not token:
            break
    assert sorted(seen) == sorted(granted)


def test_a_revoked_token_is_refused_by_another_server_within_5_seconds(tmp_path) -> None:
    require_postgres()
    with postgres_database() as uri, auth_server(tmp_path / "a", uri) as first:
        second = start_server(tmp_path / "b", uri, "--auth")
        try:
            token, token_id = first.token(first.user("two-servers"))
            url = f"{second.url}/api/2.0/mlflow/experiments/search"
            assert httpx.post(url, json={}, headers=bearer(token)).status_code == 200
            first.ok(
                "POST",
                "/api/2.0/trackyard/tokens/revoke",
                ("two-servers", PASSWORD),
                json={"id": token_id},
            )
            deadline = time.monotonic() + 5
            status = 200
            while status == 200 and time.monotonic() < deadline:
                status = httpx.post(url, json={}, headers=bearer(token)).status_code
                time.sleep(0.1)
            assert status == 401
        finally:
            second.stop()


# ------------------------------------------------------------------------------ hostile input
def _users(server: AuthServer) -> list[str]:
    return [user["username"] for user in server.ok("GET", "/api/2.0/mlflow/users/list")["users"]]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x" * 300, "password": PASSWORD},
        {"username": "long-password", "password": "p" * 5000},
        {"username": "short-password", "password": "short"},
        {"username": "colon:name", "password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": 5, "password": PASSWORD},
    ],
    ids=["overlong-name", "overlong-password", "short-password", "colon", "empty", "number"],
)
def test_bad_new_users_are_refused_with_400(secured, body) -> None:
    before = _users(secured)
    answer = secured.call("POST", "/api/2.0/mlflow/users/create", json=body)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert _users(secured) == before


def test_a_sql_like_username_is_only_a_name(secured) -> None:
    name = "x'); DROP TABLE users; --"
    secured.user(name)
    assert (
        secured.ok("GET", "/api/2.0/mlflow/users/get", params={"username": name})["user"][
            "username"
        ]
        == name
    )
    assert ADMIN[0] in _users(secured)


@pytest.mark.parametrize("permission", ["SUPERUSER", "read", "NO_PERMISSIONS", ""])
def test_unknown_or_ungrantable_permissions_are_refused(secured, permission) -> None:
    username, _ = secured.user(f"perm-{permission or 'empty'}")
    experiment = secured.ok(
        "POST", "/api/2.0/mlflow/experiments/create", json={"name": f"p-{permission}"}
    )
    body = {"username": username, "resource_type": "experiment",
            "resource_id": experiment["experiment_id"], "permission": permission}  # fmt: skip
    answer = secured.call("POST", "/api/3.0/mlflow/users/permissions/grant", json=body)
    assert answer.status_code == 400
    listed = secured.ok(
        "GET", "/api/3.0/mlflow/users/permissions/list", params={"username": username}
    )
    assert listed["permissions"] == []


@pytest.mark.parametrize(
    ("resource_type", "resource_id", "status"),
    [("experiment", "987654", 404), ("registered_model", "no-such-model", 404),
     ("experiment", "1 OR 1=1", 400), ("workspace", "1", 400)],
)  # fmt: skip
def test_granting_on_a_missing_or_malformed_resource_is_refused(
    secured, resource_type, resource_id, status
) -> None:
    username, _ = secured.user(f"missing-{resource_type}-{status}-{len(resource_id)}")
    body = {"username": username, "resource_type": resource_type,
            "resource_id": resource_id, "permission": "READ"}  # fmt: skip
    assert (
        secured.call("POST", "/api/3.0/mlflow/users/permissions/grant", json=body).status_code
        == status
    )


def test_an_admin_cannot_delete_themselves(secured) -> None:
    answer = secured.call("DELETE", "/api/2.0/mlflow/users/delete", json={"username": ADMIN[0]})
    assert answer.status_code == 400
    assert ADMIN[0] in _users(secured)


def test_the_last_admin_keeps_admin_rights(secured) -> None:
    answer = secured.call(
        "PATCH",
        "/api/2.0/mlflow/users/update-admin",
        json={"username": ADMIN[0], "is_admin": False},
    )
    assert answer.status_code == 400
    assert secured.ok("GET", "/api/2.0/mlflow/users/current")["user"]["is_admin"] is True


def test_changing_ones_own_password_needs_the_current_one(secured) -> None:
    user = secured.user("self-service")
    body = {"username": user[0], "password": "a-new-password-1"}
    assert (
        secured.call("PATCH", "/api/2.0/mlflow/users/update-password", user, json=body).status_code
        == 400
    )
    body["current_password"] = PASSWORD
    secured.ok("PATCH", "/api/2.0/mlflow/users/update-password", user, json=body)
    assert (
        secured.call(
            "GET", "/api/2.0/mlflow/users/current", (user[0], "a-new-password-1")
        ).status_code
        == 200
    )


def test_a_session_cookie_write_needs_an_origin(secured) -> None:
    username, password = secured.user("browser-user")
    signed_in = httpx.post(
        f"{secured.url}/api/2.0/trackyard/session/sign-in",
        json={"username": username, "password": password},
    )
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    cookies = signed_in.cookies
    url = f"{secured.url}/api/2.0/mlflow/experiments/create"
    assert httpx.post(url, json={"name": "csrf"}, cookies=cookies).status_code == 403
    ok = httpx.post(url, json={"name": "csrf"}, cookies=cookies, headers={"Origin": secured.url})
    assert ok.status_code == 200


def test_start_with_auth_and_no_admin_is_refused(tmp_path) -> None:
    with pytest.raises(RuntimeError, match="needs an admin"):
        start_server(tmp_path, f"sqlite:///{tmp_path / 'none.db'}", "--auth", timeout=20)


def test_tokens_issue_gives_a_service_its_own_token_once(secured, tmp_path) -> None:
    """docker-compose's init step: a user and token made through the API with the admin's
    credentials; a second run leaves the token as it is."""
    import os
    import subprocess
    import sys

    out = tmp_path / "mlflow-token"
    command = [sys.executable, "-m", "trackyard", "tokens", "issue", "--server", secured.url,
               "--username", "notebooks", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "TRACKYARD_ADMIN_USERNAME": ADMIN[0], "TRACKYARD_ADMIN_PASSWORD": ADMIN[1]}
    subprocess.run(command, env=env, check=True, capture_output=True)
    token = out.read_text().strip()
    who = httpx.get(f"{secured.url}/api/2.0/mlflow/users/current", headers=bearer(token))
    assert who.json()["user"]["username"] == "notebooks"
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert out.read_text().strip() == token


# ----------------------------------------------- grants outlive nothing: delete, rename, gc
MODEL_PATH = "/api/2.0/mlflow/registered-models"


def _permission(server: AuthServer, username: str, resource_type: str, resource_id: str) -> str:
    query = {"username": username, "resource_type": resource_type, "resource_id": resource_id}
    return server.ok("GET", "/api/3.0/mlflow/users/permissions/get", params=query)["permission"]


def _listed(server: AuthServer, username: str) -> list[tuple[str, str]]:
    answer = server.ok(
        "GET", "/api/3.0/mlflow/users/permissions/list", params={"username": username}
    )
    return [(row["resource_type"], row["resource_id"]) for row in answer["permissions"]]


def _grant_rows(server: AuthServer, resource_type: str, key: int) -> int:
    """Rows of the grants table on one resource, read from the database itself."""
    sql = (
        f"SELECT count(*) FROM grants WHERE resource_type = '{resource_type}' "
        f"AND resource_key = {int(key)}"
    )
    return _execute(server.server.backend_store_uri, sql)[0][0]


def _model_key(server: AuthServer, name: str) -> int:
    sql = f"SELECT id FROM registered_models WHERE name = '{name}'"
    return _execute(server.server.backend_store_uri, sql)[0][0]


def _role_member(server: AuthServer, name: str) -> tuple[int, tuple[str, str]]:
    """A role with one member; (role id, the member's credentials)."""
    role = server.ok("POST", "/api/3.0/mlflow/roles/create", json={"name": name})["role"]
    member = server.user(f"{name}-member")
    body = {"username": member[0], "role_id": role["id"]}
    server.ok("POST", "/api/3.0/mlflow/roles/assign", json=body)
    return role["id"], member


def _grant_role(server: AuthServer, role_id: int, resource_type: str, resource_id: str) -> None:
    body = {"role_id": role_id, "resource_type": resource_type,
            "resource_pattern": resource_id, "permission": "MANAGE"}  # fmt: skip
    server.ok("POST", "/api/3.0/mlflow/roles/permissions/add", json=body)


def test_a_deleted_models_grants_do_not_pass_to_a_new_model_of_its_name(secured) -> None:
    """bob's EDIT, carol's DENY and a role's MANAGE on model m go with m: a new m that alice
    makes leaves them at the default permission (READ), alice at MANAGE as its creator."""
    alice, bob, carol = (secured.user(f"lingering-{name}") for name in ("alice", "bob", "carol"))
    role_id, member = _role_member(secured, "lingering-role")
    name = "lingering-m"
    secured.ok("POST", f"{MODEL_PATH}/create", alice, json={"name": name})
    for user, level in ((bob, "EDIT"), (carol, "DENY")):
        body = {"username": user[0], "resource_type": "registered_model",
                "resource_id": name, "permission": level}  # fmt: skip
        secured.ok("POST", "/api/3.0/mlflow/users/permissions/grant", alice, json=body)
    _grant_role(secured, role_id, "registered_model", name)
    held = [
        _permission(secured, user[0], "registered_model", name) for user in (bob, carol, member)
    ]
    assert held == ["EDIT", "DENY", "MANAGE"]
    key = _model_key(secured, name)
    assert _grant_rows(secured, "registered_model", key) == 4  # alice's MANAGE too

    secured.ok("DELETE", f"{MODEL_PATH}/delete", alice, json={"name": name})
    assert _grant_rows(secured, "registered_model", key) == 0
    secured.ok("POST", f"{MODEL_PATH}/create", alice, json={"name": name})
    for user in (bob, carol, member):
        assert _permission(secured, user[0], "registered_model", name) == "READ"
        assert ("registered_model", name) not in _listed(secured, user[0])
    assert _permission(secured, alice[0], "registered_model", name) == "MANAGE"
    refused = secured.call(
        "PATCH", f"{MODEL_PATH}/update", bob, json={"name": name, "description": "x"}
    )
    assert refused.status_code == 403


def test_a_renamed_models_grants_follow_it_to_its_new_name(secured) -> None:
    bob = secured.user("renamed-bob")
    role_id, member = _role_member(secured, "renamed-role")
    secured.ok("POST", f"{MODEL_PATH}/create", json={"name": "renamed-old"})
    secured.grant(bob[0], "registered_model", "renamed-old", "EDIT")
    _grant_role(secured, role_id, "registered_model", "renamed-old")
    body = {"name": "renamed-old", "new_name": "renamed-new"}
    secured.ok("POST", f"{MODEL_PATH}/rename", json=body)

    assert _permission(secured, bob[0], "registered_model", "renamed-new") == "EDIT"
    assert _permission(secured, member[0], "registered_model", "renamed-new") == "MANAGE"
    assert ("registered_model", "renamed-new") in _listed(secured, bob[0])
    assert ("registered_model", "renamed-old") not in _listed(secured, bob[0])
    classic = secured.ok(
        "GET",
        "/api/2.0/mlflow/registered-models/permissions/get",
        params={"name": "renamed-new", "username": bob[0]},
    )
    assert classic["registered_model_permission"]["permission"] == "EDIT"
    role = secured.ok("GET", "/api/3.0/mlflow/roles/permissions/list", params={"role_id": role_id})
    assert [p["resource_pattern"] for p in role["role_permissions"]] == ["renamed-new"]
    secured.ok(
        "PATCH", f"{MODEL_PATH}/update", bob, json={"name": "renamed-new", "description": "b"}
    )


def test_a_model_renamed_to_a_name_just_asked_for_is_checked_at_once(secured) -> None:
    """A name that named nothing a moment ago is not remembered as unguarded: a model renamed
    to it keeps its DENY for the very next request."""
    denied = secured.user("renamed-denied")
    secured.ok("POST", f"{MODEL_PATH}/create", json={"name": "guarded-old"})
    secured.grant(denied[0], "registered_model", "guarded-old", "DENY")
    query = {"name": "guarded-new"}
    assert secured.call("GET", f"{MODEL_PATH}/get", denied, params=query).status_code == 404
    secured.ok(
        "POST", f"{MODEL_PATH}/rename", json={"name": "guarded-old", "new_name": "guarded-new"}
    )
    assert secured.call("GET", f"{MODEL_PATH}/get", denied, params=query).status_code == 403


def test_gc_takes_a_purged_experiments_user_and_role_grants(secured, tmp_path) -> None:
    import subprocess
    import sys

    bob = secured.user("purged-bob")
    role_id, _ = _role_member(secured, "purged-role")
    experiment_id = secured.ok(
        "POST", "/api/2.0/mlflow/experiments/create", json={"name": "purged"}
    )["experiment_id"]
    secured.grant(bob[0], "experiment", experiment_id, "EDIT")
    _grant_role(secured, role_id, "experiment", experiment_id)
    body = {"experiment_id": experiment_id}
    secured.ok("POST", "/api/2.0/mlflow/experiments/delete", json=body)
    assert ("experiment", experiment_id) in _listed(secured, bob[0])  # a deleted one keeps them
    assert _grant_rows(secured, "experiment", int(experiment_id)) == 3

    command = [sys.executable, "-m", "trackyard", "gc",
               "--backend-store-uri", secured.server.backend_store_uri,
               "--artifacts-destination", str(tmp_path / "artifacts"),
               "--experiment-ids", experiment_id]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert _grant_rows(secured, "experiment", int(experiment_id)) == 0
    assert ("experiment", experiment_id) not in _listed(secured, bob[0])
    role = secured.ok("GET", "/api/3.0/mlflow/roles/permissions/list", params={"role_id": role_id})
    assert role["role_permissions"] == []


# -------------------------------------------------------------- users/current: how, truthfully
def test_users_current_says_basic_only_for_basic_credentials(secured) -> None:
    user = secured.user("current-how")
    path = "/api/2.0/mlflow/users/current"
    basic = secured.ok("GET", path, user)
    assert (basic["is_basic_auth"], basic["signed_in_with"]) == (True, "basic")
    token, _ = secured.token(user)
    by_token = httpx.get(f"{secured.url}{path}", headers=bearer(token)).json()
    assert (by_token["is_basic_auth"], by_token["signed_in_with"]) == (False, "bearer")
    with httpx.Client(base_url=secured.url) as browser:
        signed = browser.post(
            "/api/2.0/trackyard/session/sign-in",
            json={"username": user[0], "password": PASSWORD},
            headers={"Origin": secured.url},
        )
        assert signed.status_code == 200
        by_session = browser.get(f"/ajax-api{path.removeprefix('/api')}").json()
    assert (by_session["is_basic_auth"], by_session["signed_in_with"]) == (False, "session")
    for answer in (basic, by_token, by_session):
        assert answer["user"] == {"id": basic["user"]["id"], "username": user[0], "is_admin": False}


@pytest.mark.parametrize(
    "authorization",
    ["Digest username=admin", "Bearer x", "Basic !!not-base64", "Basic " + "QQ==" * 2000],
    ids=["other-scheme", "unknown-token", "bad-base64", "overlong"],
)
def test_users_current_refuses_odd_credentials_with_401(secured, authorization) -> None:
    answer = httpx.get(
        f"{secured.url}/api/2.0/mlflow/users/current", headers={"Authorization": authorization}
    )
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "UNAUTHENTICATED"
