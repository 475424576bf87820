"""Datasets that runs logged as inputs, summed up per experiment: the UI's dataset filter
(`experiments/search-datasets`)."""

from __future__ import annotations

from .. import validation as check
from ..access import rules as r
from ..access.guard import Caller
from ..dispatch import ApiRoutes
from ..messages import tracking as m
from ..services import Services

api = ApiRoutes()

# MLflow's limit for one search-datasets request.
MAX_EXPERIMENT_IDS = 20


@api.post("mlflow/experiments/search-datasets", m.SearchDatasets, rule=r.FILTERED_RULE)
def search_datasets(
    services: Services, req: m.SearchDatasets, caller: Caller
) -> m.SearchDatasetsResponse:
    if not req.experiment_ids:
        raise check.invalid("SearchDatasets request must specify at least one experiment_id.")
    if len(req.experiment_ids) > MAX_EXPERIMENT_IDS:
        raise check.invalid(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENT_IDS} "
            f"experiment_ids. Received {len(req.experiment_ids)} experiment_ids."
        )
    return m.SearchDatasetsResponse(
        dataset_summaries=services.store.search_datasets(caller.experiment_ids(req.experiment_ids))
    )
