"""Alembic environment: migrations run over a connection handed in by trackyard, or offline
for one dialect, rendering SQL text (how head_sql.py writes head_<dialect>.sql)."""

from alembic import context

if context.is_offline_mode():
    dialect = context.config.attributes["dialect"]
    # No BEGIN/COMMIT in the text: start-up runs the statements in a transaction of its own.
    context.configure(
        dialect_name=dialect, transactional_ddl=False, render_as_batch=dialect == "sqlite"
    )
else:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
