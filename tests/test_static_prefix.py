"""`--static-prefix /mlflow`: the stock client with MLFLOW_TRACKING_URI=<server>/mlflow and
the web UI at <server>/mlflow/, as behind a reverse proxy that forwards the path unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from .browser import wait_until_decoded
from .servers import ServerProcess, start_server
from .ui_data import Seeded, seed

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PREFIX = "/mlflow"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "ui"


@pytest.fixture
def prefixed(database_uri: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(tmp_path / "server", database_uri, "--static-prefix", f"{PREFIX}/")
    yield server
    server.stop()


def test_the_stock_client_works_with_a_prefixed_tracking_uri(prefixed, tmp_path, monkeypatch):
    uri = f"{prefixed.url}{PREFIX}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    (tmp_path / "notes.txt").write_text("behind a proxy")
    mlflow.set_experiment("prefixed")
    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
        mlflow.log_metric("loss", 0.5, step=3)
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
    client = MlflowClient(uri)
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"p": "1"} and fetched.data.metrics == {"loss": 0.5}
    downloaded = client.download_artifacts(run.info.run_id, "notes.txt", str(tmp_path / "out"))
    assert Path(downloaded).read_text() == "behind a proxy"
    assert (prefixed.data_dir / "artifacts").rglob("notes.txt")


def test_paths_outside_the_prefix_are_not_served_except_health(prefixed):
    with httpx.Client(base_url=prefixed.url) as http:
        outside = http.get("/api/2.0/mlflow/experiments/search")
        assert outside.status_code == 404
        assert outside.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert http.get("/").status_code == 404
        assert http.get("/mlflowx/").status_code == 404
        assert http.get("/health").text == "OK"
        assert http.get(f"{PREFIX}/health").text == "OK"


def test_the_prefix_without_its_slash_redirects_to_the_ui(prefixed):
    with httpx.Client(base_url=prefixed.url) as http:
        response = http.get(PREFIX, params={"a": "1"})
        assert response.status_code == 308
        assert response.headers["location"] == f"{PREFIX}/?a=1"
        page = http.get(PREFIX, follow_redirects=True)
        assert page.status_code == 200 and "static/js/app.js" in page.text


def test_a_bad_prefix_is_refused_at_start_up(tmp_path):
    with pytest.raises(RuntimeError, match="not a path prefix such as /mlflow"):
        start_server(
            tmp_path / "server", f"sqlite:///{tmp_path / 't.db'}", "--static-prefix", "../x"
        )


@pytest.fixture(scope="module")
def ui_prefixed(tmp_path_factory) -> Iterator[tuple[ServerProcess, Seeded]]:
    """A prefixed server with the UI tests' data, logged through the prefixed URI."""
    data_dir = tmp_path_factory.mktemp("ui-prefixed")
    server = start_server(data_dir, f"sqlite:///{data_dir / 't.db'}", "--static-prefix", PREFIX)
    try:
        yield server, seed(f"{server.url}{PREFIX}", "prefixed")
    finally:
        server.stop()


PAGES = {
    "runs": ("#/experiments/{exp}", "[data-role=runs-table] .vt-row"),
    "charts": ("#/experiments/{exp}/runs/{run}?tab=charts", ".chart-host[data-drawn]"),
    "artifacts": (
        "#/experiments/{exp}/runs/{run}?tab=artifacts&path=plots/pr_curve.png",
        "[data-role=artifact-tree] .tree-item",
    ),
    "models": ("#/models", "[data-role=models]"),
}


@pytest.mark.parametrize("width", [1440, 1024])
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_the_ui_works_under_the_prefix(browser, ui_prefixed, name, theme, width):
    server, seeded = ui_prefixed
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    errors: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requested.append(request.url))
    path, ready = PAGES[name]
    run = seeded.run_ids["artifacts"]
    page.goto(f"{server.url}{PREFIX}/" + path.format(exp=seeded.experiment_id, run=run))
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    if name == "artifacts":
        image = page.locator("[data-role=artifact-preview] img.artifact-image")
        expect(image).to_be_visible()
        wait_until_decoded(image)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"prefix-{name}-{theme}-{width}.png"), full_page=True)
    context.close()
    assert not errors, errors
    outside = [url for url in requested if not url.startswith(f"{server.url}{PREFIX}/")]
    assert not outside, outside
    assert any(re.search(r"/mlflow/ajax-api/", url) for url in requested)
