"""Grants on experiments and registered models, what a user may do with one, and the SQL
condition a search adds so that it returns only what the caller may read.

A user's permission on a resource: DENY if any grant to them or to one of their roles is a
DENY; else the highest of those grants; else the server's default permission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import already_exists, invalid, not_found
from ..store.db import Database, Tx, UniqueViolation
from ..store.search_sql import is_id
from .levels import Level

# The principals a user acts as: themselves and each of their roles.
_PRINCIPALS = (
    "((g.principal_type = 'user' AND g.principal_id = ?) OR (g.principal_type = 'role' AND "
    "g.principal_id IN (SELECT ur.role_id FROM user_roles ur WHERE ur.user_id = ?)))"
)
MAX_INT_ID = 2**31 - 1
# Experiment ids are 64-bit (an MLflow file store's have 18 or 19 digits; migration 0007).
MAX_EXPERIMENT_ID = 2**63 - 1


@dataclass(frozen=True)
class Resource:
    """A grantable resource: its type and integer key (an experiment id, a model's row id)."""

    type: str
    key: int


def int_id(value: object, what: str, most: int = MAX_INT_ID) -> int:
    """An integer id from a request: in range of the columns (`most` at the highest), else
    INVALID_PARAMETER_VALUE."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not is_id(text) or int(text) > most:
        raise invalid(f"Invalid {what} {str(value)[:80]!r}: expected an integer id.")
    return int(text)


def experiment_key(value: object) -> int:
    """An experiment id from a request, as the 64-bit columns hold it."""
    return int_id(value, "experiment_id", MAX_EXPERIMENT_ID)


class Grants:
    def __init__(self, db: Database, default: Level) -> None:
        self.db = db
        self.default = default

    # ------------------------------------------------------------------ resources
    def resource(self, resource_type: str, resource_id: str) -> Resource:
        """The resource an API names (experiment id, or registered model name); not found if
        it does not exist."""
        with self.db.read() as tx:
            return find_resource(tx, resource_type, resource_id)

    def run_experiment(self, run_id: str) -> int | None:
        with self.db.read() as tx:
            return tx.scalar("SELECT experiment_id FROM runs WHERE run_uuid = ?", (run_id,))

    def logged_model_experiment(self, model_id: str) -> int | None:
        with self.db.read() as tx:
            return tx.scalar(
                "SELECT experiment_id FROM logged_models WHERE model_id = ?", (model_id,)
            )

    def trace_experiment(self, trace_id: str) -> int | None:
        with self.db.read() as tx:
            return tx.scalar("SELECT experiment_id FROM traces WHERE trace_id = ?", (trace_id,))

    def experiment_by_name(self, name: str) -> int | None:
        with self.db.read() as tx:
            return tx.scalar("SELECT experiment_id FROM experiments WHERE name = ?", (name,))

    def model_key(self, name: str) -> int | None:
        with self.db.read() as tx:
            return tx.scalar("SELECT id FROM registered_models WHERE name = ?", (name,))

    # ------------------------------------------------------------------ what a user may do
    def level(self, user_id: int, resource: Resource) -> Level:
        with self.db.read() as tx:
            rows = tx.all(
                f"SELECT g.level FROM grants g WHERE g.resource_type = ? AND g.resource_key = ? "
                f"AND {_PRINCIPALS}",
                (resource.type, resource.key, user_id, user_id),
            )
        return effective(self.default, [row[0] for row in rows])

    def readable_condition(
        self, user_id: int, resource_type: str, key_sql: str
    ) -> tuple[str, list]:
        """SQL true for the rows whose resource (`key_sql`, an integer key expression) the
        user may read, with its parameters: no DENY, and a grant of READ or more, or no grant
        at all where the default permission reads."""
        base = (
            f"FROM grants g WHERE g.resource_type = ? AND g.resource_key = {key_sql} "
            f"AND {_PRINCIPALS}"
        )
        params: list = [resource_type, user_id, user_id]
        denied = f"NOT EXISTS (SELECT 1 {base} AND g.level < ?)"
        granted = f"EXISTS (SELECT 1 {base} AND g.level >= ?)"
        if self.default >= Level.READ:
            ungranted = f"NOT EXISTS (SELECT 1 {base})"
            sql = f"({denied} AND ({granted} OR {ungranted}))"
            return sql, [*params, Level.NO_PERMISSIONS, *params, Level.READ, *params]
        return f"({denied} AND {granted})", [*params, Level.NO_PERMISSIONS, *params, Level.READ]

    def readable_experiments(self, user_id: int, experiment_ids: Sequence[str]) -> list[str]:
        """The ids of `experiment_ids` the user may read, in their order."""
        numeric = sorted({int(i) for i in experiment_ids if is_id(i)})
        if not numeric:
            return []
        condition, params = self.readable_condition(user_id, "experiment", "e.experiment_id")
        marks = ", ".join("?" * len(numeric))
        with self.db.read() as tx:
            rows = tx.all(
                f"SELECT e.experiment_id FROM experiments e WHERE e.experiment_id IN ({marks}) "
                f"AND {condition}",
                [*numeric, *params],
            )
        readable = {str(row[0]) for row in rows}
        return [i for i in experiment_ids if i in readable]

    # ------------------------------------------------------------------ grants
    def grant(self, principal: tuple[str, int], resource: Resource, level: Level) -> dict:
        try:
            with self.db.write() as tx:
                grant_id = tx.scalar(
                    "INSERT INTO grants (resource_type, resource_key, principal_type, "
                    "principal_id, permission, level) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (resource.type, resource.key, *principal, level.name, int(level)),
                )
        except UniqueViolation:
            raise already_exists(
                f"A permission on this {resource.type} already exists for this {principal[0]}: "
                "update or revoke it."
            ) from None
        return {"id": grant_id, "permission": level.name}

    def set_level(self, principal: tuple[str, int], resource: Resource, level: Level) -> None:
        with self.db.write() as tx:
            done = tx.scalar(
                "UPDATE grants SET permission = ?, level = ? WHERE resource_type = ? AND "
                "resource_key = ? AND principal_type = ? AND principal_id = ? RETURNING id",
                (level.name, int(level), resource.type, resource.key, *principal),
            )
        if done is None:
            raise not_found(f"No permission on this {resource.type} for this {principal[0]}.")

    def revoke(self, principal: tuple[str, int], resource: Resource) -> None:
        with self.db.write() as tx:
            done = tx.scalar(
                "DELETE FROM grants WHERE resource_type = ? AND resource_key = ? AND "
                "principal_type = ? AND principal_id = ? RETURNING id",
                (resource.type, resource.key, *principal),
            )
        if done is None:
            raise not_found(f"No permission on this {resource.type} for this {principal[0]}.")

    def get(self, principal: tuple[str, int], resource: Resource) -> str | None:
        with self.db.read() as tx:
            return tx.scalar(
                "SELECT permission FROM grants WHERE resource_type = ? AND resource_key = ? AND "
                "principal_type = ? AND principal_id = ?",
                (resource.type, resource.key, *principal),
            )

    def on_resource(self, resource: Resource) -> list[dict]:
        """Every grant on `resource`, with the user's or role's name (the UI's Access list)."""
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT g.id, g.principal_type, g.principal_id, g.permission, "
                "COALESCE(u.username, r.name) AS principal_name FROM grants g "
                "LEFT JOIN users u ON g.principal_type = 'user' AND u.id = g.principal_id "
                "LEFT JOIN roles r ON g.principal_type = 'role' AND r.id = g.principal_id "
                "WHERE g.resource_type = ? AND g.resource_key = ? ORDER BY g.principal_type, "
                "principal_name",
                (resource.type, resource.key),
            )
        return [
            {
                "id": row.id,
                "principal_type": row.principal_type,
                "principal_id": row.principal_id,
                "principal_name": row.principal_name,
                "permission": row.permission,
            }
            for row in rows
        ]

    def of_principal(self, principal: tuple[str, int]) -> list[dict]:
        """Grants held directly by a user or a role, with each resource's id as the API names
        it (an experiment id, a registered model name)."""
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT g.id, g.resource_type, g.resource_key, g.permission, rm.name AS model "
                "FROM grants g LEFT JOIN registered_models rm ON g.resource_type = "
                "'registered_model' AND rm.id = g.resource_key WHERE g.principal_type = ? AND "
                "g.principal_id = ? ORDER BY g.resource_type, g.resource_key",
                principal,
            )
        return [
            {
                "id": row.id,
                "resource_type": row.resource_type,
                "resource_id": row.model
                if row.resource_type == "registered_model"
                else str(row.resource_key),
                "permission": row.permission,
            }
            for row in rows
            if row.resource_type != "registered_model" or row.model is not None
        ]

    def by_id(self, grant_id: int, principal_type: str) -> dict:
        with self.db.read() as tx:
            row = tx.row(
                "SELECT id, principal_id, resource_type, resource_key FROM grants "
                "WHERE id = ? AND principal_type = ?",
                (grant_id, principal_type),
            )
        if row is None:
            raise not_found(f"Permission with id={grant_id} not found")
        return {
            "principal": (principal_type, row.principal_id),
            "resource": Resource(row.resource_type, row.resource_key),
        }


def effective(default: Level, levels: list[int]) -> Level:
    if not levels:
        return default
    if min(levels) == Level.DENY:
        return Level.DENY
    return Level(max(levels))


def find_resource(tx: Tx, resource_type: str, resource_id: object) -> Resource:
    if resource_type == "experiment":
        key = experiment_key(resource_id)
        if tx.one("SELECT 1 FROM experiments WHERE experiment_id = ?", (key,)) is None:
            raise not_found(f"No Experiment with id={key} exists")
        return Resource("experiment", key)
    if not isinstance(resource_id, str) or not resource_id:
        raise invalid("A registered model's name is required.")
    model_key = tx.scalar("SELECT id FROM registered_models WHERE name = ?", (resource_id,))
    if model_key is None:
        raise not_found(f"Registered Model with name={resource_id[:300]} not found")
    return Resource("registered_model", model_key)
