"""Backend stores: one interface (`TrackingStore`), SQLite and PostgreSQL behind it."""

from __future__ import annotations

from .db import Database
from .logged_models import LoggedModelStore
from .registry_interface import RegistryStore
from .tracking_interface import TrackingStore


def _backend(uri: str) -> str:
    """'sqlite' or 'postgresql', from a `--backend-store-uri`."""
    scheme = uri.partition(":")[0].partition("+")[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise ValueError(
        f"Unsupported backend store URI '{uri}': use sqlite:///path or postgresql://..."
    )


def open_database(uri: str, migrate: bool = True) -> Database:
    """Open the database a `--backend-store-uri` names, migrated to head first; with
    `migrate=False` a schema short of head is refused instead (migrations.SchemaBehind)."""
    if _backend(uri) == "sqlite":
        from .sqlite import SQLiteDatabase

        return SQLiteDatabase.open(uri, migrate=migrate)
    from .postgres import PostgresDatabase

    return PostgresDatabase.open(uri, migrate=migrate)


def schema_revision(uri: str) -> str | None:
    """The database's schema revision, None if it has none (empty or not there yet);
    changes nothing, creates nothing."""
    if _backend(uri) == "sqlite":
        from .sqlite import SQLiteDatabase, sqlite_path

        path = sqlite_path(uri)
        if not path.exists():
            return None
        database = SQLiteDatabase(path)
        try:
            return database.revision()
        finally:
            database.close()
    from .postgres import normalise_uri, revision

    return revision(normalise_uri(uri))


def upgrade_schema(uri: str) -> None:
    """Bring the database to head (what a server does at start-up without --no-migrate)."""
    open_database(uri).close()


def open_store(db: Database, default_artifact_root: str) -> TrackingStore:
    from .tracking import SqlTrackingStore

    return SqlTrackingStore(db, default_artifact_root)


def open_model_stores(db: Database) -> tuple[RegistryStore, LoggedModelStore]:
    """The model registry and logged models, over the tracking store's database."""
    from .registry_sql import SqlRegistryStore

    return SqlRegistryStore(db), LoggedModelStore(db)
