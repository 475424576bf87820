"""Reading a metric's history from its blocks (see points.py): pages in order with keyset
tokens, and the UI's sampled history (get-history-bulk-interval), read as arrays."""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
from array import array
from collections.abc import Sequence

from ..messages.base import wire_float
from ..messages.tracking import Metric, MetricWithRunId
from ..paging import decode_keyset, encode_keyset
from . import points as pts
from .db import Tx, placeholders
from .runs import run_key
from .tracking_state import TrackingState

# A get-history page token: the last point's step, timestamp and value (None for NaN).
_HISTORY_TOKEN_TERMS = (("int", False), ("int", False), ("float", True))
_LOWEST_STEP, _HIGHEST_STEP = -(2**63), 2**63 - 1


class MetricHistory:
    def __init__(self, state: TrackingState) -> None:
        self.db = state.db
        self.keys = state.keys

    def _series(self, tx: Tx, run_id: str, key: str) -> tuple[int, int | None]:
        """The run's key (it must exist) and the metric key's id, None if never logged."""
        return run_key(tx, run_id), self.keys.ids(tx, [key], create=False).get(key)

    def page(
        self, run_id: str, key: str, max_results: int, page_token: str
    ) -> tuple[list[Metric], str | None]:
        """Pages in (step, timestamp, value) order. A page token holds the last point served
        and the next page seeks to the block that holds it: no OFFSET, so page 40 of a
        million points costs what page 1 does."""
        after = _history_position(page_token)
        with self.db.read() as tx:
            key_run, key_id = self._series(tx, run_id, key)
            if key_id is None:
                return [], None
            points = _points_after(tx, (key_run, key_id), after, max_results + 1)
        metrics = [
            Metric(key=key, value=wire_float(value), timestamp=timestamp, step=step)
            for step, timestamp, value in points[:max_results]
        ]
        if len(points) <= max_results:
            return metrics, None
        return metrics, encode_keyset(0, points[max_results - 1])

    def sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        start_step: int | None,
        end_step: int | None,
        max_points: int,
    ) -> list[MetricWithRunId]:
        """At most `max_points` per run, spread over the step range, always with the ends."""
        result: list[MetricWithRunId] = []
        with self.db.read() as tx:
            for run_id in run_ids:
                key_run, key_id = self._series(tx, run_id, key)
                if key_id is None:
                    continue
                steps = _steps_in(tx, (key_run, key_id), start_step, end_step)
                result += [
                    MetricWithRunId(
                        key=key, value=wire_float(value), timestamp=time, step=step, run_id=run_id
                    )
                    for step, time, value in _sample(steps, start_step, end_step, max_points)
                ]
        return result

    def bulk(self, run_ids: Sequence[str], key: str, max_results: int) -> list[MetricWithRunId]:
        """MLflow's get-history-bulk: the runs in run id order, each one's points in
        (timestamp, step, value) order, at most `max_results` points in all. Unknown run ids
        are skipped, as MLflow's store does."""
        result: list[MetricWithRunId] = []
        if max_results <= 0:
            return result
        wanted = sorted(set(run_ids))
        with self.db.read() as tx:
            key_id = self.keys.ids(tx, [key], create=False).get(key)
            if key_id is None:
                return result
            marks = placeholders(len(wanted))
            found: dict[str, int] = dict(
                tx.all(f"SELECT run_uuid, id FROM runs WHERE run_uuid IN ({marks})", wanted)
            )
            for run_id in (run_id for run_id in wanted if run_id in found):
                left = max_results - len(result)
                if left <= 0:
                    break
                steps = _steps_in(tx, (found[run_id], key_id), None, None)
                result += [
                    MetricWithRunId(
                        key=key, value=wire_float(value), timestamp=time, step=step, run_id=run_id
                    )
                    for step, time, value in _earliest(steps, left)
                ]
        return result


def _earliest(columns: Columns, count: int) -> list[pts.Point]:
    """The first `count` points of a series in (timestamp, step, value) order. Training loops
    log timestamps that grow with the step, and then that is the stored order."""
    steps, timestamps, values = columns
    if all(map(operator.le, timestamps, timestamps[1:])):
        return list(zip(steps[:count], timestamps[:count], values[:count], strict=True))
    return heapq.nsmallest(
        count,
        zip(steps, timestamps, values, strict=True),
        key=_time_order,
    )


def _time_order(point: pts.Point) -> tuple[int, int, bool, float]:
    """MLflow's bulk order: timestamp, step, then value (NaN last, as in `pts.order`)."""
    step, timestamp, nan, value = pts.order(point)
    return timestamp, step, nan, value


def _history_position(page_token: str) -> tuple | None:
    """The order key of the last point of the previous page."""
    if not page_token:
        return None
    _, (step, timestamp, value) = decode_keyset(page_token, [_HISTORY_TOKEN_TERMS])
    return pts.order((step, timestamp, math.nan if value is None else value))


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
        last_step, last_timestamp, _ = rows[-1]
        seek, bound, blocks_read = ">", (last_step, last_timestamp), blocks_read + len(rows)
    return points[:count]


Columns = tuple[array, array, array]  # steps, timestamps, values


def _steps_in(tx: Tx, series: tuple[int, int], start: int | None, end: int | None) -> Columns:
    """The points of the blocks that meet the step range, as three arrays (no Python object
    per point)."""
    return pts.columns(
        blob
        for (blob,) in tx.all(
            "SELECT points FROM metric_blocks WHERE run_id = ? AND key_id = ? "
            "AND last_step >= ? AND first_step <= ? ORDER BY last_step, last_timestamp",
            (*series, *_step_range(start, end)),
        )
    )


def _step_range(start: int | None, end: int | None) -> tuple[int, int]:
    """The range's first and last step; an open end reaches as far as a step can."""
    return _LOWEST_STEP if start is None else start, _HIGHEST_STEP if end is None else end


def _sample(
    columns: Columns, start: int | None, end: int | None, max_points: int
) -> list[pts.Point]:
    """Points at up to `max_points` steps evenly spread over the range, ends included.

    Every choice is a binary search of the steps: the first and last step, a count of steps
    that stops after max_points + 1, one search per bucket for its first step and one per
    chosen step for its points.
    """
    steps, timestamps, values = columns
    low, high = _step_range(start, end)
    first = bisect.bisect_left(steps, low)
    stop = bisect.bisect_right(steps, high, first)

    def points_at(lo: int, hi: int) -> list[pts.Point]:
        return list(zip(steps[lo:hi], timestamps[lo:hi], values[lo:hi], strict=True))

    if _distinct_steps(steps, first, stop, max_points + 1) <= max_points:
        return points_at(first, stop)
    points: list[pts.Point] = []
    for step in _chosen_steps(steps, first, stop, max_points):
        index = bisect.bisect_left(steps, step, first, stop)
        points += points_at(index, bisect.bisect_right(steps, step, index, stop))
    return points


def _distinct_steps(steps: array, first: int, stop: int, at_most: int) -> int:
    """How many distinct steps steps[first:stop] holds, counted up to `at_most`."""
    distinct, index = 0, first
    while index < stop and distinct < at_most:
        distinct += 1
        index = bisect.bisect_right(steps, steps[index], index, stop)
    return distinct


def _chosen_steps(steps: array, first: int, stop: int, max_points: int) -> list[int]:
    """The first step of each of max_points - 1 equal buckets of the range, and its last
    step. Bucket k holds the steps s with (s - low) * buckets // span == k; its edges are
    computed in exact integers."""
    low, high = steps[first], steps[stop - 1]
    span = high - low + 1
    buckets = max(max_points - 1, 1)
    edges = [low - (-k * span // buckets) for k in range(buckets + 1)]
    chosen = {high}
    for lo, hi in itertools.pairwise(edges):
        index = bisect.bisect_left(steps, lo, first, stop)
        if index < stop and steps[index] < hi:
            chosen.add(steps[index])
    return sorted(chosen)
