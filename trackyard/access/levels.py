"""Permission levels as MLflow 3.17 names them, and their order.

DENY is an explicit veto: a DENY grant to a user or to any of their roles wins over every
other grant. NO_PERMISSIONS is what a user gets nowhere granted when the default says so; it
cannot be granted on a resource (MLflow 3.17 refuses it too: shutting someone out is a DENY).
"""

from __future__ import annotations

from enum import IntEnum

from ..errors import invalid


class Level(IntEnum):
    DENY = -1
    NO_PERMISSIONS = 0
    READ = 1
    USE = 2
    EDIT = 3
    MANAGE = 4


RESOURCE_TYPES = ("experiment", "registered_model")
GRANTABLE = tuple(level.name for level in Level if level is not Level.NO_PERMISSIONS)


def parse(name: object, *, grant: bool = False) -> Level:
    """The level named `name`; a grant may not be NO_PERMISSIONS. Unknown names are refused
    with MLflow's INVALID_PARAMETER_VALUE, naming what is accepted."""
    allowed = GRANTABLE if grant else tuple(level.name for level in Level)
    if not isinstance(name, str) or name not in allowed:
        shown = repr(name)[:80]
        raise invalid(f"Invalid permission {shown}: use one of {', '.join(allowed)}.")
    return Level[name]


def resource_type(name: object) -> str:
    if name not in RESOURCE_TYPES:
        shown = repr(name)[:80]
        raise invalid(f"Invalid resource_type {shown}: use one of {', '.join(RESOURCE_TYPES)}.")
    assert isinstance(name, str)
    return name
