"""Users, their personal access tokens and UI sessions, and roles, in the tracking database.

Every write that could lock the server out of administration is refused here, whoever calls
(REST API or CLI): removing the last admin's rights, deleting the last admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ApiError, already_exists, invalid, not_found
from ..store.db import Database, NamedRow, Tx, UniqueViolation, now_ms
from . import secrets as s

MAX_TOKEN_NAME_LENGTH = 255
MAX_ROLE_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
SESSION = "session"
TOKEN = "token"


@dataclass(frozen=True)
class User:
    """A signed-in caller as the access layer keeps it (never with a password hash)."""

    id: int
    username: str
    is_admin: bool
    # How the request signed in: "basic", "bearer" (a personal access token) or "session"
    # (the web UI's cookie); empty for a user read from the database.
    signed_in_with: str = field(default="", compare=False)

    def to_json(self) -> dict:
        return {"id": self.id, "username": self.username, "is_admin": self.is_admin}


def _user(row: NamedRow) -> User:
    return User(row.id, row.username, bool(row.is_admin))


def _user_row(tx: Tx, username: str) -> NamedRow:
    row = tx.row(
        "SELECT id, username, password_hash, is_admin FROM users WHERE username = ?", (username,)
    )
    if row is None:
        raise not_found(f"User with username={username[:300]!r} not found")
    return row


def _token_json(row: NamedRow) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "creation_time": row.creation_time,
        "expiry_time": row.expiry_time,
        "revoked_time": row.revoked_time,
    }


class Accounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ users
    def create_user(self, username: str, password: str, is_admin: bool = False) -> User:
        username, password = s.check_username(username), s.check_password(password)
        password_hash = s.hash_password(password)  # slow: outside the transaction
        try:
            with self.db.write() as tx:
                user_id = tx.scalar(
                    "INSERT INTO users (username, password_hash, is_admin, creation_time) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    (username, password_hash, is_admin, now_ms()),
                )
        except UniqueViolation:
            raise already_exists(f"User '{username}' already exists.") from None
        return User(user_id, username, is_admin)

    def get_user(self, username: str) -> User:
        with self.db.read() as tx:
            return _user(_user_row(tx, username))

    def list_users(self) -> list[User]:
        with self.db.read() as tx:
            rows = tx.rows("SELECT id, username, is_admin FROM users ORDER BY username")
        return [_user(row) for row in rows]

    def set_password(self, username: str, password: str) -> None:
        password_hash = s.hash_password(s.check_password(password))
        with self.db.write() as tx:
            _user_row(tx, username)
            tx.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)
            )

    def set_admin(self, username: str, is_admin: bool) -> None:
        with self.db.write() as tx:
            row = _user_row(tx, username)
            if row.is_admin and not is_admin:
                _keep_an_admin(tx)
            tx.execute("UPDATE users SET is_admin = ? WHERE id = ?", (is_admin, row.id))

    def delete_user(self, username: str) -> None:
        with self.db.write() as tx:
            row = _user_row(tx, username)
            if row.is_admin:
                _keep_an_admin(tx)
            tx.execute("DELETE FROM access_tokens WHERE user_id = ?", (row.id,))
            tx.execute("DELETE FROM user_roles WHERE user_id = ?", (row.id,))
            tx.execute(
                "DELETE FROM grants WHERE principal_type = 'user' AND principal_id = ?", (row.id,)
            )
            tx.execute("DELETE FROM users WHERE id = ?", (row.id,))

    def admin_exists(self) -> bool:
        with self.db.read() as tx:
            return tx.one("SELECT 1 FROM users WHERE is_admin = ? LIMIT 1", (True,)) is not None

    # ------------------------------------------------------------------ tokens and sessions
    def create_token(
        self, user_id: int, name: str, expiry_time: int | None = None, kind: str = TOKEN
    ) -> tuple[str, dict]:
        """A new token, returned once in clear (only its digest is stored), and its record."""
        if not isinstance(name, str) or not name.strip():
            raise invalid("A token needs a name (what it is for).")
        if len(name) > MAX_TOKEN_NAME_LENGTH or not name.isprintable():
            raise invalid(f"Token names are at most {MAX_TOKEN_NAME_LENGTH} printable characters.")
        created = now_ms()
        if expiry_time is not None and expiry_time <= created:
            raise invalid("expiry_time must be in the future (milliseconds since the epoch).")
        token = s.new_token()
        with self.db.write() as tx:
            row = tx.row(
                "INSERT INTO access_tokens (user_id, kind, name, token_hash, creation_time, "
                "expiry_time) VALUES (?, ?, ?, ?, ?, ?) "
                "RETURNING id, name, creation_time, expiry_time, revoked_time",
                (user_id, kind, name, s.token_digest(token), created, expiry_time),
            )
        return token, _token_json(row)

    def list_tokens(self, user_id: int) -> list[dict]:
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT id, name, creation_time, expiry_time, revoked_time FROM access_tokens "
                "WHERE user_id = ? AND kind = ? ORDER BY id",
                (user_id, TOKEN),
            )
        return [_token_json(row) for row in rows]

    def revoke_token(self, user_id: int, token_id: int) -> None:
        with self.db.write() as tx:
            done = tx.scalar(
                "UPDATE access_tokens SET revoked_time = ? WHERE id = ? AND user_id = ? "
                "AND kind = ? AND revoked_time IS NULL RETURNING id",
                (now_ms(), token_id, user_id, TOKEN),
            )
        if done is None:
            raise not_found(f"No active token with id={token_id} of this user.")

    def end_session(self, token: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "UPDATE access_tokens SET revoked_time = ? WHERE token_hash = ? AND kind = ? "
                "AND revoked_time IS NULL",
                (now_ms(), s.token_digest(token), SESSION),
            )

    def token_user(self, digest: str) -> User | None:
        """The user whose unrevoked, unexpired token or session has this digest."""
        with self.db.read() as tx:
            row = tx.row(
                "SELECT u.id, u.username, u.is_admin FROM access_tokens t "
                "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? "
                "AND t.revoked_time IS NULL AND (t.expiry_time IS NULL OR t.expiry_time > ?)",
                (digest, now_ms()),
            )
        return None if row is None else _user(row)

    def user_by_id(self, user_id: int) -> User | None:
        with self.db.read() as tx:
            row = tx.row("SELECT id, username, is_admin FROM users WHERE id = ?", (user_id,))
        return None if row is None else _user(row)

    def password_hash(self, username: str) -> tuple[User, str] | None:
        """The user and their stored hash, read afresh (the credential cache compares it)."""
        with self.db.read() as tx:
            row = tx.row(
                "SELECT id, username, password_hash, is_admin FROM users WHERE username = ?",
                (username,),
            )
        return None if row is None else (_user(row), row.password_hash)

    # ------------------------------------------------------------------ roles
    def create_role(self, name: str, description: str | None) -> dict:
        _check_role_name(name)
        if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
            raise invalid(f"A role's description is at most {MAX_DESCRIPTION_LENGTH} characters.")
        try:
            with self.db.write() as tx:
                role_id = tx.scalar(
                    "INSERT INTO roles (name, description) VALUES (?, ?) RETURNING id",
                    (name, description),
                )
        except UniqueViolation:
            raise already_exists(f"Role '{name}' already exists.") from None
        return {"id": role_id, "name": name, "description": description}

    def get_role(self, role_id: int) -> dict:
        with self.db.read() as tx:
            return _role_row(tx, role_id)

    def list_roles(self) -> list[dict]:
        with self.db.read() as tx:
            rows = tx.rows("SELECT id, name, description FROM roles ORDER BY name")
        return [{"id": r.id, "name": r.name, "description": r.description} for r in rows]

    def update_role(self, role_id: int, name: str | None, description: str | None) -> dict:
        if name is not None:
            _check_role_name(name)
        try:
            with self.db.write() as tx:
                role = _role_row(tx, role_id)
                role.update(
                    {
                        k: v
                        for k, v in (("name", name), ("description", description))
                        if v is not None
                    }
                )
                tx.execute(
                    "UPDATE roles SET name = ?, description = ? WHERE id = ?",
                    (role["name"], role["description"], role_id),
                )
        except UniqueViolation:
            raise already_exists(f"Role '{name}' already exists.") from None
        return role

    def delete_role(self, role_id: int) -> None:
        with self.db.write() as tx:
            _role_row(tx, role_id)
            tx.execute("DELETE FROM user_roles WHERE role_id = ?", (role_id,))
            tx.execute(
                "DELETE FROM grants WHERE principal_type = 'role' AND principal_id = ?", (role_id,)
            )
            tx.execute("DELETE FROM roles WHERE id = ?", (role_id,))

    def assign_role(self, username: str, role_id: int) -> dict:
        with self.db.write() as tx:
            user = _user_row(tx, username)
            _role_row(tx, role_id)
            done = tx.scalar(
                "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING "
                "RETURNING user_id",
                (user.id, role_id),
            )
        if done is None:
            raise already_exists(f"User '{username}' already has role {role_id}.")
        return {"user_id": user.id, "role_id": role_id}

    def unassign_role(self, username: str, role_id: int) -> None:
        with self.db.write() as tx:
            user = _user_row(tx, username)
            done = tx.scalar(
                "DELETE FROM user_roles WHERE user_id = ? AND role_id = ? RETURNING user_id",
                (user.id, role_id),
            )
        if done is None:
            raise not_found(f"User '{username}' does not have role {role_id}.")

    def user_roles(self, username: str) -> list[dict]:
        with self.db.read() as tx:
            user = _user_row(tx, username)
            rows = tx.rows(
                "SELECT r.id, r.name, r.description FROM user_roles ur JOIN roles r "
                "ON r.id = ur.role_id WHERE ur.user_id = ? ORDER BY r.name",
                (user.id,),
            )
        return [{"id": r.id, "name": r.name, "description": r.description} for r in rows]

    def role_users(self, role_id: int) -> list[dict]:
        with self.db.read() as tx:
            _role_row(tx, role_id)
            rows = tx.rows(
                "SELECT u.id, u.username FROM user_roles ur JOIN users u ON u.id = ur.user_id "
                "WHERE ur.role_id = ? ORDER BY u.username",
                (role_id,),
            )
        return [{"user_id": r.id, "username": r.username, "role_id": role_id} for r in rows]


def _keep_an_admin(tx: Tx) -> None:
    admins = tx.scalar("SELECT COUNT(*) FROM users WHERE is_admin = ?", (True,))
    if admins <= 1:
        raise ApiError(
            "Refused: this is the last admin. Make another user admin first.", "INVALID_STATE"
        )


def _check_role_name(name: object) -> None:
    if not isinstance(name, str) or not name.strip():
        raise invalid("A role needs a name.")
    if len(name) > MAX_ROLE_NAME_LENGTH or not name.isprintable():
        raise invalid(f"Role names are at most {MAX_ROLE_NAME_LENGTH} printable characters.")


def _role_row(tx: Tx, role_id: int) -> dict:
    row = tx.row("SELECT id, name, description FROM roles WHERE id = ?", (role_id,))
    if row is None:
        raise not_found(f"Role with id={role_id} not found")
    return {"id": row.id, "name": row.name, "description": row.description}
