"""Writing metric points (log-metric, log-batch): blocks of points (see points.py), each
series' latest point in `latest_metrics`, and a batch's params and tags in the same
transaction. The hot paths of a training loop: rows stay tuples here."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from operator import attrgetter

from ..messages.tracking import BatchMetric, KeyValue
from . import points as pts
from .db import MAX_PARAMS, Tx, chunks
from .lifecycle import ACTIVE, require_active_run
from .runs import active_run_key, insert_run_params, run_not_found, upsert_run_tags
from .tracking_state import TrackingState

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
# It answers the run's lifecycle stage and whether the points went in.
_LOG_SERIES = (
    "WITH run AS (SELECT id, lifecycle_stage FROM runs WHERE run_uuid = ?), "
    "latest AS (INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
    f"SELECT id, ?, ?, ?, ? FROM run WHERE lifecycle_stage = '{ACTIVE}' "
    f"{_after_latest('(CAST(? AS BIGINT), CAST(? AS BIGINT))')} RETURNING run_id), "
    "block AS (INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, "
    "last_step, last_timestamp, points) SELECT run_id, ?, ?, ?, ?, ?, ? FROM latest) "
    "SELECT lifecycle_stage, (SELECT COUNT(*) FROM latest) FROM run"
)

# Several series' new points as one statement (PostgreSQL), one row of the unnested arrays
# per series: its key id, latest point, first (step, timestamp) and block. The series'
# latest_metrics rows are locked first, in key order as the transaction way locks them (no
# deadlocks); FOR UPDATE reads their newest committed versions. Only where every series has
# a row and its first new point comes after it (as in _after_latest) do the rows move and
# the blocks go in; otherwise nothing is written and log_batch's way follows: all or
# nothing, as one transaction would be. A series without a row (its first point in this
# run) takes that way too, as no row lock can guard it.
_LOG_SERIES_SET = (
    "WITH run AS (SELECT id, lifecycle_stage FROM runs WHERE run_uuid = ?), "
    "new (key_id, step, timestamp, value, first_step, first_timestamp, last_step, "
    "last_timestamp, points) AS (SELECT * FROM unnest(CAST(? AS INTEGER[]), "
    "CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS DOUBLE PRECISION[]), "
    "CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), "
    "CAST(? AS BYTEA[]))), "
    "stored AS (SELECT (l.step, l.timestamp) < (new.first_step, new.first_timestamp) AS after "
    "FROM latest_metrics l JOIN run ON l.run_id = run.id JOIN new ON l.key_id = new.key_id "
    "ORDER BY l.key_id FOR UPDATE OF l), "
    f"go AS (SELECT id FROM run WHERE lifecycle_stage = '{ACTIVE}' AND "
    "(SELECT COUNT(*) FROM stored WHERE after) = (SELECT COUNT(*) FROM new)), "
    "latest AS (UPDATE latest_metrics l SET step = new.step, timestamp = new.timestamp, "
    "value = new.value FROM new, go WHERE l.run_id = go.id AND l.key_id = new.key_id), "
    "block AS (INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, "
    "last_step, last_timestamp, points) SELECT go.id, new.key_id, new.first_step, "
    "new.first_timestamp, new.last_step, new.last_timestamp, new.points FROM go, new) "
    "SELECT lifecycle_stage, (SELECT COUNT(*) FROM go) FROM run"
)

_POINT = attrgetter("step", "timestamp", "value")
_INSERT_BLOCK = (
    "INSERT INTO metric_blocks (run_id, key_id, first_step, first_timestamp, last_step, "
    "last_timestamp, points) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# A series' range takes five parameters of an overlap probe; the run id takes one.
_SERIES_PER_PROBE = (MAX_PARAMS - 1) // 5

Series = dict[int, list[pts.Point]]  # key id -> new points, in order


class MetricWrites:
    def __init__(self, state: TrackingState) -> None:
        self.db = state.db
        self.keys = state.keys

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[BatchMetric],
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> None:
        """All or nothing: one transaction, one durable commit."""
        if metrics and not params and not tags and self._log_series(run_id, metrics):
            return
        with self.db.write() as tx:
            run_key = active_run_key(tx, run_id)
            if params:
                insert_run_params(tx, run_id, run_key, params)
            if tags:
                upsert_run_tags(tx, run_key, tags)
            if metrics:
                self._insert_metrics(tx, run_key, metrics)

    def _log_series(self, run_id: str, metrics: Sequence[BatchMetric]) -> bool:
        """Points of known keys in one statement on PostgreSQL, where BEGIN, the run check,
        the upserts and COMMIT would each cost a round trip (a training loop's log-metric
        and log_metrics({...}), a metric's history logged in batches); False where
        log_batch's way is needed (SQLite, a new key, more than a block of one series,
        points not all after their series' latest)."""
        if not self.db.dialect.writes_in_with:
            return False
        series: Series = {}
        for metric in metrics:
            key_id = self.keys.cached(metric.key)
            if key_id is None:
                return False
            series.setdefault(key_id, []).append(_POINT(metric))
        new = {key_id: pts.merged(points) for key_id, points in series.items()}
        if any(len(points) > pts.BLOCK_POINTS for points in new.values()):  # several blocks
            return False
        if len(new) == 1:
            ((key_id, points),) = new.items()
            first, latest = points[0], pts.latest(points)
            block = pts.block_row((key_id,), points)
            row = self.db.write_one(_LOG_SERIES, (run_id, key_id, *latest, *first[:2], *block))
        else:
            row = self.db.write_one(_LOG_SERIES_SET, (run_id, *_series_columns(new)))
        if row is None:
            raise run_not_found(run_id)
        stage, written = row
        require_active_run(run_id, stage)
        return written > 0

    def _insert_metrics(self, tx: Tx, run_key: int, metrics: Sequence[BatchMetric]) -> None:
        """Each series' new points go in as blocks of their own, or merged into the stored
        blocks they overlap (exact duplicates dropped: a retried batch changes nothing)."""
        key_ids = self.keys.ids(tx, [m.key for m in metrics], create=True)
        series: Series = {}
        for key, group in itertools.groupby(metrics, key=attrgetter("key")):
            series.setdefault(key_ids[key], []).extend(map(_POINT, group))
        new = {key_id: pts.merged(points) for key_id, points in series.items()}
        overlapped = _overlapped_spans(tx, run_key, _lock_latest(tx, run_key, new))
        rows = []
        for key_id, points in new.items():
            rows += _block_rows(tx, (run_key, key_id), points, overlapped.get(key_id, []))
        tx.many(_INSERT_BLOCK, rows)


def _series_columns(new: Series) -> list[list]:
    """_LOG_SERIES_SET's arrays: each series' key id, latest point, first and last (step,
    timestamp) and block."""
    rows = [
        (key_id, *pts.latest(points), *pts.block_row((), points)) for key_id, points in new.items()
    ]
    return [list(column) for column in zip(*rows, strict=True)]


def _lock_latest(tx: Tx, run_key: int, new: Series) -> Series:
    """Upserts each series' latest point, and so locks its latest_metrics row until commit:
    from here on this transaction is the only writer of these series, so the overlaps found
    next stay true. The series whose points may overlap stored ones: a lone point usually
    follows its series (a training loop's log_metric) and, once _AFTER_LATEST says so, needs
    no probe for overlaps."""
    pending = new
    if all(len(points) == 1 for points in new.values()):
        advanced = _advance_latest(tx, run_key, new)
        pending = {key_id: new[key_id] for key_id in new if key_id not in advanced}
    if pending:
        _upsert_latest(tx, run_key, pending)
    return pending


def _block_rows(
    tx: Tx, series: tuple[int, int], points: list[pts.Point], spans: list[pts.Span]
) -> list[tuple]:
    """The `metric_blocks` rows for a series' new points: stored blocks that one of them
    lies within are taken out and merged in; blocks lying between them stay as they are."""
    hit = [span for span in spans if pts.holds_any(span, points)]
    for span in hit:
        row = tx.one(
            "DELETE FROM metric_blocks WHERE run_id = ? AND key_id = ? "
            "AND last_step = ? AND last_timestamp = ? RETURNING points",
            (*series, *span[2:]),
        )
        assert row is not None, "the probe found this block under the series' row lock"
        points = pts.merged(points, pts.unpack(row[0]))
    walls = [span for span in spans if span not in hit]
    return [
        pts.block_row(series, block)
        for run in pts.between(points, walls)
        for block in pts.split(run)
    ]


def _overlapped_spans(tx: Tx, run_key: int, new: Series) -> dict[int, list[pts.Span]]:
    """The spans of the stored blocks that meet the span of a series' new points, in
    order, by key id: usually none, as points come after those of earlier batches."""
    found: dict[int, list[pts.Span]] = {}
    for batch in chunks(list(new.items()), _SERIES_PER_PROBE):
        ranges = ", ".join(["(" + ", ".join(["CAST(? AS BIGINT)"] * 5) + ")"] * len(batch))
        params = [
            value for key_id, points in batch for value in (key_id, *points[0][:2], *points[-1][:2])
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


def _advance_latest(tx: Tx, run_key: int, new: Series) -> set[int]:
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


def _upsert_latest(tx: Tx, run_key: int, new: Series) -> None:
    # Sorted by key id, so concurrent writers take row locks in one order (no deadlocks).
    tx.many(
        "INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value) "
        f"VALUES (?, ?, ?, ?, ?) {_KEEP_LATEST}",
        [(run_key, key_id, *pts.latest(new[key_id])) for key_id in sorted(new)],
    )
