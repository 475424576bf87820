"""Metric history: full pages for clients, sampled ranges for charts."""

from __future__ import annotations

from .. import validation as check
from ..dispatch import ApiRoutes
from ..messages import tracking as m
from ..paging import page
from ..services import Services

api = ApiRoutes()


@api.get("mlflow/metrics/get-history", m.GetMetricHistory)
def get_metric_history(services: Services, req: m.GetMetricHistory) -> dict:
    check.require(req.id, "run_id")
    check.require(req.metric_key, "metric_key")
    # Unbounded histories have taken servers down; a page is at most 25,000 points.
    page_size = check.MAX_HISTORY_PAGE if req.max_results is None else req.max_results
    page_size = min(check.max_results(page_size, 2**31, "points per page"), check.MAX_HISTORY_PAGE)
    metrics, token = services.store.get_metric_history(
        req.id, req.metric_key, page_size, req.page_token
    )
    return page("metrics", metrics, token)


@api.get("mlflow/metrics/get-history-bulk-interval", m.GetMetricHistoryBulkInterval)
def get_metric_history_bulk_interval(
    services: Services, req: m.GetMetricHistoryBulkInterval
) -> dict:
    check.require(req.run_ids, "run_ids")
    check.require(req.metric_key, "metric_key")
    if len(req.run_ids) > check.MAX_SAMPLED_RUNS:
        raise check.invalid(
            f"GetMetricHistoryBulkInterval takes at most {check.MAX_SAMPLED_RUNS} runs, "
            f"got {len(req.run_ids)}."
        )
    max_points = check.max_results(
        check.MAX_SAMPLED_POINTS if req.max_results is None else req.max_results,
        check.MAX_SAMPLED_POINTS,
        "points per run",
    )
    if req.start_step is not None and req.end_step is not None and req.start_step > req.end_step:
        raise check.invalid("end_step must be greater than or equal to start_step.")
    metrics = services.store.get_metric_history_sampled(
        list(dict.fromkeys(req.run_ids)), req.metric_key, req.start_step, req.end_step, max_points
    )
    return {"metrics": metrics}
