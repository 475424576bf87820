"""MLflow 3 traces: the trace info the client sends when a trace ends, reading traces and
their spans, tags, deleting, links to runs and prompts, and assessments (feedback and
expectations). Spans arrive through OTLP (`routes/otlp.py`).

Paths are MLflow's: v3 under `/api/3.0/mlflow/traces...`, the v2 pairs older clients use under
`/api/2.0/...`, each also under `/ajax-api/`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import validation as check
from ..access import rules as r
from ..access.guard import Caller
from ..dispatch import ApiRoutes
from ..errors import invalid
from ..messages import traces as m
from ..messages.base import wire_float
from ..paging import page
from ..search.grammar import parse_filter, parse_order_by
from ..search.schemas import TRACES
from ..services import Services
from ..store.db import now_ms
from ..store.search_sql import is_id
from ..store.trace_metrics import aggregation, metric_query
from ..store.traces import NewTrace
from ..wire import JSONResponse, read_message

api = ApiRoutes()
V3 = ("3.0",)
BOTH = ("2.0", "3.0")
BASE = "mlflow/traces"
ASSESSMENT = BASE + "/{trace_id}/assessments/{assessment_id}"
MAX_TAG_KEY_LENGTH = 250
MAX_TRACES_PER_BATCH = 100
# The first stock client that sends spans over OTLP (it reads them back from the server).
_CLIENT = re.compile(r"mlflow-python-client/(\d+)\.(\d+)")
_OTLP_CLIENT = (3, 4)


def _named(req: m.TraceRef | m.TraceTag) -> str:
    """The trace a request names: v3 paths say trace_id, v2 paths request_id."""
    return req.trace_id or req.request_id


# A batch's traces, each in an experiment the caller may read.
_READ_TRACES = r.on("traces", r.READ, "trace_ids")


def _state(value: str | int | None, default: str = "STATE_UNSPECIFIED") -> str:
    """A TraceInfoV3 state (or v2 status) by name or number."""
    if value is None or value == "":
        return default
    if isinstance(value, int):
        if 0 <= value < len(m.STATES):
            return m.STATES[value]
    elif value in m.STATES:
        return value
    elif value == "TRACE_STATUS_UNSPECIFIED":
        return "STATE_UNSPECIFIED"
    raise invalid(f"Invalid trace state '{value}': use one of {list(m.STATES)}.")


def _new_trace(info: m.TraceInfoV3) -> NewTrace:
    check.require(info.trace_id, "trace.trace_info.trace_id")
    location = info.trace_location.mlflow_experiment if info.trace_location else None
    experiment_id = location.experiment_id if location else None
    check.require(experiment_id, "trace.trace_info.trace_location.mlflow_experiment")
    for key in info.tags:
        check.max_length(key, MAX_TAG_KEY_LENGTH, "key")
    return NewTrace(
        trace_id=info.trace_id,
        experiment_id=str(experiment_id),
        request_time=m.timestamp_ms(info.request_time, "request_time")
        if info.request_time
        else now_ms(),
        execution_ms=m.duration_ms(info.execution_duration, "execution_duration")
        if info.execution_duration
        else None,
        state=_state(info.state),
        client_request_id=info.client_request_id,
        request_preview=info.request_preview,
        response_preview=info.response_preview,
        metadata=dict(info.trace_metadata),
        tags=dict(info.tags),
        assessments=list(info.assessments),
    )


def _sends_spans(user_agent: str) -> bool:
    """Whether the client exports spans over OTLP, so this server will hold them: the stock
    client from 3.4 on. Older clients upload traces.json instead and must be told to."""
    match = _CLIENT.search(user_agent)
    return match is not None and (int(match[1]), int(match[2])) >= _OTLP_CLIENT


@api.route(
    "/api/3.0/mlflow/traces",
    "/ajax-api/3.0/mlflow/traces",
    methods=("POST",),
    rule=r.SIGNED_IN_RULE,  # EDIT on the experiment the body names: checked in the handler
)
async def start_trace_v3(request: Request) -> Response:
    """StartTraceV3, which the client calls when a trace ends, with the trace's info."""
    message = await read_message(request, m.StartTraceV3)
    trace = _new_trace(message.trace.trace_info)
    spans_coming = _sends_spans(request.headers.get("user-agent", ""))
    services: Services = request.app.state.services
    caller: Caller = request.state.caller
    info = await run_in_threadpool(_start_trace, services, caller, trace, spans_coming)
    return JSONResponse({"trace": {"trace_info": info}})


_EDIT_TRACE_EXPERIMENT = r.experiment(r.EDIT, lambda trace: trace.experiment_id)


def _start_trace(
    services: Services, caller: Caller, trace: NewTrace, spans_coming: bool
) -> m.TraceInfoV3:
    if services.access is not None and caller.user is not None:
        services.access.authorize(caller.user, _EDIT_TRACE_EXPERIMENT, trace)
    return services.traces.start_trace(trace, spans_coming)


def _v2(info: m.TraceInfoV3) -> m.TraceInfoV2:
    """A trace's info in the v2 shape older clients read."""
    location = info.trace_location.mlflow_experiment if info.trace_location else None
    start = m.timestamp_ms(info.request_time or "1970-01-01T00:00:00Z", "request_time")
    execution = info.execution_duration
    state = str(info.state or "STATE_UNSPECIFIED")
    return m.TraceInfoV2(
        request_id=info.trace_id,
        experiment_id=(location.experiment_id if location else None) or "",
        timestamp_ms=start,
        execution_time_ms=m.duration_ms(execution, "execution_duration") if execution else None,
        status=m.V2_STATUS.get(state, state),
        request_metadata=[m.KeyValue(key=k, value=v) for k, v in info.trace_metadata.items()],
        tags=[m.KeyValue(key=k, value=v) for k, v in info.tags.items()],
    )


def _pairs(items: list[m.KeyValue]) -> dict[str, str]:
    return {item.key: item.value or "" for item in items}


@api.post(BASE, m.StartTraceV2, rule=r.experiment(r.EDIT))
def start_trace_v2(services: Services, req: m.StartTraceV2) -> dict:
    check.require(req.experiment_id, "experiment_id")
    trace = NewTrace(
        trace_id="tr-" + uuid.uuid4().hex,
        experiment_id=req.experiment_id,
        request_time=req.timestamp_ms if req.timestamp_ms is not None else now_ms(),
        execution_ms=None,
        state="IN_PROGRESS",
        metadata=_pairs(req.request_metadata),
        tags=_pairs(req.tags),
    )
    return {"trace_info": _v2(services.traces.start_trace(trace, spans_coming=False))}


@api.patch(BASE + "/{request_id}", m.EndTraceV2, rule=r.trace(r.EDIT, "request_id"))
def end_trace_v2(services: Services, req: m.EndTraceV2) -> dict:
    info = services.traces.end_trace_v2(
        req.request_id,
        req.timestamp_ms,
        _state(req.status, "OK"),
        _pairs(req.request_metadata),
        _pairs(req.tags),
    )
    return {"trace_info": _v2(info)}


def _trace_id(req: m.TraceRef | m.TraceTag) -> str:
    trace_id = req.trace_id or req.request_id
    check.require(trace_id, "trace_id")
    return trace_id


@api.get(BASE + "/{trace_id}", m.TraceRef, versions=V3, rule=r.trace(r.READ, _named))
def get_trace_info(services: Services, req: m.TraceRef) -> dict:
    return {"trace": {"trace_info": services.traces.get_info(_trace_id(req))}}


@api.get(BASE + "/{request_id}/info", m.TraceRef, rule=r.trace(r.READ, _named))
def get_trace_info_v2(services: Services, req: m.TraceRef) -> dict:
    return {"trace_info": _v2(services.traces.get_info(_trace_id(req)))}


@api.get(BASE + "/get", m.GetTrace, versions=V3, rule=r.trace(r.READ))
def get_trace(services: Services, req: m.GetTrace) -> dict:
    check.require(req.trace_id, "trace_id")
    return {"trace": services.traces.get_trace(req.trace_id, req.allow_partial)}


def _batch(trace_ids: list[str]) -> list[str]:
    check.require(trace_ids, "trace_ids")
    if len(trace_ids) > MAX_TRACES_PER_BATCH:
        raise invalid(
            f"At most {MAX_TRACES_PER_BATCH} trace ids may be fetched at once; "
            f"got {len(trace_ids)}."
        )
    return trace_ids


@api.get(BASE + "/batchGet", m.BatchGetTraces, versions=V3, rule=_READ_TRACES)
def batch_get_traces(services: Services, req: m.BatchGetTraces) -> dict:
    traces = services.traces.batch_get(_batch(req.trace_ids), req.experiment_ids or None)
    return {"traces": traces}


@api.post(BASE + "/batchGetInfos", m.BatchGetTraces, versions=V3, rule=_READ_TRACES)
def batch_get_trace_infos(services: Services, req: m.BatchGetTraces) -> dict:
    return {
        "trace_infos": services.traces.batch_infos(
            _batch(req.trace_ids), req.experiment_ids or None
        )
    }


MAX_TRACES_PER_PAGE = 50_000  # MLflow's threshold for search results
MAX_INDEX_PAGE = 1000  # the largest unfiltered page still served as quick work


def _search(
    services: Services,
    caller: Caller,
    experiment_ids: list[str],
    text: str | None,
    order_by: list[str],
    max_results: int,
    token: str | None,
) -> tuple[list[m.TraceInfoV3], str | None]:
    check.require(experiment_ids, "locations")
    check.experiment_ids(experiment_ids, "SearchTraces")
    for experiment_id in experiment_ids:
        if not str(experiment_id).isdigit():
            raise invalid(f"Invalid experiment ID format: {experiment_id}.")
    return services.traces.search(
        experiment_ids=[int(e) for e in caller.experiment_ids(experiment_ids) if is_id(e)],
        clauses=check.filter_size(parse_filter(text, TRACES)),
        order_by=[parse_order_by(item, TRACES) for item in order_by],
        max_results=check.max_results(max_results, MAX_TRACES_PER_PAGE, "traces per page"),
        page_token=token,
    )


def _index_page(req: m.SearchTracesV3) -> bool:
    """Whether a search is one page read off an experiment's (time, trace id) index: the
    Traces tab's and the client's unfiltered, newest-first page, bounded work."""
    return (
        len(req.locations) == 1
        and not req.filter
        and not req.order_by
        and 0 < req.max_results <= MAX_INDEX_PAGE
    )


@api.post(BASE + "/search", m.SearchTracesV3, versions=V3, quick=_index_page, rule=r.FILTERED_RULE)
def search_traces(services: Services, req: m.SearchTracesV3, caller: Caller) -> dict:
    """Traces of the listed experiments the caller may read (the others are left out)."""
    experiment_ids = [
        location.mlflow_experiment.experiment_id or ""
        for location in req.locations
        if location.mlflow_experiment is not None
    ]
    if len(experiment_ids) != len(req.locations):
        raise invalid("Only MLFLOW_EXPERIMENT trace locations can be searched on this server.")
    infos, token = _search(
        services, caller, experiment_ids, req.filter, req.order_by, req.max_results, req.page_token
    )
    return page("traces", infos, token)


@api.get(BASE, m.SearchTracesV2, rule=r.FILTERED_RULE)
def search_traces_v2(services: Services, req: m.SearchTracesV2, caller: Caller) -> dict:
    infos, token = _search(
        services,
        caller,
        req.experiment_ids,
        req.filter,
        req.order_by,
        req.max_results,
        req.page_token,
    )
    return page("traces", [_v2(info) for info in infos], token)


def _set_tag(services: Services, req: m.TraceTag) -> None:
    check.require(req.key, "key")
    check.max_length(req.key, MAX_TAG_KEY_LENGTH, "key")
    services.traces.set_tag(_trace_id(req), req.key, req.value or "")


def _delete_tag(services: Services, req: m.TraceTag) -> None:
    check.require(req.key, "key")
    services.traces.delete_tag(_trace_id(req), req.key)


_EDIT_TRACE = r.trace(r.EDIT, _named)
api.patch(BASE + "/{request_id}/tags", m.TraceTag, rule=_EDIT_TRACE)(_set_tag)
api.patch(BASE + "/{trace_id}/tags", m.TraceTag, versions=V3, rule=_EDIT_TRACE)(_set_tag)
api.delete(BASE + "/{request_id}/tags", m.TraceTag, rule=_EDIT_TRACE)(_delete_tag)
api.delete(BASE + "/{trace_id}/tags", m.TraceTag, versions=V3, rule=_EDIT_TRACE)(_delete_tag)


@api.post(BASE + "/delete-traces", m.DeleteTraces, versions=BOTH, rule=r.experiment(r.MANAGE))
def delete_traces(services: Services, req: m.DeleteTraces) -> dict:
    check.require(req.experiment_id, "experiment_id")
    by_time = req.max_timestamp_millis is not None
    if by_time == bool(req.request_ids):
        raise invalid("Exactly one of 'max_timestamp_millis' and 'request_ids' must be specified.")
    if req.max_traces is not None and req.max_traces < 1:
        raise invalid(f"max_traces must be a positive integer, got {req.max_traces}.")
    if req.request_ids and req.max_traces is not None:
        raise invalid("'max_traces' can only be specified with 'max_timestamp_millis'.")
    deleted = services.traces.delete_traces(
        req.experiment_id, req.max_timestamp_millis, req.max_traces, req.request_ids
    )
    return {"traces_deleted": deleted}


@api.post(BASE + "/link-to-run", m.LinkTracesToRun, rule=r.run(r.EDIT, "run_id"))
def link_traces_to_run(services: Services, req: m.LinkTracesToRun) -> None:
    check.require(req.run_id, "run_id")
    check.require(req.trace_ids, "trace_ids")
    if len(req.trace_ids) > MAX_TRACES_PER_BATCH:
        raise invalid(
            f"Cannot link more than {MAX_TRACES_PER_BATCH} traces to a run in a single "
            f"request. Provided {len(req.trace_ids)} traces."
        )
    services.store.get_run(req.run_id)  # 404 for an unknown run
    services.traces.link_to_run(req.trace_ids, req.run_id)


@api.post(BASE + "/link-prompts", m.LinkPromptsToTrace, rule=r.trace(r.EDIT))
def link_prompts_to_trace(services: Services, req: m.LinkPromptsToTrace) -> None:
    check.require(req.trace_id, "trace_id")
    prompts = [{"name": p.name, "version": p.version} for p in req.prompt_versions]
    if any(not p["name"] or not p["version"] for p in prompts):
        raise invalid("Each prompt version needs a name and a version.")
    services.traces.link_prompts(req.trace_id, prompts)


def _assessment_ids(trace_id: str, assessment_id: str) -> None:
    check.require(trace_id, "trace_id")
    check.require(assessment_id, "assessment_id")


@api.post(
    BASE + "/{trace_id}/assessments",
    m.CreateAssessment,
    versions=V3,
    rule=r.trace(r.EDIT, lambda req: req.trace_id or req.assessment.trace_id),
)
def create_assessment(services: Services, req: m.CreateAssessment) -> dict:
    assessment = req.assessment
    trace_id = req.trace_id or assessment.trace_id or ""
    check.require(trace_id, "assessment.trace_id")
    check.require(assessment.assessment_name, "assessment.assessment_name")
    if [bool(assessment.feedback), bool(assessment.expectation), bool(assessment.issue)].count(
        True
    ) != 1:
        raise invalid("Exactly one of `feedback`, `expectation`, or `issue` must be specified.")
    return {"assessment": services.traces.create_assessment(trace_id, assessment)}


@api.get(ASSESSMENT, m.AssessmentRef, versions=V3, rule=r.trace(r.READ))
def get_assessment(services: Services, req: m.AssessmentRef) -> dict:
    _assessment_ids(req.trace_id, req.assessment_id)
    return {"assessment": services.traces.get_assessment(req.trace_id, req.assessment_id)}


# Fields an update may name (its mask, in snake or camel case), as MLflow's handler allows.
_UPDATABLE = {
    "assessment_name": "assessment_name",
    "assessmentName": "assessment_name",
    "expectation": "expectation",
    "feedback": "feedback",
    "rationale": "rationale",
    "metadata": "metadata",
}


def _mask(mask: str | m.FieldMask | None) -> list[str]:
    paths = mask.paths if isinstance(mask, m.FieldMask) else (mask or "").split(",")
    fields = []
    for path in (p.strip() for p in paths if p.strip()):
        if path not in _UPDATABLE:
            raise invalid(
                f"Invalid update_mask path '{path}': use one of {sorted(set(_UPDATABLE.values()))}."
            )
        fields.append(_UPDATABLE[path])
    if not fields:
        raise invalid("Missing value for required parameter 'update_mask'.")
    return fields


@api.patch(ASSESSMENT, m.UpdateAssessment, versions=V3, rule=r.trace(r.EDIT))
def update_assessment(services: Services, req: m.UpdateAssessment) -> dict:
    _assessment_ids(req.trace_id, req.assessment_id)
    changes: dict[str, Any] = {
        name: getattr(req.assessment, name) for name in _mask(req.update_mask)
    }
    updated = services.traces.update_assessment(req.trace_id, req.assessment_id, changes)
    return {"assessment": updated}


@api.delete(ASSESSMENT, m.AssessmentRef, versions=V3, rule=r.trace(r.MANAGE))
def delete_assessment(services: Services, req: m.AssessmentRef) -> None:
    _assessment_ids(req.trace_id, req.assessment_id)
    services.traces.delete_assessment(req.trace_id, req.assessment_id)


# Trace analytics (MLflow's GenAI overview charts): READ on every experiment named, as
# traces inherit their experiment's permissions. The route's rule checks the first; the
# handler the rest, once the request is known to be well formed.
_READ_EXPERIMENT = r.experiment(r.READ, lambda experiment_id: experiment_id)
_READ_FIRST_EXPERIMENT = r.experiment(
    r.READ, lambda req: req.experiment_ids[0] if req.experiment_ids else ""
)


def _readable(
    services: Services, caller: Caller, experiment_ids: list[str], what: str
) -> list[int]:
    """The experiments a request names, as keys, once the caller may read each of them."""
    check.require(experiment_ids, "experiment_ids")
    check.experiment_ids(experiment_ids, what)
    for experiment_id in experiment_ids:
        text = str(experiment_id)
        if not (text.isascii() and text.isdigit() and is_id(text)):
            raise invalid(f"Invalid experiment ID format: {experiment_id}.")
    if services.access is not None and caller.user is not None:
        for experiment_id in experiment_ids:
            services.access.authorize(caller.user, _READ_EXPERIMENT, experiment_id)
    return sorted({int(e) for e in experiment_ids})


@api.post(
    BASE + "/metrics", m.QueryTraceMetrics, versions=V3, rule=_READ_FIRST_EXPERIMENT, caller=True
)
def query_trace_metrics(services: Services, req: m.QueryTraceMetrics, caller: Caller) -> dict:
    """QueryTraceMetrics: aggregations of the experiments' traces, spans or assessments."""
    query = metric_query(
        experiment_ids=req.experiment_ids,
        view_type=req.view_type,
        metric_name=req.metric_name,
        aggregations=[
            aggregation(a.aggregation_type, a.percentile_value) for a in req.aggregations
        ],
        dimensions=req.dimensions,
        filters=req.filters,
        time_interval_seconds=req.time_interval_seconds,
        start_time_ms=req.start_time_ms,
        end_time_ms=req.end_time_ms,
        max_results=req.max_results,
        page_token=req.page_token,
    )
    _readable(services, caller, req.experiment_ids, "QueryTraceMetrics")
    points, token = services.traces.query_metrics(query)
    answer = [
        {
            "metric_name": point.metric_name,
            "dimensions": point.dimensions,
            "values": {key: wire_float(value) for key, value in point.values.items()},
        }
        for point in points
    ]
    return page("data_points", answer, token)


@api.post(
    BASE + "/calculate-filter-correlation",
    m.CalculateTraceFilterCorrelation,
    versions=V3,
    rule=_READ_FIRST_EXPERIMENT,
    caller=True,
)
def calculate_trace_filter_correlation(
    services: Services, req: m.CalculateTraceFilterCorrelation, caller: Caller
) -> dict:
    """CalculateTraceFilterCorrelation: the NPMI of two trace search filters, each tested
    on the traces that pass `base_filter` (all of the experiments' traces without one)."""
    check.require(req.filter_string1, "filter_string1")
    check.require(req.filter_string2, "filter_string2")
    first, second, base = (
        check.filter_size(parse_filter(text, TRACES))
        for text in (req.filter_string1, req.filter_string2, req.base_filter)
    )
    experiment_ids = _readable(
        services, caller, req.experiment_ids, "CalculateTraceFilterCorrelation"
    )
    return services.traces.filter_correlation(experiment_ids, first, second, base).answer()
