"""Metric points on SQLite: one b-tree per point instead of two.

`metrics` was a rowid table plus a unique index over the whole point, so every point was
stored twice. As a WITHOUT ROWID table whose primary key is the point, the table is its own
index: inserts touch one b-tree and the file holds each point once (about half the bytes).
Primary key columns cannot be NULL, and SQLite turns a NaN parameter into NULL, so a NaN
point is stored as the text 'NaN' (sorting after every number at its step and timestamp, as
NaN does on PostgreSQL). PostgreSQL keeps its heap and unique index: nothing changes there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

POINT = ("run_id", "key_id", "step", "timestamp", "value")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        "metric_points",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.Integer, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float(53), nullable=False),
        sa.PrimaryKeyConstraint(*POINT),
        sqlite_with_rowid=False,
    )
    # OR IGNORE: the old unique index let NULLs (NaN) repeat, so a retried NaN point could be
    # there twice; as the key it is one point, like every other exact duplicate.
    op.execute(
        f"INSERT OR IGNORE INTO metric_points ({', '.join(POINT)}) "
        "SELECT run_id, key_id, step, timestamp, COALESCE(value, 'NaN') FROM metrics"
    )
    op.drop_table("metrics")
    op.rename_table("metric_points", "metrics")
