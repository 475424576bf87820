"""Metric history: full pages for clients, sampled ranges for charts."""

from __future__ import annotations

from .. import validation as check
from ..access import rules as r
from ..dispatch import ApiRoutes
from ..messages import tracking as m
from ..paging import page
from ..services import Services

api = ApiRoutes()


@api.get("mlflow/metrics/get-history", m.GetMetricHistory, rule=r.run(r.READ))
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


# MLflow's limits for one get-history-bulk request.
MAX_BULK_RUN_IDS = 100
MAX_BULK_POINTS = 25000


@api.get("mlflow/metrics/get-history-bulk", m.GetMetricHistoryBulk, rule=r.runs(r.READ, "run_id"))
def get_metric_history_bulk(services: Services, req: m.GetMetricHistoryBulk) -> dict:
    """Several runs' histories of one key, each point with its run id; at most
    `max_results` (25,000) points in all, as MLflow answers."""
    if not req.run_id:
        raise check.invalid("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(req.run_id) > MAX_BULK_RUN_IDS:
        raise check.invalid(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_BULK_RUN_IDS} run_ids. "
            f"Received {len(req.run_id)} run_ids."
        )
    if req.metric_key is None:
        raise check.invalid("GetMetricHistoryBulk request must specify a metric_key.")
    max_results = MAX_BULK_POINTS if req.max_results is None else req.max_results
    if max_results < 0:
        raise check.invalid(
            f"Invalid value {max_results} for parameter 'max_results' supplied. "
            "It must be a non-negative integer."
        )
    metrics = services.store.get_metric_history_bulk(
        req.run_id, req.metric_key, min(max_results, MAX_BULK_POINTS)
    )
    return {"metrics": metrics}


@api.get(
    "mlflow/metrics/get-history-bulk-interval", m.GetMetricHistoryBulkInterval, rule=r.runs(r.READ)
)
def get_metric_history_bulk_interval(
    services: Services, req: m.GetMetricHistoryBulkInterval
) -> dict:
    check.require(req.run_ids, "run_ids")
    check.require(req.metric_key, "metric_key")
    check.sampled_runs(req.run_ids)
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
