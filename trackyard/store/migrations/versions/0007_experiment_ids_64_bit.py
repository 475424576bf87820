"""64-bit experiment ids on PostgreSQL, as SQLite has them: an MLflow file store (`mlruns`)
numbers its experiments with 18 or 19 digits, and `trackyard import` keeps them as they were.

Every column holding an experiment id becomes BIGINT: the experiments' own, the tables that
name one (runs, tags, datasets, logged models, traces), and grants' resource key (an
experiment's id, or a registered model's row id). The id sequence becomes bigint too, so its
type matches the column; new experiments still count on from the largest id a SQL store made
(`trackyard import` keeps the sequence below the file store's ids). Each ALTER rewrites its
table under an exclusive lock: an upgrade of a large store takes a while, as a VACUUM FULL
would. SQLite's INTEGER is 64-bit already: nothing changes there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

COLUMNS = (
    ("experiments", "experiment_id"),
    ("experiment_tags", "experiment_id"),
    ("runs", "experiment_id"),
    ("datasets", "experiment_id"),
    ("logged_models", "experiment_id"),
    ("traces", "experiment_id"),
    ("grants", "resource_key"),
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table, column, type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False
        )
    op.execute("ALTER SEQUENCE experiments_experiment_id_seq AS bigint")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER SEQUENCE experiments_experiment_id_seq AS integer")
    for table, column in COLUMNS:
        op.alter_column(
            table, column, type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False
        )
