"""What the GraphQL fields read: the REST handlers' own functions, so a GraphQL answer holds the
same objects, checked by the same validation, as the REST answer for the same request.

Every resolver is synchronous and runs in the one worker thread that executes the request's
query (see `trackyard.routes.graphql`). Handler results (Structs) become plain dicts in proto
JSON's snake_case names; `field_resolver` maps the schema's camelCase names onto them.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any, TypeVar

import msgspec
from graphql import GraphQLResolveInfo

from ..access.guard import ANONYMOUS, Caller
from ..dispatch import Endpoint
from ..errors import ApiError, internal_error
from ..messages import artifacts as artifact_messages
from ..messages import registry as registry_messages
from ..messages import tracking as m
from ..routes import artifacts, datasets, experiments, metrics, registry, runs
from ..services import Services
from ..validation import MAX_MODEL_VERSIONS_PER_SEARCH
from ..wire import refuse_nul

logger = logging.getLogger("trackyard")
T = TypeVar("T")
Resolver = Callable[..., Any]
# Runs whose model versions one registry search fetches (`run_id IN (...)`).
MODEL_VERSION_BATCH = 100
_SAFE_RUN_ID = re.compile(r"[A-Za-z0-9_\-]+")


@dataclass
class Context:
    """One request's services and what its resolvers already fetched: a search's runs share
    one experiment lookup per experiment and one model-version search per 100 runs."""

    services: Services
    # Who asked (with --auth): each field's REST handler is held to its own route's rule.
    caller: Caller = ANONYMOUS
    experiments: dict[str, Any] = field(default_factory=dict)
    run_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    model_versions: dict[str, list[Any]] = field(default_factory=dict)


@cache
def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field_resolver(source: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
    """The default: the field's snake_case key of a dict (absent proto fields read as null)."""
    if isinstance(source, dict):
        return source.get(snake_case(info.field_name))
    return None


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _request(message_type: type[T], fields: dict[str, Any] | None) -> T:
    """The REST request message from a GraphQL input object (snake_case keys, as out_name
    maps them); a null field counts as unset, as in proto JSON."""
    present = {key: value for key, value in (fields or {}).items() if value is not None}
    refuse_nul(present)  # a GraphQL string literal may spell NUL as \u0000
    try:
        return msgspec.convert(present, message_type, strict=False)
    except msgspec.ValidationError as error:
        raise ApiError(f"Invalid value in request: {error}", "INVALID_PARAMETER_VALUE") from None


def guarded(resolver: Resolver) -> Resolver:
    """Client errors keep MLflow's message; anything else is a bug: logged, and answered as
    INTERNAL_ERROR without its details (graphql-core would show the exception's text)."""

    @wraps(resolver)
    def resolve(*args: Any, **kwargs: Any) -> Any:
        try:
            return resolver(*args, **kwargs)
        except ApiError:
            raise
        except Exception as error:
            logger.exception("Unexpected error in GraphQL field %s", resolver.__name__)
            raise internal_error(error) from error

    return resolve


@cache
def _endpoints() -> dict[Callable, Endpoint]:
    from ..routes import AREAS

    return {endpoint.handler: endpoint for area in AREAS for endpoint in area.endpoints}


def _call(context: Context, handler: Callable, request: Any) -> Any:
    """A REST handler's answer to `request`, as its endpoint would give it to the caller."""
    return _endpoints()[handler].call_as(context.services, request, context.caller)


def _context(info: GraphQLResolveInfo) -> Context:
    context = info.context
    assert isinstance(context, Context)
    return context


# ------------------------------------------------------------------------- root fields
@guarded
def get_experiment(_root: None, info: GraphQLResolveInfo, input: dict | None = None) -> Any:
    request = _request(m.GetExperiment, input)
    return _plain(_call(_context(info), experiments.get_experiment, request))


@guarded
def get_run(_root: None, info: GraphQLResolveInfo, input: dict | None = None) -> Any:
    return _plain(_call(_context(info), runs.get_run, _request(m.RunRef, input)))


@guarded
def search_runs(_root: None, info: GraphQLResolveInfo, input: dict | None = None) -> Any:
    context = _context(info)
    answer = _plain(_call(context, runs.search_runs, _request(m.SearchRuns, input)))
    run_ids = tuple(run["info"]["run_id"] for run in answer.get("runs", ()))
    for run_id in run_ids:
        context.run_groups[run_id] = run_ids
    return answer


@guarded
def get_metric_history_bulk_interval(
    _root: None, info: GraphQLResolveInfo, input: dict | None = None
) -> Any:
    request = _request(m.GetMetricHistoryBulkInterval, input)
    return _plain(_call(_context(info), metrics.get_metric_history_bulk_interval, request))


@guarded
def list_artifacts(_root: None, info: GraphQLResolveInfo, input: dict | None = None) -> Any:
    request = _request(artifact_messages.ListRunArtifacts, input)
    return _plain(_call(_context(info), artifacts.list_run_artifacts, request))


@guarded
def search_model_versions(_root: None, info: GraphQLResolveInfo, input: dict | None = None) -> Any:
    request = _request(registry_messages.SearchModelVersions, input)
    return _plain(_call(_context(info), registry.search_model_versions, request))


@guarded
def search_datasets(_root: None, info: GraphQLResolveInfo, input: dict | None = None) -> Any:
    request = _request(m.SearchDatasets, input)
    return _plain(_call(_context(info), datasets.search_datasets, request))


def echo(_root: None, _info: GraphQLResolveInfo, inputString: str | None = None) -> Any:
    """MLflow's `test` and `testMutation` fields: they echo their input."""
    return {"output": inputString}


# ------------------------------------------------------------------ fields of a run
@guarded
def run_experiment(run: dict, info: GraphQLResolveInfo) -> Any:
    experiment_id = (run.get("info") or {}).get("experiment_id")
    if not experiment_id:
        return None
    context = _context(info)
    if experiment_id not in context.experiments:
        request = m.GetExperiment(experiment_id=experiment_id)
        answer = _call(context, experiments.get_experiment, request)
        context.experiments[experiment_id] = _plain(answer)["experiment"]
    return context.experiments[experiment_id]


@guarded
def run_model_versions(run: dict, info: GraphQLResolveInfo) -> Any:
    run_id = (run.get("info") or {}).get("run_id")
    if not run_id:
        return []
    context = _context(info)
    if run_id not in context.model_versions:
        group = context.run_groups.get(run_id, (run_id,))
        missing = [other for other in group if other not in context.model_versions]
        for start in range(0, len(missing), MODEL_VERSION_BATCH):
            _fetch_model_versions(context, missing[start : start + MODEL_VERSION_BATCH])
    return context.model_versions.get(run_id, [])


def _fetch_model_versions(context: Context, run_ids: list[str]) -> None:
    """The model versions of `run_ids`, every page, in one search (as MLflow's
    `run_id='...'` search orders them, per run)."""
    for run_id in run_ids:
        context.model_versions[run_id] = []
    # Run ids are generated hex; anything else cannot be quoted into a filter and has none.
    quoted = [f"'{run_id}'" for run_id in run_ids if _SAFE_RUN_ID.fullmatch(run_id)]
    if not quoted:
        return
    filter_ = f"run_id IN ({', '.join(quoted)})"
    token = ""
    while True:
        request = registry_messages.SearchModelVersions(
            filter=filter_, max_results=MAX_MODEL_VERSIONS_PER_SEARCH, page_token=token
        )
        answer = _plain(_call(context, registry.search_model_versions, request))
        for version in answer.get("model_versions", ()):
            context.model_versions.setdefault(version.get("run_id", ""), []).append(version)
        token = answer.get("next_page_token") or ""
        if not token:
            return


def finite_value(metric: dict, _info: GraphQLResolveInfo) -> float | None:
    """A metric's value; NaN and ±Infinity have no GraphQL Float and read as null (MLflow
    does this for NaN in run data; see docs/compatibility.md)."""
    value = metric.get("value")
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None
