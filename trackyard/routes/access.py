"""Access control's REST API (trackyard server --auth; see docs/security.md).

MLflow's basic-auth API, so `mlflow.server.get_app_client("basic-auth", uri)` works unchanged:
users (2.0), the per-user grants of 3.12+ (users/permissions/*), the classic per-resource
permission endpoints 2.x clients call (experiments/permissions/*, registered-models/
permissions/*), and roles (3.0). Then trackyard's own: personal access tokens, the grants on
one resource and the caller's permission on it (for the web UI). Signing in and out of the
web UI is in routes/session.py.
"""

from __future__ import annotations

from typing import Any

from ..access import rules as r
from ..access.accounts import User
from ..access.grants import Resource, experiment_key, int_id
from ..access.guard import Access, Caller, forbidden
from ..access.levels import Level, parse, resource_type
from ..access.secrets import password_matches
from ..dispatch import ApiRoutes
from ..errors import ApiError, invalid
from ..messages import access as m
from ..services import Services

api = ApiRoutes()
V3 = ("3.0",)


def _access(caller: Caller) -> tuple[Access, User]:
    if caller.access is None or caller.user is None:
        raise ApiError(
            "Access control is off on this server (start it with --auth).",
            "ENDPOINT_NOT_FOUND",
            404,
        )
    return caller.access, caller.user


def _admin_or_self(caller: Caller, username: str) -> Access:
    access, user = _access(caller)
    if not user.is_admin and user.username != username:
        raise forbidden("Permission denied: only an admin or the user themselves may ask.")
    return access


def _username(value: str) -> str:
    if not value:
        raise invalid("Missing value for required parameter 'username'.")
    return value


# ------------------------------------------------------------------------------------ users
@api.post("mlflow/users/create", m.CreateUser, rule=r.ADMIN_RULE, caller=True)
def create_user(services: Services, req: m.CreateUser, caller: Caller) -> dict:
    access, _ = _access(caller)
    return {"user": access.accounts.create_user(req.username, req.password).to_json()}


@api.get("mlflow/users/get", m.Username, rule=r.SIGNED_IN_RULE, caller=True)
def get_user(services: Services, req: m.Username, caller: Caller) -> dict:
    access = _admin_or_self(caller, _username(req.username))
    return {"user": access.accounts.get_user(req.username).to_json()}


@api.get("mlflow/users/current", m.Empty, rule=r.SIGNED_IN_RULE, caller=True)
def current_user(services: Services, req: m.Empty, caller: Caller) -> dict:
    """Who the caller is, and how they signed in. MLflow's UI offers its Basic-only controls
    (signing out by a failed Basic request, changing the password) by `is_basic_auth`: true
    here only for a request with HTTP Basic credentials, not for a token or the UI's session."""
    _, user = _access(caller)
    return {
        "user": user.to_json(),
        "is_basic_auth": user.signed_in_with == "basic",
        "signed_in_with": user.signed_in_with,
    }


@api.get("mlflow/users/list", m.Empty, rule=r.ADMIN_RULE, caller=True)
def list_users(services: Services, req: m.Empty, caller: Caller) -> dict:
    access, _ = _access(caller)
    return {"users": [user.to_json() for user in access.accounts.list_users()]}


@api.patch("mlflow/users/update-password", m.UpdatePassword, rule=r.SIGNED_IN_RULE, caller=True)
def update_password(services: Services, req: m.UpdatePassword, caller: Caller) -> None:
    """An admin sets anyone's password; a user changes their own with the current one."""
    access = _admin_or_self(caller, _username(req.username))
    _, user = _access(caller)
    if user.username == req.username:
        found = access.accounts.password_hash(user.username)
        if not req.current_password:
            raise invalid("Current password is required when changing your own password.")
        if found is None or not password_matches(found[1], req.current_password):
            raise invalid("Current password is incorrect.")
    access.accounts.set_password(req.username, req.password)


@api.patch("mlflow/users/update-admin", m.UpdateAdmin, rule=r.ADMIN_RULE, caller=True)
def update_admin(services: Services, req: m.UpdateAdmin, caller: Caller) -> None:
    access, _ = _access(caller)
    access.accounts.set_admin(_username(req.username), req.is_admin)


@api.delete("mlflow/users/delete", m.Username, rule=r.ADMIN_RULE, caller=True)
def delete_user(services: Services, req: m.Username, caller: Caller) -> None:
    access, user = _access(caller)
    if _username(req.username) == user.username:
        raise ApiError("Users cannot delete their own account: ask another admin.", "BAD_REQUEST")
    access.accounts.delete_user(req.username)


# ------------------------------------------------------- per-user grants (MLflow 3.12+)
def _grant_target(req: Any) -> tuple[str, str]:
    return resource_type(req.resource_type), req.resource_id


GRANT_RULE = r.on("resource", r.MANAGE, _grant_target)


def _principal(access: Access, username: str) -> tuple[str, int]:
    return ("user", access.accounts.get_user(_username(username)).id)


@api.post("mlflow/users/permissions/grant", m.UserGrant, V3, rule=GRANT_RULE, caller=True)
def grant_user_permission(services: Services, req: m.UserGrant, caller: Caller) -> None:
    access, _ = _access(caller)
    principal = _principal(access, req.username)
    level = parse(req.permission, grant=True)
    access.grants.grant(principal, access.grants.resource(*_grant_target(req)), level)


@api.post("mlflow/users/permissions/revoke", m.UserGrant, V3, rule=GRANT_RULE, caller=True)
def revoke_user_permission(services: Services, req: m.UserGrant, caller: Caller) -> None:
    access, _ = _access(caller)
    principal = _principal(access, req.username)
    access.grants.revoke(principal, access.grants.resource(*_grant_target(req)))


@api.get("mlflow/users/permissions/get", m.UserGrant, V3, rule=r.SIGNED_IN_RULE, caller=True)
def get_user_permission(services: Services, req: m.UserGrant, caller: Caller) -> dict:
    """The user's effective permission; `allowed` means at least USE, as in MLflow. An id
    that names nothing is not allowed (no 404, as MLflow answers)."""
    access = _admin_or_self(caller, _username(req.username))
    user = access.accounts.get_user(req.username)
    kind = resource_type(req.resource_type)
    try:
        level = access.level(user, access.grants.resource(kind, req.resource_id))
    except ApiError as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        level = Level.NO_PERMISSIONS
    return {"allowed": level >= Level.USE, "permission": level.name}


def _listing(access: Access, user: User) -> dict:
    rows = [
        {"role_id": None, "role_name": None, **grant}
        for grant in access.grants.of_principal(("user", user.id))
    ]
    for role in access.accounts.user_roles(user.username):
        rows += [
            {"role_id": role["id"], "role_name": role["name"], **grant}
            for grant in access.grants.of_principal(("role", role["id"]))
        ]
    for row in rows:
        row["resource_pattern"] = row["resource_id"]
    return {"is_admin": user.is_admin, "permissions": rows}


@api.get("mlflow/users/permissions/list", m.Username, V3, rule=r.SIGNED_IN_RULE, caller=True)
def list_user_permissions(services: Services, req: m.Username, caller: Caller) -> dict:
    access = _admin_or_self(caller, _username(req.username))
    return _listing(access, access.accounts.get_user(req.username))


@api.get("mlflow/users/current/permissions", m.Empty, V3, rule=r.SIGNED_IN_RULE, caller=True)
def list_current_user_permissions(services: Services, req: m.Empty, caller: Caller) -> dict:
    access, user = _access(caller)
    return _listing(access, user)


# ------------------------------------------- classic per-resource endpoints (MLflow 2.x)
def _classic(
    caller: Caller, username: str, kind: str, resource_id: str
) -> tuple[Access, tuple[str, int], Resource]:
    access, _ = _access(caller)
    return access, _principal(access, username), access.grants.resource(kind, resource_id)


def _experiment_answer(req: m.ExperimentPermission, principal: tuple[str, int], level: str) -> dict:
    permission = {"experiment_id": req.experiment_id, "user_id": principal[1], "permission": level}
    return {"experiment_permission": permission}


def _model_answer(req: m.ModelPermission, principal: tuple[str, int], level: str) -> dict:
    permission = {"name": req.name, "user_id": principal[1], "permission": level}
    return {"registered_model_permission": permission}


EXPERIMENT_MANAGE = r.experiment(r.MANAGE)
MODEL_MANAGE = r.registered_model(r.MANAGE)
EXPERIMENT_PERMISSIONS = "mlflow/experiments/permissions/"
MODEL_PERMISSIONS = "mlflow/registered-models/permissions/"


@api.post(
    EXPERIMENT_PERMISSIONS + "create", m.ExperimentPermission, rule=EXPERIMENT_MANAGE, caller=True
)
def create_experiment_permission(
    services: Services, req: m.ExperimentPermission, caller: Caller
) -> dict:
    access, principal, resource = _classic(caller, req.username, "experiment", req.experiment_id)
    level = parse(req.permission, grant=True)
    access.grants.grant(principal, resource, level)
    return _experiment_answer(req, principal, level.name)


@api.get(
    EXPERIMENT_PERMISSIONS + "get", m.ExperimentPermission, rule=EXPERIMENT_MANAGE, caller=True
)
def get_experiment_permission(
    services: Services, req: m.ExperimentPermission, caller: Caller
) -> dict:
    access, principal, resource = _classic(caller, req.username, "experiment", req.experiment_id)
    return _experiment_answer(req, principal, _stored(access, principal, resource))


@api.patch(
    EXPERIMENT_PERMISSIONS + "update", m.ExperimentPermission, rule=EXPERIMENT_MANAGE, caller=True
)
def update_experiment_permission(
    services: Services, req: m.ExperimentPermission, caller: Caller
) -> None:
    access, principal, resource = _classic(caller, req.username, "experiment", req.experiment_id)
    access.grants.set_level(principal, resource, parse(req.permission, grant=True))


@api.delete(
    EXPERIMENT_PERMISSIONS + "delete", m.ExperimentPermission, rule=EXPERIMENT_MANAGE, caller=True
)
def delete_experiment_permission(
    services: Services, req: m.ExperimentPermission, caller: Caller
) -> None:
    access, principal, resource = _classic(caller, req.username, "experiment", req.experiment_id)
    access.grants.revoke(principal, resource)


@api.post(MODEL_PERMISSIONS + "create", m.ModelPermission, rule=MODEL_MANAGE, caller=True)
def create_model_permission(services: Services, req: m.ModelPermission, caller: Caller) -> dict:
    access, principal, resource = _classic(caller, req.username, "registered_model", req.name)
    level = parse(req.permission, grant=True)
    access.grants.grant(principal, resource, level)
    return _model_answer(req, principal, level.name)


@api.get(MODEL_PERMISSIONS + "get", m.ModelPermission, rule=MODEL_MANAGE, caller=True)
def get_model_permission(services: Services, req: m.ModelPermission, caller: Caller) -> dict:
    access, principal, resource = _classic(caller, req.username, "registered_model", req.name)
    return _model_answer(req, principal, _stored(access, principal, resource))


@api.patch(MODEL_PERMISSIONS + "update", m.ModelPermission, rule=MODEL_MANAGE, caller=True)
def update_model_permission(services: Services, req: m.ModelPermission, caller: Caller) -> None:
    access, principal, resource = _classic(caller, req.username, "registered_model", req.name)
    access.grants.set_level(principal, resource, parse(req.permission, grant=True))


@api.delete(MODEL_PERMISSIONS + "delete", m.ModelPermission, rule=MODEL_MANAGE, caller=True)
def delete_model_permission(services: Services, req: m.ModelPermission, caller: Caller) -> None:
    access, principal, resource = _classic(caller, req.username, "registered_model", req.name)
    access.grants.revoke(principal, resource)


def _stored(access: Access, principal: tuple[str, int], resource: Resource) -> str:
    permission = access.grants.get(principal, resource)
    if permission is None:
        raise ApiError(
            f"No permission on this {resource.type} for this user.", "RESOURCE_DOES_NOT_EXIST"
        )
    return permission


# ------------------------------------------------------------------------------------ roles
def _role_json(access: Access, role: dict) -> dict:
    grants = access.grants.of_principal(("role", role["id"]))
    return {
        **role,
        "workspace": "default",
        "permissions": [_role_permission(role["id"], grant) for grant in grants],
    }


def _role_permission(role_id: int, grant: dict) -> dict:
    return {
        "id": grant["id"],
        "role_id": role_id,
        "resource_type": grant["resource_type"],
        "resource_pattern": grant["resource_id"],
        "permission": grant["permission"],
    }


@api.post("mlflow/roles/create", m.Role, V3, rule=r.ADMIN_RULE, caller=True)
def create_role(services: Services, req: m.Role, caller: Caller) -> dict:
    access, _ = _access(caller)
    return {"role": _role_json(access, access.accounts.create_role(req.name, req.description))}


@api.get("mlflow/roles/get", m.Role, V3, rule=r.ADMIN_RULE, caller=True)
def get_role(services: Services, req: m.Role, caller: Caller) -> dict:
    access, _ = _access(caller)
    return {"role": _role_json(access, access.accounts.get_role(int_id(req.role_id, "role_id")))}


@api.get("mlflow/roles/list", m.Empty, V3, rule=r.ADMIN_RULE, caller=True)
def list_roles(services: Services, req: m.Empty, caller: Caller) -> dict:
    access, _ = _access(caller)
    return {"roles": [_role_json(access, role) for role in access.accounts.list_roles()]}


@api.patch("mlflow/roles/update", m.Role, V3, rule=r.ADMIN_RULE, caller=True)
def update_role(services: Services, req: m.Role, caller: Caller) -> dict:
    access, _ = _access(caller)
    role_id = int_id(req.role_id, "role_id")
    role = access.accounts.update_role(role_id, req.name or None, req.description)
    return {"role": _role_json(access, role)}


@api.delete("mlflow/roles/delete", m.Role, V3, rule=r.ADMIN_RULE, caller=True)
def delete_role(services: Services, req: m.Role, caller: Caller) -> None:
    access, _ = _access(caller)
    access.accounts.delete_role(int_id(req.role_id, "role_id"))


@api.post("mlflow/roles/assign", m.RoleAssignment, V3, rule=r.ADMIN_RULE, caller=True)
def assign_role(services: Services, req: m.RoleAssignment, caller: Caller) -> dict:
    access, _ = _access(caller)
    role_id = int_id(req.role_id, "role_id")
    assignment = access.accounts.assign_role(_username(req.username), role_id)
    return {"assignment": {"id": role_id, **assignment}}


@api.delete("mlflow/roles/unassign", m.RoleAssignment, V3, rule=r.ADMIN_RULE, caller=True)
def unassign_role(services: Services, req: m.RoleAssignment, caller: Caller) -> None:
    access, _ = _access(caller)
    access.accounts.unassign_role(_username(req.username), int_id(req.role_id, "role_id"))


@api.get("mlflow/users/roles/list", m.Username, V3, rule=r.SIGNED_IN_RULE, caller=True)
def list_user_roles(services: Services, req: m.Username, caller: Caller) -> dict:
    access = _admin_or_self(caller, _username(req.username))
    return {
        "roles": [_role_json(access, role) for role in access.accounts.user_roles(req.username)]
    }


@api.get("mlflow/roles/users/list", m.Role, V3, rule=r.ADMIN_RULE, caller=True)
def list_role_users(services: Services, req: m.Role, caller: Caller) -> dict:
    access, _ = _access(caller)
    users = access.accounts.role_users(int_id(req.role_id, "role_id"))
    return {"assignments": [{"id": u["user_id"], **u} for u in users]}


@api.post("mlflow/roles/permissions/add", m.RoleGrant, V3, rule=r.ADMIN_RULE, caller=True)
def add_role_permission(services: Services, req: m.RoleGrant, caller: Caller) -> dict:
    access, _ = _access(caller)
    role_id = int_id(req.role_id, "role_id")
    access.accounts.get_role(role_id)
    resource = access.grants.resource(resource_type(req.resource_type), req.resource_pattern)
    level = parse(req.permission, grant=True)
    grant = access.grants.grant(("role", role_id), resource, level)
    return {
        "role_permission": _role_permission(
            role_id, {**grant, "resource_type": resource.type, "resource_id": req.resource_pattern}
        )
    }


@api.delete("mlflow/roles/permissions/remove", m.RoleGrant, V3, rule=r.ADMIN_RULE, caller=True)
def remove_role_permission(services: Services, req: m.RoleGrant, caller: Caller) -> None:
    access, _ = _access(caller)
    found = access.grants.by_id(int_id(req.role_permission_id, "role_permission_id"), "role")
    access.grants.revoke(found["principal"], found["resource"])


@api.patch("mlflow/roles/permissions/update", m.RoleGrant, V3, rule=r.ADMIN_RULE, caller=True)
def update_role_permission(services: Services, req: m.RoleGrant, caller: Caller) -> dict:
    access, _ = _access(caller)
    grant_id = int_id(req.role_permission_id, "role_permission_id")
    found = access.grants.by_id(grant_id, "role")
    level = parse(req.permission, grant=True)
    access.grants.set_level(found["principal"], found["resource"], level)
    role_id = found["principal"][1]
    grant = next(g for g in access.grants.of_principal(("role", role_id)) if g["id"] == grant_id)
    return {"role_permission": _role_permission(role_id, grant)}


@api.get("mlflow/roles/permissions/list", m.Role, V3, rule=r.ADMIN_RULE, caller=True)
def list_role_permissions(services: Services, req: m.Role, caller: Caller) -> dict:
    access, _ = _access(caller)
    return {
        "role_permissions": _role_json(
            access, access.accounts.get_role(int_id(req.role_id, "role_id"))
        )["permissions"]
    }


# ------------------------------------------------------ trackyard: tokens, the UI's views
@api.post("trackyard/tokens/create", m.CreateToken, rule=r.SIGNED_IN_RULE, caller=True)
def create_token(services: Services, req: m.CreateToken, caller: Caller) -> dict:
    """A personal access token for the caller, shown this once (only its digest is kept)."""
    access, user = _access(caller)
    token, record = access.accounts.create_token(user.id, req.name, req.expiry_time)
    return {"token": token, "token_info": record}


@api.get("trackyard/tokens/list", m.Empty, rule=r.SIGNED_IN_RULE, caller=True)
def list_tokens(services: Services, req: m.Empty, caller: Caller) -> dict:
    access, user = _access(caller)
    return {"tokens": access.accounts.list_tokens(user.id)}


@api.post("trackyard/tokens/revoke", m.TokenRef, rule=r.SIGNED_IN_RULE, caller=True)
def revoke_token(services: Services, req: m.TokenRef, caller: Caller) -> None:
    access, user = _access(caller)
    access.accounts.revoke_token(user.id, int_id(req.id, "id"))


@api.get("trackyard/permissions/resource", m.ResourceRef, rule=GRANT_RULE, caller=True)
def resource_permissions(services: Services, req: m.ResourceRef, caller: Caller) -> dict:
    """Every grant on one experiment or registered model (its managers' Access dialog)."""
    access, _ = _access(caller)
    resource = access.grants.resource(*_grant_target(req))
    return {
        "permissions": access.grants.on_resource(resource),
        "default_permission": access.default.name,
    }


@api.get("trackyard/permissions/mine", m.ResourceRef, rule=r.SIGNED_IN_RULE, caller=True)
def my_permission(services: Services, req: m.ResourceRef, caller: Caller) -> dict:
    """The caller's permission on one resource: what the UI offers them (its controls)."""
    access, user = _access(caller)
    resource = access.grants.resource(*_grant_target(req))
    return {"permission": access.level(user, resource).name, "is_admin": user.is_admin}


MAX_LISTED_EXPERIMENTS = 1000


@api.get("trackyard/permissions/experiments", m.ExperimentIds, rule=r.SIGNED_IN_RULE, caller=True)
def my_experiment_permissions(services: Services, req: m.ExperimentIds, caller: Caller) -> dict:
    """The caller's permission on each experiment of a page of the experiments list (which
    offers Rename and Delete by them), in one call where `mine` would take one per row."""
    access, user = _access(caller)
    if len(req.experiment_ids) > MAX_LISTED_EXPERIMENTS:
        raise invalid(f"At most {MAX_LISTED_EXPERIMENTS} experiment_ids at a time.")
    keys = {key: experiment_key(key) for key in req.experiment_ids}
    levels = {key: access.level(user, Resource("experiment", found)) for key, found in keys.items()}
    return {"permissions": {key: level.name for key, level in levels.items()}}
