"""Metric points stored in blocks: one row holds a run of one series' points, packed.

A row per point cost PostgreSQL about 3 us of CPU and 110 bytes (heap tuple, index entry,
WAL) for each point of a batch; a block of a thousand points is one row and one index
entry, written in a fraction of that. A block's points are packed little-endian: all the
steps (int64), then all the timestamps (int64), then all the values (float64; NaN is kept
as it is, which SQL columns cannot all do).

A block of two or more points is stored compressed where that is smaller (see `pack`):
a format byte, then the packed bytes reordered into byte planes (every word's first byte,
then every word's second, ...) and compressed with LZ4. A training curve's steps and
timestamps differ only in their low bytes, and float32 values (a framework's `.item()`)
leave the low three bytes of their doubles zero, so most planes are runs of one byte:
about 5 bytes a point instead of 24. Uncompressed blocks, the only kind before, are
exactly 24 bytes a point; a compressed block's length never is a multiple of 24, so the
two never read one as the other, and blocks of either kind can sit in one series. Nothing
is rewritten: a stored uncompressed block is compressed when a merge rewrites it anyway.

The blocks of one series never overlap in (step, timestamp): all points with one step and
timestamp are in one block, so the blocks sorted by their last (step, timestamp), the
table's key, give the points in order. Inside a block, points are sorted by step, timestamp
and value (NaN after every number, as in MLflow's history), each point once.
"""

from __future__ import annotations

import bisect
import operator
import struct
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain

import lz4.block

# A batch holds at most 1000 points, so a batch of one series is usually one block.
BLOCK_POINTS = 1000
POINT_BYTES = 24

Point = tuple[int, int, float]  # step, timestamp, value
Span = tuple[int, int, int, int]  # a block's first step and timestamp, last step and timestamp


def order(point: Point) -> tuple[int, int, bool, float]:
    """A point's place in a series, NaN after every number; equal for exact duplicates."""
    step, timestamp, value = point
    nan = value != value
    return step, timestamp, nan, 0.0 if nan else value


def merged(*runs: Iterable[Point]) -> list[Point]:
    """The points of all `runs` in order, each point once."""
    given = list(chain(*runs))
    steps = [point[0] for point in given]
    if all(map(operator.lt, steps, steps[1:])):  # a batch's usual shape: already in order
        return given
    points: list[Point] = []
    previous = None
    for point in sorted(given, key=order):
        key = order(point)
        if key != previous:
            points.append(point)
            previous = key
    return points


def latest(points: Sequence[Point]) -> Point:
    """MLflow's latest of ordered points: the largest step, then timestamp, then value with
    NaN below every number."""
    last = points[-1]
    for point in reversed(points):
        if point[:2] != last[:2]:
            break
        if point[2] == point[2]:
            return point
    return last


def _place(point: Point) -> tuple[int, int]:
    return point[0], point[1]


def holds_any(span: Span, points: Sequence[Point]) -> bool:
    """Whether one of the ordered `points` lies within a block's span."""
    index = bisect.bisect_left(points, span[:2], key=_place)
    return index < len(points) and _place(points[index]) <= span[2:]


def between(points: Sequence[Point], walls: Sequence[Span]) -> list[Sequence[Point]]:
    """Ordered points cut into runs at blocks (in order) that none of them lies within, so
    that no block built from a run spans a stored one."""
    runs, start = [], 0
    for wall in walls:
        cut = bisect.bisect_left(points, wall[:2], lo=start, key=_place)
        runs.append(points[start:cut])
        start = cut
    runs.append(points[start:])
    return [run for run in runs if run]


def split(points: Sequence[Point]) -> Iterator[Sequence[Point]]:
    """Blocks of about BLOCK_POINTS from ordered points, cut only where (step, timestamp)
    changes."""
    start = 0
    while start < len(points):
        end = min(start + BLOCK_POINTS, len(points))
        while end < len(points) and points[end][:2] == points[end - 1][:2]:
            end += 1
        yield points[start:end]
        start = end


@lru_cache(maxsize=64)
def _layout(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}q{count}q{count}d")


# The first byte of a compressed block, which is also its header's length: its byte planes
# in LZ4 follow, after a pad byte in the second case (the pad keeps the block's length off
# the multiples of 24, which mean "uncompressed").
_PLANES, _PADDED_PLANES = 1, 2
_WORD = 8  # bytes in a step, a timestamp or a value


def pack(points: Sequence[Point]) -> bytes:
    """A block's bytes: compressed where that saves bytes (a lone point never does)."""
    steps, timestamps, values = zip(*points, strict=True)
    raw = _layout(len(points)).pack(*steps, *timestamps, *values)
    if len(points) < 2:
        return raw
    planes = lz4.block.compress(b"".join(raw[i::_WORD] for i in range(_WORD)))
    header = bytes([_PLANES] if (1 + len(planes)) % POINT_BYTES else [_PADDED_PLANES, 0])
    return header + planes if len(header) + len(planes) < len(raw) else raw


def unpacked(blob: bytes) -> bytes | bytearray:
    """A block's points as 24 bytes each, little-endian steps, timestamps, values (see
    `pack`): the planes of a compressed one put back with C-speed slice assignments."""
    if len(blob) % POINT_BYTES == 0:
        return blob
    if blob[0] not in (_PLANES, _PADDED_PLANES):
        raise ValueError(f"unknown metric block format {blob[0]}")
    planes = lz4.block.decompress(blob[blob[0] :])
    words = len(planes) // _WORD
    raw = bytearray(len(planes))
    for i in range(_WORD):
        raw[i::_WORD] = planes[i * words : (i + 1) * words]
    return raw


def unpack(blob: bytes) -> list[Point]:
    raw = unpacked(blob)
    count = len(raw) // POINT_BYTES
    fields = _layout(count).unpack(raw)
    return list(zip(fields[:count], fields[count : 2 * count], fields[2 * count :], strict=True))


def block_row(series: tuple[int, ...], points: Sequence[Point]) -> tuple:
    """A `metric_blocks` row: the ids that lead it (run and key; the key alone where the
    statement finds the run), first and last (step, timestamp), points."""
    first, last = points[0], points[-1]
    return (*series, first[0], first[1], last[0], last[1], pack(points))


def columns(blobs: Iterable[bytes]) -> tuple[array, array, array]:
    """The points of ordered blocks as arrays of steps, timestamps and values: a million
    points cost three buffers, not three million Python objects."""
    steps, timestamps, values = array("q"), array("q"), array("d")
    for blob in blobs:
        raw = memoryview(unpacked(blob))
        third = len(raw) // 3
        steps.frombytes(raw[:third])
        timestamps.frombytes(raw[third : 2 * third])
        values.frombytes(raw[2 * third :])
    if sys.byteorder == "big":  # blocks are little-endian
        for column in (steps, timestamps, values):
            column.byteswap()
    return steps, timestamps, values
