"""What the tracking store's parts share, in one object the facade makes and hands to each:
the database, the default artifact root, the metric key cache and the search scopes known
to be large. Nothing here is data that another process could change under it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from .db import Database, Tx, chunks, placeholders


class MetricKeys:
    """Metric key names <-> ids. A committed id never changes, so this cache cannot go stale,
    even with other processes writing to the same database."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] = {}

    def cached(self, key: str) -> int | None:
        """The key's id if this process has seen it committed; no query."""
        return self._ids.get(key)

    def ids(self, tx: Tx, keys: Sequence[str], create: bool) -> dict[str, int]:
        """Ids of `keys`; with `create`, new keys get one (in this transaction)."""
        wanted = dict.fromkeys(keys)  # a batch repeats a few keys up to 1000 times
        found = {key: self._ids[key] for key in wanted if key in self._ids}
        missing = [key for key in wanted if key not in found]
        for batch in chunks(missing):
            for key_id, key in tx.all(
                f"SELECT id, key FROM metric_keys WHERE key IN ({placeholders(len(batch))})",
                batch,
            ):
                found[key] = self._ids[key] = key_id
                self._names[key_id] = key
        if create:
            for key in sorted(missing):  # one lock order for concurrent writers
                if key not in found:
                    # Not cached: this transaction may still roll back.
                    found[key] = tx.scalar(
                        "INSERT INTO metric_keys (key) VALUES (?) ON CONFLICT (key) "
                        "DO UPDATE SET key = excluded.key RETURNING id",
                        (key,),
                    )
        return found

    def names(self, tx: Tx, key_ids: set[int]) -> dict[int, str]:
        """Names of metric key ids, from the cache or the table; holds at least `key_ids`."""
        missing = [key_id for key_id in key_ids if key_id not in self._names]
        for batch in chunks(missing):
            for key_id, key in tx.all(
                f"SELECT id, key FROM metric_keys WHERE id IN ({placeholders(len(batch))})", batch
            ):
                self._names[key_id] = key
        return self._names


class LargeScopes:
    """Search scopes counted larger than a walk's span (see run_search), so they are not
    counted again. A plan choice, not data: runs are seldom deleted, and a search that walks
    a scope since shrunk is slower, never wrong. Bounded, as scopes are the clients' to make."""

    KEPT = 4096

    def __init__(self) -> None:
        self._known: set[Hashable] = set()

    def __contains__(self, scope: Hashable) -> bool:
        return scope in self._known

    def add(self, scope: Hashable) -> None:
        if len(self._known) >= self.KEPT:
            self._known.clear()
        self._known.add(scope)


@dataclass
class TrackingState:
    db: Database
    artifact_root: str  # new experiments' artifacts go under it; no trailing slash
    keys: MetricKeys = field(default_factory=MetricKeys)
    large_scopes: LargeScopes = field(default_factory=LargeScopes)
