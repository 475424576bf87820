"""Backend stores: one interface (`TrackingStore`), SQLite and PostgreSQL behind it."""

from __future__ import annotations

from .db import Database
from .logged_models import LoggedModelStore
from .registry_interface import RegistryStore
from .tracking_interface import TrackingStore


def open_database(uri: str) -> Database:
    """Open (and migrate) the database a `--backend-store-uri` names."""
    scheme = uri.partition(":")[0].partition("+")[0].lower()
    if scheme == "sqlite":
        from .sqlite import SQLiteDatabase

        return SQLiteDatabase.open(uri)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresDatabase

        return PostgresDatabase.open(uri)
    raise ValueError(
        f"Unsupported backend store URI '{uri}': use sqlite:///path or postgresql://..."
    )


def open_store(db: Database, default_artifact_root: str) -> TrackingStore:
    from .tracking import SqlTrackingStore

    return SqlTrackingStore(db, default_artifact_root)


def open_model_stores(db: Database) -> tuple[RegistryStore, LoggedModelStore]:
    """The model registry and logged models, over the tracking store's database."""
    from .registry_sql import SqlRegistryStore

    return SqlRegistryStore(db), LoggedModelStore(db)
