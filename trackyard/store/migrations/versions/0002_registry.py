"""Model registry and MLflow 3 logged models.

Registered models get an integer surrogate key, so versions, tags and aliases carry a small
integer rather than the name, and a rename touches one row. Deleted model versions stay as
rows in the "Deleted_Internal" stage (with their details redacted), as in MLflow, so that
version numbers are never handed out twice.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

KEY = sa.String(250)


def _registry_tables() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False, unique=True),
        sa.Column("creation_time", sa.BigInteger),
        sa.Column("last_updated_time", sa.BigInteger),
        sa.Column("description", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "registered_models_by_update", "registered_models", ["last_updated_time", "name"]
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", sa.Text),
        sa.PrimaryKeyConstraint("model_id", "key"),
    )
    op.create_index("registered_model_tags_by_key", "registered_model_tags", ["key", "model_id"])
    op.create_table(
        "model_versions",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_time", sa.BigInteger),
        sa.Column("last_updated_time", sa.BigInteger),
        sa.Column("description", sa.Text),
        sa.Column("user_id", sa.String(256)),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("storage_location", sa.Text),
        sa.Column("run_id", sa.String(32)),
        sa.Column("run_link", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("logged_model_id", sa.String(64)),
        sa.PrimaryKeyConstraint("model_id", "version"),
    )
    op.create_index("model_versions_by_run", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("model_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", sa.Text),
        sa.PrimaryKeyConstraint("model_id", "version", "key"),
        sa.ForeignKeyConstraint(
            ["model_id", "version"], ["model_versions.model_id", "model_versions.version"]
        ),
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "alias"),
    )


def _logged_model_tables() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(64), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("model_type", sa.String(500)),
        sa.Column("source_run_id", sa.String(32)),
        sa.Column("status_message", sa.Text),
    )
    op.create_index(
        "logged_models_by_experiment",
        "logged_models",
        ["experiment_id", "lifecycle_stage", "creation_timestamp_ms"],
    )
    for table in ("logged_model_tags", "logged_model_params"):
        op.create_table(
            table,
            sa.Column(
                "model_id", sa.String(64), sa.ForeignKey("logged_models.model_id"), nullable=False
            ),
            sa.Column("key", KEY, nullable=False),
            sa.Column("value", sa.Text),
            sa.PrimaryKeyConstraint("model_id", "key"),
        )
    op.create_table(
        "logged_model_metrics",
        sa.Column(
            "model_id", sa.String(64), sa.ForeignKey("logged_models.model_id"), nullable=False
        ),
        sa.Column("key", KEY, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("value", sa.Float(53)),
        sa.Column("dataset_name", sa.String(500)),
        sa.Column("dataset_digest", sa.String(64)),
        sa.PrimaryKeyConstraint("model_id", "key", "timestamp", "step", "run_id"),
    )
    op.create_index("logged_model_metrics_by_key", "logged_model_metrics", ["key", "value"])


def upgrade() -> None:
    _registry_tables()
    _logged_model_tables()
