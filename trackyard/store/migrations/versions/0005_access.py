"""Access control (issue 18): users, personal access tokens and UI sessions, roles, and
grants on experiments and registered models, in the tracking database itself, so that every
worker and every server over it sees a revocation or a changed grant (within the few seconds
its caches keep an answer; see trackyard/access/).

A grant names its resource by integer key (an experiment's id, a registered model's id), so
renaming a model keeps its grants, and `level` holds the permission's rank so that searches
can filter what a caller may read in SQL. A grant's principal is a user or a role.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

NAME = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", NAME, nullable=False, unique=True),
        sa.Column("password_hash", NAME, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        # "token": a personal access token; "session": a signed-in browser's cookie.
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("expiry_time", sa.BigInteger),
        sa.Column("revoked_time", sa.BigInteger),
        sqlite_autoincrement=True,
    )
    op.create_index("access_tokens_by_user", "access_tokens", ["user_id", "kind"])
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", NAME, nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role_id", sa.Integer, sa.ForeignKey("roles.id"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role_id"),
    )
    op.create_index("user_roles_by_role", "user_roles", ["role_id"])
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_key", sa.Integer, nullable=False),
        sa.Column("principal_type", sa.String(8), nullable=False),
        sa.Column("principal_id", sa.Integer, nullable=False),
        sa.Column("permission", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.UniqueConstraint("resource_type", "resource_key", "principal_type", "principal_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("grants_by_principal", "grants", ["principal_type", "principal_id"])
