"""Requests of the access-control API (trackyard/routes/access.py): MLflow's auth app's
fields, and trackyard's tokens and UI views."""

from __future__ import annotations

from .base import Message


class Empty(Message, kw_only=True):
    pass


class Username(Message, kw_only=True):
    username: str = ""


class CreateUser(Message, kw_only=True):
    username: str = ""
    password: str = ""


class UpdatePassword(Message, kw_only=True):
    username: str = ""
    password: str = ""
    current_password: str | None = None


class UpdateAdmin(Message, kw_only=True):
    username: str = ""
    is_admin: bool = False


class UserGrant(Message, kw_only=True):
    username: str = ""
    resource_type: str = ""
    resource_id: str = ""
    permission: str = ""


class ExperimentPermission(Message, kw_only=True):
    experiment_id: str = ""
    username: str = ""
    permission: str = ""


class ModelPermission(Message, kw_only=True):
    name: str = ""
    username: str = ""
    permission: str = ""


class Role(Message, kw_only=True):
    role_id: int | str | None = None
    name: str = ""
    description: str | None = None
    workspace: str | None = None


class RoleAssignment(Message, kw_only=True):
    username: str = ""
    role_id: int | str | None = None


class RoleGrant(Message, kw_only=True):
    role_id: int | str | None = None
    role_permission_id: int | str | None = None
    resource_type: str = ""
    resource_pattern: str = ""
    permission: str = ""


class CreateToken(Message, kw_only=True):
    name: str = ""
    # Milliseconds since the epoch; none: the token lives until revoked.
    expiry_time: int | None = None


class TokenRef(Message, kw_only=True):
    id: int | str | None = None


class ResourceRef(Message, kw_only=True):
    resource_type: str = ""
    resource_id: str = ""


class ExperimentIds(Message, kw_only=True):
    experiment_ids: list[str] = []


class SignIn(Message, kw_only=True):
    username: str = ""
    password: str = ""
