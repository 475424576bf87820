"""Versioned schema migrations (alembic), shared by SQLite and PostgreSQL.

Revision ids are the four-digit prefixes of the files in `versions/`, which lets start-up
compare the database's revision with the code's head without loading alembic at all when
nothing needs doing (start-up well under a second is a feature).
"""

from __future__ import annotations

import re
from pathlib import Path

VERSIONS = Path(__file__).parent / "versions"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def known_revisions() -> list[str]:
    return sorted(
        match.group(1) for path in VERSIONS.iterdir() if (match := _REVISION_FILE.match(path.name))
    )


def head_revision() -> str:
    return known_revisions()[-1]


def upgrade(connection) -> None:
    """Bring the schema to head over an open SQLAlchemy connection (caller holds the lock)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
