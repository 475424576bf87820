"""The compressed metric block (points.pack, unpack, columns): sizes, the format byte, and
exact round trips of random and hostile points, bit for bit."""

from __future__ import annotations

import math
import random
import struct

import pytest

from trackyard.store import points as pts

from ..curves import training_curve

_LOWEST, _HIGHEST = -(2**63), 2**63 - 1


def _bits(points: list[pts.Point]) -> list[tuple[int, int, bytes]]:
    """Points with their values as bytes, so NaN payloads and -0.0 compare exactly."""
    return [(step, time, struct.pack("<d", value)) for step, time, value in points]


def _random_double(rng: random.Random) -> float:
    """Any double at all: NaNs with payloads, infinities, subnormals, -0.0."""
    return struct.unpack("<d", rng.randbytes(8))[0]


def _random_block(rng: random.Random) -> list[pts.Point]:
    """1-1100 points of one of several shapes, in no particular order (the codec keeps
    points as given): a training curve, random 64-bit steps and timestamps with any double,
    the extremes, many duplicates, negative steps and timestamps."""
    count = rng.randint(1, 1100)
    ends = [_LOWEST, _HIGHEST, 0, -1]
    specials = [math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308]
    shapes = {
        "random": lambda: (
            rng.randint(_LOWEST, _HIGHEST),
            rng.getrandbits(63),
            _random_double(rng),
        ),
        "extreme": lambda: (rng.choice(ends), rng.choice(ends), rng.choice(specials)),
        "duplicates": lambda: (rng.randint(0, 3), 7, rng.choice([1.0, math.nan])),
        "negative": lambda: (-rng.randint(0, 10**12), -rng.randint(0, 10**6), rng.random()),
    }
    shape = rng.choice([*shapes, "curve"])
    if shape == "curve":
        return training_curve(count, rng.randrange(1000))
    return [shapes[shape]() for _ in range(count)]


def test_a_training_curve_takes_at_most_12_bytes_a_point() -> None:
    curve = training_curve(10_000)
    stored = sum(len(pts.pack(block)) for block in pts.split(curve))
    assert stored / len(curve) <= 12


def test_a_compressed_block_starts_with_its_format_byte() -> None:
    assert pts.pack(training_curve(100))[0] in (1, 2)


def test_random_blocks_read_back_bit_for_bit() -> None:
    rng = random.Random(23)
    for _ in range(300):
        block = _random_block(rng)
        assert _bits(pts.unpack(pts.pack(block))) == _bits(block)


def test_random_blocks_read_back_as_columns_bit_for_bit() -> None:
    rng = random.Random(24)
    blocks = [_random_block(rng) for _ in range(60)]
    steps, timestamps, values = pts.columns(pts.pack(block) for block in blocks)
    every = [point for block in blocks for point in block]
    assert list(steps) == [step for step, _, _ in every]
    assert list(timestamps) == [time for _, time, _ in every]
    assert values.tobytes() == b"".join(struct.pack("<d", value) for _, _, value in every)


def test_no_stored_block_length_is_a_multiple_of_24_unless_uncompressed() -> None:
    rng = random.Random(25)
    for _ in range(500):
        block = _random_block(rng)
        blob = pts.pack(block)
        compressed = len(blob) < len(block) * pts.POINT_BYTES
        assert (len(blob) % pts.POINT_BYTES != 0) == compressed


def test_a_block_whose_compressed_length_would_be_a_multiple_of_24_gets_a_pad_byte() -> None:
    curves = (training_curve(count, seed=count) for count in range(2, 1000))
    curve, blob = next((curve, blob) for curve in curves if (blob := pts.pack(curve))[0] == 2)
    assert len(blob) % pts.POINT_BYTES == 1
    assert pts.unpack(blob) == curve


def test_blocks_stored_uncompressed_before_still_read_back() -> None:
    block = training_curve(500)
    steps, timestamps, values = zip(*block, strict=True)
    old = struct.pack("<500q500q500d", *steps, *timestamps, *values)
    assert pts.unpack(old) == block
    assert list(pts.columns([old, pts.pack(block)])[0]) == list(steps) * 2


def test_random_doubles_that_do_not_compress_are_stored_uncompressed() -> None:
    rng = random.Random(26)
    block = [(rng.getrandbits(63), rng.getrandbits(63), _random_double(rng)) for _ in range(50)]
    assert len(pts.pack(block)) == 50 * pts.POINT_BYTES


def test_an_unknown_block_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown metric block format 9"):
        pts.unpack(bytes([9]) + bytes(30))
