"""Metric points in blocks (see trackyard/store/points.py): a row per run of a series'
points instead of a row per point.

A batch of 1000 points was 1000 rows, each a heap tuple and an index entry (PostgreSQL:
~3.3 ms of CPU and ~136 KB of WAL per batch); as one block it is one row. On PostgreSQL the
packed points are stored out of line without compression (STORAGE EXTERNAL): compressing
doubles with pglz costs ten times the insert itself for a third fewer bytes.
"""

import itertools

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "metric_blocks",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.Integer, nullable=False),
        sa.Column("first_step", sa.BigInteger, nullable=False),
        sa.Column("first_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("last_timestamp", sa.BigInteger, nullable=False),
        sa.Column("points", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key_id", "last_step", "last_timestamp"),
        sqlite_with_rowid=False,
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE metric_blocks ALTER COLUMN points SET STORAGE EXTERNAL")
    if not op.get_context().as_sql:  # rendering the head SQL: an empty database, no points
        _move_points(op.get_bind())
    op.drop_table("metrics")


def _move_points(connection: sa.Connection) -> None:
    from trackyard.store.db import from_db_float
    from trackyard.store.points import block_row, merged, split

    rows = connection.execute(
        sa.text(
            "SELECT run_id, key_id, step, timestamp, value FROM metrics ORDER BY 1, 2, 3, 4"
        ).execution_options(yield_per=10_000)
    )
    insert = sa.text(
        "INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, last_step, "
        "last_timestamp, points) VALUES (:r, :k, :fs, :ft, :ls, :lt, :p)"
    )
    names = ("r", "k", "fs", "ft", "ls", "lt", "p")
    for series, stored in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        ordered = merged((step, ts, float(from_db_float(value))) for *_, step, ts, value in stored)
        blocks = [block_row(series, block) for block in split(ordered)]
        connection.execute(insert, [dict(zip(names, row, strict=True)) for row in blocks])
