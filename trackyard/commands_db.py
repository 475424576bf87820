"""`trackyard db upgrade|current|check`: schema migrations run by an operator.

A server migrates its database at start-up unless started with `--no-migrate`; several
servers over one PostgreSQL database are started so, and the operator upgrades once, here.
"""

from __future__ import annotations

import click

from .config import DATA_DIR
from .store import migrations

BACKEND_STORE_URI = click.option(
    "--backend-store-uri",
    default=f"sqlite:///{DATA_DIR / 'trackyard.db'}",
    show_default=True,
    envvar="TRACKYARD_BACKEND_STORE_URI",
    help="sqlite:///path/to/file.db or postgresql://user:password@host:port/db",
)


def _describe(revision: str | None) -> str:
    """A revision as an operator reads it, against this trackyard's head."""
    head = migrations.head_revision()
    if revision == head:
        return f"{revision} (head)"
    if revision is None:
        return f"none (no schema yet; head is {head})"
    if revision not in migrations.known_revisions():
        return f"{revision} (newer than this trackyard's head {head}: upgrade trackyard)"
    return f"{revision} (behind head {head}: run `trackyard db upgrade`)"


def _revision(uri: str) -> str | None:
    from .store import schema_revision

    try:
        return schema_revision(uri)
    except Exception as error:  # any driver's connection error is one clear line
        raise click.ClickException(f"Cannot open the backend store: {error}") from None


@click.group()
def db() -> None:
    """The backend store's schema: upgrade it, show it, check it is current."""


@db.command()
@BACKEND_STORE_URI
def upgrade(backend_store_uri: str) -> None:
    """Migrate the schema to this trackyard's head (creating it in an empty database).
    Safe beside running servers and other upgrades: migrations take a lock."""
    from .store import upgrade_schema

    before = _revision(backend_store_uri)
    try:
        upgrade_schema(backend_store_uri)
    except Exception as error:
        raise click.ClickException(f"Cannot upgrade the backend store: {error}") from None
    head = migrations.head_revision()
    if before == head:
        click.echo(f"Already at head {head}.")
    else:
        click.echo(f"Upgraded the schema from {before or 'none'} to {head}.")


@db.command()
@BACKEND_STORE_URI
def current(backend_store_uri: str) -> None:
    """Print the schema revision of the database."""
    click.echo(_describe(_revision(backend_store_uri)))


@db.command()
@BACKEND_STORE_URI
def check(backend_store_uri: str) -> None:
    """Exit 0 if the schema is at this trackyard's head; 1 (with the reason) otherwise."""
    revision = _revision(backend_store_uri)
    if revision != migrations.head_revision():
        click.echo(f"Schema revision: {_describe(revision)}", err=True)
        raise SystemExit(1)
    click.echo(f"Schema revision: {_describe(revision)}")
