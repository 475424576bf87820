"""`trackyard gc --older-than`: MLflow's spelling of an age, in milliseconds."""

from __future__ import annotations

import pytest

from trackyard.store.purge import age_ms

HOUR = 3600 * 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", 30 * 24 * HOUR),
        ("1h30m", HOUR + 30 * 60 * 1000),
        ("1.5d", 36 * HOUR),
        ("2d8h5m20s", ((2 * 24 + 8) * 60 + 5) * 60 * 1000 + 20 * 1000),
        ("45s", 45 * 1000),
    ],
)
def test_an_age_in_days_hours_minutes_and_seconds_reads_as_milliseconds(text, expected):
    assert age_ms(text) == expected


@pytest.mark.parametrize("text", ["", "30", "30 days", "1m1h", "1..2d", "-1d", "d"])
def test_anything_else_is_refused_with_examples(text):
    with pytest.raises(ValueError, match="not an age such as 30d"):
        age_ms(text)
