"""Backend stores: one interface (`TrackingStore`), SQLite and PostgreSQL behind it."""

from __future__ import annotations

from .base import TrackingStore
from .db import Database


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


def open_store(uri: str, default_artifact_root: str) -> TrackingStore:
    from .sql import SqlTrackingStore

    return SqlTrackingStore(open_database(uri), default_artifact_root)
