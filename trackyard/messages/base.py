"""The base Struct and the few wire conventions every message shares."""

from __future__ import annotations

import math

import msgspec


class Message(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A proto message: unset (None) fields are left out of the JSON."""


def wire_float(value: float) -> float | str:
    """Proto3 JSON spells non-finite doubles as strings; JSON numbers cannot carry them."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"
