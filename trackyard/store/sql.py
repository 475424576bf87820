"""The tracking store on SQL: one implementation for every `Database` (SQLite, PostgreSQL)."""

from __future__ import annotations

import bisect
import itertools
import math
import time
import uuid
from collections.abc import Sequence
from operator import attrgetter
from typing import Literal

from ..errors import already_exists, invalid, not_found
from ..messages.base import wire_float
from ..messages.tracking import (
    BatchMetric,
    Dataset,
    DatasetInput,
    Experiment,
    KeyValue,
    Metric,
    MetricWithRunId,
    ModelInput,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
)
from ..names import random_run_name
from ..paging import decode_keyset, decode_token, encode_keyset, next_token
from ..search.grammar import Clause, OrderKey
from . import points as pts
from . import query as q
from .base import TrackingStore
from .db import (
    MAX_PARAMS,
    Database,
    Plan,
    Row,
    Statement,
    Tx,
    UniqueViolation,
    chunks,
    from_db_float,
    placeholders,
)
from .params import insert_write_once

ACTIVE, DELETED = "active", "deleted"
RUN_NAME_TAG = "mlflow.runName"
DEFAULT_EXPERIMENT_ID = 0
# Index entries a search ordered by a metric, param or tag walks before it falls back to
# sorting (at least; 8 per run of the page): enough for pages of runs that a filter matches
# one in a few, bounded so a search in a large database does not walk every run with that key.
# A search of no more runs than that reads each of them instead.
WALK_SPAN = 1000
_LARGE_SCOPES_KEPT = 4096
_BY_KEY = attrgetter("key")
LIFECYCLE_BY_VIEW = {"ACTIVE_ONLY": (ACTIVE,), "DELETED_ONLY": (DELETED,), "ALL": (ACTIVE, DELETED)}

_RUN_COLUMNS = (
    "r.id",
    "r.run_uuid",
    "r.name",
    "r.experiment_id",
    "r.user_id",
    "r.status",
    "r.start_time",
    "r.end_time",
    "r.artifact_uri",
    "r.lifecycle_stage",
)
_RUN_SELECT = f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs r"
# What a whole run holds besides its row, for the runs whose ids replace {run_ids}: params,
# tags, latest metrics (by key id: the store knows the names), dataset inputs and their tags,
# model inputs and model outputs. Python orders each run's lists: sorting a run's dozen rows
# there costs less than PostgreSQL's sort of a page's thousands.
_RUN_DATA_QUERIES = (
    "SELECT run_id, key, value FROM run_params WHERE {run_ids}",
    "SELECT run_id, key, value FROM run_tags WHERE {run_ids}",
    "SELECT run_id, key_id, value, timestamp, step FROM latest_metrics WHERE {run_ids}",
    "SELECT i.run_id, d.id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile "
    "FROM run_inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.{run_ids} ORDER BY d.id",
    "SELECT run_id, dataset_id, key, value FROM run_input_tags WHERE {run_ids} ORDER BY key",
    "SELECT run_id, model_id FROM run_model_inputs WHERE {run_ids}",
    "SELECT run_id, model_id, step FROM run_model_outputs WHERE {run_ids}",
)
_EXPERIMENT_SELECT = (
    "SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, "
    "e.last_update_time, e.creation_time FROM experiments e"
)


def now_ms() -> int:
    return int(time.time() * 1000)


def _experiment_key(experiment_id: str) -> int:
    if not q.is_id(experiment_id):
        raise not_found(f"No Experiment with id={experiment_id} exists")
    return int(experiment_id)


def _require_active(run_id: str, lifecycle_stage: str) -> None:
    if lifecycle_stage != ACTIVE:
        raise invalid(
            f"The run {run_id} must be in the 'active' state. Current state is {lifecycle_stage}."
        )


_UPSERT_LATEST = (
    "ON CONFLICT (run_id, key_id) DO UPDATE SET "
    "step = excluded.step, timestamp = excluded.timestamp, value = excluded.value "
)

# Keeps a series' latest point: MLflow's order (see points.latest), the first of equals winning.
# NaN is NULL on SQLite; on PostgreSQL it compares above every number, hence the 'NaN' tests.
_KEEP_LATEST = (
    f"{_UPSERT_LATEST}"
    "WHERE excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step "
    "AND (excluded.timestamp > latest_metrics.timestamp OR (excluded.timestamp = "
    "latest_metrics.timestamp AND (latest_metrics.value IS NULL "
    "OR latest_metrics.value = 'NaN' OR (excluded.value <> 'NaN' "
    "AND excluded.value >= latest_metrics.value)))))"
)


def _after_latest(first: str) -> str:
    """Makes the new latest point so only where the `first` new (step, timestamp) comes after
    the stored latest, and so after every stored point: the new points need a block of their
    own and no merge (see points.py). The upsert locks the row and compares with its newest
    committed version, so the test holds however writers interleave. Stricter than
    _KEEP_LATEST: points that fail it (no row returned) go on to the general way."""
    return f"{_UPSERT_LATEST}WHERE (latest_metrics.step, latest_metrics.timestamp) < {first}"


# A lone point per series: it is its own first point.
_AFTER_LATEST = _after_latest("(excluded.step, excluded.timestamp)")

# One series' new points as one statement (PostgreSQL runs data-changing WITH queries): the
# run check, the latest_metrics upsert guarded by the first new point, and the points' block.
_LOG_SERIES = (
    "WITH run AS (SELECT id, lifecycle_stage FROM runs WHERE run_uuid = ?), "
    "latest AS (INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
    "SELECT id, ?, ?, ?, ? FROM run WHERE lifecycle_stage = 'active' "
    f"{_after_latest('(CAST(? AS BIGINT), CAST(? AS BIGINT))')} RETURNING run_id), "
    "block AS (INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, "
    "last_step, last_timestamp, points) SELECT run_id, ?, ?, ?, ?, ?, ? FROM latest) "
    "SELECT lifecycle_stage, (SELECT COUNT(*) FROM latest) FROM run"
)

_POINT = attrgetter("step", "timestamp", "value")
_INSERT_BLOCK = (
    "INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, last_step, "
    "last_timestamp, points) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# A series' range takes five parameters of an overlap probe; the run id takes one.
_SERIES_PER_PROBE = (MAX_PARAMS - 1) // 5

# A get-history page token: the last point's step, timestamp and value (None for NaN).
_HISTORY_TOKEN_TERMS = (("int", False), ("int", False), ("float", True))


class SqlTrackingStore(TrackingStore):
    def __init__(self, db: Database, default_artifact_root: str) -> None:
        self.db = db
        self.default_artifact_root = default_artifact_root.rstrip("/")
        # Metric key ids never change once committed, so this cache cannot go stale,
        # even with other processes writing to the same database.
        self._key_ids: dict[str, int] = {}
        self._key_names: dict[int, str] = {}
        self._large_scopes: set[tuple] = set()  # see _covers_at_most
        self._create_default_experiment()

    # ================================================================== experiments

    def _create_default_experiment(self) -> None:
        with self.db.write() as tx:
            if tx.one("SELECT 1 FROM experiments LIMIT 1") is None:
                created = now_ms()
                tx.execute(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (
                        DEFAULT_EXPERIMENT_ID,
                        "Default",
                        self._artifact_location(0),
                        ACTIVE,
                        created,
                        created,
                    ),
                )

    def _artifact_location(self, experiment_id: int) -> str:
        return f"{self.default_artifact_root}/{experiment_id}"

    def create_experiment(
        self, name: str, artifact_location: str | None, tags: Sequence[KeyValue]
    ) -> str:
        created = now_ms()
        with self.db.write() as tx:
            experiment_id = tx.scalar(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time,"
                " last_update_time) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                "RETURNING experiment_id",
                (name, artifact_location, ACTIVE, created, created),
            )
            if experiment_id is None:
                raise already_exists(self._name_taken_message(tx, name))
            if not artifact_location:
                tx.execute(
                    "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                    (self._artifact_location(experiment_id), experiment_id),
                )
            tx.many(
                "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                list({tag.key: (experiment_id, tag.key, tag.value) for tag in tags}.values()),
            )
        return str(experiment_id)

    @staticmethod
    def _name_taken_message(tx: Tx, name: str) -> str:
        stage = tx.scalar("SELECT lifecycle_stage FROM experiments WHERE name = ?", (name,))
        if stage == DELETED:
            return (
                f"Experiment '{name}' already exists in deleted state. Restore it, or rename "
                "or permanently delete the deleted experiment first."
            )
        return f"Experiment '{name}' already exists."

    def _experiments(self, tx: Tx, rows: list[Row]) -> list[Experiment]:
        tags: dict[int, list[KeyValue]] = {row[0]: [] for row in rows}
        for ids in chunks(list(tags)):
            for experiment_id, key, value in tx.all(
                "SELECT experiment_id, key, value FROM experiment_tags "
                f"WHERE experiment_id IN ({placeholders(len(ids))}) ORDER BY key",
                ids,
            ):
                tags[experiment_id].append(KeyValue(key=key, value=value))
        return [
            Experiment(
                experiment_id=str(row[0]),
                name=row[1],
                artifact_location=row[2],
                lifecycle_stage=row[3],
                last_update_time=row[4],
                creation_time=row[5],
                tags=tags[row[0]],
            )
            for row in rows
        ]

    def _experiment_row(self, tx: Tx, experiment_id: str) -> Row:
        row = tx.one(
            f"{_EXPERIMENT_SELECT} WHERE e.experiment_id = ?", (_experiment_key(experiment_id),)
        )
        if row is None:
            raise not_found(f"No Experiment with id={experiment_id} exists")
        return row

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self.db.read() as tx:
            return self._experiments(tx, [self._experiment_row(tx, experiment_id)])[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.db.read() as tx:
            row = tx.one(f"{_EXPERIMENT_SELECT} WHERE e.name = ?", (name,))
            return None if row is None else self._experiments(tx, [row])[0]

    def search_experiments(
        self,
        view_type: str,
        max_results: int,
        clauses: Sequence[Clause],
        order_by: Sequence[OrderKey],
        page_token: str,
    ) -> tuple[list[Experiment], str | None]:
        offset = decode_token(page_token)
        query = q.Query()
        stages = LIFECYCLE_BY_VIEW[view_type]
        query.add_where(f"e.lifecycle_stage IN ({placeholders(len(stages))})", *stages)
        q.experiment_filters(clauses, self.db.dialect, query)
        q.experiment_ordering(order_by, query)
        with self.db.read() as tx:
            rows = tx.all(
                f"{_EXPERIMENT_SELECT} WHERE {query.where_sql()} "
                f"ORDER BY {', '.join(query.order)} LIMIT ? OFFSET ?",
                [*query.params, max_results + 1, offset],
            )
            experiments = self._experiments(tx, rows[:max_results])
        return experiments, next_token(offset, max_results, len(rows))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        try:
            with self.db.write() as tx:
                row = self._experiment_row(tx, experiment_id)
                if row[3] != ACTIVE:
                    raise invalid("Cannot rename a non-active experiment.")
                taken = tx.scalar(
                    "SELECT experiment_id FROM experiments WHERE name = ?", (new_name,)
                )
                if taken is not None and taken != row[0]:
                    raise already_exists(self._name_taken_message(tx, new_name))
                tx.execute(
                    "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                    (new_name, now_ms(), row[0]),
                )
        except UniqueViolation as error:  # another writer took the name after the check
            with self.db.read() as tx:
                raise already_exists(self._name_taken_message(tx, new_name)) from error

    def set_experiment_lifecycle(self, experiment_id: str, stage: str) -> None:
        with self.db.write() as tx:
            row = self._experiment_row(tx, experiment_id)
            if stage == DELETED and row[0] == DEFAULT_EXPERIMENT_ID:
                raise invalid("Cannot delete the default experiment '0'.")
            if row[3] == stage:
                state = "active" if stage == ACTIVE else "deleted"
                raise invalid(f"Experiment {experiment_id} is already {state}.")
            changed = now_ms()
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                "WHERE experiment_id = ?",
                (stage, changed, row[0]),
            )
            # Runs follow their experiment, as in MLflow.
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ? "
                "AND lifecycle_stage = ?",
                (
                    stage,
                    changed if stage == DELETED else None,
                    row[0],
                    ACTIVE if stage == DELETED else DELETED,
                ),
            )

    def _active_experiment(self, tx: Tx, experiment_id: str) -> Row:
        row = self._experiment_row(tx, experiment_id)
        if row[3] != ACTIVE:
            raise invalid(
                f"The experiment {experiment_id} must be in the 'active' state. "
                f"Current state is {row[3]}."
            )
        return row

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        with self.db.write() as tx:
            row = self._active_experiment(tx, experiment_id)
            tx.execute(
                "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                (row[0], key, value),
            )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        with self.db.write() as tx:
            row = self._active_experiment(tx, experiment_id)
            deleted = tx.execute(
                "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?", (row[0], key)
            ).rowcount
            if not deleted:
                raise not_found(f"No tag with name: {key} in experiment with id {experiment_id}")

    # ================================================================== runs

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[KeyValue],
    ) -> Run:
        tag_values = {tag.key: tag.value for tag in tags}
        name_tag = tag_values.get(RUN_NAME_TAG)
        if run_name and name_tag and run_name != name_tag:
            raise invalid(
                f"Both 'run_name' argument and '{RUN_NAME_TAG}' tag are specified, but with "
                f"different values (run_name='{run_name}', {RUN_NAME_TAG}='{name_tag}')."
            )
        run_name = run_name or name_tag or random_run_name()
        tag_values[RUN_NAME_TAG] = run_name
        run_uuid = uuid.uuid4().hex
        with self.db.write() as tx:
            experiment = self._experiment_row(tx, experiment_id)
            if experiment[3] != ACTIVE:
                raise invalid(
                    f"Could not create run under non-active experiment with id {experiment_id}."
                )
            artifact_uri = f"{experiment[2].rstrip('/')}/{run_uuid}/artifacts"
            run_key = tx.scalar(
                "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, "
                "lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    run_uuid,
                    experiment[0],
                    run_name,
                    user_id,
                    "RUNNING",
                    start_time,
                    ACTIVE,
                    artifact_uri,
                ),
            )
            tx.many(
                "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
                [(run_key, key, value) for key, value in tag_values.items()],
            )
        return Run(
            info=RunInfo(
                run_id=run_uuid,
                run_uuid=run_uuid,
                run_name=run_name,
                experiment_id=str(experiment[0]),
                user_id=user_id,
                status="RUNNING",
                start_time=start_time,
                artifact_uri=artifact_uri,
                lifecycle_stage=ACTIVE,
            ),
            data=RunData(tags=[KeyValue(key=k, value=v) for k, v in sorted(tag_values.items())]),
        )

    @staticmethod
    def _run_row(tx: Tx, run_id: str) -> Row:
        row = tx.one(f"{_RUN_SELECT} WHERE r.run_uuid = ?", (run_id,))
        if row is None:
            raise not_found(f"Run with id={run_id} not found")
        return row

    def _active_run_key(self, tx: Tx, run_id: str) -> int:
        row = self._run_row(tx, run_id)
        _require_active(run_id, row[9])
        return row[0]

    @staticmethod
    def _run_info(row: Row) -> RunInfo:
        return RunInfo(
            run_id=row[1],
            run_uuid=row[1],
            run_name=row[2],
            experiment_id=str(row[3]),
            user_id=row[4],
            status=row[5],
            start_time=row[6],
            end_time=row[7],
            artifact_uri=row[8],
            lifecycle_stage=row[9],
        )

    def _runs(self, tx: Tx, rows: list[Row]) -> list[Run]:
        """Whole runs for a page of run rows: per chunk of runs, one batch of queries (one
        round trip on PostgreSQL) for their params, tags, latest metrics, inputs and outputs."""
        runs = {row[0]: Run(info=self._run_info(row)) for row in rows}
        keys = list(runs)
        for ids in chunks(keys):
            run_ids, id_params = tx.dialect.any_id("run_id", ids)
            params, tags, metrics, datasets, input_tags, model_inputs, model_outputs = tx.batch(
                [(sql.format(run_ids=run_ids), id_params) for sql in _RUN_DATA_QUERIES],
                Plan.BY_INDEX,
            )
            for run_key, key, value in params:
                runs[run_key].data.params.append(KeyValue(key=key, value=value))
            for run_key, key, value in tags:
                runs[run_key].data.tags.append(KeyValue(key=key, value=value))
            names = self._metric_names(tx, {row[1] for row in metrics})
            for run_key, key_id, value, timestamp, step in metrics:
                runs[run_key].data.metrics.append(
                    Metric(
                        key=names[key_id],
                        value=wire_float(from_db_float(value)),
                        timestamp=timestamp,
                        step=step,
                    )
                )
            self._add_inputs(runs, datasets, input_tags, model_inputs, model_outputs)
        for run in runs.values():
            for items in (run.data.params, run.data.tags, run.data.metrics):
                items.sort(key=_BY_KEY)
        return [runs[key] for key in keys]

    @staticmethod
    def _add_inputs(
        runs: dict[int, Run],
        datasets: list[Row],
        input_tags: list[Row],
        model_inputs: list[Row],
        model_outputs: list[Row],
    ) -> None:
        inputs: dict[tuple[int, int], DatasetInput] = {}
        for run_key, dataset_id, name, digest, source_type, source, schema, profile in datasets:
            dataset = Dataset(
                name=name,
                digest=digest,
                source_type=source_type,
                source=source,
                schema=schema,
                profile=profile,
            )
            inputs[(run_key, dataset_id)] = DatasetInput(dataset=dataset)
            runs[run_key].inputs.dataset_inputs.append(inputs[(run_key, dataset_id)])
        for run_key, dataset_id, key, value in input_tags:
            inputs[(run_key, dataset_id)].tags.append(KeyValue(key=key, value=value))
        for run_key, model_id in model_inputs:
            runs[run_key].inputs.model_inputs.append(ModelInput(model_id=model_id))
        for run_key, model_id, step in model_outputs:
            runs[run_key].outputs.model_outputs.append(ModelOutput(model_id=model_id, step=step))

    def get_run(self, run_id: str) -> Run:
        with self.db.read() as tx:
            return self._runs(tx, [self._run_row(tx, run_id)])[0]

    def update_run(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        with self.db.write() as tx:
            run_key = self._active_run_key(tx, run_id)
            tx.execute(
                "UPDATE runs SET status = COALESCE(?, status), end_time = COALESCE(?, end_time), "
                "name = COALESCE(?, name) WHERE id = ?",
                (status, end_time, run_name or None, run_key),
            )
            if run_name:
                self._upsert_tags(tx, run_key, [KeyValue(key=RUN_NAME_TAG, value=run_name)])
            return self._run_info(self._run_row(tx, run_id))

    def set_run_lifecycle(self, run_id: str, stage: str) -> None:
        with self.db.write() as tx:
            row = self._run_row(tx, run_id)
            if stage == ACTIVE:
                experiment_stage = tx.scalar(
                    "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", (row[3],)
                )
                if experiment_stage != ACTIVE:
                    raise invalid(
                        f"Cannot restore run {run_id}: its experiment {row[3]} is deleted."
                    )
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE id = ?",
                (stage, now_ms() if stage == DELETED else None, row[0]),
            )

    # ------------------------------------------------------------------ logging

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[BatchMetric],
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> None:
        if metrics and not params and not tags and self._log_series(run_id, metrics):
            return
        with self.db.write() as tx:
            run_key = self._active_run_key(tx, run_id)
            if params:
                self._insert_params(tx, run_id, run_key, params)
            if tags:
                self._upsert_tags(tx, run_key, tags)
            if metrics:
                self._insert_metrics(tx, run_key, metrics)

    def _log_series(self, run_id: str, metrics: Sequence[BatchMetric]) -> bool:
        """Points of one series in one statement on PostgreSQL, where BEGIN, the run check,
        the upserts and COMMIT would each cost a round trip (a training loop's log-metric, a
        metric's history logged in batches); False where log_batch's way is needed (SQLite, a
        new key, several keys, points not all after the series' latest)."""
        key = metrics[0].key
        key_id = self._key_ids.get(key)
        if not self.db.dialect.writes_in_with or key_id is None:
            return False
        if any(metric.key != key for metric in metrics):
            return False
        points = pts.merged(map(_POINT, metrics))
        if len(points) > pts.BLOCK_POINTS:  # more than one block
            return False
        first, latest = points[0], pts.latest(points)
        block = pts.block_row((key_id,), points)
        row = self.db.write_one(_LOG_SERIES, (run_id, key_id, *latest, *first[:2], *block))
        if row is None:
            raise not_found(f"Run with id={run_id} not found")
        _require_active(run_id, row[0])
        return row[1] > 0

    @staticmethod
    def _insert_params(tx: Tx, run_id: str, run_key: int, params: Sequence[KeyValue]) -> None:
        new: dict[str, str | None] = {}
        for param in params:
            if param.key in new and new[param.key] != param.value:
                raise invalid(
                    f"Duplicate parameter key '{param.key}' with different values in one batch."
                )
            new[param.key] = param.value
        insert_write_once(tx, "run_params", "run_id", run_key, new, f"run ID='{run_id}'")

    @staticmethod
    def _upsert_tags(tx: Tx, run_key: int, tags: Sequence[KeyValue]) -> None:
        latest = {tag.key: tag.value for tag in tags}
        tx.many(
            "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            [(run_key, key, value) for key, value in latest.items()],
        )
        if RUN_NAME_TAG in latest:
            tx.execute("UPDATE runs SET name = ? WHERE id = ?", (latest[RUN_NAME_TAG], run_key))

    def _metric_names(self, tx: Tx, key_ids: set[int]) -> dict[int, str]:
        """Names of metric key ids, from the store's cache (see `_key_ids`) or the table."""
        missing = [key_id for key_id in key_ids if key_id not in self._key_names]
        for batch in chunks(missing):
            for key_id, key in tx.all(
                f"SELECT id, key FROM metric_keys WHERE id IN ({placeholders(len(batch))})", batch
            ):
                self._key_names[key_id] = key
        return self._key_names

    def _metric_key_ids(self, tx: Tx, keys: Sequence[str], create: bool) -> dict[str, int]:
        wanted = dict.fromkeys(keys)  # a batch repeats a few keys up to 1000 times
        found = {key: self._key_ids[key] for key in wanted if key in self._key_ids}
        missing = [key for key in wanted if key not in found]
        for batch in chunks(missing):
            for key_id, key in tx.all(
                f"SELECT id, key FROM metric_keys WHERE key IN ({placeholders(len(batch))})",
                batch,
            ):
                found[key] = self._key_ids[key] = key_id
                self._key_names[key_id] = key
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

    def _insert_metrics(self, tx: Tx, run_key: int, metrics: Sequence[BatchMetric]) -> None:
        """Each series' new points go in as blocks of their own, or merged into the stored
        blocks they overlap (exact duplicates dropped: a retried batch changes nothing)."""
        key_ids = self._metric_key_ids(tx, [m.key for m in metrics], create=True)
        series: dict[int, list[pts.Point]] = {}
        for key, group in itertools.groupby(metrics, key=attrgetter("key")):
            series.setdefault(key_ids[key], []).extend(map(_POINT, group))
        new = {key_id: pts.merged(points) for key_id, points in series.items()}
        # The upserts come first, as they lock each series' latest_metrics row until commit:
        # from here on this transaction is the only writer of these series, so the overlaps
        # found stay true. A lone point usually follows its series (a training loop's
        # log_metric) and, once _AFTER_LATEST says so, needs no probe for overlaps.
        pending = new
        if all(len(points) == 1 for points in new.values()):
            advanced = self._advance_latest(tx, run_key, new)
            pending = {key_id: new[key_id] for key_id in new if key_id not in advanced}
        if pending:
            self._upsert_latest(tx, run_key, pending)
        overlapped = self._overlapped_spans(tx, run_key, pending)
        rows = []
        for key_id, points in new.items():
            spans = overlapped.get(key_id, [])
            hit = [span for span in spans if pts.holds_any(span, points)]
            for span in hit:  # merged with the new points and written anew
                (blob,) = tx.one(
                    "DELETE FROM metric_blocks WHERE run_id = ? AND key_id = ? "
                    "AND last_step = ? AND last_timestamp = ? RETURNING points",
                    (run_key, key_id, *span[2:]),
                )
                points = pts.merged(points, pts.unpack(blob))
            walls = [span for span in spans if span not in hit]  # stay as they are
            for run in pts.between(points, walls):
                rows += [pts.block_row((run_key, key_id), block) for block in pts.split(run)]
        tx.many(_INSERT_BLOCK, rows)

    @staticmethod
    def _overlapped_spans(
        tx: Tx, run_key: int, new: dict[int, list[pts.Point]]
    ) -> dict[int, list[pts.Span]]:
        """The spans of the stored blocks that meet the span of a series' new points, in
        order, by key id: usually none, as points come after those of earlier batches."""
        found: dict[int, list[pts.Span]] = {}
        for batch in chunks(list(new.items()), _SERIES_PER_PROBE):
            ranges = ", ".join(["(" + ", ".join(["CAST(? AS BIGINT)"] * 5) + ")"] * len(batch))
            params = [
                value
                for key_id, points in batch
                for value in (key_id, *points[0][:2], *points[-1][:2])
            ]
            for key_id, *span in tx.all(
                f"WITH new (key_id, first_step, first_timestamp, last_step, last_timestamp) "
                f"AS (VALUES {ranges}) "
                "SELECT b.key_id, b.first_step, b.first_timestamp, b.last_step, b.last_timestamp "
                "FROM new JOIN metric_blocks b ON b.run_id = ? AND b.key_id = new.key_id "
                "AND (b.last_step, b.last_timestamp) >= (new.first_step, new.first_timestamp) "
                "AND (b.first_step, b.first_timestamp) <= (new.last_step, new.last_timestamp) "
                "ORDER BY b.key_id, b.last_step, b.last_timestamp",
                [*params, run_key],
            ):
                found.setdefault(key_id, []).append(tuple(span))
        return found

    @staticmethod
    def _advance_latest(tx: Tx, run_key: int, new: dict[int, list[pts.Point]]) -> set[int]:
        """Each series' one new point made its latest where it follows every stored point
        (_AFTER_LATEST); the key ids it was made so for."""
        rows = [(run_key, key_id, *new[key_id][0]) for key_id in sorted(new)]
        advanced: set[int] = set()
        for batch in chunks(rows, MAX_PARAMS // 5):
            values = ", ".join(["(?, ?, ?, ?, ?)"] * len(batch))
            advanced.update(
                key_id
                for (key_id,) in tx.all(
                    "INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
                    f"VALUES {values} {_AFTER_LATEST} RETURNING key_id",
                    [value for row in batch for value in row],
                )
            )
        return advanced

    @staticmethod
    def _upsert_latest(tx: Tx, run_key: int, new: dict[int, list[pts.Point]]) -> None:
        # Sorted by key id, so concurrent writers take row locks in one order (no deadlocks).
        tx.many(
            "INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
            f"VALUES (?, ?, ?, ?, ?) {_KEEP_LATEST}",
            [(run_key, key_id, *pts.latest(new[key_id])) for key_id in sorted(new)],
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.db.write() as tx:
            run_key = self._active_run_key(tx, run_id)
            deleted = tx.execute(
                "DELETE FROM run_tags WHERE run_id = ? AND key = ?", (run_key, key)
            ).rowcount
            if not deleted:
                raise not_found(f"No tag with name: {key} in run with id {run_id}")

    def log_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[ModelInput]
    ) -> None:
        with self.db.write() as tx:
            row = self._run_row(tx, run_id)
            if row[9] != ACTIVE:
                raise invalid(f"The run {run_id} must be in the 'active' state.")
            for item in datasets:
                dataset_id = self._dataset_id(tx, row[3], item.dataset)
                tx.execute(
                    "INSERT INTO run_inputs (run_id, dataset_id) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (row[0], dataset_id),
                )
                tx.many(
                    "INSERT INTO run_input_tags (run_id, dataset_id, key, value) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (run_id, dataset_id, key) "
                    "DO UPDATE SET value = excluded.value",
                    list({t.key: (row[0], dataset_id, t.key, t.value) for t in item.tags}.values()),
                )
            tx.many(
                "INSERT INTO run_model_inputs (run_id, model_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                sorted({(row[0], model.model_id) for model in models}),
            )

    @staticmethod
    def _dataset_id(tx: Tx, experiment_key: int, dataset: Dataset) -> int:
        return tx.scalar(
            "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
            "profile) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) "
            "DO UPDATE SET name = excluded.name RETURNING id",
            (
                experiment_key,
                dataset.name,
                dataset.digest,
                dataset.source_type,
                dataset.source,
                dataset.schema,
                dataset.profile,
            ),
        )

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        with self.db.write() as tx:
            run_key = self._active_run_key(tx, run_id)
            tx.many(
                "INSERT INTO run_model_outputs (run_id, model_id, step) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, model_id) DO UPDATE SET step = excluded.step",
                list({m.model_id: (run_key, m.model_id, m.step) for m in models}.values()),
            )

    # ------------------------------------------------------------------ search

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        clauses: Sequence[Clause],
        view_type: str,
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
    ) -> tuple[list[Run], str | None]:
        """One page in MLflow's order, fetched segment by segment (see `query.Segment`) with
        keyset page tokens: each query walks its order and stops after the page, however
        many runs match or precede it."""
        segment, after = 0, None
        if page_token:
            kinds = q.token_kinds(order_by, self.db.dialect)
            segment, after = decode_keyset(page_token, kinds)
        experiment_keys = [int(e) for e in experiment_ids if q.is_id(e)]
        if not experiment_keys:
            return [], None
        scope = q.Query()
        stages = LIFECYCLE_BY_VIEW[view_type]
        scope.add_where(
            f"r.experiment_id IN ({placeholders(len(experiment_keys))})", *experiment_keys
        )
        scope.add_where(f"r.lifecycle_stage IN ({placeholders(len(stages))})", *stages)
        with self.db.read() as tx:
            metric_keys = [c.key for c in clauses if c.entity == "metric"]
            metric_keys += [o.key for o in order_by if o.entity == "metric"]
            key_ids = self._metric_key_ids(tx, metric_keys, create=False)
            query = q.Query(where=[*scope.where], where_params=[*scope.where_params])
            q.run_filters(clauses, self.db.dialect, key_ids.get, query)
            segments = q.run_ordering(order_by, self.db.dialect, key_ids.get, query)
            rows: list[tuple[int, Row]] = []
            for index in range(segment, len(segments)):
                found = self._segment_rows(
                    tx, scope, query, segments[index], after, max_results + 1 - len(rows)
                )
                rows += [(index, row) for row in found]
                if len(rows) > max_results:
                    break
                after = None
            runs = self._runs(tx, [row for _, row in rows[:max_results]])
        if len(rows) <= max_results:
            return runs, None
        last_segment, last = rows[max_results - 1]
        return runs, encode_keyset(last_segment, last[len(_RUN_COLUMNS) :])

    def _segment_rows(
        self,
        tx: Tx,
        scope: q.Query,
        query: q.Query,
        segment: q.Segment,
        after: list | None,
        limit: int,
    ) -> list[Row]:
        """Run rows of one segment, each followed by its sort values (for the page token).

        A segment ordered by a metric, param or tag walks the next `span` entries of that
        key's value index in order (and any tied with the last), stopping once the page is
        full; only if they hold less than a page does the rest come from the planner's own
        plan. A search of at most `span` runs reads each of them instead (probing each for
        the filters and its sort value, then sorting the matches): that costs no more than
        the walk, and a walk of a key that many other runs share (a small experiment in a
        large database) finds few.
        """
        if segment.walk is None:
            return self._select(tx, query, segment, after, limit)
        span = max(WALK_SPAN, 8 * limit)
        if self._covers_at_most(tx, scope, span):
            return self._select(tx, query, segment, after, limit, drive="runs")
        entries, params = self._walk_entries(segment, after)
        walked = tx.dialect.first_with_ties(f"SELECT * {entries}")
        first = segment.terms[0]
        edge_query = (f"SELECT o0.value {entries} LIMIT 1 OFFSET ?", [*params, span - 1])
        if walked is None:  # bounded by the value `span` entries on, then walked to it
            edge = tx.scalar(*edge_query)
            within = "<=" if first.ascending else ">="
            bound = None if edge is None else (within, edge)  # None: walk all that is left
            rows = self._select(tx, query, segment, after, limit, drive="key", bound=bound)
        else:  # walked only as far as the page takes; the edge matters only if that is all
            walk = (walked, [*params, span])
            rows = self._select(tx, query, segment, after, limit, drive="key", entries=walk)
            edge = tx.scalar(*edge_query) if len(rows) < limit else None
        if edge is not None and len(rows) < limit:
            beyond = ">" if first.ascending else "<"
            rows += self._select(tx, query, segment, after, limit - len(rows), bound=(beyond, edge))
        return rows

    def _covers_at_most(self, tx: Tx, scope: q.Query, span: int) -> bool:
        """Whether the search covers at most `span` runs, counted up to one more. Ordered as
        their index is, so that a plan made for any experiment (a prepared query's) reads
        that index and stops there, rather than scanning every run for another experiment's.

        A scope found larger is remembered (a plan choice, not data): runs are seldom
        deleted, and a search that walks a scope since shrunk is slower, never wrong.
        """
        known = (span, *scope.where_params)
        if known in self._large_scopes:
            return False
        count = (
            f"SELECT COUNT(*) FROM (SELECT 1 FROM runs r WHERE {scope.where_sql()} "
            "ORDER BY r.experiment_id, r.lifecycle_stage, r.start_time LIMIT ?) AS s",
            [*scope.where_params, span + 1],
        )
        if tx.scalar(*count) <= span:
            return True
        if len(self._large_scopes) >= _LARGE_SCOPES_KEPT:
            self._large_scopes.clear()
        self._large_scopes.add(known)
        return False

    @staticmethod
    def _walk_entries(segment: q.Segment, after: list | None) -> tuple[str, list]:
        """The first order key's own rows (o0) from where the page starts, in the order of
        its value index: FROM ... ORDER BY, and its parameters."""
        assert segment.walk is not None
        walk, first = segment.walk, segment.terms[0]
        where, params = [f"o0.{walk.key_column} = ?", str(segment.condition)], [walk.key]
        if after is not None:
            where.append(f"o0.value {'>' if first.ascending else '<'}= ?")
            params.append(after[0])
        order = f"o0.value {'ASC' if first.ascending else 'DESC'}"
        return f"FROM {walk.table} o0 WHERE {' AND '.join(where)} ORDER BY {order}", params

    @classmethod
    def _select(
        cls,
        tx: Tx,
        query: q.Query,
        segment: q.Segment,
        after: list | None,
        limit: int,
        drive: Literal["key", "runs"] | None = None,
        bound: tuple[str, object] | None = None,
        entries: Statement | None = None,
    ) -> list[Row]:
        """One query of a segment. `drive` names where its plan starts, joining the rest by
        nested loops in the written order: "key" walks the first order key's value index
        (its table as o0, or `entries`, a subquery of the entries to walk), "runs" reads the
        searched runs; without it, the planner chooses. `bound` limits that key's value
        (operator, value)."""
        head, source, where, params = "", f"runs r {' '.join(query.joins)}", [], query.params
        if drive is not None and segment.walk is not None:
            head, source, where, params = cls._driven(tx, query, segment.walk, drive, entries)
        else:
            where.append(query.where_sql())
        if segment.condition is not None:
            where.append(segment.condition)
        if bound is not None:
            where.append(f"o0.value {bound[0]} ?")
            params.append(bound[1])
        if after is not None:
            condition, values = q.keyset_condition(segment.terms, after)
            where.append(condition)
            params += values
        order = ", ".join(f"{t.sql} {'ASC' if t.ascending else 'DESC'}" for t in segment.terms)
        sql = (
            f"{head}SELECT {', '.join([*_RUN_COLUMNS, *(t.sql for t in segment.terms)])} "
            f"FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        )
        plan = Plan.CHOSEN if drive is None else Plan.WRITTEN_ORDER
        return tx.batch([(sql, [*params, limit])], plan)[0]

    @staticmethod
    def _driven(
        tx: Tx,
        query: q.Query,
        walk: q.Walk,
        drive: Literal["key", "runs"],
        entries: Statement | None,
    ) -> tuple[str, str, list[str], list]:
        """WITH (ahead of the SELECT), FROM, WHERE and parameters of a query that starts from
        `drive`. o0's join and its one parameter move into FROM and WHERE: first, to be walked
        in the order of its value index, or last, probed for each run that passed the filters
        (applied first, in a materialized CTE of the searched runs)."""
        others, other_params = " ".join(query.joins[1:]), query.join_params[1:]
        own = f"o0.{walk.key_column} = ? AND o0.run_id = r.id"
        if drive == "runs":
            item, on = tx.dialect.per_row(walk.table, "o0", own)
            return (
                f"WITH r AS MATERIALIZED (SELECT * FROM runs r WHERE {query.where_sql()}) ",
                f"r {others} CROSS JOIN {item}",
                [] if on is None else [on],
                [*query.filter_params(probes=True), *other_params, walk.key],
            )
        # The probes come before the run: a walk bets that the experiment holds most of its
        # key's runs, so the filters reject more of the walked entries than the run does.
        probes = [(f"p{index}", probe) for index, probe in enumerate(query.probes)]
        joined = "".join(f" CROSS JOIN {probe.table} {alias}" for alias, probe in probes)
        tests = [probe.condition(alias, "o0.run_id") for alias, probe in probes]
        where = [*(sql for sql, _ in tests), query.where_sql(probes=False)]
        params = [*(param for _, values in tests for param in values), *query.where_params]
        if entries is None:
            source = f"{walk.table} o0{joined} CROSS JOIN runs r {others}"
            return "", source, [own, *where], [*other_params, walk.key, *params]
        source = f"({entries[0]}) o0{joined} CROSS JOIN runs r {others}"
        return "", source, ["o0.run_id = r.id", *where], [*entries[1], *other_params, *params]

    # ------------------------------------------------------------------ metric history

    def _history_scope(self, tx: Tx, run_id: str, key: str) -> tuple[int, int | None]:
        run_key = self._run_row(tx, run_id)[0]
        return run_key, self._metric_key_ids(tx, [key], create=False).get(key)

    def get_metric_history(
        self, run_id: str, key: str, max_results: int, page_token: str
    ) -> tuple[list[Metric], str | None]:
        """Pages in (step, timestamp, value) order. A page token holds the last point served
        and the next page seeks to the block that holds it: no OFFSET, so page 40 of a
        million points costs what page 1 does."""
        after = self._history_position(page_token)
        with self.db.read() as tx:
            run_key, key_id = self._history_scope(tx, run_id, key)
            if key_id is None:
                return [], None
            points = self._points_after(tx, (run_key, key_id), after, max_results + 1)
        metrics = [
            Metric(key=key, value=wire_float(value), timestamp=timestamp, step=step)
            for step, timestamp, value in points[:max_results]
        ]
        if len(points) <= max_results:
            return metrics, None
        return metrics, encode_keyset(0, points[max_results - 1])

    @staticmethod
    def _points_after(
        tx: Tx, series: tuple[int, int], after: tuple | None, count: int
    ) -> list[pts.Point]:
        """Up to `count` points of a series from past `after` (an order key), in order. Blocks
        hold from one point to a thousand, so each read asks for as many as the points
        still wanted need at the blocks' average size so far."""
        points: list[pts.Point] = []
        seek, bound, blocks_read = ">=", after[:2] if after else None, 0
        while len(points) < count:
            average = len(points) / blocks_read if blocks_read else pts.BLOCK_POINTS
            limit = min(-(-(count - len(points)) // max(int(average), 1)) + 1, 10_000)
            where = "" if bound is None else f"AND (last_step, last_timestamp) {seek} (?, ?) "
            rows = tx.all(
                "SELECT last_step, last_timestamp, points FROM metric_blocks "
                f"WHERE run_id = ? AND key_id = ? {where}"
                "ORDER BY last_step, last_timestamp LIMIT ?",
                (*series, *(bound or ()), limit),
            )
            for _, _, blob in rows:
                block = pts.unpack(blob)
                if after is not None and not points:  # only the first block can hold `after`
                    block = block[bisect.bisect_right(block, after, key=pts.order) :]
                points += block
            if len(rows) < limit:
                break
            seek, bound, blocks_read = ">", rows[-1][:2], blocks_read + len(rows)
        return points[:count]

    @staticmethod
    def _history_position(page_token: str) -> tuple | None:
        """The order key of the last point of the previous page."""
        if not page_token:
            return None
        _, (step, timestamp, value) = decode_keyset(page_token, [_HISTORY_TOKEN_TERMS])
        return pts.order((step, timestamp, math.nan if value is None else value))

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        start_step: int | None,
        end_step: int | None,
        max_points: int,
    ) -> list[MetricWithRunId]:
        result: list[MetricWithRunId] = []
        with self.db.read() as tx:
            for run_id in run_ids:
                run_key, key_id = self._history_scope(tx, run_id, key)
                if key_id is None:
                    continue
                for step, timestamp, value in self._sampled_points(
                    tx, run_key, key_id, start_step, end_step, max_points
                ):
                    result.append(
                        MetricWithRunId(
                            key=key,
                            value=wire_float(value),
                            timestamp=timestamp,
                            step=step,
                            run_id=run_id,
                        )
                    )
        return result

    @staticmethod
    def _sampled_points(
        tx: Tx, run_key: int, key_id: int, start: int | None, end: int | None, max_points: int
    ) -> list[pts.Point]:
        """Points at up to `max_points` steps evenly spread over the range, ends included.

        The blocks in the range are read as three arrays (no Python object per point), and
        every choice is a binary search of the steps: the first and last step, a count of
        steps that stops after max_points + 1, one search per bucket for its first step and
        one per chosen step for its points.
        """
        low_bound = -(2**63) if start is None else start
        high_bound = 2**63 - 1 if end is None else end
        steps, timestamps, values = pts.columns(
            blob
            for (blob,) in tx.all(
                "SELECT points FROM metric_blocks WHERE run_id = ? AND key_id = ? "
                "AND last_step >= ? AND first_step <= ? ORDER BY last_step, last_timestamp",
                (run_key, key_id, low_bound, high_bound),
            )
        )
        first = bisect.bisect_left(steps, low_bound)
        stop = bisect.bisect_right(steps, high_bound, first)
        if first == stop:
            return []

        def points_at(lo: int, hi: int) -> list[pts.Point]:
            return list(zip(steps[lo:hi], timestamps[lo:hi], values[lo:hi], strict=True))

        distinct, index = 0, first
        while index < stop and distinct <= max_points:
            distinct += 1
            index = bisect.bisect_right(steps, steps[index], index, stop)
        if distinct <= max_points:
            return points_at(first, stop)
        low, high = steps[first], steps[stop - 1]
        span = high - low + 1
        buckets = max(max_points - 1, 1)
        # Bucket k holds the steps s with (s - low) * buckets // span == k; its first step is
        # the one drawn. Edges are computed in exact integers.
        edges = [low - (-k * span // buckets) for k in range(buckets + 1)]
        chosen = {high}
        for lo, hi in itertools.pairwise(edges):
            index = bisect.bisect_left(steps, lo, first, stop)
            if index < stop and steps[index] < hi:
                chosen.add(steps[index])
        points: list[pts.Point] = []
        for step in sorted(chosen):
            index = bisect.bisect_left(steps, step, first, stop)
            points += points_at(index, bisect.bisect_right(steps, step, index, stop))
        return points
