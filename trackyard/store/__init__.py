"""Backend stores: one interface (`TrackingStore`), SQLite and PostgreSQL behind it."""

from __future__ import annotations

from .base import TrackingStore


def open_store(uri: str, default_artifact_root: str) -> TrackingStore:
    """Open (and migrate) the store a `--backend-store-uri` names."""
    scheme = uri.partition(":")[0].partition("+")[0].lower()
    if scheme == "sqlite":
        from .sqlite import SQLiteDatabase
    elif scheme in ("postgresql", "postgres"):
        from .postgres import PostgresDatabase as SQLiteDatabase
    else:
        raise ValueError(
            f"Unsupported backend store URI '{uri}': use sqlite:///path or postgresql://..."
        )
    from .sql import SqlTrackingStore

    return SqlTrackingStore(SQLiteDatabase.open(uri), default_artifact_root)
