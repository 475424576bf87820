"""The metric block codec (trackyard/store/points.py): pure functions, no database."""

from __future__ import annotations

import math
import struct

from trackyard.store import points as pts


def test_pack_then_unpack_gives_the_points_back() -> None:
    block = [(0, 10, 0.5), (1, 11, -2.0), (2, 12, 1e300)]
    assert pts.unpack(pts.pack(block)) == block


def test_a_lone_point_is_stored_uncompressed_in_24_bytes() -> None:
    assert pts.pack([(3, 4, 0.5)]) == struct.pack("<qqd", 3, 4, 0.5)


def test_unpacked_block_is_little_endian_steps_then_timestamps_then_values() -> None:
    blob = pts.pack([(1, 100, 0.25), (2, 200, 0.5)])
    assert pts.unpacked(blob) == struct.pack("<2q2q2d", 1, 2, 100, 200, 0.25, 0.5)


def test_nan_survives_a_round_trip() -> None:
    ((_, _, value),) = pts.unpack(pts.pack([(3, 4, math.nan)]))
    assert math.isnan(value)


def test_infinities_survive_a_round_trip() -> None:
    block = [(0, 0, math.inf), (1, 0, -math.inf)]
    assert pts.unpack(pts.pack(block)) == block


def test_order_puts_nan_after_every_number_at_one_place() -> None:
    points = [(1, 5, math.nan), (1, 5, math.inf), (1, 5, -1.0)]
    assert [p[2] for p in sorted(points, key=pts.order)][:2] == [-1.0, math.inf]
    assert math.isnan(sorted(points, key=pts.order)[-1][2])


def test_order_is_equal_for_two_nan_points_at_one_place() -> None:
    assert pts.order((1, 2, math.nan)) == pts.order((1, 2, float("nan")))


def test_merged_keeps_an_ordered_batch_as_it_is() -> None:
    batch = [(0, 1, 1.0), (1, 1, 2.0), (2, 1, 3.0)]
    assert pts.merged(batch) == batch


def test_merged_orders_points_by_step_timestamp_and_value() -> None:
    given = [(2, 0, 1.0), (1, 9, 1.0), (1, 3, 5.0), (1, 3, 4.0)]
    assert pts.merged(given) == [(1, 3, 4.0), (1, 3, 5.0), (1, 9, 1.0), (2, 0, 1.0)]


def test_merged_drops_exact_duplicates_of_overlapping_batches() -> None:
    stored = [(0, 0, 1.0), (1, 0, 2.0), (2, 0, 3.0)]
    retried = [(1, 0, 2.0), (2, 0, 3.0), (3, 0, 4.0)]
    assert pts.merged(retried, stored) == [*stored, (3, 0, 4.0)]


def test_merged_keeps_points_that_differ_only_in_value() -> None:
    assert pts.merged([(1, 0, 2.0)], [(1, 0, 1.0)]) == [(1, 0, 1.0), (1, 0, 2.0)]


def test_merged_keeps_one_of_repeated_nan_points() -> None:
    merged = pts.merged([(1, 0, math.nan), (0, 0, 1.0)], [(1, 0, math.nan)])
    assert len(merged) == 2
    assert math.isnan(merged[1][2])


def test_latest_is_the_largest_step() -> None:
    assert pts.latest([(0, 9, 5.0), (3, 1, 1.0)]) == (3, 1, 1.0)


def test_latest_prefers_a_number_to_nan_at_the_last_place() -> None:
    assert pts.latest([(1, 1, 2.0), (1, 1, math.nan)]) == (1, 1, 2.0)


def test_latest_is_nan_when_the_last_place_holds_only_nan() -> None:
    assert math.isnan(pts.latest([(0, 0, 1.0), (1, 0, math.nan)])[2])


def test_latest_takes_the_largest_value_at_the_last_place() -> None:
    assert pts.latest([(1, 1, 2.0), (1, 1, 7.0)]) == (1, 1, 7.0)


def test_holds_any_finds_a_point_inside_a_span() -> None:
    assert pts.holds_any((2, 0, 4, 0), [(0, 0, 1.0), (3, 5, 1.0), (9, 0, 1.0)])


def test_holds_any_counts_the_span_ends() -> None:
    assert pts.holds_any((2, 0, 4, 0), [(4, 0, 1.0)])
    assert pts.holds_any((2, 0, 4, 0), [(2, 0, 1.0)])


def test_holds_any_is_false_for_points_around_a_span() -> None:
    assert not pts.holds_any((2, 0, 4, 0), [(1, 9, 1.0), (4, 1, 1.0)])


def test_between_cuts_points_at_blocks_they_skip() -> None:
    points = [(0, 0, 1.0), (1, 0, 1.0), (5, 0, 1.0), (6, 0, 1.0)]
    assert pts.between(points, [(2, 0, 4, 0)]) == [points[:2], points[2:]]


def test_between_leaves_out_empty_runs() -> None:
    points = [(5, 0, 1.0)]
    assert pts.between(points, [(0, 0, 1, 0), (2, 0, 3, 0)]) == [points]


def test_split_cuts_blocks_of_block_points() -> None:
    points = [(step, 0, 0.0) for step in range(pts.BLOCK_POINTS * 2 + 1)]
    assert [len(block) for block in pts.split(points)] == [pts.BLOCK_POINTS] * 2 + [1]


def test_split_never_cuts_between_points_at_one_place() -> None:
    tied = pts.BLOCK_POINTS
    points = [(step, 0, 0.0) for step in range(tied - 1)]
    points += [(tied, 0, 1.0), (tied, 0, 2.0), (tied + 1, 0, 0.0)]
    blocks = list(pts.split(points))
    assert [len(block) for block in blocks] == [pts.BLOCK_POINTS + 1, 1]


def test_block_row_holds_series_first_and_last_place_and_points() -> None:
    block = [(1, 10, 0.5), (4, 40, 0.25)]
    assert pts.block_row((7, 8), block) == (7, 8, 1, 10, 4, 40, pts.pack(block))


def test_columns_concatenate_blocks_into_three_arrays() -> None:
    first, second = [(0, 1, 0.5), (1, 2, 1.5)], [(2, 3, math.nan)]
    steps, timestamps, values = pts.columns([pts.pack(first), pts.pack(second)])
    assert list(steps) == [0, 1, 2]
    assert list(timestamps) == [1, 2, 3]
    assert values[:2].tolist() == [0.5, 1.5]
    assert math.isnan(values[2])


def test_columns_of_no_blocks_are_empty() -> None:
    assert [len(column) for column in pts.columns([])] == [0, 0, 0]
