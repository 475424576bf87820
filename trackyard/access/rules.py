"""What each endpoint requires, declared beside it in the route table (trackyard/routes/).

Every endpoint carries a `Rule` (`ApiRoutes.endpoint(..., rule=...)` and `.route(...)`):
open to anyone, any signed-in user, admins only, or a permission level on the resource the
request names, found by `pick` (from the decoded message of a typed endpoint, from the
Starlette request of a raw one) and mapped to its experiment or registered model by `via`.
A route without a rule is refused to everyone but admins when auth is on, and fails the
permission matrix test (tests/test_access_matrix.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from .levels import Level

OPEN = "open"  # no credentials needed: /health, the UI's files
SIGNED_IN = "signed in"  # any user; the handler decides the rest (the auth API's own checks)
FILTERED = "filtered"  # any user; the handler returns only what the caller may read
ADMIN = "admin"
RESOURCE = "resource"

Pick = Callable[[Any], Any]


@dataclass(frozen=True)
class Rule:
    scope: str
    level: Level = Level.READ
    # How `pick`'s value names the resource: experiment, run, runs, logged_model, trace,
    # traces, registered_model, resource (a (resource_type, id) pair), proxy_path.
    via: str = ""
    pick: Pick | None = None
    # The creator of what this call makes gets MANAGE on it: "experiment" (the answer's
    # experiment_id) or "registered_model" (the request's name).
    creates: str = ""


def _picker(pick: str | Pick) -> Pick:
    return attrgetter(pick) if isinstance(pick, str) else pick


def on(via: str, level: Level, pick: str | Pick) -> Rule:
    return Rule(RESOURCE, level, via, _picker(pick))


def experiment(level: Level, pick: str | Pick = "experiment_id") -> Rule:
    return on("experiment", level, pick)


def run(level: Level, pick: str | Pick = "id") -> Rule:
    return on("run", level, pick)


def runs(level: Level, pick: str | Pick = "run_ids") -> Rule:
    return on("runs", level, pick)


def logged_model(level: Level, pick: str | Pick = "model_id") -> Rule:
    return on("logged_model", level, pick)


def trace(level: Level, pick: str | Pick = "trace_id") -> Rule:
    """A trace's experiment (traces inherit its permissions)."""
    return on("trace", level, pick)


def registered_model(level: Level, pick: str | Pick = "name") -> Rule:
    return on("registered_model", level, pick)


def query(*names: str) -> Pick:
    """The first of the query parameters `names` that is set (raw routes)."""
    return lambda request: next(
        (request.query_params[n] for n in names if request.query_params.get(n)), ""
    )


def path_param(name: str) -> Pick:
    return lambda request: request.path_params.get(name, "")


READ, USE, EDIT, MANAGE = Level.READ, Level.USE, Level.EDIT, Level.MANAGE
OPEN_RULE = Rule(OPEN)
SIGNED_IN_RULE = Rule(SIGNED_IN)
FILTERED_RULE = Rule(FILTERED)
ADMIN_RULE = Rule(ADMIN)
CREATES_EXPERIMENT = Rule(SIGNED_IN, creates="experiment")
CREATES_MODEL = Rule(SIGNED_IN, creates="registered_model")
