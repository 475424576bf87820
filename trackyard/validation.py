"""MLflow's input rules: key syntax, value lengths, batch limits.

Handlers call these before the store sees anything, so a bad request is a 400 with a clear
message and never reaches the database (where PostgreSQL would reject an over-long value
with an error that is not the client's to read).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from .errors import invalid

__all__ = ["invalid"]

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ITEMS = 1000
MAX_RUNS_PER_SEARCH = 50000
MAX_EXPERIMENTS_PER_SEARCH = 50000
MAX_HISTORY_PAGE = 25000
MAX_SAMPLED_POINTS = 2500
MAX_SAMPLED_RUNS = 100

_KEY = re.compile(r"^[/\w.\- :]*$")
VIEW_TYPES = {"1": "ACTIVE_ONLY", "2": "DELETED_ONLY", "3": "ALL"}
RUN_STATUSES = {"1": "RUNNING", "2": "SCHEDULED", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}


def require(value: object, name: str) -> None:
    if value is None or value == "" or value == []:
        raise invalid(f"Missing value for required parameter '{name}'.")


def key(name: str, kind: str) -> str:
    """Keys of params, metrics and tags: a safe, already normalised relative path."""
    if not name:
        raise invalid(f"Missing value for required parameter 'key' of {kind}.")
    if len(name) > MAX_KEY_LENGTH:
        raise invalid(
            f"{kind.capitalize()} key '{name[:40]}...' has length {len(name)}, "
            f"which exceeds the limit of {MAX_KEY_LENGTH}."
        )
    if not _KEY.match(name):
        raise invalid(
            f"Invalid {kind} name: '{name}'. Names may only contain alphanumerics, "
            "underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)."
        )
    normalised = posixpath.normpath(name)
    if normalised != name or normalised == "." or name.startswith(("/", "..")):
        raise invalid(f"Invalid {kind} name: '{name}'. Names must be normalised relative paths.")
    return name


def truncated(value: str | None, limit: int) -> str | None:
    """MLflow truncates over-long param and run tag values rather than failing the run."""
    return value if value is None or len(value) <= limit else value[:limit]


def max_length(value: str | None, limit: int, what: str) -> None:
    if value is not None and len(value) > limit:
        raise invalid(f"{what} has length {len(value)}, which exceeds the limit of {limit}.")


def experiment_name(name: str) -> str:
    if not name or not name.strip():
        raise invalid("Invalid experiment name: the name must be a non-empty string.")
    max_length(name, MAX_EXPERIMENT_NAME_LENGTH, "Experiment name")
    return name


def view_type(value: str | int) -> str:
    name = VIEW_TYPES.get(str(value), str(value))
    if name not in VIEW_TYPES.values():
        raise invalid(f"Invalid view type '{value}': use ACTIVE_ONLY, DELETED_ONLY or ALL.")
    return name


def run_status(value: str | int) -> str:
    name = RUN_STATUSES.get(str(value), str(value))
    if name not in RUN_STATUSES.values():
        raise invalid(f"Invalid run status '{value}': use one of {list(RUN_STATUSES.values())}.")
    return name


def max_results(value: int, limit: int, what: str) -> int:
    if value < 1 or value > limit:
        raise invalid(
            f"Invalid value {value} for parameter 'max_results': {what} must be between 1 "
            f"and {limit}."
        )
    return value


def batch_limits(metrics: Sequence, params: Sequence, tags: Sequence) -> None:
    for items, limit, name in (
        (metrics, MAX_BATCH_METRICS, "metrics"),
        (params, MAX_BATCH_PARAMS, "params"),
        (tags, MAX_BATCH_TAGS, "tags"),
    ):
        if len(items) > limit:
            raise invalid(
                f"A batch logging request can contain at most {limit} {name}. "
                f"Got {len(items)} {name}."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_BATCH_ITEMS:
        raise invalid(
            f"A batch logging request can contain at most {MAX_BATCH_ITEMS} metrics, params "
            f"and tags in total. Got {total}."
        )
