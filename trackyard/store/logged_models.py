"""MLflow 3 logged models on SQL: a model with its own artifact folder, params, tags, metrics.

Logged models belong to tracking (an experiment owns them), but live in their own small store
over the same `Database` so the tracking store stays readable.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import invalid, not_found
from ..messages.base import wire_float
from ..messages.logged_models import (
    STATUS_NAMES,
    STATUS_NUMBERS,
    LoggedModel,
    LoggedModelData,
    LoggedModelInfo,
)
from ..messages.tracking import BatchMetric, KeyValue, Metric
from ..paging import decode_token, next_token
from ..run_names import random_run_name
from ..search.grammar import Clause
from .db import Database, Dialect, NamedRow, Tx, chunks, from_db_float, now_ms, placeholders
from .lifecycle import ACTIVE, DELETED, require_active_experiment
from .search_sql import Query, compare, nulls_last
from .write_once import insert_write_once

PENDING = 1
MODEL_VERSIONS_TAG = "mlflow.modelVersions"

_SELECT = (
    "SELECT l.model_id, l.experiment_id, l.name, l.artifact_location, l.creation_timestamp_ms, "
    "l.last_updated_timestamp_ms, l.status, l.model_type, l.source_run_id, l.status_message "
    "FROM logged_models l"
)
COLUMNS = {
    "name": "l.name",
    "model_id": "l.model_id",
    "model_type": "l.model_type",
    "status": "l.status",
    "source_run_id": "l.source_run_id",
    "creation_timestamp": "l.creation_timestamp_ms",
    "last_updated_timestamp": "l.last_updated_timestamp_ms",
}


@dataclass(frozen=True)
class DatasetScope:
    """Metrics on one dataset: by name, and by digest too when one is given."""

    name: str
    digest: str | None = None


@dataclass(frozen=True)
class ModelOrder:
    field: str  # an attribute of COLUMNS, or "metrics.<key>"
    ascending: bool = True
    dataset: DatasetScope | None = None


def _not_found(model_id: str):
    return not_found(f"Logged model with ID '{model_id}' not found.")


class LoggedModelStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ reading

    def _row(self, tx: Tx, model_id: str, allow_deleted: bool = False) -> NamedRow:
        sql = f"{_SELECT} WHERE l.model_id = ?"
        if not allow_deleted:
            sql += f" AND l.lifecycle_stage = '{ACTIVE}'"
        row = tx.row(sql, (model_id,))
        if row is None:
            raise _not_found(model_id)
        return row

    def _models(self, tx: Tx, rows: Sequence[NamedRow]) -> list[LoggedModel]:
        """Whole models (tags, params, metrics) for a page of rows, in a few queries."""
        models = {row.model_id: _model(row) for row in rows}
        for ids in chunks(list(models)):
            marks = placeholders(len(ids))
            for model_id, key, value in tx.all(
                f"SELECT model_id, key, value FROM logged_model_tags WHERE model_id IN ({marks}) "
                "ORDER BY key",
                ids,
            ):
                models[model_id].info.tags.append(KeyValue(key=key, value=value))
            for model_id, key, value in tx.all(
                "SELECT model_id, key, value FROM logged_model_params "
                f"WHERE model_id IN ({marks}) ORDER BY key",
                ids,
            ):
                models[model_id].data.params.append(KeyValue(key=key, value=value))
            for metric in tx.rows(
                "SELECT model_id, key, value, timestamp, step, run_id, dataset_name, "
                f"dataset_digest FROM logged_model_metrics WHERE model_id IN ({marks}) "
                "ORDER BY key, timestamp, step",
                ids,
            ):
                models[metric.model_id].data.metrics.append(_metric(metric))
        return [models[row.model_id] for row in rows]

    def get(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with self.db.read() as tx:
            return self._models(tx, [self._row(tx, model_id, allow_deleted)])[0]

    # ------------------------------------------------------------------ writing

    def create(
        self,
        experiment_id: str,
        name: str | None,
        model_type: str | None,
        source_run_id: str | None,
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> LoggedModel:
        model_id = f"m-{uuid.uuid4().hex}"
        created = now_ms()
        with self.db.write() as tx:
            experiment_key, location = self._active_experiment(tx, experiment_id)
            tx.execute(
                "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
                "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, "
                "model_type, source_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    model_id,
                    experiment_key,
                    name or random_run_name(),
                    f"{location.rstrip('/')}/models/{model_id}/artifacts",
                    created,
                    created,
                    PENDING,
                    ACTIVE,
                    model_type or None,
                    source_run_id or None,
                ),
            )
            self._insert_params(tx, model_id, params)
            self._upsert_tags(tx, model_id, tags)
            return self._models(tx, [self._row(tx, model_id)])[0]

    @staticmethod
    def _active_experiment(tx: Tx, experiment_id: str) -> tuple[int, str]:
        row = None
        if str(experiment_id).isdigit():
            row = tx.row(
                "SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments "
                "WHERE experiment_id = ?",
                (int(experiment_id),),
            )
        if row is None:
            raise not_found(f"No Experiment with id={experiment_id} exists")
        require_active_experiment(experiment_id, row.lifecycle_stage)
        return row.experiment_id, row.artifact_location

    @staticmethod
    def _insert_params(tx: Tx, model_id: str, params: Sequence[KeyValue]) -> None:
        new = {param.key: param.value for param in params}
        label = f"logged model '{model_id}'"
        insert_write_once(tx, "logged_model_params", "model_id", model_id, new, label)

    @staticmethod
    def _upsert_tags(tx: Tx, model_id: str, tags: Sequence[KeyValue]) -> None:
        latest = {tag.key: tag.value for tag in tags}
        tx.many(
            "INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
            [(model_id, key, value) for key, value in latest.items()],
        )

    def log_params(self, model_id: str, params: Sequence[KeyValue]) -> None:
        with self.db.write() as tx:
            self._row(tx, model_id)
            self._insert_params(tx, model_id, params)

    def finalize(self, model_id: str, status: int) -> LoggedModel:
        with self.db.write() as tx:
            self._row(tx, model_id)
            tx.execute(
                "UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? "
                "WHERE model_id = ?",
                (status, now_ms(), model_id),
            )
            return self._models(tx, [self._row(tx, model_id)])[0]

    def delete(self, model_id: str) -> None:
        """Soft: the model stays readable with `allow_deleted`, as in MLflow."""
        with self.db.write() as tx:
            self._row(tx, model_id)
            tx.execute(
                "UPDATE logged_models SET lifecycle_stage = ?, last_updated_timestamp_ms = ? "
                "WHERE model_id = ?",
                (DELETED, now_ms(), model_id),
            )

    def set_tags(self, model_id: str, tags: Sequence[KeyValue]) -> None:
        with self.db.write() as tx:
            self._row(tx, model_id)
            self._upsert_tags(tx, model_id, tags)

    def delete_tag(self, model_id: str, key: str) -> None:
        with self.db.write() as tx:
            self._row(tx, model_id)
            deleted = tx.execute(
                "DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?", (model_id, key)
            ).rowcount
            if not deleted:
                raise not_found(f"No tag with key '{key}' found for model with ID '{model_id}'.")

    def add_model_version(self, model_id: str, name: str, version: int | str) -> None:
        """Record a registration in the model's `mlflow.modelVersions` tag, as MLflow does:
        the version as a JSON number (MLflow's registry hands its store an int)."""
        with self.db.write() as tx:
            self._row(tx, model_id)
            current = tx.scalar(
                "SELECT value FROM logged_model_tags WHERE model_id = ? AND key = ?",
                (model_id, MODEL_VERSIONS_TAG),
            )
            entries = json.loads(current) if current else []
            entry = {"name": name, "version": int(version)}
            if entry not in entries:
                entries.append(entry)
            self._upsert_tags(
                tx, model_id, [KeyValue(key=MODEL_VERSIONS_TAG, value=json.dumps(entries))]
            )

    def link_metrics(self, run_id: str, metrics: Sequence[BatchMetric]) -> None:
        """Metrics a run logged for a model (`model_id` set) also become the model's metrics.

        Ids of models that do not exist are ignored: the run's own metrics are already saved.
        """
        linked = [metric for metric in metrics if metric.model_id]
        if not linked:
            return
        with self.db.write() as tx:
            ids = list({metric.model_id for metric in linked})
            known = {
                model_id
                for (model_id,) in tx.all(
                    "SELECT model_id FROM logged_models "
                    f"WHERE model_id IN ({placeholders(len(ids))})",
                    ids,
                )
            }
            tx.many(
                "INSERT INTO logged_model_metrics (model_id, key, timestamp, step, run_id, value, "
                "dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [
                    (
                        m.model_id,
                        m.key,
                        m.timestamp,
                        m.step,
                        run_id,
                        m.value,
                        m.dataset_name or None,
                        m.dataset_digest or None,
                    )
                    for m in linked
                    if m.model_id in known
                ],
            )

    # ------------------------------------------------------------------ search

    def search(
        self,
        experiment_ids: Sequence[str],
        clauses: Sequence[Clause],
        datasets: Sequence[DatasetScope],
        max_results: int,
        order_by: Sequence[ModelOrder],
        page_token: str,
    ) -> tuple[list[LoggedModel], str | None]:
        offset = decode_token(page_token)
        keys = [int(e) for e in experiment_ids if str(e).isdigit()]
        if not keys:
            return [], None
        query = Query()
        query.add_where(f"l.experiment_id IN ({placeholders(len(keys))})", *keys)
        query.add_where("l.lifecycle_stage = ?", ACTIVE)
        _filters(clauses, datasets, self.db.dialect, query)
        order, order_params = _ordering(order_by)
        with self.db.read() as tx:
            rows = tx.rows(
                f"{_SELECT} WHERE {query.where_sql()} ORDER BY {', '.join(order)} LIMIT ? OFFSET ?",
                [*query.params, *order_params, max_results + 1, offset],
            )
            models = self._models(tx, rows[:max_results])
        return models, next_token(offset, max_results, len(rows))


# ====================================================================== helpers


def _model(row: NamedRow) -> LoggedModel:
    """A model from its row of _SELECT, without tags, params and metrics."""
    return LoggedModel(
        info=LoggedModelInfo(
            model_id=row.model_id,
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_uri=row.artifact_location,
            creation_timestamp_ms=row.creation_timestamp_ms,
            last_updated_timestamp_ms=row.last_updated_timestamp_ms,
            status=STATUS_NAMES.get(row.status, STATUS_NAMES[0]),
            model_type=row.model_type,
            source_run_id=row.source_run_id,
            status_message=row.status_message,
        ),
        data=LoggedModelData(),
    )


def _metric(row: NamedRow) -> Metric:
    return Metric(
        key=row.key,
        value=wire_float(from_db_float(row.value)),
        timestamp=row.timestamp,
        step=row.step,
        dataset_name=row.dataset_name,
        dataset_digest=row.dataset_digest,
        model_id=row.model_id,
        run_id=row.run_id,
    )


def _dataset_condition(datasets: Sequence[DatasetScope]) -> tuple[str, list]:
    """Metrics on any of the datasets (no datasets: any metric at all)."""
    if not datasets:
        return "", []
    parts, params = [], []
    for dataset in datasets:
        if dataset.digest:
            parts.append("(x.dataset_name = ? AND x.dataset_digest = ?)")
            params += [dataset.name, dataset.digest]
        else:
            parts.append("x.dataset_name = ?")
            params.append(dataset.name)
    return f" AND ({' OR '.join(parts)})", params


def status_number(value) -> int:
    """Filters may name a status with or without MLflow's LOGGED_MODEL_ prefix."""
    text = str(value).upper()
    number = STATUS_NUMBERS.get(text, STATUS_NUMBERS.get(f"LOGGED_MODEL_{text}"))
    if number is None:
        if text.isdigit():
            return int(text)
        raise invalid(f"Invalid logged model status '{value}'.")
    return number


def _filters(
    clauses: Sequence[Clause], datasets: Sequence[DatasetScope], dialect: Dialect, query: Query
) -> None:
    in_datasets, dataset_params = _dataset_condition(datasets)
    has_metric_filter = False
    for clause in clauses:
        if clause.entity == "metric":
            has_metric_filter = True
            query.add_where(
                "EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = l.model_id "
                f"AND x.key = ? AND {dialect.is_number('x.value')} "
                f"AND x.value {clause.comparator} ?{in_datasets})",
                clause.key,
                clause.value,
                *dataset_params,
            )
        elif clause.entity in ("param", "tag"):
            table = f"logged_model_{clause.entity}s"
            condition, params = compare(dialect, "x.value", clause.comparator, clause.value)
            query.add_where(
                f"EXISTS (SELECT 1 FROM {table} x WHERE x.model_id = l.model_id AND x.key = ? "
                f"AND {condition})",
                clause.key,
                *params,
            )
        else:
            value: Any = clause.value
            if clause.key == "status":
                value = (
                    tuple(status_number(v) for v in value)
                    if isinstance(value, tuple)
                    else status_number(value)
                )
            condition, params = compare(dialect, COLUMNS[clause.key], clause.comparator, value)
            query.add_where(condition, *params)
    if datasets and not has_metric_filter:
        query.add_where(
            "EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = l.model_id"
            f"{in_datasets})",
            *dataset_params,
        )


def _ordering(order_by: Sequence[ModelOrder]) -> tuple[list[str], list]:
    """MLflow's order: the given keys with missing values last, then newest first, then id."""
    order: list[str] = []
    params: list = []
    fields = set()
    for item in order_by:
        fields.add(item.field)
        if not item.field.startswith("metrics."):
            order.append(nulls_last(COLUMNS[item.field], item.ascending))
            continue
        in_dataset, dataset_params = _dataset_condition([item.dataset] if item.dataset else [])
        latest = (
            "(SELECT x.value FROM logged_model_metrics x WHERE x.model_id = l.model_id "
            f"AND x.key = ?{in_dataset} ORDER BY x.timestamp DESC, x.step DESC, x.run_id ASC "
            "LIMIT 1)"
        )
        order.append(nulls_last(latest, item.ascending))
        key_params = [item.field.split(".", 1)[1], *dataset_params]
        params += key_params + key_params
    if "creation_timestamp" not in fields:
        order.append("l.creation_timestamp_ms DESC")
    if "model_id" not in fields:
        order.append("l.model_id ASC")
    return order, params
