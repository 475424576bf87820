"""The web UI, driven in Debian's headless Chromium through Playwright against a live server.

Data comes from the stock mlflow client (tests/ui_data.py). Every test checks the browser
console stayed free of errors, apart from the ones a test provokes on purpose (a bad filter
answered 400). Screenshots land in test-output/ui/ for a human to look at.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from .browser import wait_until_decoded
from .servers import ServerProcess, start_server
from .ui_data import Seeded, bulk_runs, seed

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "ui"
BULK_RUNS = int(os.environ.get("TRACKYARD_UI_BULK_RUNS", "100000"))


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("ui-server")
    process = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def seeded(ui_server: ServerProcess) -> Seeded:
    return seed(ui_server.url)


class UI:
    """One browser page on the server, with the console errors it logged."""

    def __init__(self, page, base_url: str, name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def goto(self, hash_path: str) -> None:
        self.page.goto(f"{self.base_url}/{hash_path}")

    def shot(self, suffix: str = "") -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = f"{self.name}-{suffix}" if suffix else self.name
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def assert_clean(self, allowed: tuple[str, ...] = ()) -> None:
        unexpected = [e for e in self.errors if not any(re.search(p, e) for p in allowed)]
        assert not unexpected, unexpected
        # Nothing broke into a blank page: the view always has content.
        assert self.page.locator("#view > *").count() > 0


@pytest.fixture
def ui(browser, ui_server: ServerProcess, request) -> Iterator[UI]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield UI(page, ui_server.url, request.node.name)
    context.close()


def run_path(seeded: Seeded, name: str) -> str:
    return f"#/experiments/{seeded.experiment_id}/runs/{seeded.run_ids[name]}"


def row_names(ui: UI) -> list[str]:
    return ui.page.locator("[data-role=runs-table] .vt-row .vt-name a").all_inner_texts()


# ---------------------------------------------------------------- serving


def test_ui_served_without_shadowing_the_api(ui_server: ServerProcess) -> None:
    with httpx.Client(base_url=ui_server.url) as http:
        index = http.get("/")
        assert index.status_code == 200
        assert "text/html" in index.headers["content-type"]
        assert "static/js/app.js" in index.text
        script = http.get("/static/js/app.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert http.get("/static/vendor/uPlot.esm.js").status_code == 200
        assert http.get("/health").text == "OK"
        assert http.get("/version").status_code == 200
        missing = http.get("/api/2.0/mlflow/no-such-endpoint")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert http.get("/static/nope.js").status_code == 404


# ---------------------------------------------------------------- every page loads


PAGES = {
    "experiments": ("#/experiments", "[data-role=experiments]"),
    "runs": ("#/experiments/{exp}", "[data-role=runs-table] .vt-row"),
    "run-overview": ("{run:child-0}", "[data-role=run-details]"),
    "run-charts": ("{run:child-0}?tab=charts", ".chart-host[data-drawn]"),
    "run-artifacts": ("{run:artifacts}?tab=artifacts", "[data-role=artifact-tree] .tree-item"),
    "compare": ("#/compare?runs={children}", "[data-role=compare-table]"),
    "compare-charts": ("#/compare?runs={children}&tab=charts", ".chart-host[data-drawn]"),
    "compare-parallel": (
        "#/compare?runs={children}&tab=parallel",
        "[data-role=parallel][data-drawn]",
    ),
    "compare-scatter": ("#/compare?runs={children}&tab=scatter", "[data-role=scatter][data-drawn]"),
    "models": ("#/models", "[data-role=models]"),
    "model": ("#/models/{model}", "[data-role=versions]"),
    "version": ("#/models/{model}/versions/1", "[data-role=stage]"),
    "logged-model": (
        "#/experiments/{exp}/models/{logged_model}?path=MLmodel",
        "[data-role=mlmodel]",
    ),
}


def expand(template: str, seeded: Seeded) -> str:
    children = ",".join(seeded.run_ids[f"child-{i}"] for i in range(3))
    text = template.replace("{exp}", seeded.experiment_id).replace("{children}", children)
    text = text.replace("{model}", seeded.model_name)
    text = text.replace("{logged_model}", seeded.logged_model_id)
    return re.sub(r"\{run:([\w-]+)\}", lambda m: run_path(seeded, m.group(1)), text)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_console_errors(ui: UI, seeded: Seeded, name: str, theme: str) -> None:
    ui.page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    path, ready = PAGES[name]
    ui.goto(expand(path, seeded))
    ui.page.wait_for_selector(ready)
    assert ui.page.evaluate("document.documentElement.dataset.theme") == theme
    ui.page.wait_for_load_state("networkidle")
    ui.shot()
    ui.assert_clean()


# ---------------------------------------------------------------- experiments


def test_experiments_create_rename_delete_restore(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto("#/experiments")
    page.get_by_role("button", name="New experiment").click()
    page.locator(".modal input[name=name]").fill("ui-created-experiment")
    page.locator(".modal button[type=submit]").click()
    # Creating opens the new experiment's runs.
    expect(page.locator("h1")).to_have_text("ui-created-experiment")
    experiment_id = re.search(r"#/experiments/(\d+)", page.url).group(1)

    ui.goto("#/experiments?q=ui-")
    row = page.locator(f"tr[data-experiment-id='{experiment_id}']")
    row.get_by_role("button", name="Rename").click()
    page.locator(".modal input[name=name]").fill("ui-renamed-experiment")
    page.locator(".modal button[type=submit]").click()
    expect(row.get_by_role("link")).to_have_text("ui-renamed-experiment")

    row.get_by_role("button", name="Delete").click()
    page.locator(".modal button[type=submit]").click()
    expect(row).to_have_count(0)

    page.get_by_label("Lifecycle").select_option("deleted")
    expect(row).to_contain_text("deleted")
    assert "view=deleted" in page.url
    row.get_by_role("button", name="Restore").click()
    expect(row).to_have_count(0)  # gone from the deleted view
    page.get_by_label("Lifecycle").select_option("active")
    expect(row).to_contain_text("ui-renamed-experiment")
    ui.assert_clean()


def test_experiment_search_shows_server_error(ui: UI, seeded: Seeded) -> None:
    ui.goto("#/experiments")
    search = ui.page.get_by_label("Search experiments")
    search.fill(seeded.experiment_name)
    expect(ui.page.locator("[data-role=experiments] tbody tr")).to_have_count(1)
    search.fill("name = ")
    error = ui.page.locator("[data-role=filter-error]")
    expect(error).to_be_visible()
    ui.assert_clean(allowed=(r"status of 400",))


# ---------------------------------------------------------------- runs table


def test_runs_filter_and_parse_error(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{seeded.experiment_id}")
    page.wait_for_selector(".vt-row")
    box = page.get_by_label("Filter runs")
    box.fill("params.model = 'forest'")
    box.press("Enter")
    expect(page.locator(".vt-row")).to_have_count(1)
    assert row_names(ui) == ["child-1"]
    assert "filter=params.model" in page.url

    box.fill("params.model = ")
    box.press("Enter")
    error = page.locator("[data-role=filter-error]")
    expect(error).to_be_visible()
    assert error.inner_text().strip(), "the server's parse error is shown"
    ui.shot("error")
    box.fill("")
    box.press("Enter")
    expect(error).to_be_hidden()
    ui.assert_clean(allowed=(r"status of 400",))


def test_runs_sort_by_metric_server_side(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{seeded.experiment_id}?filter=tags.team%20%3D%20'vision'")
    expect(page.locator(".vt-row")).to_have_count(3)
    header = page.locator(".vt-head [data-col='metric:loss']")
    header.click()
    expect(header).to_have_class(re.compile("sorted"))
    expect(page.locator(".vt-row").first).to_contain_text("child-2")
    assert row_names(ui) == ["child-2", "child-1", "child-0"]
    header.click()
    expect(page.locator(".vt-row").first).to_contain_text("child-0")
    assert row_names(ui) == ["child-0", "child-1", "child-2"]
    assert "sort=metric%3Aloss" in page.url and "dir=asc" in page.url

    # The URL alone restores the view.
    page.reload()
    expect(page.locator(".vt-row").first).to_contain_text("child-0")
    assert page.get_by_label("Filter runs").input_value() == "tags.team = 'vision'"
    ui.assert_clean()


def test_nested_runs_under_parent(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{seeded.experiment_id}")
    page.wait_for_selector(".vt-row")
    assert sorted(row_names(ui)) == ["artifacts", "parent"]
    parent = page.locator(f".vt-row[data-run-id='{seeded.run_ids['parent']}']")
    parent.locator("[data-toggle]").click()
    expect(page.locator(".vt-row")).to_have_count(5)
    names = row_names(ui)
    index = names.index("parent")
    assert sorted(names[index + 1 : index + 4]) == ["child-0", "child-1", "child-2"]
    ui.assert_clean()


def test_columns_choice_and_compare_selection(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{seeded.experiment_id}?expand=1")
    expect(page.locator(".vt-row")).to_have_count(5)
    page.get_by_role("button", name="Columns").click()
    page.locator(".popover label", has_text="team").locator("input").check()
    expect(page.locator(".vt-head [data-col='tag:team']")).to_be_visible()
    assert "tag%3Ateam" in page.url
    page.get_by_role("button", name="Done").click()
    for name in ("child-0", "child-2"):
        run_id = seeded.run_ids[name]
        page.locator(f".vt-row[data-run-id='{run_id}'] input[type=checkbox]").check()
    page.locator("[data-role=compare]").click()
    expect(page.locator("[data-role=compare-table]")).to_be_visible()
    assert page.locator("[data-role=compare-table] thead th").count() == 3
    ui.assert_clean()


# ---------------------------------------------------------------- run page


def test_run_overview(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(run_path(seeded, "child-1"))
    details = page.locator("[data-role=run-details]")
    expect(details).to_contain_text(seeded.run_ids["child-1"])
    parent = details.locator("[data-role=parent-run]")  # the parent, by name, with a link
    expect(parent).to_have_text("parent")
    assert parent.get_attribute("href").endswith(seeded.run_ids["parent"])
    expect(page.locator("[data-role=params]")).to_contain_text("forest")
    expect(page.locator("[data-role=metrics]")).to_contain_text("accuracy")
    expect(page.locator(".markdown strong")).to_have_text("1")  # the description
    expect(page.locator("tr[data-tag=team]")).to_contain_text("vision")
    ui.goto(run_path(seeded, "parent"))
    expect(page.locator("text=Child runs (3)")).to_be_visible()
    ui.assert_clean()


def test_run_edits(ui: UI, ui_server: ServerProcess) -> None:
    client = MlflowClient(ui_server.url)
    experiment_id = client.create_experiment(f"ui-edits-{time.time_ns()}")
    run = client.create_run(experiment_id, run_name="to-edit")
    page = ui.page
    ui.goto(f"#/experiments/{experiment_id}/runs/{run.info.run_id}")
    page.get_by_role("button", name="Rename").click()
    page.locator(".modal input[name=name]").fill("edited")
    page.locator(".modal button[type=submit]").click()
    expect(page.locator("[data-role=run-name]")).to_have_text("edited")

    page.locator(".panel", has_text="Description").get_by_role("button", name="Add").click()
    page.locator(".modal textarea[name=note]").fill("A *fine* run")
    page.locator(".modal button[type=submit]").click()
    expect(page.locator(".markdown em")).to_have_text("fine")
    assert client.get_run(run.info.run_id).data.tags["mlflow.note.content"] == "A *fine* run"

    page.get_by_role("button", name="Add tag").click()
    page.locator(".modal input[name=key]").fill("reviewed")
    page.locator(".modal textarea[name=value]").fill("yes")
    page.locator(".modal button[type=submit]").click()
    expect(page.locator("tr[data-tag=reviewed]")).to_contain_text("yes")

    page.locator("tr[data-tag=reviewed]").get_by_role("button", name="Delete").click()
    page.locator(".modal button[type=submit]").click()
    expect(page.locator("tr[data-tag=reviewed]")).to_have_count(0)

    page.locator("[data-role=delete-run]").click()
    page.locator(".modal button[type=submit]").click()
    expect(page.locator(".badge.danger")).to_have_text("deleted")
    page.locator("[data-role=restore-run]").click()
    expect(page.locator(".badge.danger")).to_have_count(0)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    ui.shot()
    ui.assert_clean()


def test_metric_chart_is_drawn(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(f"{run_path(seeded, 'child-0')}?tab=charts&chart=loss&smooth=0.50&log=1")
    host = page.locator(".chart-host[data-drawn]")
    expect(host).to_have_count(1)
    painted = host.locator(".u-wrap > canvas").evaluate(
        """canvas => {
            const context = canvas.getContext("2d");
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
            return n;
        }"""
    )
    assert painted > 500, "the chart canvas has lines on it"
    assert page.locator("[data-role=log-scale]").is_checked()
    page.locator("[data-role=x-axis]").select_option("relative")
    expect(page.locator(".chart-host[data-drawn]")).to_have_count(1)
    assert "x=relative" in page.url
    ui.shot()
    ui.assert_clean()


def test_chart_zoom_fetches_detail(ui: UI, ui_server: ServerProcess) -> None:
    """A long history arrives sampled; zooming asks the server for the window in detail."""
    client = MlflowClient(ui_server.url)
    experiment_id = client.create_experiment(f"ui-zoom-{time.time_ns()}")
    run_id = client.create_run(experiment_id, run_name="long").info.run_id
    for start in range(0, 5000, 1000):
        client.log_batch(
            run_id,
            metrics=[
                Metric("long", math.sin(s / 50), 1000 + s, s) for s in range(start, start + 1000)
            ],
        )
    page = ui.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "bulk-interval" in r.url else None)
    ui.goto(f"#/experiments/{experiment_id}/runs/{run_id}?tab=charts&chart=long")
    expect(page.locator(".chart-host[data-drawn]")).to_have_count(1)
    assert len(requests) == 1 and "start_step" not in requests[0]
    box = page.locator(".u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=5)
    page.mouse.up()
    deadline = time.monotonic() + 10
    while not any("start_step" in url for url in requests) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    zoomed = [url for url in requests if "start_step" in url]
    assert zoomed, requests
    window = dict(re.findall(r"(start_step|end_step)=(\d+)", zoomed[-1]))
    assert 500 < int(window["start_step"]) < int(window["end_step"]) < 2500
    ui.shot()
    ui.assert_clean()


def test_artifact_previews(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    base = f"{run_path(seeded, 'artifacts')}?tab=artifacts"
    preview = page.locator("[data-role=artifact-preview]")

    ui.goto(f"{base}&path=plots/pr_curve.png")
    image = preview.locator("img.artifact-image")
    expect(image).to_be_visible()
    wait_until_decoded(image)
    ui.shot("image")

    page.locator(".tree-item[data-path='data.csv']").click()
    expect(preview.locator("[data-role=csv-table]")).to_contain_text("alpha")
    assert preview.locator("[data-role=csv-table] tbody tr").count() == 2
    assert "path=data.csv" in page.url
    ui.shot("csv")

    page.locator(".tree-item[data-path='example.ipynb']").click()
    notebook = preview.locator("[data-role=notebook]")
    expect(notebook.locator("h1")).to_have_text("Basic example")
    expect(notebook).to_contain_text('mlflow.set_experiment("MLflow Example")')
    expect(notebook).to_contain_text("42")  # text/plain shown; the <script> HTML never runs
    output_image = notebook.locator(".nb-output img")
    wait_until_decoded(output_image)
    ui.shot("notebook")

    page.locator(".tree-item[data-path='big.log']").click()
    expect(preview.locator("[data-role=truncated]")).to_contain_text("256 KiB")
    text = preview.locator("pre.text").inner_text()
    assert text.startswith("line 00000000") and "line 00039999" not in text

    page.locator(".tree-item[data-path='empty.txt']").click()
    expect(preview.locator("[data-role=preview-path]")).to_have_text("empty.txt")
    expect(preview.locator(".preview-body")).not_to_contain_text("Loading")

    page.locator(".tree-item[data-path='info.json']").click()
    expect(preview.locator("[data-preview=json]")).to_contain_text('"b": [')
    page.locator(".tree-item[data-path='config.yaml']").click()
    expect(preview.locator("[data-preview=yaml] .yaml-key").first).to_have_text("model")
    ui.assert_clean()


# ---------------------------------------------------------------- compare


def test_compare_shows_values_and_differences(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    children = ",".join(seeded.run_ids[f"child-{i}"] for i in range(3))
    ui.goto(f"#/compare?runs={children}")
    table = page.locator("[data-role=compare-table]")
    lr = table.locator("tr[data-key='Parameters:lr']")
    expect(lr).to_have_class(re.compile("diff"))
    assert lr.locator("td").all_inner_texts()[1:] == ["0.1", "0.01", "0.001"]
    accuracy = table.locator("tr[data-key='Metrics:accuracy'] td").all_inner_texts()
    assert accuracy[1:] == ["0.7", "0.8", "0.9"]
    team = table.locator("tr[data-key='Tags:team']")
    expect(team).not_to_have_class(re.compile("diff"))
    page.locator("[data-role=only-diff]").check()
    expect(team).to_have_count(0)
    expect(lr).to_have_count(1)

    page.get_by_role("link", name="Scatter").click()
    page.locator("[data-role=scatter-x]").select_option("param:depth")
    page.locator("[data-role=scatter-y]").select_option("metric:accuracy")
    expect(page.locator("[data-role=scatter][data-drawn]")).to_have_count(1)
    assert "sx=param%3Adepth" in page.url
    page.get_by_role("link", name="Parallel coordinates").click()
    expect(page.locator("[data-role=parallel][data-drawn]")).to_have_count(1)
    ui.shot()
    ui.assert_clean()


# ---------------------------------------------------------------- registry


def test_registry_pages(ui: UI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto("#/models")
    page.get_by_label("Search models").fill(seeded.model_name)
    row = page.locator(f"tr[data-model='{seeded.model_name}']")
    expect(row).to_contain_text("Version 2")
    expect(row).to_contain_text("@champion")
    row.get_by_role("link", name=seeded.model_name).click()

    versions = page.locator("[data-role=versions] tbody tr")
    expect(versions).to_have_count(2)
    assert versions.first.get_attribute("data-version") == "2"
    expect(versions.first).to_contain_text("@champion")
    expect(versions.first).to_contain_text(seeded.run_ids["child-1"][:12])
    ui.shot("model")

    page.get_by_role("link", name="Version 1", exact=True).click()
    page.locator("[data-role=stage]").select_option("Staging")
    expect(page.locator(".badge.stage-Staging")).to_have_text("Staging")
    page.get_by_role("button", name="Add alias").click()
    page.locator(".modal input[name=alias]").fill("challenger")
    page.locator(".modal button[type=submit]").click()
    expect(page.locator("[data-role=aliases]")).to_contain_text("@challenger")
    page.get_by_role("link", name=seeded.run_ids["child-0"], exact=True).click()
    expect(page.locator("[data-role=run-name]")).to_have_text("child-0")
    ui.assert_clean()


# ---------------------------------------------------------------- errors and themes


def test_api_errors_are_readable(ui: UI, seeded: Seeded) -> None:
    ui.goto("#/experiments/0/runs/0123456789abcdef0123456789abcdef")
    error = ui.page.locator(".error-box")
    expect(error).to_contain_text("not found")
    ui.goto("#/models/no-such-model-anywhere")
    expect(ui.page.locator(".error-box")).to_contain_text("no-such-model-anywhere")
    ui.goto("#/nowhere/at/all")
    expect(ui.page.locator(".error-box")).to_contain_text("Page not found")
    ui.shot()
    ui.assert_clean(allowed=(r"status of 404",))


def test_theme_toggle(ui: UI, seeded: Seeded) -> None:
    ui.page.emulate_media(color_scheme="dark")
    ui.goto("#/experiments")
    html = ui.page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")  # follows the system setting
    ui.page.locator("#theme-toggle").click()
    expect(html).to_have_attribute("data-theme", "light")
    ui.page.reload()
    expect(html).to_have_attribute("data-theme", "light")  # the choice is remembered
    ui.assert_clean()


# ---------------------------------------------------------------- 100k runs


def test_large_experiment_opens_and_scrolls(ui: UI, ui_server: ServerProcess) -> None:
    experiment_id = (
        httpx.post(
            f"{ui_server.url}/api/2.0/mlflow/experiments/create", json={"name": "ui-bulk-runs"}
        )
        .raise_for_status()
        .json()["experiment_id"]
    )
    bulk_runs(ui_server.data_dir / "trackyard.db", experiment_id, BULK_RUNS)
    page = ui.page
    started = time.perf_counter()
    ui.goto(f"#/experiments/{experiment_id}")
    page.wait_for_selector(".vt-row")
    first_rows = time.perf_counter() - started
    print(f"\n{BULK_RUNS} runs: first rows after {first_rows * 1000:.0f} ms")
    footer = page.locator("[data-role=runs-footer]")
    expect(footer).to_contain_text("runs loaded")
    scroller = page.locator("[data-role=runs-table]")
    loaded = 0
    for _ in range(5):
        scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_function(
            "([el, before]) => el.querySelectorAll('.vt-row').length > 0 &&"
            " parseInt(document.querySelector('[data-role=runs-footer]').textContent"
            ".replace(/,/g, '')) > before",
            arg=[scroller.element_handle(), loaded],
        )
        loaded = int(re.sub(r"\D", "", footer.inner_text().split(" ")[0]))
    assert loaded >= 1000
    # Only the rows in view (plus a margin) are in the DOM, however many are loaded.
    assert page.locator(".vt-row").count() < 100
    last = page.locator(".vt-row .vt-name a").last.inner_text()
    assert last.startswith("run-")
    ui.shot()
    ui.assert_clean()
