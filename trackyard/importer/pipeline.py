"""The import, phase by phase: experiments, logged models, runs, the model registry.

Each entity is written whole in a transaction of its own (runs: a batch of whole runs), after
its artifacts are copied, and an entity already in the store is skipped by its id (a model by
its name): so an import that is interrupted and run again picks up where it stopped and never
writes anything twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..artifacts.base import ArtifactRepository
from ..store.traces import (
    ARTIFACT_LOCATION,
    ATTACHMENTS,
    NewTrace,
    SpanBatch,
    TraceStore,
    trace_artifact_location,
)
from .artifacts import Copier
from .model import Experiment, RegisteredModel, RunHead, Source
from .summary import Summary, progress
from .traces import Trace, span_records
from .writer import Writer

# Runs per transaction: big enough to make commits rare, small enough that an interrupted
# import loses little and a batch's histories fit in memory.
RUNS_PER_BATCH = 100


@dataclass
class Options:
    #: None with --keep-artifact-uris: locations are kept as they were.
    destination: ArtifactRepository | None
    #: The destination as configured (a folder, sftp://..., s3://...).
    destination_uri: str
    #: What imported locations start with: `mlflow-artifacts:` when a server proxies them.
    artifact_root: str


class Import:
    def __init__(self, source: Source, writer: Writer, options: Options) -> None:
        self.source = source
        self.writer = writer
        self.options = options
        self.summary = Summary(source=source.description)
        self.copier = (
            Copier(options.destination, options.destination_uri) if options.destination else None
        )
        self.locations: dict[int, str] = {}  # imported experiment id -> its location now
        self.moved: dict[str, str] = {}  # an old artifact location -> the new one

    def run(self) -> Summary:
        started = time.monotonic()
        self._experiments()
        self._logged_models()
        self._runs()
        self._registry()
        self._traces()
        self.writer.finish()
        if self.copier:
            self.summary.files, self.summary.bytes = self.copier.files, self.copier.bytes
        self.summary.seconds = time.monotonic() - started
        return self.summary

    # ------------------------------------------------------------------ locations
    def _new_location(self, old: str | None, new: str) -> str | None:
        """Where an entity's artifacts will be: `new` when they are copied, else `old`.
        Copied only when the source can read them; the rule depends on the source alone, so
        a rerun maps every location as the first run did."""
        if self.copier is None or self.source.artifact_folder(old or "") is None:
            return old
        if old:
            self.moved[old.rstrip("/")] = new
        return new

    def _copy(self, old: str | None, new: str | None, kind: str) -> None:
        """The files at `old` into `new`, where `_new_location` moved them (a location may
        stay the same, `mlflow-artifacts:/1/...` on both sides, and still be copied)."""
        if self.copier is None or not old or new is None:
            return
        folder = self.source.artifact_folder(old)
        if folder is None:
            self.summary[f"{kind} artifacts"].skipped[
                "location not readable here (kept as it was; see --from-artifacts)"
            ] += 1
            return
        self.copier.copy(folder, new)

    # ------------------------------------------------------------------ phases
    def _experiments(self) -> None:
        experiments = self.source.experiments()
        names = self.writer.experiment_names()
        ids = {name: experiment_id for experiment_id, name in names.items()}
        tally = self.summary["experiments"]
        with progress("experiments", len(experiments), "experiments") as bar:
            for experiment in experiments:
                reason = self._experiment_conflict(experiment, names, ids)
                if reason:
                    tally.skipped[reason] += 1
                else:
                    location = self._new_location(
                        experiment.artifact_location,
                        f"{self.options.artifact_root}/{experiment.experiment_id}",
                    )
                    experiment.artifact_location = location
                    exists = experiment.experiment_id in names
                    self.writer.write_experiment(experiment, exists)
                    self.locations[experiment.experiment_id] = location or ""
                    if exists:
                        tally.present += 1
                    else:
                        tally.imported += 1
                bar.advance(1)

    def _experiment_conflict(
        self, experiment: Experiment, names: dict[int, str], ids: dict[str, int]
    ) -> str | None:
        """Why the experiment cannot be imported, if it cannot."""
        if not self.writer.id_fits(experiment.experiment_id):
            return "id does not fit a 64-bit integer"
        taken = names.get(experiment.experiment_id)
        if taken is not None and taken != experiment.name:
            return "its id belongs to another experiment in the store"
        other = ids.get(experiment.name)
        if other is not None and other != experiment.experiment_id:
            return "its name belongs to another experiment in the store"
        return None

    def _logged_models(self) -> None:
        models = self.source.logged_models()
        present = self.writer.logged_model_ids()
        tally = self.summary["logged models"]
        with progress("logged models", len(models), "models") as bar:
            for model in models:
                base = self.locations.get(model.experiment_id)
                old = model.artifact_location
                if base is None:
                    tally.skipped["its experiment was not imported"] += 1
                    bar.advance(1)
                    continue
                new = self._new_location(old, f"{base}/models/{model.model_id}/artifacts")
                if model.model_id in present:
                    tally.present += 1
                else:
                    self._copy(old, new, "logged model")
                    model.artifact_location = new or old
                    self.writer.write_logged_model(model)
                    tally.imported += 1
                bar.advance(1)

    def _runs(self) -> None:
        heads = self.source.run_heads()
        present = self.writer.run_uuids()
        tally = self.summary["runs"]
        pending: list[RunHead] = []
        for head in heads:
            base = self.locations.get(head.experiment_id)
            if base is None:
                tally.skipped["its experiment was not imported"] += 1
                continue
            self._new_location(head.artifact_uri, f"{base}/{head.run_uuid}/artifacts")
            if head.run_uuid in present:
                tally.present += 1
            else:
                pending.append(head)
        with progress("runs", len(pending), "runs") as bar:
            for batch in _batches(pending):
                runs = self.source.runs(batch)
                for run in runs:
                    new = moved_uri(self.moved, run.artifact_uri)
                    self._copy(run.artifact_uri, new, "run")
                    run.artifact_uri = new
                self.writer.write_runs(runs)
                points = sum(run.point_count() for run in runs)
                tally.imported += len(runs)
                self.summary.points += points
                bar.advance(len(batch), points)

    def _registry(self) -> None:
        models = self.source.registered_models()
        present = self.writer.registered_model_names()
        tally = self.summary["registered models"]
        with progress("registered models", len(models), "models") as bar:
            for model in models:
                if model.name in present:
                    tally.present += 1
                else:
                    self._move_versions(model)
                    self.writer.write_registered_model(model)
                    tally.imported += 1
                    self.summary["model versions"].imported += len(model.versions)
                bar.advance(1)

    def _traces(self) -> None:
        """Each trace in one or two transactions (its spans, then its info, as a client
        sends them); one whose info is stored is there, one with spans alone is done again
        (both writes replace what they wrote before). A stored trace without spans gets
        them when the source has them now (traces.json readable on a rerun)."""
        traces = self.source.traces()
        present = self.writer.finished_trace_ids()
        with_spans = self.writer.trace_ids_with_spans()
        tally = self.summary["traces"]
        unread, why = self.source.unread_traces()
        if unread:
            tally.skipped[why] += unread
        store = TraceStore(self.writer.db)
        active = self.writer.active_experiments()
        with progress("traces", len(traces), "traces") as bar:
            for trace in traces:
                experiment = int(trace.info.experiment_id)
                if experiment not in self.locations:
                    tally.skipped["its experiment was not imported"] += 1
                elif experiment not in active:
                    tally.skipped[
                        "its experiment is deleted (trackyard keeps no traces there)"
                    ] += 1
                elif trace.info.trace_id in present:
                    tally.present += 1
                    if trace.info.trace_id not in with_spans:
                        self._trace_spans(store, trace)
                else:
                    self._trace_attachments(trace.info)
                    self._trace_spans(store, trace)
                    store.start_trace(trace.info, spans_coming=False)
                    tally.imported += 1
                bar.advance(1)

    def _trace_attachments(self, info: NewTrace) -> None:
        """The files the client took out of the trace's spans, copied into the trace's folder
        under its experiment's location here, which the trace's tag then names. Its spans go
        into the store, so traces.json stays behind. A location the source cannot read is
        kept as it was, as runs' are (the summary reports those)."""
        old = info.tags.get(ARTIFACT_LOCATION)
        if not old or self.copier is None or self.source.artifact_folder(old) is None:
            return
        new = trace_artifact_location(self.locations[int(info.experiment_id)], info.trace_id)
        self._copy(f"{old.rstrip('/')}/{ATTACHMENTS}", f"{new}/{ATTACHMENTS}", "trace")
        info.tags[ARTIFACT_LOCATION] = new

    def _trace_spans(self, store: TraceStore, trace: Trace) -> None:
        """The trace's spans into the store, or into the summary why they are not."""
        spans = span_records(trace)
        if spans:
            store.log_spans(SpanBatch(trace.info.experiment_id, spans))
            self.summary["traces' spans"].imported += 1
        if trace.spans_skipped:
            self.summary["traces' spans"].skipped[trace.spans_skipped] += 1

    def _move_versions(self, model: RegisteredModel) -> None:
        """Version sources and storage locations inside a moved run or logged model follow
        it; `runs:/` and `models:/` sources name entities, not places, and stay."""
        for version in model.versions:
            version.source = moved_uri(self.moved, version.source)
            version.storage_location = moved_uri(self.moved, version.storage_location)


def _batches(heads: Sequence[RunHead]) -> list[Sequence[RunHead]]:
    return [heads[start : start + RUNS_PER_BATCH] for start in range(0, len(heads), RUNS_PER_BATCH)]


def moved_uri(moved: dict[str, str], uri: str | None) -> str | None:
    """`uri` inside a location that `moved` maps (an imported run's or logged model's old
    artifact location -> its new one), moved with it; any other `uri` as it is."""
    if not uri:
        return uri
    parts = uri.split("/")
    for end in range(len(parts), 0, -1):
        new = moved.get("/".join(parts[:end]))
        if new is not None:
            return "/".join([new, *parts[end:]])
    return uri
