"""`--expose-prometheus`: /metrics in the Prometheus text format, read back with
prometheus_client's own parser, counting exactly the requests sent, by route template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .helpers import API, assert_error, create_run, unique
from .servers import ServerProcess, start_server


@pytest.fixture
def exposed(database_uri: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(tmp_path / "server", database_uri, "--expose-prometheus")
    yield server
    server.stop()


def scrape(http: httpx.Client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests(samples, method: str, endpoint: str, status: str) -> float:
    labels = (("endpoint", endpoint), ("method", method), ("status", status))
    return samples.get(("trackyard_http_requests_total", labels), 0)


LOG_METRIC = f"{API}/runs/log-metric"


def test_metrics_count_each_request_by_route_template_and_status(exposed):
    with httpx.Client(base_url=exposed.url) as http:
        experiment_id = http.post(
            f"{API}/experiments/create", json={"name": unique("prom")}
        ).json()["experiment_id"]
        run_id = create_run(http, experiment_id)
        for step in range(7):
            body = {"run_id": run_id, "key": "loss", "value": 1.0, "timestamp": 1, "step": step}
            assert http.post(LOG_METRIC, json=body).status_code == 200
        assert http.post(LOG_METRIC, json={"run_id": run_id}).status_code == 400
        for _ in range(3):
            assert http.get(f"{API}/runs/get", params={"run_id": run_id}).status_code == 200
        samples = scrape(http)

    assert requests(samples, "POST", LOG_METRIC, "200") == 7
    assert requests(samples, "POST", LOG_METRIC, "400") == 1
    assert requests(samples, "GET", f"{API}/runs/get", "200") == 3
    timed = (("endpoint", LOG_METRIC), ("method", "POST"))
    assert samples[("trackyard_http_request_duration_seconds_count", timed)] == 8
    assert samples[("trackyard_http_request_duration_seconds_sum", timed)] > 0


def test_paths_with_parameters_and_unknown_paths_count_by_template_not_raw_path(exposed):
    with httpx.Client(base_url=exposed.url) as http:
        for name in ("a.js", "b.js", "c.js"):
            http.get(f"/static/{name}")
        for number in range(4):
            http.get(f"/no-such-{number}")
        samples = scrape(http)
    assert requests(samples, "GET", "/static/{path}", "404") == 3
    assert requests(samples, "GET", "unmatched", "404") == 4
    endpoints = {dict(labels).get("endpoint") for _, labels in samples}
    assert not any(endpoint and "no-such" in endpoint for endpoint in endpoints)


def test_metrics_show_the_database_pool(exposed):
    with httpx.Client(base_url=exposed.url) as http:
        samples = scrape(http)
    pool = {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "trackyard_db_pool_connections"
    }
    assert set(pool) == {"max", "open", "in_use", "idle", "waiting"}
    assert pool["max"] >= pool["open"] >= 1
    assert pool["in_use"] + pool["idle"] == pool["open"]


def test_metrics_is_not_found_without_the_flag(server):
    with httpx.Client(base_url=server.url) as http:
        assert_error(http.get("/metrics"), "ENDPOINT_NOT_FOUND", 404)


def test_metrics_refuses_writes(exposed):
    with httpx.Client(base_url=exposed.url) as http:
        assert_error(http.post("/metrics", content=b"x"), "BAD_REQUEST", 405)


def test_several_workers_count_together_whichever_answers_the_scrape(tmp_path):
    server = start_server(
        tmp_path / "server",
        f"sqlite:///{tmp_path / 't.db'}",
        "--expose-prometheus",
        "--workers",
        "2",
    )
    try:
        for _ in range(30):  # a connection each, so both workers serve some
            assert httpx.get(f"{server.url}/version").status_code == 200
        scrapes = []
        for _ in range(6):
            with httpx.Client(base_url=server.url) as http:
                scrapes.append(scrape(http))
    finally:
        server.stop()
    assert [requests(samples, "GET", "/version", "200") for samples in scrapes] == [30] * 6
    pool_max = [
        samples[("trackyard_db_pool_connections", (("state", "max"),))] for samples in scrapes
    ]
    assert pool_max == [2] * 6  # the write connection of each worker, summed
