"""Experiments on SQL: create, read, search, rename, delete and restore (with their runs), tags."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import already_exists, invalid, not_found
from ..messages.tracking import Experiment, KeyValue
from ..paging import decode_token, next_token
from ..search.grammar import Clause, OrderKey
from . import search_sql as q
from .db import NamedRow, Tx, UniqueViolation, chunks, now_ms, placeholders
from .lifecycle import ACTIVE, DELETED, LIFECYCLE_BY_VIEW, require_active_experiment
from .tracking_state import TrackingState

DEFAULT_EXPERIMENT_ID = 0

_SELECT = (
    "SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, "
    "e.last_update_time, e.creation_time FROM experiments e"
)
_UPSERT_TAG = (
    "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value"
)


def experiment_row(tx: Tx, experiment_id: str) -> NamedRow:
    """The experiment's row of _SELECT; an id that names nothing is not found."""
    row = None
    if q.is_id(experiment_id):
        row = tx.row(f"{_SELECT} WHERE e.experiment_id = ?", (int(experiment_id),))
    if row is None:
        raise not_found(f"No Experiment with id={experiment_id} exists")
    return row


class Experiments:
    def __init__(self, state: TrackingState) -> None:
        self.db = state.db
        self.artifact_root = state.artifact_root

    def _location(self, experiment_id: int) -> str:
        return f"{self.artifact_root}/{experiment_id}"

    def create_default(self) -> None:
        """Experiment 0, "Default", in an empty database, as MLflow has it."""
        with self.db.write() as tx:
            if tx.one("SELECT 1 FROM experiments LIMIT 1") is None:
                created = now_ms()
                tx.execute(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (DEFAULT_EXPERIMENT_ID, "Default", self._location(0), ACTIVE, created, created),
                )

    def create(self, name: str, artifact_location: str | None, tags: Sequence[KeyValue]) -> str:
        created = now_ms()
        with self.db.write() as tx:
            experiment_id = tx.scalar(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time,"
                " last_update_time) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                "RETURNING experiment_id",
                (name, artifact_location, ACTIVE, created, created),
            )
            if experiment_id is None:
                raise already_exists(_name_taken_message(tx, name))
            if not artifact_location:
                tx.execute(
                    "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                    (self._location(experiment_id), experiment_id),
                )
            tx.many(
                _UPSERT_TAG,
                list({tag.key: (experiment_id, tag.key, tag.value) for tag in tags}.values()),
            )
        return str(experiment_id)

    def get(self, experiment_id: str) -> Experiment:
        with self.db.read() as tx:
            return _with_tags(tx, [experiment_row(tx, experiment_id)])[0]

    def get_by_name(self, name: str) -> Experiment | None:
        with self.db.read() as tx:
            row = tx.row(f"{_SELECT} WHERE e.name = ?", (name,))
            return None if row is None else _with_tags(tx, [row])[0]

    def search(
        self,
        view_type: str,
        max_results: int,
        clauses: Sequence[Clause],
        order_by: Sequence[OrderKey],
        page_token: str,
        visible: q.Visible | None = None,
    ) -> tuple[list[Experiment], str | None]:
        offset = decode_token(page_token)
        query = q.Query()
        q.restrict(query, visible, "e.experiment_id")
        stages = LIFECYCLE_BY_VIEW[view_type]
        query.add_where(f"e.lifecycle_stage IN ({placeholders(len(stages))})", *stages)
        q.experiment_filters(clauses, self.db.dialect, query)
        q.experiment_ordering(order_by, query)
        with self.db.read() as tx:
            rows = tx.rows(
                f"{_SELECT} WHERE {query.where_sql()} "
                f"ORDER BY {', '.join(query.order)} LIMIT ? OFFSET ?",
                [*query.params, max_results + 1, offset],
            )
            experiments = _with_tags(tx, rows[:max_results])
        return experiments, next_token(offset, max_results, len(rows))

    def rename(self, experiment_id: str, new_name: str) -> None:
        try:
            with self.db.write() as tx:
                row = experiment_row(tx, experiment_id)
                if row.lifecycle_stage != ACTIVE:
                    raise invalid("Cannot rename a non-active experiment.")
                taken = tx.scalar(
                    "SELECT experiment_id FROM experiments WHERE name = ?", (new_name,)
                )
                if taken is not None and taken != row.experiment_id:
                    raise already_exists(_name_taken_message(tx, new_name))
                tx.execute(
                    "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                    (new_name, now_ms(), row.experiment_id),
                )
        except UniqueViolation as error:  # another writer took the name after the check
            with self.db.read() as tx:
                raise already_exists(_name_taken_message(tx, new_name)) from error

    def set_lifecycle(self, experiment_id: str, stage: str) -> None:
        """Delete (stage DELETED) or restore (ACTIVE) an experiment; its runs follow it."""
        with self.db.write() as tx:
            row = experiment_row(tx, experiment_id)
            if stage == DELETED and row.experiment_id == DEFAULT_EXPERIMENT_ID:
                raise invalid("Cannot delete the default experiment '0'.")
            if row.lifecycle_stage == stage:
                raise invalid(f"Experiment {experiment_id} is already {stage}.")
            changed = now_ms()
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                "WHERE experiment_id = ?",
                (stage, changed, row.experiment_id),
            )
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ? "
                "AND lifecycle_stage = ?",
                (
                    stage,
                    changed if stage == DELETED else None,
                    row.experiment_id,
                    ACTIVE if stage == DELETED else DELETED,
                ),
            )

    def set_tag(self, experiment_id: str, key: str, value: str) -> None:
        with self.db.write() as tx:
            experiment_key = _active_key(tx, experiment_id)
            tx.execute(_UPSERT_TAG, (experiment_key, key, value))

    def delete_tag(self, experiment_id: str, key: str) -> None:
        with self.db.write() as tx:
            deleted = tx.execute(
                "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?",
                (_active_key(tx, experiment_id), key),
            ).rowcount
            if not deleted:
                raise not_found(f"No tag with name: {key} in experiment with id {experiment_id}")


def _active_key(tx: Tx, experiment_id: str) -> int:
    row = experiment_row(tx, experiment_id)
    require_active_experiment(experiment_id, row.lifecycle_stage)
    return row.experiment_id


def _name_taken_message(tx: Tx, name: str) -> str:
    stage = tx.scalar("SELECT lifecycle_stage FROM experiments WHERE name = ?", (name,))
    if stage == DELETED:
        return (
            f"Experiment '{name}' already exists in deleted state. Restore it, or rename "
            "or permanently delete the deleted experiment first."
        )
    return f"Experiment '{name}' already exists."


def _with_tags(tx: Tx, rows: Sequence[NamedRow]) -> list[Experiment]:
    """Whole experiments for rows of _SELECT: their tags in one query per chunk."""
    tags: dict[int, list[KeyValue]] = {row.experiment_id: [] for row in rows}
    for ids in chunks(list(tags)):
        for experiment_id, key, value in tx.all(
            "SELECT experiment_id, key, value FROM experiment_tags "
            f"WHERE experiment_id IN ({placeholders(len(ids))}) ORDER BY key",
            ids,
        ):
            tags[experiment_id].append(KeyValue(key=key, value=value))
    return [
        Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=row.lifecycle_stage,
            last_update_time=row.last_update_time,
            creation_time=row.creation_time,
            tags=tags[row.experiment_id],
        )
        for row in rows
    ]
