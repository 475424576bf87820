"""MLflow 3 traces: trace info, tags, request metadata, runs linked, spans and assessments.

Traces get an integer surrogate key, so span, tag and assessment rows repeat no `tr-<32 hex>`
string. A span row holds its indexed columns (name, type, status, times) and the whole span as
compressed JSON in the form the API answers with (trackyard/store/span_codec.py), so reading a
trace copies stored bytes into the answer. On PostgreSQL span content is stored out of line
without pglz: it is compressed already.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

KEY = sa.String(250)


def upgrade() -> None:
    op.create_table(
        "traces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trace_id", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("request_time", sa.BigInteger, nullable=False),
        sa.Column("execution_ms", sa.BigInteger),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("client_request_id", sa.Text),
        sa.Column("request_preview", sa.Text),
        sa.Column("response_preview", sa.Text),
        # 1 once the client's trace info arrived: spans then no longer rewrite the info.
        sa.Column("finalized", sa.SmallInteger, nullable=False),
    )
    op.create_index("traces_by_experiment", "traces", ["experiment_id", "request_time", "trace_id"])
    for table in ("trace_tags", "trace_metadata"):
        op.create_table(
            table,
            sa.Column("trace_key", sa.Integer, nullable=False),
            sa.Column("key", KEY, nullable=False),
            sa.Column("value", sa.Text),
            sa.PrimaryKeyConstraint("trace_key", "key"),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "trace_runs",
        sa.Column("trace_key", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("trace_key", "run_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("trace_runs_by_run", "trace_runs", ["run_id"])
    op.create_table(
        "spans",
        sa.Column("trace_key", sa.Integer, nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("parent_span_id", sa.String(16)),
        sa.Column("name", sa.Text),
        sa.Column("type", sa.String(64)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("start_ns", sa.BigInteger, nullable=False),
        sa.Column("end_ns", sa.BigInteger),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("trace_key", "span_id"),
        sqlite_with_rowid=False,
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE spans ALTER COLUMN content SET STORAGE EXTERNAL")
    op.create_table(
        "assessments",
        sa.Column("assessment_id", sa.String(50), primary_key=True),
        sa.Column("trace_key", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("valid", sa.SmallInteger, nullable=False),
        sa.Column("create_time", sa.BigInteger, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )
    op.create_index("assessments_by_trace", "assessments", ["trace_key"])


def downgrade() -> None:
    for table in ("assessments", "spans", "trace_runs", "trace_metadata", "trace_tags", "traces"):
        op.drop_table(table)
