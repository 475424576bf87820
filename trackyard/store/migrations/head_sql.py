"""Writes head_<dialect>.sql: every migration in order, as alembic renders it offline.

Start-up builds an empty database from that file without importing alembic or SQLAlchemy;
the migrations stay the one source of the schema. After adding a migration, run

    python -m trackyard.store.migrations.head_sql

tests/test_migrations.py checks that each file builds exactly the schema the migrations do.
"""

from __future__ import annotations

import io

from alembic import command

from . import alembic_config, head_sql_path

DIALECTS = ("sqlite", "postgresql")
HEADER = (
    "-- The head schema, rendered from the migrations by "
    "`python -m trackyard.store.migrations.head_sql`.\n-- Do not edit: regenerate.\n\n"
)


def render(dialect: str) -> str:
    config = alembic_config(dialect=dialect)
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    return HEADER + config.output_buffer.getvalue()


def main() -> None:
    for dialect in DIALECTS:
        head_sql_path(dialect).write_text(render(dialect))


if __name__ == "__main__":
    main()
