"""MLflow 3 traces on SQL: trace info, tags, request metadata, spans and assessments.

A trace has two writers that race: span batches (OTLP, `log_spans`) and the client's trace
info at the end of the trace (`start_trace`). Whichever comes first creates the trace row;
the other fills it in. Spans are keyed by (trace, span id), so a retried batch replaces what
it sent before instead of adding to it. Until the client's info arrives, the trace's time,
duration, state and previews follow its spans (a sender that is not MLflow's client never
sends info). Every trace this store holds spans for is tagged
`mlflow.trace.spansLocation = TRACKING_STORE`, which tells the 3.17 client to read spans from
the server rather than upload or download traces.json.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..errors import invalid, not_found
from ..messages.traces import Assessment, TraceInfoV3, timestamp
from ..search.grammar import Clause, OrderKey
from .db import Database, NamedRow, Tx, chunks, now_ms, placeholders
from .lifecycle import require_active_experiment
from .span_codec import SpanRecord, artifact_span, unpack
from .trace_infos import trace_infos
from .trace_metrics import Correlation, DataPoint, MetricQuery, TraceMetrics, correlation
from .trace_search import LINKED_PROMPTS, TRACE_NAME, TraceSearch

SPANS_LOCATION = "mlflow.trace.spansLocation"
TRACKING_STORE = "TRACKING_STORE"
ARTIFACT_LOCATION = "mlflow.artifactLocation"
# The folder under a trace's artifact location where the 3.x client uploads its attachments.
ATTACHMENTS = "attachments"
SIZE_STATS = "mlflow.trace.sizeStats"
# How much of a root span's inputs and outputs a trace made from spans alone previews.
PREVIEW_LENGTH = 1000
_NS_PER_MS = 1_000_000
_SPAN_COLUMNS = "trace_key, span_id, parent_span_id, name, type, status, start_ns, end_ns, content"
_CHILD_TABLES = ("spans", "trace_tags", "trace_metadata", "trace_runs", "assessments")


@dataclass(frozen=True)
class SpanBatch:
    """Spans sent together (an OTLP export), for an experiment and maybe a run to link."""

    experiment_id: str
    spans: Sequence[SpanRecord]
    run_id: str | None = None


@dataclass
class NewTrace:
    """The trace info the client sends when a trace ends (StartTraceV3, or v2's pair)."""

    trace_id: str
    experiment_id: str
    request_time: int
    execution_ms: int | None
    state: str
    client_request_id: str | None = None
    request_preview: str | None = None
    response_preview: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    assessments: list[Assessment] = field(default_factory=list)


def not_found_trace(trace_id: str) -> Exception:
    return not_found(f"Trace with ID {trace_id} is not found.")


def experiment_key(experiment_id: str) -> int:
    """The experiment's integer key; anything else names no experiment."""
    text = str(experiment_id)
    if not (text.isascii() and text.isdigit() and int(text) < 2**63):
        raise not_found(f"Experiment with id '{experiment_id}' does not exist.")
    return int(text)


class TraceStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._search = TraceSearch(db)
        self._metrics = TraceMetrics(db)

    def search(
        self,
        experiment_ids: Sequence[int],
        clauses: Sequence[Clause],
        order_by: Sequence[OrderKey],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[TraceInfoV3], str | None]:
        """See TraceSearch.search."""
        return self._search.search(experiment_ids, clauses, order_by, max_results, page_token)

    def query_metrics(self, query: MetricQuery) -> tuple[list[DataPoint], str | None]:
        """See TraceMetrics.query."""
        return self._metrics.query(query)

    def filter_correlation(
        self,
        experiment_ids: Sequence[int],
        first: Sequence[Clause],
        second: Sequence[Clause],
        base: Sequence[Clause],
    ) -> Correlation:
        """How two filters go together over the experiments' traces that pass `base`."""
        one = self._search.keys(experiment_ids, [*base, *first])
        two = self._search.keys(experiment_ids, [*base, *second])
        total = self._search.count(experiment_ids, base)
        return correlation(len(one & two), len(one), len(two), total)

    # --- writes -------------------------------------------------------------------------

    def log_spans(self, batch: SpanBatch) -> None:
        """Store a batch of spans (one transaction: all or nothing)."""
        with self.db.write() as tx:
            self._log_spans(tx, batch)

    def log_span_batches(self, batches: Sequence[SpanBatch]) -> list[Exception | None]:
        """Store several batches in one transaction (one commit), each whole or not at all:
        for each, the error that left it out, or None. They are stored in the order of their
        first trace ids, so that writers elsewhere lock the traces of one-trace batches (the
        client's) in one order, as `_log_spans` does within a batch."""
        errors: list[Exception | None] = [None] * len(batches)
        order = sorted(
            range(len(batches)),
            key=lambda i: min((s.trace_id for s in batches[i].spans), default=""),
        )
        with self.db.write() as tx:
            for position in order:
                try:
                    with tx.savepoint():
                        self._log_spans(tx, batches[position])
                except Exception as error:
                    errors[position] = error
        return errors

    def _log_spans(self, tx: Tx, batch: SpanBatch) -> None:
        by_trace: dict[str, dict[str, SpanRecord]] = {}
        for span in batch.spans:  # a span sent twice in one batch: the last copy wins
            by_trace.setdefault(span.trace_id, {})[span.span_id] = span
        experiment = self._experiment(tx, batch.experiment_id)
        for trace_id in sorted(by_trace):  # one lock order for concurrent writers
            own = [by_trace[trace_id][span_id] for span_id in sorted(by_trace[trace_id])]
            key, finalized = self._trace_for_spans(tx, experiment, trace_id, own)
            tx.many(
                f"INSERT INTO spans ({_SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (trace_key, span_id) DO UPDATE SET "
                "parent_span_id = excluded.parent_span_id, name = excluded.name, "
                "type = excluded.type, status = excluded.status, "
                "start_ns = excluded.start_ns, end_ns = excluded.end_ns, "
                "content = excluded.content",
                [_span_row(key, span) for span in own],
            )
            if not finalized:
                self._follow_spans(tx, key, own)
            if batch.run_id and any(span.parent_span_id is None for span in own):
                self._link_runs(tx, [key], batch.run_id)

    def _trace_for_spans(
        self, tx: Tx, experiment: NamedRow, trace_id: str, batch: list[SpanRecord]
    ) -> tuple[int, bool]:
        """The trace's key and whether its info arrived; the row is made if it is new. The
        trace's row is locked first, as `start_trace` locks it: one lock order, no deadlock
        between a trace's spans and its info arriving at once."""
        start = min(span.start_ns for span in batch) // _NS_PER_MS
        row = tx.row(
            "INSERT INTO traces (trace_id, experiment_id, request_time, state, finalized) "
            "VALUES (?, ?, ?, 'IN_PROGRESS', 0) ON CONFLICT (trace_id) "
            "DO UPDATE SET finalized = traces.finalized RETURNING id, finalized",
            (trace_id, experiment.experiment_id, start),
        )
        assert row is not None  # an upsert's RETURNING has its row
        key = row.id
        # The sender's resource attributes first, so the trace's own tags win a clash.
        tags = next((dict(span.resource_tags) for span in batch if span.resource_tags), {})
        root = next((span for span in batch if span.parent_span_id is None), None)
        if root is not None:
            tags.update(root.trace_tags)
        tags[SPANS_LOCATION] = TRACKING_STORE
        self._put(tx, "trace_tags", key, tags)
        defaults = {
            ARTIFACT_LOCATION: trace_artifact_location(experiment.artifact_location, trace_id)
        }
        if root is not None:
            defaults[TRACE_NAME] = root.name
        self._put(tx, "trace_tags", key, defaults, replace=False)
        return key, bool(row.finalized)

    def _follow_spans(self, tx: Tx, key: int, batch: list[SpanRecord]) -> None:
        """A trace without the client's info takes its time, duration and state from its
        spans: the root's when it has arrived, else the spans' extent, in progress."""
        extent = tx.row(
            "SELECT MIN(start_ns) AS first, MAX(end_ns) AS last FROM spans WHERE trace_key = ?",
            (key,),
        )
        assert extent is not None  # an aggregate has a row
        root = tx.row(
            "SELECT status, start_ns, end_ns FROM spans "
            "WHERE trace_key = ? AND parent_span_id IS NULL",
            (key,),
        )
        if root is not None and root.end_ns is not None:
            state = "ERROR" if root.status == "ERROR" else "OK"
            execution = (root.end_ns - root.start_ns) // _NS_PER_MS
        else:
            state = "IN_PROGRESS"
            execution = None if extent.last is None else (extent.last - extent.first) // _NS_PER_MS
        tx.execute(
            "UPDATE traces SET request_time = ?, execution_ms = ?, state = ? "
            "WHERE id = ? AND finalized = 0",
            (extent.first // _NS_PER_MS, execution, state, key),
        )
        batch_root = next((span for span in batch if span.parent_span_id is None), None)
        if batch_root is not None:
            tx.execute(
                "UPDATE traces SET request_preview = ?, response_preview = ? "
                "WHERE id = ? AND finalized = 0",
                (_preview(batch_root.inputs), _preview(batch_root.outputs), key),
            )

    def start_trace(self, trace: NewTrace, spans_coming: bool) -> TraceInfoV3:
        """Record the client's info for a trace (made here if its spans have not come yet).
        `spans_coming`: the client sends spans over OTLP, so they will be held here."""
        with self.db.write() as tx:
            experiment = self._experiment(tx, trace.experiment_id)
            key = tx.scalar(
                "INSERT INTO traces (trace_id, experiment_id, request_time, execution_ms, state, "
                "client_request_id, request_preview, response_preview, finalized) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (trace_id) DO UPDATE SET "
                "request_time = excluded.request_time, execution_ms = excluded.execution_ms, "
                "state = excluded.state, client_request_id = excluded.client_request_id, "
                "request_preview = excluded.request_preview, "
                "response_preview = excluded.response_preview, finalized = 1 RETURNING id",
                (
                    trace.trace_id,
                    experiment.experiment_id,
                    trace.request_time,
                    trace.execution_ms,
                    trace.state,
                    trace.client_request_id,
                    trace.request_preview,
                    trace.response_preview,
                ),
            )
            tags = dict(trace.tags)
            if spans_coming or tx.one("SELECT 1 FROM spans WHERE trace_key = ?", (key,)):
                tags[SPANS_LOCATION] = TRACKING_STORE
            self._put(tx, "trace_tags", key, tags)
            location = {
                ARTIFACT_LOCATION: trace_artifact_location(
                    experiment.artifact_location, trace.trace_id
                )
            }
            self._put(tx, "trace_tags", key, location, replace=False)
            self._put(tx, "trace_metadata", key, trace.metadata)
            for assessment in trace.assessments:
                self._insert_assessment(tx, key, trace.trace_id, assessment)
            return trace_infos(tx, [key])[0]

    def end_trace_v2(
        self, trace_id: str, end_ms: int | None, state: str, metadata: dict, tags: dict
    ) -> TraceInfoV3:
        """v2's EndTrace: the trace's end time and state, and more metadata and tags."""
        with self.db.write() as tx:
            row = self._trace_row(tx, trace_id)
            execution = None if end_ms is None else max(0, end_ms - row.request_time)
            tx.execute(
                "UPDATE traces SET execution_ms = ?, state = ?, finalized = 1 WHERE id = ?",
                (execution, state, row.id),
            )
            self._put(tx, "trace_metadata", row.id, metadata)
            self._put(tx, "trace_tags", row.id, tags)
            return trace_infos(tx, [row.id])[0]

    def set_tag(self, trace_id: str, key: str, value: str) -> None:
        with self.db.write() as tx:
            self._put(tx, "trace_tags", self._trace_row(tx, trace_id).id, {key: value})

    def delete_tag(self, trace_id: str, key: str) -> None:
        with self.db.write() as tx:
            row = self._trace_row(tx, trace_id)
            deleted = tx.execute(
                "DELETE FROM trace_tags WHERE trace_key = ? AND key = ?", (row.id, key)
            ).rowcount
            if not deleted:
                raise not_found(f"No trace tag with key '{key}' for trace with ID '{trace_id}'")

    def link_to_run(self, trace_ids: Sequence[str], run_id: str) -> None:
        with self.db.write() as tx:
            keys = [self._trace_row(tx, trace_id).id for trace_id in trace_ids]
            self._link_runs(tx, keys, run_id)

    def link_prompts(self, trace_id: str, prompts: list[dict[str, str]]) -> None:
        """Prompts a trace used, in the tag MLflow keeps them in (a JSON list, no repeats)."""
        with self.db.write() as tx:
            row = self._trace_row(tx, trace_id)
            stored = tx.scalar(
                "SELECT value FROM trace_tags WHERE trace_key = ? AND key = ?",
                (row.id, LINKED_PROMPTS),
            )
            linked = _json_list(stored)
            linked += [prompt for prompt in prompts if prompt not in linked]
            self._put(tx, "trace_tags", row.id, {LINKED_PROMPTS: json.dumps(linked)})

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """MLflow's DeleteTraces: the given traces of the experiment, or its traces up to a
        time (the oldest `max_traces` of them, if given). The count deleted."""
        experiment = experiment_key(experiment_id)
        with self.db.write() as tx:
            if trace_ids:
                keys = [
                    row.id
                    for batch in chunks(list(trace_ids))
                    for row in tx.rows(
                        f"SELECT id FROM traces WHERE experiment_id = ? "
                        f"AND trace_id IN ({placeholders(len(batch))})",
                        (experiment, *batch),
                    )
                ]
            else:
                limit = "" if max_traces is None else " LIMIT ?"
                keys = [
                    row.id
                    for row in tx.rows(
                        "SELECT id FROM traces WHERE experiment_id = ? AND request_time <= ? "
                        f"ORDER BY request_time, trace_id{limit}",
                        (experiment, max_timestamp_millis, *([] if limit == "" else [max_traces])),
                    )
                ]
            self._delete_keys(tx, keys)
        return len(keys)

    def delete_for(self, experiment_ids: Iterable[str] = (), trace_ids: Iterable[str] = ()) -> int:
        """Every trace of the experiments and every named trace, with all their rows: for
        garbage collection (`trackyard gc`), which removes deleted experiments for good."""
        experiments = [experiment_key(e) for e in experiment_ids]
        names = list(trace_ids)
        with self.db.write() as tx:
            keys: list[int] = []
            for batch in chunks(experiments):
                keys += [
                    row.id
                    for row in tx.rows(
                        f"SELECT id FROM traces WHERE experiment_id IN "
                        f"({placeholders(len(batch))})",
                        batch,
                    )
                ]
            for batch in chunks(names):
                keys += [
                    row.id
                    for row in tx.rows(
                        f"SELECT id FROM traces WHERE trace_id IN ({placeholders(len(batch))})",
                        batch,
                    )
                ]
            keys = sorted(set(keys))
            self._delete_keys(tx, keys)
        return len(keys)

    # --- assessments --------------------------------------------------------------------

    def create_assessment(self, trace_id: str, assessment: Assessment) -> Assessment:
        with self.db.write() as tx:
            row = self._trace_row(tx, trace_id)
            return self._insert_assessment(tx, row.id, trace_id, assessment)

    def _insert_assessment(
        self, tx: Tx, key: int, trace_id: str, assessment: Assessment
    ) -> Assessment:
        """Store an assessment; one that overrides another marks that one invalid."""
        now = timestamp(now_ms())
        stored = msgspec.structs.replace(
            assessment,
            assessment_id=assessment.assessment_id or "a-" + uuid.uuid4().hex,
            trace_id=trace_id,
            create_time=assessment.create_time or now,
            last_update_time=assessment.last_update_time or now,
            valid=True if assessment.valid is None else assessment.valid,
        )
        if stored.overrides:
            tx.execute(
                "UPDATE assessments SET valid = 0, content = ? "
                "WHERE assessment_id = ? AND trace_key = ?",
                (*self._invalidated(tx, stored.overrides), stored.overrides, key),
            )
        tx.execute(
            "INSERT INTO assessments (assessment_id, trace_key, name, kind, valid, "
            "create_time, content) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                stored.assessment_id,
                key,
                stored.assessment_name or "",
                assessment_kind(stored),
                int(bool(stored.valid)),
                now_ms(),
                msgspec.json.encode(stored).decode(),
            ),
        )
        return stored

    def _invalidated(self, tx: Tx, assessment_id: str) -> tuple[str]:
        content = tx.scalar(
            "SELECT content FROM assessments WHERE assessment_id = ?", (assessment_id,)
        )
        if content is None:
            raise not_found(f"Assessment with ID '{assessment_id}' not found.")
        old = msgspec.json.decode(content, type=Assessment)
        return (msgspec.json.encode(msgspec.structs.replace(old, valid=False)).decode(),)

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        with self.db.read() as tx:
            return self._assessment(tx, trace_id, assessment_id)[1]

    def _assessment(self, tx: Tx, trace_id: str, assessment_id: str) -> tuple[int, Assessment]:
        row = self._trace_row(tx, trace_id)
        content = tx.scalar(
            "SELECT content FROM assessments WHERE assessment_id = ? AND trace_key = ?",
            (assessment_id, row.id),
        )
        if content is None:
            raise not_found(
                f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'."
            )
        return row.id, msgspec.json.decode(content, type=Assessment)

    def update_assessment(
        self, trace_id: str, assessment_id: str, changes: dict[str, Any]
    ) -> Assessment:
        """Replace the named fields of an assessment (MLflow's update mask)."""
        with self.db.write() as tx:
            _, old = self._assessment(tx, trace_id, assessment_id)
            if "feedback" in changes and not old.feedback:
                raise invalid("Cannot update an expectation assessment with a feedback value.")
            if "expectation" in changes and not old.expectation:
                raise invalid("Cannot update a feedback assessment with an expectation value.")
            if "metadata" in changes:
                changes["metadata"] = {**(old.metadata or {}), **(changes["metadata"] or {})}
            new = msgspec.structs.replace(old, **changes, last_update_time=timestamp(now_ms()))
            tx.execute(
                "UPDATE assessments SET name = ?, content = ? WHERE assessment_id = ?",
                (new.assessment_name or "", msgspec.json.encode(new).decode(), assessment_id),
            )
            return new

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete an assessment; one it overrode becomes valid again, as in MLflow."""
        with self.db.write() as tx:
            key, old = self._assessment(tx, trace_id, assessment_id)
            tx.execute("DELETE FROM assessments WHERE assessment_id = ?", (assessment_id,))
            if old.overrides:
                content = tx.scalar(
                    "SELECT content FROM assessments WHERE assessment_id = ? AND trace_key = ?",
                    (old.overrides, key),
                )
                if content is not None:
                    restored = msgspec.structs.replace(
                        msgspec.json.decode(content, type=Assessment), valid=True
                    )
                    tx.execute(
                        "UPDATE assessments SET valid = 1, content = ? WHERE assessment_id = ?",
                        (msgspec.json.encode(restored).decode(), old.overrides),
                    )

    # --- reads --------------------------------------------------------------------------

    def get_info(self, trace_id: str) -> TraceInfoV3:
        with self.db.read() as tx:
            return trace_infos(tx, [self._trace_row(tx, trace_id).id])[0]

    def get_trace(self, trace_id: str, allow_partial: bool) -> dict[str, Any]:
        """A trace with its spans; without `allow_partial`, 404 until every span the client
        counted (metadata `mlflow.trace.sizeStats`) has arrived, as mlflow server answers."""
        with self.db.read() as tx:
            key = self._trace_row(tx, trace_id).id
            info = trace_infos(tx, [key])[0]
            spans = self._spans(tx, [key])[key]
        expected = _expected_spans(info.trace_metadata.get(SIZE_STATS))
        if not allow_partial and len(spans) < expected:
            raise not_found(
                f"Trace with ID {trace_id} is not fully exported yet, please try again later."
            )
        return {"trace_info": info, "spans": spans}

    def batch_get(
        self, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The traces found among `trace_ids` (in that order) with their spans; unknown ids
        are left out. `experiment_ids`, if given, limits them to those experiments."""
        with self.db.read() as tx:
            keys = self._keys(tx, trace_ids, experiment_ids)
            infos = trace_infos(tx, keys)
            spans = self._spans(tx, keys)
        return [
            {"trace_info": info, "spans": spans[key]} for key, info in zip(keys, infos, strict=True)
        ]

    def batch_infos(
        self, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None = None
    ) -> list[TraceInfoV3]:
        with self.db.read() as tx:
            return trace_infos(tx, self._keys(tx, trace_ids, experiment_ids))

    def artifact_spans(self, trace_id: str) -> list[dict[str, Any]] | None:
        """The trace's spans in traces.json form, or None if none are held here."""
        with self.db.read() as tx:
            key = self._trace_row(tx, trace_id).id
            rows = tx.rows(
                "SELECT content FROM spans WHERE trace_key = ? "
                "ORDER BY CASE WHEN parent_span_id IS NULL THEN 0 ELSE 1 END, start_ns",
                (key,),
            )
        if not rows:
            return None
        return [artifact_span(trace_id, row.content) for row in rows]

    def trace_experiment(self, trace_id: str) -> str:
        """The id of the experiment a trace belongs to (what access to it follows)."""
        with self.db.read() as tx:
            return str(self._trace_row(tx, trace_id).experiment_id)

    # --- helpers ------------------------------------------------------------------------

    def _experiment(self, tx: Tx, experiment_id: str) -> NamedRow:
        row = tx.row(
            "SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments "
            "WHERE experiment_id = ?",
            (experiment_key(experiment_id),),
        )
        if row is None:
            raise not_found(f"Experiment with id '{experiment_id}' does not exist.")
        require_active_experiment(experiment_id, row.lifecycle_stage)
        return row

    @staticmethod
    def _trace_row(tx: Tx, trace_id: str) -> NamedRow:
        row = tx.row(
            "SELECT id, experiment_id, request_time FROM traces WHERE trace_id = ?", (trace_id,)
        )
        if row is None:
            raise not_found_trace(trace_id)
        return row

    @staticmethod
    def _keys(tx: Tx, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None) -> list[int]:
        found: dict[str, int] = {}
        for batch in chunks(list(dict.fromkeys(trace_ids))):
            for row in tx.rows(
                f"SELECT id, trace_id, experiment_id FROM traces "
                f"WHERE trace_id IN ({placeholders(len(batch))})",
                batch,
            ):
                if experiment_ids is None or str(row.experiment_id) in experiment_ids:
                    found[row.trace_id] = row.id
        return [found[trace_id] for trace_id in dict.fromkeys(trace_ids) if trace_id in found]

    @staticmethod
    def _put(tx: Tx, table: str, key: int, items: dict[str, str], replace: bool = True) -> None:
        """Upsert key-value rows of a trace; `replace=False` keeps values already there."""
        if not items:
            return
        action = "DO UPDATE SET value = excluded.value" if replace else "DO NOTHING"
        tx.many(
            f"INSERT INTO {table} (trace_key, key, value) VALUES (?, ?, ?) "
            f"ON CONFLICT (trace_key, key) {action}",
            [(key, name, value) for name, value in sorted(items.items())],
        )

    @staticmethod
    def _link_runs(tx: Tx, keys: Sequence[int], run_id: str) -> None:
        tx.many(
            "INSERT INTO trace_runs (trace_key, run_id) VALUES (?, ?) "
            "ON CONFLICT (trace_key, run_id) DO NOTHING",
            [(key, run_id) for key in sorted(set(keys))],
        )

    @staticmethod
    def _delete_keys(tx: Tx, keys: Sequence[int]) -> None:
        """Delete traces with every row of theirs; their trace rows are locked first, in the
        order span ingest locks them."""
        for batch in chunks(sorted(keys)):
            marks = placeholders(len(batch))
            tx.execute(f"UPDATE traces SET finalized = finalized WHERE id IN ({marks})", batch)
            for table in _CHILD_TABLES:
                tx.execute(f"DELETE FROM {table} WHERE trace_key IN ({marks})", batch)
            tx.execute(f"DELETE FROM traces WHERE id IN ({marks})", batch)

    @staticmethod
    def _spans(tx: Tx, keys: Sequence[int]) -> dict[int, list[msgspec.Raw]]:
        """Each trace's spans as answer-ready JSON: the root first, then by start time."""
        spans: dict[int, list[msgspec.Raw]] = {key: [] for key in keys}
        for batch in chunks(list(keys)):
            trace_ids: dict[int, str] = dict(
                tx.all(
                    f"SELECT id, trace_id FROM traces WHERE id IN ({placeholders(len(batch))})",
                    batch,
                )
            )
            for trace_key, content in tx.all(
                f"SELECT trace_key, content FROM spans WHERE trace_key IN "
                f"({placeholders(len(batch))}) ORDER BY trace_key, "
                "CASE WHEN parent_span_id IS NULL THEN 0 ELSE 1 END, start_ns",
                batch,
            ):
                spans[trace_key].append(unpack(content, trace_ids[trace_key]))
        return spans


def assessment_kind(assessment: Assessment) -> str:
    """What an assessment holds: feedback, an expectation or an issue reference."""
    if assessment.expectation:
        return "expectation"
    return "issue" if assessment.issue else "feedback"


def _span_row(key: int, span: SpanRecord) -> tuple[Any, ...]:
    return (
        key,
        span.span_id,
        span.parent_span_id,
        span.name,
        span.type,
        span.status,
        span.start_ns,
        span.end_ns,
        span.content,
    )


def trace_artifact_location(experiment_location: str | None, trace_id: str) -> str:
    """Where a trace's files go (attachments, an old client's traces.json), inside its
    experiment's artifact location, as mlflow server lays them out."""
    root = (experiment_location or "").rstrip("/")
    return f"{root}/traces/{trace_id}/artifacts"


def _preview(text: str | None) -> str | None:
    return None if text is None else text[:PREVIEW_LENGTH]


def _expected_spans(size_stats: str | None) -> int:
    try:
        count = json.loads(size_stats or "{}").get("num_spans", 0)
    except (ValueError, AttributeError):
        return 0
    return count if isinstance(count, int) else 0


def _json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []
