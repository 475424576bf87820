"""Writing what a source holds into a trackyard store, in bulk, in trackyard's own format.

A batch of runs is one transaction holding every row of those runs (the run, params, tags,
metric blocks and latest points, inputs and outputs), so a committed run is a whole run: an
interrupted import leaves whole runs behind, and the next one skips them by id. Metric
histories go in as `store/points.py` blocks, as log-batch writes them, so an imported history
reads, pages and samples as a logged one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..store import points as pts
from ..store.db import Database, Tx, chunks, placeholders
from ..store.tracking_state import MetricKeys
from .model import Dataset, Experiment, LoggedModel, RegisteredModel, Run

# Experiment ids are 64-bit (a file store's have 18 or 19 digits). Those a SQL store makes
# (MLflow's, and trackyard's own) count up from 1 and stay below 2**31: PostgreSQL's id
# sequence goes on from the largest of those, not from a file store's.
MAX_ID = 2**63 - 1
SEQUENTIAL_IDS_BELOW = 2**31

_INSERT_RUN = (
    "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, "
    "lifecycle_stage, artifact_uri, deleted_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_BLOCK = (
    "INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, last_step, "
    "last_timestamp, points) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _select_ids(tx: Tx, sql: str, values: Sequence[Any]) -> list[Any]:
    """Rows of `sql` (with one `{marks}` list) for `values`, a chunk at a time."""
    rows: list[Any] = []
    for batch in chunks(list(values)):
        rows += tx.all(sql.format(marks=placeholders(len(batch))), list(batch))
    return rows


class Writer:
    """Bulk writes into a trackyard store's tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys = MetricKeys()

    # ------------------------------------------------------------------ what is there
    def experiment_names(self) -> dict[int, str]:
        with self.db.read() as tx:
            return dict(tx.all("SELECT experiment_id, name FROM experiments"))

    def _first_column(self, sql: str) -> set[Any]:
        with self.db.read() as tx:
            return {row[0] for row in tx.all(sql)}

    def run_uuids(self) -> set[str]:
        return self._first_column("SELECT run_uuid FROM runs")

    def logged_model_ids(self) -> set[str]:
        return self._first_column("SELECT model_id FROM logged_models")

    def registered_model_names(self) -> set[str]:
        return self._first_column("SELECT name FROM registered_models")

    def finished_trace_ids(self) -> set[str]:
        """Traces whose info is stored (a trace with spans alone is imported again)."""
        return self._first_column("SELECT trace_id FROM traces WHERE finalized = 1")

    def trace_ids_with_spans(self) -> set[str]:
        return self._first_column(
            "SELECT DISTINCT traces.trace_id FROM traces JOIN spans ON spans.trace_key = traces.id"
        )

    def active_experiments(self) -> set[int]:
        return self._first_column(
            "SELECT experiment_id FROM experiments WHERE lifecycle_stage = 'active'"
        )

    @staticmethod
    def id_fits(experiment_id: int) -> bool:
        return 0 <= experiment_id <= MAX_ID

    # ------------------------------------------------------------------ experiments
    def write_experiment(self, experiment: Experiment, exists: bool) -> None:
        """Inserts the experiment with its own id, or (`exists`: the same id and name are
        there already, as trackyard's own Default is) sets its fields to the source's."""
        e = experiment
        fields = (e.name, e.artifact_location, e.lifecycle_stage, e.creation_time)
        with self.db.write() as tx:
            if exists:
                tx.execute(
                    "UPDATE experiments SET name = ?, artifact_location = ?, lifecycle_stage = ?, "
                    "creation_time = ?, last_update_time = ? WHERE experiment_id = ?",
                    (*fields, e.last_update_time, e.experiment_id),
                )
            else:
                tx.execute(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
                    (e.experiment_id, *fields, e.last_update_time),
                )
            tx.many(
                "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                [(e.experiment_id, key, value) for key, value in sorted(e.tags.items())],
            )

    def finish(self) -> None:
        """PostgreSQL's id sequence moves past the sequential ids written as they were, so
        experiments created later do not collide with them, and stays below a file store's
        (new experiments get small ids; SQLite's AUTOINCREMENT goes on from the largest id
        in the table by itself)."""
        if self.db.dialect.name != "postgresql":
            return
        with self.db.write() as tx:
            tx.execute(
                "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
                "GREATEST((SELECT MAX(experiment_id) FROM experiments WHERE experiment_id < ?), "
                "(SELECT last_value FROM experiments_experiment_id_seq), 1))",
                (SEQUENTIAL_IDS_BELOW,),
            )

    # ------------------------------------------------------------------ runs
    def write_runs(self, runs: Sequence[Run]) -> None:
        """Whole runs in one transaction."""
        with self.db.write() as tx:
            tx.many(
                _INSERT_RUN,
                [
                    (
                        r.run_uuid,
                        r.experiment_id,
                        r.name,
                        r.user_id,
                        r.status,
                        r.start_time,
                        r.end_time,
                        r.lifecycle_stage,
                        r.artifact_uri,
                        r.deleted_time,
                    )
                    for r in runs
                ],
            )
            keys = dict(
                _select_ids(
                    tx,
                    "SELECT run_uuid, id FROM runs WHERE run_uuid IN ({marks})",
                    [r.run_uuid for r in runs],
                )
            )
            tx.many(
                "INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)",
                [(keys[r.run_uuid], k, v) for r in runs for k, v in sorted(r.params.items())],
            )
            tx.many(
                "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
                [(keys[r.run_uuid], k, v) for r in runs for k, v in sorted(r.tags.items())],
            )
            self._write_metrics(tx, [(keys[r.run_uuid], r) for r in runs])
            self._write_inputs(tx, [(keys[r.run_uuid], r) for r in runs])

    def _write_metrics(self, tx: Tx, runs: Sequence[tuple[int, Run]]) -> None:
        names = sorted({key for _, run in runs for key in run.metrics})
        key_ids = self.keys.ids(tx, names, create=True)
        blocks, latest = [], []
        for run_key, run in runs:
            for key, given in run.metrics.items():
                series = (run_key, key_ids[key])
                points = pts.merged(given)
                blocks += [pts.block_row(series, block) for block in pts.split(points)]
                latest.append((*series, *pts.latest(points)))
        tx.many(_INSERT_BLOCK, blocks)
        tx.many(
            "INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
            "VALUES (?, ?, ?, ?, ?)",
            latest,
        )

    def _write_inputs(self, tx: Tx, runs: Sequence[tuple[int, Run]]) -> None:
        datasets = self._dataset_ids(
            tx, {given.dataset for _, run in runs for given in run.datasets}
        )
        inputs: set[tuple[int, int]] = set()
        tags: list[tuple[int, int, str, str]] = []
        models_in: set[tuple[int, str]] = set()
        models_out: set[tuple[int, str, int]] = set()
        for run_key, run in runs:
            for given in run.datasets:
                dataset_key = datasets[given.dataset]
                if (run_key, dataset_key) not in inputs:
                    inputs.add((run_key, dataset_key))
                    tags += [(run_key, dataset_key, k, v) for k, v in sorted(given.tags.items())]
            models_in.update((run_key, model_id) for model_id in run.model_inputs)
            models_out.update((run_key, model_id, step) for model_id, step in run.model_outputs)
        tx.many("INSERT INTO run_inputs (run_id, dataset_id) VALUES (?, ?)", sorted(inputs))
        tx.many(
            "INSERT INTO run_input_tags (run_id, dataset_id, key, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            tags,
        )
        tx.many("INSERT INTO run_model_inputs (run_id, model_id) VALUES (?, ?)", sorted(models_in))
        tx.many(
            "INSERT INTO run_model_outputs (run_id, model_id, step) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            sorted(models_out),
        )

    @staticmethod
    def _dataset_ids(tx: Tx, datasets: Iterable[Dataset]) -> dict[Dataset, int]:
        """Each dataset's row id, inserted where (experiment, name, digest) is new."""
        given = sorted(datasets, key=lambda d: (d.experiment_id, d.name, d.digest))
        if not given:
            return {}
        tx.many(
            "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
            "profile) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (d.experiment_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile)
                for d in given
            ],
        )
        ids = {
            (row[1], row[2], row[3]): row[0]
            for row in _select_ids(
                tx,
                "SELECT id, experiment_id, name, digest FROM datasets "
                "WHERE experiment_id IN ({marks})",
                sorted({d.experiment_id for d in given}),
            )
        }
        return {d: ids[(d.experiment_id, d.name, d.digest)] for d in given}

    # ------------------------------------------------------------------ logged models
    def write_logged_model(self, model: LoggedModel) -> None:
        m = model
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
                "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, "
                "model_type, source_run_id, status_message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    m.model_id,
                    m.experiment_id,
                    m.name,
                    m.artifact_location,
                    m.creation_timestamp_ms,
                    m.last_updated_timestamp_ms,
                    m.status,
                    m.lifecycle_stage,
                    m.model_type,
                    m.source_run_id,
                    m.status_message,
                ),
            )
            tx.many(
                "INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)",
                [(m.model_id, k, v) for k, v in sorted(m.tags.items())],
            )
            tx.many(
                "INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)",
                [(m.model_id, k, v) for k, v in sorted(m.params.items())],
            )
            tx.many(
                "INSERT INTO logged_model_metrics (model_id, key, timestamp, step, run_id, "
                "value, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(m.model_id, *metric) for metric in m.metrics],
            )

    # ------------------------------------------------------------------ model registry
    def write_registered_model(self, model: RegisteredModel) -> None:
        """A registered model with its versions, tags and aliases, in one transaction."""
        m = model
        with self.db.write() as tx:
            key = tx.scalar(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, "
                "description) VALUES (?, ?, ?, ?) RETURNING id",
                (m.name, m.creation_time, m.last_updated_time, m.description),
            )
            tx.many(
                "INSERT INTO registered_model_tags (model_id, key, value) VALUES (?, ?, ?)",
                [(key, k, v) for k, v in sorted(m.tags.items())],
            )
            tx.many(
                "INSERT INTO model_versions (model_id, version, creation_time, "
                "last_updated_time, description, user_id, current_stage, source, "
                "storage_location, run_id, run_link, status, status_message, logged_model_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        key,
                        v.version,
                        v.creation_time,
                        v.last_updated_time,
                        v.description,
                        v.user_id,
                        v.current_stage,
                        v.source,
                        v.storage_location,
                        v.run_id,
                        v.run_link,
                        v.status,
                        v.status_message,
                        logged_model_id(v.source),
                    )
                    for v in m.versions
                ],
            )
            tx.many(
                "INSERT INTO model_version_tags (model_id, version, key, value) "
                "VALUES (?, ?, ?, ?)",
                [(key, v.version, k, t) for v in m.versions for k, t in sorted(v.tags.items())],
            )
            tx.many(
                "INSERT INTO registered_model_aliases (model_id, alias, version) VALUES (?, ?, ?)",
                [(key, alias, version) for alias, version in sorted(m.aliases.items())],
            )


def logged_model_id(source: str | None) -> str | None:
    """The logged model a version's `models:/m-...` source names, as trackyard records it."""
    if source and source.startswith("models:/m-") and "/" not in source[len("models:/") :]:
        return source[len("models:/") :]
    return None
