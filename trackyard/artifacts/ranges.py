"""HTTP Range headers (RFC 9110 §14) for artifact downloads: one byte range, or the whole file."""

from __future__ import annotations

import re

_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class RangeNotSatisfiable(Exception):
    """The range lies outside the file: answer 416 with `Content-Range: bytes */size`."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The [start, end) span a Range header asks for, or None to send the whole file.

    Headers we do not understand (other units, several ranges, bad syntax) are ignored, as
    the RFC allows; a well-formed range that misses the file raises RangeNotSatisfiable.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header)
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - length), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if last != "" and int(last) < start:
        return None  # invalid range-spec: ignore the header
    if start >= size:
        raise RangeNotSatisfiable
    return start, end
