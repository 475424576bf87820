"""Page tokens: opaque offsets and keysets that a client can hand back but not forge into
something the store would misread."""

from __future__ import annotations

import base64
import math

import pytest

from trackyard.errors import ApiError
from trackyard.paging import (
    decode_keyset,
    decode_token,
    encode_keyset,
    encode_token,
    next_token,
    page,
)

KINDS = [[("int", False), ("str", True)], [("float", False), ("int", False)]]


def test_an_offset_token_round_trips():
    assert decode_token(encode_token(250)) == 250


def test_no_token_is_the_first_page():
    assert decode_token(None) == decode_token("") == 0


@pytest.mark.parametrize("token", ["not base64!", base64.urlsafe_b64encode(b'{"offset": -1}')])
def test_a_bad_offset_token_is_a_400(token):
    raw = token.decode() if isinstance(token, bytes) else token
    with pytest.raises(ApiError) as caught:
        decode_token(raw)
    assert caught.value.status == 400


def test_one_row_past_the_page_means_another_page():
    assert decode_token(next_token(100, 50, 51)) == 150
    assert next_token(100, 50, 50) is None


def test_a_keyset_round_trips_with_its_segment():
    assert decode_keyset(encode_keyset(0, [7, "run"]), KINDS) == (0, [7, "run"])


def test_floats_in_a_keyset_come_back_exactly():
    value = 0.1 + 0.2
    segment, after = decode_keyset(encode_keyset(1, [value, 3]), KINDS)
    assert (segment, after[0]) == (1, value)


def test_nan_travels_as_none_and_is_refused_where_not_nullable():
    token = encode_keyset(1, [math.nan, 3])
    with pytest.raises(ApiError):
        decode_keyset(token, KINDS)


@pytest.mark.parametrize(
    ("segment", "values"),
    [
        (2, [1, "x"]),
        (-1, [1, "x"]),
        (0, [1]),
        (0, ["1", "x"]),
        (0, [1, "x\x00"]),
        (0, [2**64, None]),
    ],
)
def test_a_keyset_that_does_not_fit_the_query_is_a_400(segment, values):
    with pytest.raises(ApiError):
        decode_keyset(encode_keyset(segment, values), KINDS)


def test_a_page_carries_its_token_only_when_there_is_a_next_page():
    assert page("runs", [1], "abc") == {"runs": [1], "next_page_token": "abc"}
    assert page("runs", [], None) == {"runs": []}
