"""Runs on SQL: create, read (whole runs, for get-run and a search page), update, delete and
restore, tags, params, inputs and outputs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from operator import attrgetter

from ..errors import invalid, not_found
from ..messages.base import wire_float
from ..messages.tracking import (
    Dataset,
    DatasetInput,
    KeyValue,
    Metric,
    ModelInput,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
)
from ..run_names import random_run_name
from .db import NamedRow, Plan, Row, Tx, chunks, from_db_float, now_ms
from .experiments import experiment_row
from .lifecycle import ACTIVE, DELETED, require_active_run
from .tracking_state import MetricKeys, TrackingState
from .write_once import insert_write_once

RUN_NAME_TAG = "mlflow.runName"

RUN_COLUMNS = (
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
# Places of RUN_COLUMNS in a run row. Rows of a search page stay tuples (building a named
# row per run would cost the page's hot path), read through these names.
(
    RUN_KEY,
    RUN_UUID,
    RUN_NAME,
    RUN_EXPERIMENT,
    RUN_USER,
    RUN_STATUS,
    RUN_START,
    RUN_END,
    RUN_ARTIFACT_URI,
    RUN_STAGE,
) = range(len(RUN_COLUMNS))
_RUN_SELECT = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs r"

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
_BY_KEY = attrgetter("key")


def run_not_found(run_id: str) -> Exception:
    return not_found(f"Run with id={run_id} not found")


def run_row(tx: Tx, run_id: str) -> Row:
    """The run's row of RUN_COLUMNS, a tuple as a search page's rows are."""
    row = tx.one(f"{_RUN_SELECT} WHERE r.run_uuid = ?", (run_id,))
    if row is None:
        raise run_not_found(run_id)
    return row


def run_key(tx: Tx, run_id: str) -> int:
    """The run's integer key, whatever its lifecycle stage."""
    key = tx.scalar("SELECT id FROM runs WHERE run_uuid = ?", (run_id,))
    if key is None:
        raise run_not_found(run_id)
    return key


def active_run_key(tx: Tx, run_id: str) -> int:
    """The key of a run that may be written to. On every write's path, so one tuple."""
    row = tx.one("SELECT id, lifecycle_stage FROM runs WHERE run_uuid = ?", (run_id,))
    if row is None:
        raise run_not_found(run_id)
    key, stage = row
    require_active_run(run_id, stage)
    return key


def _run_with(tx: Tx, run_id: str, columns: str) -> NamedRow:
    row = tx.row(f"SELECT {columns} FROM runs WHERE run_uuid = ?", (run_id,))
    if row is None:
        raise run_not_found(run_id)
    return row


def insert_run_params(tx: Tx, run_id: str, run_key: int, params: Sequence[KeyValue]) -> None:
    new: dict[str, str | None] = {}
    for param in params:
        if param.key in new and new[param.key] != param.value:
            raise invalid(
                f"Duplicate parameter key '{param.key}' with different values in one batch."
            )
        new[param.key] = param.value
    insert_write_once(tx, "run_params", "run_id", run_key, new, f"run ID='{run_id}'")


def upsert_run_tags(tx: Tx, run_key: int, tags: Sequence[KeyValue]) -> None:
    """The last value of each key wins; the run-name tag renames the run."""
    latest = {tag.key: tag.value for tag in tags}
    tx.many(
        "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
        [(run_key, key, value) for key, value in latest.items()],
    )
    if RUN_NAME_TAG in latest:
        tx.execute("UPDATE runs SET name = ? WHERE id = ?", (latest[RUN_NAME_TAG], run_key))


def _run_name(run_name: str, tags: dict[str, str | None]) -> str:
    """The name given as argument or tag (which must agree), else a random one."""
    name_tag = tags.get(RUN_NAME_TAG)
    if run_name and name_tag and run_name != name_tag:
        raise invalid(
            f"Both 'run_name' argument and '{RUN_NAME_TAG}' tag are specified, but with "
            f"different values (run_name='{run_name}', {RUN_NAME_TAG}='{name_tag}')."
        )
    return run_name or name_tag or random_run_name()


class Runs:
    def __init__(self, state: TrackingState) -> None:
        self.db = state.db
        self.keys = state.keys

    def create(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[KeyValue],
    ) -> Run:
        tag_values = {tag.key: tag.value for tag in tags}
        run_name = tag_values[RUN_NAME_TAG] = _run_name(run_name, tag_values)
        run_uuid = uuid.uuid4().hex
        with self.db.write() as tx:
            experiment = experiment_row(tx, experiment_id)
            if experiment.lifecycle_stage != ACTIVE:
                raise invalid(
                    f"Could not create run under non-active experiment with id {experiment_id}."
                )
            info = RunInfo(
                run_id=run_uuid,
                run_uuid=run_uuid,
                run_name=run_name,
                experiment_id=str(experiment.experiment_id),
                user_id=user_id,
                status="RUNNING",
                start_time=start_time,
                artifact_uri=f"{experiment.artifact_location.rstrip('/')}/{run_uuid}/artifacts",
                lifecycle_stage=ACTIVE,
            )
            key = tx.scalar(
                "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, "
                "lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    run_uuid,
                    experiment.experiment_id,
                    run_name,
                    user_id,
                    info.status,
                    start_time,
                    ACTIVE,
                    info.artifact_uri,
                ),
            )
            tx.many(
                "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
                [(key, tag, value) for tag, value in tag_values.items()],
            )
        tags_sorted = [KeyValue(key=k, value=v) for k, v in sorted(tag_values.items())]
        return Run(info=info, data=RunData(tags=tags_sorted))

    def get(self, run_id: str) -> Run:
        with self.db.read() as tx:
            return whole_runs(tx, self.keys, [run_row(tx, run_id)])[0]

    def update(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        with self.db.write() as tx:
            key = active_run_key(tx, run_id)
            tx.execute(
                "UPDATE runs SET status = COALESCE(?, status), end_time = COALESCE(?, end_time), "
                "name = COALESCE(?, name) WHERE id = ?",
                (status, end_time, run_name or None, key),
            )
            if run_name:
                upsert_run_tags(tx, key, [KeyValue(key=RUN_NAME_TAG, value=run_name)])
            return run_info(run_row(tx, run_id))

    def set_lifecycle(self, run_id: str, stage: str) -> None:
        """Delete (DELETED) or restore (ACTIVE) a run; restoring needs an active experiment."""
        with self.db.write() as tx:
            run = _run_with(tx, run_id, "id, experiment_id")
            if stage == ACTIVE:
                experiment_stage = tx.scalar(
                    "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?",
                    (run.experiment_id,),
                )
                if experiment_stage != ACTIVE:
                    raise invalid(
                        f"Cannot restore run {run_id}: its experiment {run.experiment_id} "
                        "is deleted."
                    )
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE id = ?",
                (stage, now_ms() if stage == DELETED else None, run.id),
            )

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.db.write() as tx:
            deleted = tx.execute(
                "DELETE FROM run_tags WHERE run_id = ? AND key = ?",
                (active_run_key(tx, run_id), key),
            ).rowcount
            if not deleted:
                raise not_found(f"No tag with name: {key} in run with id {run_id}")

    def log_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[ModelInput]
    ) -> None:
        with self.db.write() as tx:
            run = _run_with(tx, run_id, "id, experiment_id, lifecycle_stage")
            require_active_run(run_id, run.lifecycle_stage)
            for item in datasets:
                _log_dataset_input(tx, run.id, run.experiment_id, item)
            tx.many(
                "INSERT INTO run_model_inputs (run_id, model_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                sorted({(run.id, model.model_id) for model in models}),
            )

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        with self.db.write() as tx:
            key = active_run_key(tx, run_id)
            tx.many(
                "INSERT INTO run_model_outputs (run_id, model_id, step) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, model_id) DO UPDATE SET step = excluded.step",
                list({m.model_id: (key, m.model_id, m.step) for m in models}.values()),
            )


def _log_dataset_input(tx: Tx, run_key: int, experiment_key: int, item: DatasetInput) -> None:
    """The dataset (one row per experiment, name and digest), its link to the run, its tags."""
    dataset_id = tx.scalar(
        "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
        "profile) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) "
        "DO UPDATE SET name = excluded.name RETURNING id",
        (
            experiment_key,
            item.dataset.name,
            item.dataset.digest,
            item.dataset.source_type,
            item.dataset.source,
            item.dataset.schema,
            item.dataset.profile,
        ),
    )
    tx.execute(
        "INSERT INTO run_inputs (run_id, dataset_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (run_key, dataset_id),
    )
    tx.many(
        "INSERT INTO run_input_tags (run_id, dataset_id, key, value) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (run_id, dataset_id, key) "
        "DO UPDATE SET value = excluded.value",
        list({t.key: (run_key, dataset_id, t.key, t.value) for t in item.tags}.values()),
    )


# ---------------------------------------------------------------------- whole runs (hot)


def run_info(row: Row) -> RunInfo:
    return RunInfo(
        run_id=row[RUN_UUID],
        run_uuid=row[RUN_UUID],
        run_name=row[RUN_NAME],
        experiment_id=str(row[RUN_EXPERIMENT]),
        user_id=row[RUN_USER],
        status=row[RUN_STATUS],
        start_time=row[RUN_START],
        end_time=row[RUN_END],
        artifact_uri=row[RUN_ARTIFACT_URI],
        lifecycle_stage=row[RUN_STAGE],
    )


def whole_runs(tx: Tx, keys: MetricKeys, rows: Sequence[Row]) -> list[Run]:
    """Whole runs for a page of run rows: per chunk of runs, one batch of queries (one
    round trip on PostgreSQL) for their params, tags, latest metrics, inputs and outputs."""
    runs = {row[RUN_KEY]: Run(info=run_info(row)) for row in rows}
    order = list(runs)
    for ids in chunks(order):
        run_ids, id_params = tx.dialect.any_id("run_id", ids)
        params, tags, metrics, *inputs = tx.batch(
            [(sql.format(run_ids=run_ids), id_params) for sql in _RUN_DATA_QUERIES],
            Plan.BY_INDEX,
        )
        for key, name, value in params:
            runs[key].data.params.append(KeyValue(key=name, value=value))
        for key, name, value in tags:
            runs[key].data.tags.append(KeyValue(key=name, value=value))
        _add_metrics(runs, keys.names(tx, {row[1] for row in metrics}), metrics)
        _add_inputs(runs, *inputs)
    for run in runs.values():
        for items in (run.data.params, run.data.tags, run.data.metrics):
            items.sort(key=_BY_KEY)
    return [runs[key] for key in order]


def _add_metrics(runs: dict[int, Run], names: dict[int, str], metrics: list[Row]) -> None:
    for key, key_id, value, timestamp, step in metrics:
        runs[key].data.metrics.append(
            Metric(
                key=names[key_id],
                value=wire_float(from_db_float(value)),
                timestamp=timestamp,
                step=step,
            )
        )


def _add_inputs(
    runs: dict[int, Run],
    datasets: list[Row],
    input_tags: list[Row],
    model_inputs: list[Row],
    model_outputs: list[Row],
) -> None:
    inputs: dict[tuple[int, int], DatasetInput] = {}
    for key, dataset_id, name, digest, source_type, source, schema, profile in datasets:
        dataset = Dataset(
            name=name,
            digest=digest,
            source_type=source_type,
            source=source,
            schema=schema,
            profile=profile,
        )
        inputs[(key, dataset_id)] = DatasetInput(dataset=dataset)
        runs[key].inputs.dataset_inputs.append(inputs[(key, dataset_id)])
    for key, dataset_id, name, value in input_tags:
        inputs[(key, dataset_id)].tags.append(KeyValue(key=name, value=value))
    for key, model_id in model_inputs:
        runs[key].inputs.model_inputs.append(ModelInput(model_id=model_id))
    for key, model_id, step in model_outputs:
        runs[key].outputs.model_outputs.append(ModelOutput(model_id=model_id, step=step))
