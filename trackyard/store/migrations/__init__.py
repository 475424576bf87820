"""Versioned schema migrations (alembic), shared by SQLite and PostgreSQL.

Revision ids are the four-digit prefixes of the files in `versions/`, which lets start-up
compare the database's revision with the code's head without loading alembic at all when
nothing needs doing (start-up well under a second is a feature).

An empty database is not migrated step by step: it gets `head_<dialect>.sql`, the SQL that
alembic renders from these same migrations (`head_sql.py`), in one transaction. Importing
SQLAlchemy and alembic costs ~0.8 s, ten times what the migrations themselves take.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).parent
VERSIONS = SCRIPTS / "versions"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def known_revisions() -> list[str]:
    return sorted(
        match.group(1) for path in VERSIONS.iterdir() if (match := _REVISION_FILE.match(path.name))
    )


def head_revision() -> str:
    return known_revisions()[-1]


class SchemaBehind(RuntimeError):
    """The database's schema is older than this trackyard's and nothing may migrate it
    (a server started with --no-migrate, or `trackyard gc`): an operator runs
    `trackyard db upgrade`."""


def check_revision(current: str | None, database: str) -> None:
    """Refuse a schema that is not this code's head, without changing anything: a newer one
    needs a newer trackyard, an older (or missing) one `trackyard db upgrade`."""
    if current == head_revision():
        return
    if current is not None and current not in known_revisions():
        raise RuntimeError(_newer(database, current))
    state = f"schema revision {current}" if current else "no schema"
    raise SchemaBehind(
        f"{database} has {state}, behind this trackyard's head {head_revision()}: run "
        "`trackyard db upgrade --backend-store-uri <uri>` first (a server started with "
        "--no-migrate, and trackyard gc, never migrate)."
    )


def _newer(database: str, current: str) -> str:
    return (
        f"{database} has schema revision {current}, newer than this trackyard knows "
        f"(head {head_revision()}). Upgrade trackyard."
    )


def bring_to_head(
    revision: Callable[[], str | None],
    is_empty: Callable[[], bool],
    create_head: Callable[[], None],
    upgrade_to_head: Callable[[], None],
    database: str,
) -> None:
    """Under the caller's migration lock: refuse a schema newer than the code, build an empty
    database from the head SQL, and upgrade whatever is still short of head."""
    current = revision()
    if current is not None and current not in known_revisions():
        raise RuntimeError(_newer(database, current))
    if current is None and is_empty():
        create_head()
    if revision() != head_revision():
        upgrade_to_head()


def head_sql_path(dialect: str) -> Path:
    return SCRIPTS / f"head_{dialect}.sql"


def head_statements(dialect: str) -> list[str]:
    """The statements that build the head schema, and stamp it, on an empty database.

    A file older than the newest migration is still correct, only short of head: start-up
    then upgrades from its stamp through alembic (and the tests fail until it is rewritten).
    """
    lines = head_sql_path(dialect).read_text().splitlines()
    script = "\n".join(line for line in lines if not line.startswith("--"))
    # Alembic ends every statement it renders with ";" and a blank line.
    return [statement.strip() for statement in script.split(";\n") if statement.strip()]


def alembic_config(**attributes: Any) -> Config:
    """Alembic's view of this folder; `attributes` reach env.py (a connection, or a dialect)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes.update(attributes)
    return config


def upgrade(connection: Any) -> None:
    """Bring the schema to head over an open SQLAlchemy connection (caller holds the lock)."""
    from alembic import command

    command.upgrade(alembic_config(connection=connection), "head")
