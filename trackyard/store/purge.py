"""Permanent deletion (`trackyard gc`): runs, logged models and experiments in the deleted
state, with every row that belongs to them.

Servers may be serving the same database meanwhile. The work goes in small batches, each one
short write transaction that first locks its entities and keeps only those still deleted:
a run or experiment restored after the plan was made stays, and a server waits at most one
batch for its own writes. Rows go before artifacts (the caller deletes those of what a batch
returns), so no restored entity ever loses its files.

Ids are never reused (SQLite AUTOINCREMENT, PostgreSQL sequences), so nothing a server
remembers about a purged entity can be mistaken for a new one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from .db import Database, Tx, chunks, placeholders
from .lifecycle import DELETED
from .traces import TraceStore

# Entities per write transaction: small enough that a server's writes wait only milliseconds.
BATCH = 100

# Rows that belong to a run, each table keyed by the run's integer `run_id`.
RUN_TABLES = (
    "run_params",
    "run_tags",
    "latest_metrics",
    "metric_blocks",
    "run_input_tags",
    "run_inputs",
    "run_model_inputs",
    "run_model_outputs",
)
# Rows that belong to a logged model, keyed by `model_id`, including runs' links to it.
MODEL_TABLES = (
    "logged_model_tags",
    "logged_model_params",
    "logged_model_metrics",
    "run_model_inputs",
    "run_model_outputs",
)
# Rows that belong to an experiment besides its runs, logged models and traces, each as
# `table WHERE <the column naming it>`. Its users' and roles' grants go too: an experiment that
# later takes its id (`trackyard import` keeps a source's ids) starts with none of them.
EXPERIMENT_ROWS = (
    "experiment_tags WHERE experiment_id",
    "datasets WHERE experiment_id",
    "grants WHERE resource_type = 'experiment' AND resource_key",
)


# MLflow's spelling of an age (`mlflow gc --older-than`): days, hours, minutes, seconds, each
# optional and in that order, each a decimal number.
_AGE = re.compile(
    r"^(?:(?P<days>[.\d]+)d)?(?:(?P<hours>[.\d]+)h)?(?:(?P<minutes>[.\d]+)m)?"
    r"(?:(?P<seconds>[.\d]+)s)?$"
)


def age_ms(text: str) -> int:
    """'30d', '1h30m', '1.5d2h3m4s' -> milliseconds; ValueError for anything else."""
    match = _AGE.match(text.strip())
    units = {unit: value for unit, value in (match.groupdict() if match else {}).items() if value}
    try:
        if not units:
            raise ValueError(text)
        age = timedelta(**{unit: float(value) for unit, value in units.items()})
    except (ValueError, OverflowError):
        raise ValueError(f"'{text}' is not an age such as 30d, 12h, 1h30m or 2d8h5m20s.") from None
    return int(age.total_seconds() * 1000)


class PurgeRun(NamedTuple):
    key: int  # runs.id
    run_id: str
    experiment_id: int
    artifact_uri: str | None


class PurgeModel(NamedTuple):
    model_id: str
    experiment_id: int
    artifact_location: str | None


class PurgeExperiment(NamedTuple):
    experiment_id: int
    name: str
    artifact_location: str | None


@dataclass
class PurgePlan:
    """What one gc pass deletes, in the order it goes: runs, logged models, experiments."""

    runs: list[PurgeRun] = field(default_factory=list)
    logged_models: list[PurgeModel] = field(default_factory=list)
    experiments: list[PurgeExperiment] = field(default_factory=list)
    #: Artifact locations of experiments that stay, whose `traces/` folder may hold files of
    #: traces deleted meanwhile (a full pass looks in every one; the purged ones' go anyway).
    trace_locations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """Which deleted entities to purge. With no ids, every deleted one (older than the
    cutoff, if any); with ids, only those named (an experiment with its runs and models)."""

    cutoff_ms: int | None = None  # deleted before this time (ms since the epoch)
    run_ids: tuple[str, ...] = ()
    experiment_ids: tuple[str, ...] = ()
    logged_model_ids: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        return bool(self.run_ids or self.experiment_ids or self.logged_model_ids)


class PurgeRefused(Exception):
    """A named entity is unknown, not deleted, or deleted too recently: nothing is deleted."""


_RUN = "SELECT id, run_uuid, experiment_id, artifact_uri, lifecycle_stage, deleted_time FROM runs"
_MODEL = (
    "SELECT model_id, experiment_id, artifact_location, lifecycle_stage, "
    "last_updated_timestamp_ms FROM logged_models"
)
_EXPERIMENT = (
    "SELECT experiment_id, name, artifact_location, lifecycle_stage, last_update_time "
    "FROM experiments"
)


def plan(db: Database, selection: Selection) -> PurgePlan:
    """What `selection` deletes; refuses (PurgeRefused) if a named entity may not go."""
    with db.read() as tx:
        if selection.named:
            experiments = _named(tx, _EXPERIMENT, "experiment_id", selection.experiment_ids)
            runs = _named(tx, _RUN, "run_uuid", selection.run_ids)
            models = _named(tx, _MODEL, "model_id", selection.logged_model_ids)
        else:
            experiments = tx.rows(f"{_EXPERIMENT} WHERE lifecycle_stage = ?", (DELETED,))
            runs = tx.rows(f"{_RUN} WHERE lifecycle_stage = ?", (DELETED,))
            models = tx.rows(f"{_MODEL} WHERE lifecycle_stage = ?", (DELETED,))
        experiments = _eligible(experiments, "experiment", selection, "last_update_time")
        runs = _eligible(runs, "run", selection, "deleted_time")
        models = _eligible(models, "logged model", selection, "last_updated_timestamp_ms")
        # An experiment goes with all its runs and logged models, whatever their own stage.
        ids = [row.experiment_id for row in experiments]
        runs += _of_experiments(tx, _RUN, ids)
        models += _of_experiments(tx, _MODEL, ids)
        locations = [] if selection.named else _experiment_locations(tx)
    return PurgePlan(
        runs=_unique(PurgeRun(r.id, r.run_uuid, r.experiment_id, r.artifact_uri) for r in runs),
        logged_models=_unique(
            PurgeModel(m.model_id, m.experiment_id, m.artifact_location) for m in models
        ),
        experiments=[
            PurgeExperiment(e.experiment_id, e.name, e.artifact_location) for e in experiments
        ],
        trace_locations=locations,
    )


def _experiment_locations(tx: Tx) -> list[str]:
    rows = tx.rows(
        "SELECT DISTINCT artifact_location FROM experiments WHERE artifact_location IS NOT NULL "
        "AND artifact_location <> '' ORDER BY artifact_location"
    )
    return [row.artifact_location for row in rows]


def stored_trace_ids(db: Database, trace_ids: Sequence[str]) -> set[str]:
    """Those of `trace_ids` the store holds."""
    with db.read() as tx:
        return {
            row.trace_id
            for batch in chunks(list(trace_ids))
            for row in tx.rows(
                f"SELECT trace_id FROM traces WHERE trace_id IN ({placeholders(len(batch))})",
                batch,
            )
        }


def _named(tx: Tx, select: str, column: str, ids: Sequence[str]) -> list:
    """The rows of the named entities; an unknown one is refused."""
    wanted = list(dict.fromkeys(ids))
    if column == "experiment_id":
        unknown = [i for i in wanted if not i.isdigit()]
        if unknown:
            raise PurgeRefused(f"No experiment with id {unknown[0]} exists.")
        wanted = [int(i) for i in wanted]  # type: ignore[misc]
    rows = []
    for batch in chunks(wanted):
        rows += tx.rows(f"{select} WHERE {column} IN ({placeholders(len(batch))})", batch)
    found = {getattr(row, column) for row in rows}
    for missing in (i for i in wanted if i not in found):
        raise PurgeRefused(f"No {_WHAT[column]} with id {missing} exists.")
    return rows


_WHAT = {"experiment_id": "experiment", "run_uuid": "run", "model_id": "logged model"}


def _eligible(rows: list, what: str, selection: Selection, deleted_at: str) -> list:
    """`rows` in the deleted state and old enough. Named ones that are not are refused, as
    `mlflow gc` refuses them; of all deleted ones, the recent are left for a later pass."""
    kept = []
    for row in rows:
        identifier = row.run_uuid if what == "run" else row[0]
        if row.lifecycle_stage != DELETED:
            raise PurgeRefused(
                f"The {what} {identifier} is not in the deleted state; only deleted "
                f"{what}s can be deleted permanently."
            )
        time = getattr(row, deleted_at)
        if selection.cutoff_ms is not None and (time is None or time >= selection.cutoff_ms):
            if selection.named:
                raise PurgeRefused(f"The {what} {identifier} was deleted too recently.")
            continue
        kept.append(row)
    return kept


def _of_experiments(tx: Tx, select: str, experiment_ids: Sequence[int]) -> list:
    rows = []
    for batch in chunks(experiment_ids):
        rows += tx.rows(f"{select} WHERE experiment_id IN ({placeholders(len(batch))})", batch)
    return rows


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


# ----------------------------------------------------------------------------- deleting


def _locked(tx: Tx, select: str, ids: Sequence[object]) -> list:
    """The rows of `select` (its last placeholder list filled with `ids`) locked until the
    transaction ends: PostgreSQL locks them for update; SQLite's write transaction holds
    the whole database already."""
    lock = " FOR UPDATE" if tx.dialect.name == "postgresql" else ""
    return tx.rows(f"{select} ({placeholders(len(ids))}){lock}", ids)


# Still deleted, or in a deleted experiment (an experiment's runs and models go with it).
_STILL_DELETED = (
    "(lifecycle_stage = 'deleted' OR experiment_id IN "
    "(SELECT experiment_id FROM experiments WHERE lifecycle_stage = 'deleted'))"
)


def _purge(db: Database, select: str, ids: Sequence[object], tables: Sequence[str]) -> set:
    """In one transaction: lock the rows `select` keeps of `ids` (its last placeholder list),
    then delete theirs from each `table column` of `tables`, in order; the ids deleted."""
    with db.write() as tx:
        kept = {row[0] for row in _locked(tx, select, ids)}
        if kept:
            ordered = sorted(kept)
            for table in tables:
                tx.execute(f"DELETE FROM {table} IN ({placeholders(len(ordered))})", ordered)
    return kept


def purge_runs(db: Database, runs: Sequence[PurgeRun]) -> list[PurgeRun]:
    """Delete the runs (at most BATCH) still deleted, with all their rows; the ones
    deleted, whose artifacts the caller then removes."""
    keys = _purge(
        db,
        f"SELECT id FROM runs WHERE {_STILL_DELETED} AND id IN",
        [run.key for run in runs],
        [*(f"{table} WHERE run_id" for table in RUN_TABLES), "runs WHERE id"],
    )
    return [run for run in runs if run.key in keys]


def purge_logged_models(db: Database, models: Sequence[PurgeModel]) -> list[PurgeModel]:
    """Delete the logged models (at most BATCH) still deleted, with their rows and runs'
    links to them; the ones deleted."""
    ids = _purge(
        db,
        f"SELECT model_id FROM logged_models WHERE {_STILL_DELETED} AND model_id IN",
        [model.model_id for model in models],
        [f"{table} WHERE model_id" for table in (*MODEL_TABLES, "logged_models")],
    )
    return [model for model in models if model.model_id in ids]


def purge_experiments(
    db: Database, experiments: Sequence[PurgeExperiment]
) -> list[PurgeExperiment]:
    """Delete the experiments (at most BATCH) still deleted and now empty of runs and logged
    models (the earlier phases took those), with their tags, datasets and grants; their names
    are free again. The ones deleted; traces go first (`purge_traces`)."""
    wanted = [experiment.experiment_id for experiment in experiments]
    purge_traces(db, wanted)
    ids = _purge(
        db,
        "SELECT experiment_id FROM experiments e WHERE lifecycle_stage = 'deleted' "
        "AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.experiment_id) "
        "AND NOT EXISTS (SELECT 1 FROM logged_models m "
        "WHERE m.experiment_id = e.experiment_id) AND experiment_id IN",
        wanted,
        [*EXPERIMENT_ROWS, "experiments WHERE experiment_id"],
    )
    return [experiment for experiment in experiments if experiment.experiment_id in ids]


def purge_traces(db: Database, experiment_ids: Sequence[int]) -> None:
    """The traces of experiments about to be purged go first, with their spans, tags,
    metadata and assessments (TraceStore.delete_for)."""
    TraceStore(db).delete_for(experiment_ids=[str(key) for key in experiment_ids])
