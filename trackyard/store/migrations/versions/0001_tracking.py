"""Tracking schema: experiments, runs, params, tags, metrics, datasets.

Designed for scale: runs and metric keys get integer surrogate keys so the metric tables
repeat no UUID or key strings, and `latest_metrics` holds each run's latest value per key so
that search and order_by on metrics never touch the history.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

KEY = sa.String(250)


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(500), nullable=False, unique=True),
        sa.Column("artifact_location", sa.Text),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("creation_time", sa.BigInteger),
        sa.Column("last_update_time", sa.BigInteger),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.experiment_id")),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", sa.Text),
        sa.PrimaryKeyConstraint("experiment_id", "key"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_uuid", sa.String(32), nullable=False, unique=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("name", sa.String(250)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger),
        sa.Column("end_time", sa.BigInteger),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("artifact_uri", sa.Text),
        sa.Column("deleted_time", sa.BigInteger),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "runs_by_experiment", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    for table in ("run_params", "run_tags"):
        op.create_table(
            table,
            sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
            sa.Column("key", KEY, nullable=False),
            sa.Column("value", sa.Text),
            sa.PrimaryKeyConstraint("run_id", "key"),
        )
        op.create_index(f"{table}_by_key", table, ["key", "value"])
    op.create_table(
        "metric_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", KEY, nullable=False, unique=True),
    )
    # History: one narrow row per point. The unique index makes a retried write idempotent
    # (as MLflow drops exact duplicates) and serves get-history in step order.
    op.create_table(
        "metrics",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.Integer, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float(53)),
    )
    op.create_index(
        "metrics_points",
        "metrics",
        ["run_id", "key_id", "step", "timestamp", "value"],
        unique=True,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.Integer, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float(53)),
        sa.PrimaryKeyConstraint("run_id", "key_id"),
    )
    op.create_index("latest_metrics_by_value", "latest_metrics", ["key_id", "value"])
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("source_type", sa.String(36)),
        sa.Column("source", sa.Text),
        sa.Column("schema", sa.Text),
        sa.Column("profile", sa.Text),
        sa.UniqueConstraint("experiment_id", "name", "digest"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "dataset_id"),
    )
    op.create_index("run_inputs_by_dataset", "run_inputs", ["dataset_id"])
    op.create_table(
        "run_input_tags",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", sa.Text),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", "key"),
    )
    op.create_table(
        "run_model_inputs",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "model_id"),
    )
    op.create_table(
        "run_model_outputs",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "model_id"),
    )
