"""Which trace searches count as quick work (served on the event loop when alone): one
experiment's unfiltered, newest-first page, read off its index; nothing that may scan."""

from __future__ import annotations

import pytest

from trackyard.messages import traces as m
from trackyard.routes.traces import MAX_INDEX_PAGE, _index_page


def search(experiments: int = 1, **fields) -> m.SearchTracesV3:
    locations = [
        m.TraceLocation(
            type="MLFLOW_EXPERIMENT",
            mlflow_experiment=m.ExperimentLocation(experiment_id=str(index)),
        )
        for index in range(experiments)
    ]
    return m.SearchTracesV3(locations=locations, **fields)


def test_the_default_page_of_one_experiment_is_quick() -> None:
    assert _index_page(search())


def test_the_next_page_by_token_is_quick() -> None:
    assert _index_page(search(page_token="eyJvIjowfQ=="))


@pytest.mark.parametrize(
    "request_",
    [
        search(filter="trace.status = 'OK'"),
        search(order_by=["execution_time DESC"]),
        search(experiments=2),
        search(experiments=0),
        search(max_results=MAX_INDEX_PAGE + 1),
        search(max_results=0),
    ],
    ids=["filtered", "ordered", "two experiments", "no experiment", "large page", "no page"],
)
def test_a_search_that_may_scan_or_sort_is_not_quick(request_: m.SearchTracesV3) -> None:
    assert not _index_page(request_)
