"""The web UI with a hyperparameter sweep (issue 22): 63 runs of 500 steps logged through the
stock mlflow client (tests/ui_sweep_data.py), driven in Debian's Chromium through Playwright.

Each test names the defect it guards against; screenshots land in test-output/ui-sweeps/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from .browser import require_axe, serious_violations, wait_until_decoded
from .servers import ServerProcess
from .test_ui import PAGES, UI, expand, row_names
from .ui_data import Seeded, bulk_runs, seed
from .ui_sweep_data import HOSTILE_IMAGE_KEY, Sweep

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "ui-sweeps"


class SweepUI(UI):
    def shot(self, suffix: str = "") -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = f"{self.name}-{suffix}" if suffix else self.name
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def open_ui(browser, server: ServerProcess, name: str, width: int = 1440) -> tuple[SweepUI, object]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return SweepUI(page, server.url, name), context


@pytest.fixture
def ui(browser, sweep_server: ServerProcess, request) -> Iterator[SweepUI]:
    ui, context = open_ui(browser, sweep_server, request.node.name)
    yield ui
    context.close()


@pytest.fixture
def narrow_ui(browser, sweep_server: ServerProcess, request) -> Iterator[SweepUI]:
    ui, context = open_ui(browser, sweep_server, request.node.name, width=1024)
    yield ui
    context.close()


def compare_path(sweep: Sweep, count: int, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    runs = ",".join(sweep.trial_ids(count))
    return f"#/compare?runs={runs}&experiments={sweep.experiment_id}{extra}"


def chart(ui: UI, key: str):
    return ui.page.locator(f".chart-card[data-metric='{key}']")


def hover_line(ui: UI, key: str) -> None:
    """Move the mouse across the middle of a chart's plot until a line is under it."""
    over = chart(ui, key).locator(".u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    for fraction in (0.5, 0.45, 0.55, 0.4, 0.6, 0.3, 0.7):
        for height in (0.5, 0.6, 0.7, 0.8, 0.9, 0.4, 0.3):
            ui.page.mouse.move(
                box["x"] + box["width"] * fraction, box["y"] + box["height"] * height
            )
            if chart(ui, key).locator(".chart-host[data-focused]:not([data-focused=''])").count():
                return
    raise AssertionError("no line came under the mouse")


# ---------------------------------------------------------------- 1. charts at 60 runs


def test_chart_hover_names_run_and_value_at_60_runs(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 60, tab="charts"))
    expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)
    hover_line(ui, "val/loss")
    tooltip = chart(ui, "val/loss").locator("[data-role=chart-tooltip]")
    expect(tooltip).to_be_visible()
    focused = chart(ui, "val/loss").locator(".chart-host").get_attribute("data-focused")
    assert re.fullmatch(r"trial-\d\d", focused)
    text = tooltip.inner_text()
    assert focused in text and re.search(r"\d\.\d+", text), text
    # Its legend entry is highlighted, the only one.
    focused_items = chart(ui, "val/loss").locator(".legend-item.focused")
    expect(focused_items).to_have_count(1)
    expect(focused_items).to_have_text(focused)
    ui.shot()
    ui.assert_clean()


def test_chart_legend_lists_only_runs_with_data(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 60, tab="charts"))
    for key, count in (("val/loss", 60), ("system/cpu_utilization", 15)):
        card = chart(ui, key)
        card.scroll_into_view_if_needed()
        expect(card.locator(".chart-host[data-drawn]")).to_have_count(1)
        expect(card.locator(".legend-item")).to_have_count(count)
        expect(card.locator("summary")).to_have_text(f"{count} runs")
    legend = chart(ui, "val/loss").locator(".legend-items")
    height = legend.evaluate("el => el.clientHeight")
    assert height < 80, "the legend scrolls instead of pushing the page down"
    ui.assert_clean()


def test_smoothing_keeps_one_legend_entry_per_run(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 8, tab="charts", smooth="0.60"))
    card = chart(ui, "train/loss")
    expect(card.locator(".chart-host[data-drawn]")).to_have_count(1)
    expect(card.locator(".legend-item")).to_have_count(8)
    assert not [t for t in card.locator(".legend-item").all_inner_texts() if "raw" in t]
    ui.assert_clean()


def test_legend_click_hides_a_run(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 8, tab="charts"))
    card = chart(ui, "train/loss")
    expect(card.locator(".chart-host[data-drawn]")).to_have_count(1)
    item = card.locator(".legend-item").first
    item.click()
    expect(item).to_have_class(re.compile("off"))
    expect(item).to_have_attribute("aria-pressed", "true")
    ui.assert_clean()


def test_single_value_metric_drawn_as_bars(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 8, tab="charts"))
    chart(ui, "best_val_accuracy").scroll_into_view_if_needed()  # charts draw once in view
    bars = chart(ui, "best_val_accuracy").locator("[data-role=bar-chart] .bar-row")
    expect(bars).to_have_count(8)
    assert bars.first.locator(".bar-name").inner_text() == "trial-00"
    assert chart(ui, "best_val_accuracy").locator("canvas").count() == 0
    ui.assert_clean()


def test_compare_run_chips_do_not_push_charts_down(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 60, tab="charts"))
    expect(ui.page.locator(".chart-host[data-drawn]").first).to_be_visible()
    chips = ui.page.locator("[data-role=run-chips]")
    assert chips.evaluate("el => el.clientHeight") < 70
    assert ui.page.locator(".chart-card").first.bounding_box()["y"] < 450
    ui.assert_clean()


def test_compare_fetches_runs_in_one_search(ui: SweepUI, sweep: Sweep) -> None:
    requests: list[str] = []
    api = "mlflow/runs/"  # not the UI's own modules under static/js/views/runs/
    ui.page.on("request", lambda r: requests.append(r.url) if api in r.url else None)
    ui.goto(compare_path(sweep, 20))
    expect(ui.page.locator("[data-role=compare-table] thead th")).to_have_count(21)
    assert sum("runs/search" in url for url in requests) == 1
    assert not [url for url in requests if "runs/get" in url]
    ui.assert_clean()


# ---------------------------------------------------------------- 2. label columns keep their width


def label_width(ui: UI) -> float:
    cell = ui.page.locator("[data-role=compare-table] td.key").first
    return cell.bounding_box()["width"]


def test_compare_label_column_keeps_width_with_8_runs(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 8))
    expect(ui.page.locator("[data-role=compare-table] thead th")).to_have_count(9)
    assert label_width(ui) >= 150
    run_id = ui.page.locator("[data-role=compare-table] tr[data-key='Run:Run ID'] td.key")
    assert run_id.bounding_box()["height"] < 40, "'Run ID' on one line"
    ui.shot()
    ui.assert_clean()


def test_compare_label_column_keeps_width_with_4_runs_at_1024(
    narrow_ui: SweepUI, sweep: Sweep
) -> None:
    narrow_ui.goto(compare_path(sweep, 4))
    expect(narrow_ui.page.locator("[data-role=compare-table] thead th")).to_have_count(5)
    assert label_width(narrow_ui) >= 150
    narrow_ui.shot()
    narrow_ui.assert_clean()


def test_long_param_value_wraps_on_run_page(narrow_ui: SweepUI, sweep: Sweep) -> None:
    narrow_ui.goto(f"#/experiments/{sweep.experiment_id}/runs/{sweep.run_ids['trial-00']}")
    row = narrow_ui.page.locator("[data-role=params] tr", has_text="transforms")
    key = row.locator("td.key").bounding_box()
    value = row.locator("td.value")
    assert key["width"] >= 100, "the name column keeps its width"
    assert value.evaluate("td => td.scrollWidth <= td.clientWidth"), "the value wraps in its cell"
    table = narrow_ui.page.locator("[data-role=params]")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    narrow_ui.shot()
    narrow_ui.assert_clean()


def test_parent_run_shown_by_name(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(f"#/experiments/{sweep.experiment_id}/runs/{sweep.run_ids['trial-21']}")
    parent = ui.page.locator("[data-role=run-details] [data-role=parent-run]")
    expect(parent).to_have_text("sweep-sgd")
    assert parent.get_attribute("href").endswith(sweep.run_ids["sweep-sgd"])
    ui.assert_clean()


# ---------------------------------------------------------------- 3. defaults: what most runs have


def header_ids(ui: UI) -> list[str]:
    return ui.page.locator(".vt-head [data-col]").evaluate_all("els => els.map(e => e.dataset.col)")


def test_runs_table_default_columns_by_runs_with_the_metric(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    ui.page.wait_for_selector(".vt-row")
    metrics = [c for c in header_ids(ui) if c.startswith("metric:")]
    assert metrics[:2] == ["metric:val/loss", "metric:train/loss"], metrics
    assert all(not c.startswith("metric:system/") for c in metrics[:5]), metrics
    assert metrics[-2:] == [
        "metric:system/cpu_utilization",
        "metric:system/gpu_0_memory_usage_megabytes",
    ]
    ui.assert_clean()


def test_runs_table_columns_stay_through_filters(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    ui.page.wait_for_selector(".vt-row")
    before = header_ids(ui)
    box = ui.page.get_by_label("Filter runs")
    box.fill("params.optimizer = 'sgd' and metrics.`system/cpu_utilization` > 0")
    box.press("Enter")
    expect(ui.page.locator(".vt-row")).to_have_count(5)  # trials 20, 24, ..., 36
    assert header_ids(ui) == before
    box.fill("params.optimizer = ")
    box.press("Enter")
    expect(ui.page.locator("[data-role=filter-error]")).to_be_visible()
    assert header_ids(ui) == before, "an invalid filter keeps the columns"
    ui.assert_clean(allowed=(r"status of 400",))


def test_compare_charts_and_parallel_axes_rank_keys(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 20, tab="charts"))
    ui.page.wait_for_selector(".chart-card")
    cards = ui.page.locator(".chart-card").evaluate_all("els => els.map(e => e.dataset.metric)")
    # In sections by prefix (val, train, other, system), each ranked: losses first.
    assert cards[0] == "val/loss" and cards.index("train/loss") < cards.index("train/accuracy")
    assert cards[-2:] == ["system/cpu_utilization", "system/gpu_0_memory_usage_megabytes"]
    ui.goto(compare_path(sweep, 20, tab="parallel"))
    expect(ui.page.locator("[data-role=parallel][data-drawn]")).to_have_count(1)
    chosen = ui.page.locator("[data-dim]:checked").evaluate_all(
        "els => els.map(e => e.dataset.dim)"
    )
    metrics = [d for d in chosen if d.startswith("metric:")]
    assert metrics == ["metric:val/loss", "metric:train/loss", "metric:val/accuracy"]
    ui.assert_clean()


# ---------------------------------------------------------------- 4. views kept per experiment


def test_view_settings_survive_the_breadcrumb(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    page.wait_for_selector(".vt-row")
    box = page.get_by_label("Filter runs")
    box.fill("params.optimizer = 'adam'")
    box.press("Enter")
    header = page.locator(".vt-head [data-col='metric:val/loss']")
    header.click()
    expect(header).to_have_class(re.compile("sorted"))
    page.get_by_role("button", name="Columns").click()
    page.locator(".popover label", has_text="dropout").locator("input").uncheck()
    page.get_by_role("button", name="Done").click()
    expect(page.locator(".vt-head [data-col='param:dropout']")).to_have_count(0)
    first = page.locator(".vt-row .vt-name a").first
    name = first.inner_text()
    first.click()
    expect(page.locator("[data-role=run-name]")).to_have_text(name)
    page.locator(".breadcrumbs a", has_text=sweep.experiment_name).click()

    expect(page.locator(".vt-row").first).to_contain_text(name)
    assert page.get_by_label("Filter runs").input_value() == "params.optimizer = 'adam'"
    expect(page.locator(".vt-head [data-col='metric:val/loss']")).to_have_class(
        re.compile("sorted")
    )
    expect(page.locator(".vt-head [data-col='param:dropout']")).to_have_count(0)
    # The URL holds the view again, so it can be shared as it is.
    assert "filter=params.optimizer" in page.url and "sort=metric%3Aval%2Floss" in page.url
    ui.assert_clean()


def test_sort_change_adds_a_history_entry(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    page.wait_for_selector(".vt-row")
    header = page.locator(".vt-head [data-col='metric:train/loss']")
    header.click()
    expect(header).to_have_class(re.compile("sorted"))
    assert "sort=metric%3Atrain%2Floss" in page.url
    page.go_back()
    expect(page.locator(".vt-head [data-col='metric:train/loss']")).not_to_have_class(
        re.compile("sorted")
    )
    assert "sort=" not in page.url
    ui.assert_clean()


def test_shared_url_wins_over_the_saved_view(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}?filter=params.optimizer%20%3D%20'sgd'")
    page.wait_for_selector(".vt-row")
    ui.goto(f"#/experiments/{sweep.experiment_id}?filter=params.optimizer%20%3D%20'rmsprop'")
    page.reload()
    expect(page.get_by_label("Filter runs")).to_have_value("params.optimizer = 'rmsprop'")
    ui.assert_clean()


# ---------------------------------------------------------------- 5. live pages


POLL_MS = 400


@pytest.fixture
def live_ui(ui: SweepUI) -> SweepUI:
    ui.page.add_init_script(f"localStorage.setItem('trackyard.poll-ms', '{POLL_MS}')")
    return ui


def running_run(server: ServerProcess, steps: int) -> tuple[MlflowClient, str, str]:
    client = MlflowClient(server.url)
    experiment_id = client.create_experiment(f"live-{time.time_ns()}")
    run_id = client.create_run(experiment_id, run_name="live").info.run_id
    log_steps(client, run_id, range(steps))
    return client, experiment_id, run_id


def log_steps(client: MlflowClient, run_id: str, steps: range) -> None:
    now = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric("live/loss", 1 / (s + 1), now, s) for s in steps])


def search_requests(ui: UI) -> list[str]:
    seen: list[str] = []
    ui.page.on("request", lambda r: seen.append(r.url) if "mlflow/runs/search" in r.url else None)
    return seen


def test_running_run_chart_grows(live_ui: SweepUI, sweep_server: ServerProcess) -> None:
    client, experiment_id, run_id = running_run(sweep_server, 20)
    live_ui.goto(f"#/experiments/{experiment_id}/runs/{run_id}?tab=charts")
    host = live_ui.page.locator(".chart-card[data-metric='live/loss'] .chart-host")
    expect(host).to_have_attribute("data-last-x", "19")
    log_steps(client, run_id, range(20, 60))
    expect(host).to_have_attribute("data-last-x", "59")
    live_ui.assert_clean()


def test_running_run_duration_and_status_refresh(
    live_ui: SweepUI, sweep_server: ServerProcess
) -> None:
    client, experiment_id, run_id = running_run(sweep_server, 1)
    live_ui.goto(f"#/experiments/{experiment_id}/runs/{run_id}")
    duration = live_ui.page.locator("[data-role=duration]")
    first = duration.inner_text()
    expect(duration).not_to_have_text(first, timeout=5000)
    client.set_terminated(run_id)
    expect(live_ui.page.locator("[data-role=run-status]")).to_have_text("FINISHED")
    live_ui.assert_clean()


def test_runs_table_refreshes_running_rows_then_stops(
    live_ui: SweepUI, sweep_server: ServerProcess
) -> None:
    client, experiment_id, run_id = running_run(sweep_server, 1)
    requests = search_requests(live_ui)
    live_ui.goto(f"#/experiments/{experiment_id}")
    row = live_ui.page.locator(f".vt-row[data-run-id='{run_id}']")
    expect(row).to_contain_text("RUNNING")
    client.set_terminated(run_id)
    expect(row).to_contain_text("FINISHED")
    live_ui.page.wait_for_timeout(POLL_MS * 2)
    settled = len(requests)
    live_ui.page.wait_for_timeout(POLL_MS * 4)
    assert len(requests) == settled, "no polling once nothing runs"
    live_ui.assert_clean()


def test_polling_pauses_while_the_tab_is_hidden(
    live_ui: SweepUI, sweep_server: ServerProcess
) -> None:
    _client, experiment_id, run_id = running_run(sweep_server, 1)
    requests = search_requests(live_ui)
    live_ui.goto(f"#/experiments/{experiment_id}")
    expect(live_ui.page.locator(f".vt-row[data-run-id='{run_id}']")).to_contain_text("RUNNING")
    visibility = """hidden => {
        Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    live_ui.page.evaluate(visibility, True)
    live_ui.page.wait_for_timeout(POLL_MS)  # a request already on its way may land
    hidden = len(requests)
    live_ui.page.wait_for_timeout(POLL_MS * 4)
    assert len(requests) == hidden, "no polling while hidden"
    live_ui.page.evaluate(visibility, False)
    live_ui.page.wait_for_timeout(POLL_MS * 4)
    assert len(requests) > hidden, "polling resumes when visible again"
    live_ui.assert_clean()


# ---------------------------------------------------------------- 6. search help


def test_plain_text_searches_run_names(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    page.wait_for_selector(".vt-row")
    box = page.get_by_label("Filter runs")
    box.fill("trial-0")
    box.press("Enter")
    expect(page.locator(".vt-row")).to_have_count(10)
    assert sorted(row_names(ui)) == [f"trial-0{i}" for i in range(10)]
    expect(page.locator("[data-role=filter-error]")).to_be_hidden()
    assert "filter=trial-0" in page.url
    ui.assert_clean()


def test_filter_keys_autocomplete(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    page.wait_for_selector(".vt-row")
    box = page.get_by_label("Filter runs")
    box.press_sequentially("metrics.val")
    options = page.locator("[data-role=filter-suggestions] [role=option]")
    expect(options.first).to_have_text("metrics.val/loss")
    assert "metrics.system/cpu_utilization" not in options.all_inner_texts()
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("metrics.val/loss ")
    box.press_sequentially("< 0.5 and p")
    expect(options).to_have_text(["params."])
    box.press("Tab")  # nothing highlighted: Tab leaves the box as usual
    box.focus()
    box.press("End")
    box.press_sequentially("aram")
    box.press("ArrowDown")
    box.press("Enter")
    box.press_sequentially("opt")
    expect(options.first).to_have_text("params.optimizer")
    expect(options.first).to_be_visible()  # Tab's blur earlier must not close it under us
    box.press("ArrowDown")
    box.press("Enter")
    box.press_sequentially("= 'adam'")
    box.press("Escape")
    box.press("Enter")
    expect(page.locator("[data-role=filter-error]")).to_be_hidden()
    assert "params.optimizer" in page.url
    expect(page.locator(".vt-row").first).to_be_visible()
    ui.assert_clean()


def test_refused_filter_explains_grammar_and_keeps_rows(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    page.wait_for_selector(".vt-row")
    shown = page.locator(".vt-row").count()
    box = page.get_by_label("Filter runs")
    box.fill("params.optimizer = ")
    box.press("Enter")
    error = page.locator("[data-role=filter-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Plain text searches run names")
    expect(error).to_contain_text("params.optimizer = 'adam'")
    assert page.locator(".vt-row").count() == shown, "the runs stay on screen"
    ui.shot()
    ui.assert_clean(allowed=(r"status of 400",))


# ---------------------------------------------------------------- 7. pinning, resizing, reordering


def open_table(ui: UI, sweep: Sweep) -> None:
    ui.goto(f"#/experiments/{sweep.experiment_id}?expand=1")
    ui.page.wait_for_selector(".vt-row")


def in_view(ui: UI, locator) -> bool:
    table = ui.page.locator("[data-role=runs-table]").bounding_box()
    box = locator.bounding_box()
    return box["x"] >= table["x"] - 1 and box["x"] + box["width"] <= table["x"] + table["width"] + 1


def test_run_name_stays_in_view_when_scrolling_right(narrow_ui: SweepUI, sweep: Sweep) -> None:
    open_table(narrow_ui, sweep)
    narrow_ui.page.locator("[data-role=runs-table]").evaluate("el => el.scrollLeft = 800")
    name = narrow_ui.page.locator(".vt-row .vt-name a").first
    narrow_ui.page.wait_for_timeout(100)
    assert in_view(narrow_ui, name)
    assert not in_view(narrow_ui, narrow_ui.page.locator(".vt-head [data-col='attr:status']"))
    narrow_ui.shot()
    narrow_ui.assert_clean()


def test_pinned_column_stays_in_view(narrow_ui: SweepUI, sweep: Sweep) -> None:
    page = narrow_ui.page
    open_table(narrow_ui, sweep)
    header = page.locator(".vt-head [data-col='metric:val/loss']")
    header.hover()
    header.locator("[data-pin]").click()
    expect(header.locator("[data-pin]")).to_have_attribute("aria-pressed", "true")
    assert "pin=" in page.url and "val%2Floss" in page.url
    page.locator("[data-role=runs-table]").evaluate("el => el.scrollLeft = 2000")
    page.wait_for_timeout(100)
    assert in_view(narrow_ui, page.locator(".vt-head [data-col='metric:val/loss']"))
    narrow_ui.assert_clean()


def test_column_resizes_by_dragging_its_edge(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    open_table(ui, sweep)
    header = page.locator(".vt-head [data-col='metric:val/loss']")
    before = header.bounding_box()["width"]
    handle = header.locator("[data-resize]").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y, steps=5)
    page.mouse.up()
    expect(page.locator(".vt-head [data-col='metric:val/loss']")).to_have_js_property(
        "offsetWidth", round(before + 80)
    )
    assert "widths=metric%3Aval%2Floss%40" in page.url
    ui.assert_clean()


def test_column_moves_by_keyboard_and_by_dragging(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    open_table(ui, sweep)
    ids = header_ids(ui)
    status = ids.index("attr:status")
    page.locator(".vt-head [data-col='attr:status']").focus()
    page.keyboard.press("Alt+ArrowRight")
    moved = header_ids(ui)
    assert moved[status + 1] == "attr:status" and moved[status] == ids[status + 1]
    assert page.evaluate("document.activeElement.dataset.col") == "attr:status"
    page.locator(".vt-head [data-col='metric:train/loss']").drag_to(
        page.locator(".vt-head [data-col='attr:start_time']")
    )
    assert header_ids(ui)[1] == "metric:train/loss"
    assert "cols=" in page.url
    ui.assert_clean()


def test_headers_show_whole_names(ui: SweepUI, sweep: Sweep) -> None:
    open_table(ui, sweep)
    for col in ("metric:best_val_accuracy", "metric:train/accuracy", "param:batch_size"):
        name = ui.page.locator(f".vt-head [data-col='{col}'] .name")
        assert name.evaluate("el => el.scrollWidth <= el.clientWidth"), col
        title = ui.page.locator(f".vt-head [data-col='{col}']").get_attribute("title")
        assert col.split(":")[1] in title
    ui.assert_clean()


# ---------------------------------------------------------------- 8. keyboard, ARIA and contrast

# ---------------------------------------------------------------- 20,000 runs: the total

BIG_RUNS = 20_000


@pytest.fixture(scope="module")
def big_experiment(sweep_server: ServerProcess) -> str:
    """20,000 finished runs (run-000000 ...), inserted straight into the server's database."""
    experiment_id = MlflowClient(sweep_server.url).create_experiment("ui-sweeps-20k")
    bulk_runs(sweep_server.data_dir / "trackyard.db", experiment_id, BIG_RUNS)
    return experiment_id


def test_big_table_shows_the_total_after_the_first_rows(ui: SweepUI, big_experiment: str) -> None:
    order: list[str] = []
    ui.page.on("request", lambda r: "runs/count" in r.url and order.append("count asked"))
    ui.page.on("response", lambda r: "runs/search" in r.url and order.append("page answered"))
    ui.goto(f"#/experiments/{big_experiment}")
    footer = ui.page.locator("[data-role=runs-footer]")
    expect(footer).to_contain_text("200 of 20,000 runs loaded")
    # The count never holds back the first rows: it is asked once the first page is shown.
    assert order.index("page answered") < order.index("count asked"), order
    ui.shot()
    ui.assert_clean()


def test_big_table_total_follows_the_filter(ui: SweepUI, big_experiment: str) -> None:
    ui.goto(f"#/experiments/{big_experiment}")
    footer = ui.page.locator("[data-role=runs-footer]")
    expect(footer).to_contain_text("of 20,000 runs")
    ui.page.get_by_label("Filter runs").fill("attributes.run_name LIKE 'run-01%'")
    ui.page.get_by_label("Filter runs").press("Enter")
    expect(footer).to_contain_text("200 of 10,000 runs loaded")
    ui.assert_clean()


# ---------------------------------------------------------------- image series


def image_panel(ui: UI, key: str = "samples/pred"):
    return ui.page.locator(f"[data-role=image-series] section[data-image-key='{key}']")


def image_cell(ui: UI, sweep: Sweep, trial: str, key: str = "samples/pred"):
    return image_panel(ui, key).locator(f"figure[data-run='{sweep.run_ids[trial]}']")


def test_run_page_shows_image_series_with_a_step_slider(ui: SweepUI, sweep: Sweep) -> None:
    run_id = sweep.run_ids["trial-00"]
    ui.goto(f"#/experiments/{sweep.experiment_id}/runs/{run_id}?tab=images")
    readout = ui.page.locator("[data-role=image-step-value]")
    expect(readout).to_have_text("step 400")  # the last step first
    slider = ui.page.locator("[data-role=image-step]")
    slider.focus()
    slider.press("Home")
    expect(readout).to_have_text("step 0")
    slider.press("ArrowRight")
    cell = image_cell(ui, sweep, "trial-00")
    expect(cell).to_have_attribute("data-step", "100")
    expect(ui.page).to_have_url(re.compile(r"step=100"))
    image = cell.locator("img")
    # The thumbnail, through the server's artifact route, linking to the full image.
    expect(image).to_have_attribute("src", re.compile(r"get-artifact\?.*compressed\.webp"))
    expect(cell.locator("a")).to_have_attribute("href", re.compile(r"get-artifact\?.*\.png"))
    image.scroll_into_view_if_needed()
    wait_until_decoded(image)
    ui.shot()
    ui.assert_clean()


def test_images_tab_only_for_runs_that_logged_images(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(f"#/experiments/{sweep.experiment_id}/runs/{sweep.run_ids['trial-10']}")
    expect(ui.page.locator(".tabs a[data-tab=artifacts]")).to_be_visible()
    expect(ui.page.locator(".tabs a[data-tab=images]")).to_have_count(0)
    ui.goto(compare_path(sweep, 20))
    expect(ui.page.locator(".tabs a[data-tab=images]")).to_have_count(1)
    ui.goto(f"#/compare?runs={sweep.run_ids['trial-10']}&experiments={sweep.experiment_id}")
    expect(ui.page.locator(".tabs a[data-tab=table]")).to_be_visible()
    expect(ui.page.locator(".tabs a[data-tab=images]")).to_have_count(0)
    ui.assert_clean()


def test_compare_images_side_by_side_on_one_slider(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 8, tab="images", step="50"))
    expect(image_panel(ui).locator("figure")).to_have_count(4)  # the trials that logged images
    # One slider for every run: each shows its image at the step or the last one before it.
    expect(ui.page.locator("[data-role=image-step]")).to_have_count(1)
    expect(image_cell(ui, sweep, "trial-00")).to_have_attribute("data-step", "0")
    expect(image_cell(ui, sweep, "trial-03")).to_have_attribute("data-step", "50")
    slider = ui.page.locator("[data-role=image-step]")
    slider.focus()
    slider.press("Home")
    expect(image_cell(ui, sweep, "trial-03").locator(".series-image-empty")).to_be_visible()
    expect(image_cell(ui, sweep, "trial-00").locator("img")).to_be_visible()
    slider.press("End")
    expect(ui.page.locator("[data-role=image-step-value]")).to_have_text("step 450")
    expect(image_cell(ui, sweep, "trial-02")).to_have_attribute("data-step", "400")
    ui.shot()
    ui.assert_clean()


def test_image_key_with_markup_shows_as_text(ui: SweepUI, sweep: Sweep) -> None:
    dialogs: list[str] = []
    ui.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    ui.goto(f"#/experiments/{sweep.experiment_id}/runs/{sweep.run_ids['trial-01']}?tab=images")
    panel = image_panel(ui, HOSTILE_IMAGE_KEY)
    expect(panel.locator(".panel-title")).to_have_text(HOSTILE_IMAGE_KEY)
    expect(ui.page.locator("img[onerror]")).to_have_count(0)
    expect(image_panel(ui).locator("figure")).to_have_count(1)
    assert not dialogs
    ui.assert_clean()


@pytest.fixture(scope="module")
def seeded(sweep_server: ServerProcess) -> Seeded:
    """The stock UI test data (artifacts, registry) beside the sweep, for every page."""
    return seed(sweep_server.url)


def axe_pages(sweep: Sweep, seeded: Seeded) -> dict[str, str]:
    pages = {name: expand(path, seeded) for name, (path, _ready) in PAGES.items()}
    pages |= {
        "sweep-runs": f"#/experiments/{sweep.experiment_id}?expand=1",
        "sweep-run": f"#/experiments/{sweep.experiment_id}/runs/{sweep.run_ids['trial-00']}",
        "sweep-compare": compare_path(sweep, 8),
        "sweep-charts": compare_path(sweep, 60, tab="charts"),
        "sweep-parallel": compare_path(sweep, 20, tab="parallel"),
        "sweep-scatter": compare_path(sweep, 20, tab="scatter"),
        "sweep-images": compare_path(sweep, 8, tab="images"),
    }
    return pages


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation_on_any_page(
    ui: SweepUI, sweep: Sweep, seeded: Seeded, theme: str
) -> None:
    require_axe()
    ui.page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    found = {}
    for name, path in axe_pages(sweep, seeded).items():
        ui.goto(path)
        ui.page.wait_for_load_state("networkidle")
        ui.page.wait_for_timeout(200)  # charts drawn after their data arrived
        violations = serious_violations(ui.page)
        if violations:
            found[name] = violations
    assert not found, found
    ui.assert_clean()


def test_sortable_headers_work_from_the_keyboard(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    open_table(ui, sweep)
    header = page.locator(".vt-head [data-col='metric:val/loss']")
    assert header.get_attribute("tabindex") == "0"
    header.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    page.keyboard.press(" ")
    expect(page.locator(".vt-head [data-col='metric:val/loss']")).to_have_attribute(
        "aria-sort", "ascending"
    )
    ui.assert_clean()


def test_artifact_tree_works_from_the_keyboard(ui: SweepUI, seeded: Seeded) -> None:
    page = ui.page
    ui.goto(f"{expand('{run:artifacts}', seeded)}?tab=artifacts")
    items = page.locator("[data-role=artifact-tree] .tree-item[data-path]")
    expect(items.first).to_have_attribute("tabindex", "0")
    items.first.focus()
    page.keyboard.press("End")
    last = items.last.get_attribute("data-path")
    assert page.evaluate("document.activeElement.dataset.path") == last
    page.keyboard.press("Enter")
    expect(page.locator("[data-role=preview-path]")).to_have_text(last)
    assert f"path={last}" in page.url
    page.keyboard.press("Home")
    folder = page.locator(".tree-item[data-path='plots']")
    folder.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".tree-item[data-path='plots']")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.path") == "plots/pr_curve.png"
    ui.assert_clean()


def test_dialog_traps_focus_and_returns_it(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}/runs/{sweep.run_ids['trial-05']}")
    rename = page.get_by_role("button", name="Rename")
    rename.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Rename run")
    expect(dialog).to_be_visible()
    for _ in range(5):  # input, Cancel, Save, then round again
        page.keyboard.press("Tab")
        assert dialog.evaluate("d => d.contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert page.evaluate("document.activeElement.textContent") == "Rename"
    ui.assert_clean()


def test_escape_closes_the_columns_popover(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    open_table(ui, sweep)
    button = page.get_by_role("button", name="Columns")
    button.click()
    popover = page.get_by_role("dialog", name="Columns")
    expect(popover).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)
    expect(button).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement.textContent") == "Columns"
    ui.assert_clean()


# ---------------------------------------------------------------- 9. smaller things


def test_csv_numbers_right_aligned(ui: SweepUI, seeded: Seeded) -> None:
    ui.goto(f"{expand('{run:artifacts}', seeded)}?tab=artifacts&path=data.csv")
    table = ui.page.locator("[data-role=csv-table]")
    expect(table).to_contain_text("alpha")
    align = "el => getComputedStyle(el).textAlign"
    row = table.locator("tbody tr").first
    assert row.locator("td").nth(2).evaluate(align) == "right"  # score: 0.91
    assert row.locator("td").nth(1).evaluate(align) in ("left", "start")  # name: alpha
    assert table.locator("th").nth(2).evaluate(align) == "right"
    ui.assert_clean()


# ---------------------------------------------------------------- 10. parallel coordinates, scatter


def test_parallel_axis_brush_keeps_runs_in_range(narrow_ui: SweepUI, sweep: Sweep) -> None:
    page = narrow_ui.page
    narrow_ui.goto(compare_path(sweep, 60, tab="parallel"))
    plot = page.locator("[data-role=parallel][data-drawn]")
    expect(plot).to_have_attribute("data-brushed", "60")
    box = page.locator("[data-role=parallel] canvas").bounding_box()
    x = box["x"] + 70  # the first axis
    page.mouse.move(x, box["y"] + 50)  # from the top of batch_size's axis (96)...
    page.mouse.down()
    page.mouse.move(x, box["y"] + 250, steps=4)  # ... past its middle (64), above 32
    page.mouse.up()
    expect(plot).to_have_attribute("data-brushed", "40")
    narrow_ui.shot()
    page.mouse.click(x, box["y"] + 120)  # a click on the axis clears its brush
    expect(plot).to_have_attribute("data-brushed", "60")
    narrow_ui.assert_clean()


def test_scatter_log_axes(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(compare_path(sweep, 20, tab="scatter"))
    page.locator("[data-role=scatter-x]").select_option("param:lr")
    page.locator("[data-role=scatter-y]").select_option("metric:val/loss")
    page.locator("[data-role=slx]").check()
    expect(page.locator("[data-role=scatter][data-drawn]")).to_have_count(1)
    assert "slx=1" in page.url
    page.reload()
    expect(page.locator("[data-role=slx]")).to_be_checked()
    ui.shot()
    ui.assert_clean()


# 21 model names, long like real ones and alike in the first words a cut label keeps; the
# first in sort order is markup, which the plot's hover tip must show as text.
MODELS = (
    "<b>model</b>-from-a-notebook",
    *(
        f"{arch}-{how}-{data}"
        for arch in ("convnext-base", "efficientnet-b4", "resnet50", "resnet101", "vit-b16")
        for how in ("finetuned", "pretrained")
        for data in ("imagenet1k", "imagenet21k")
    ),
)


@pytest.fixture(scope="module")
def models(sweep_server: ServerProcess) -> tuple[str, list[str]]:
    """60 runs of a new experiment, each a model (3 runs a model) and its accuracy:
    the experiment's id and the run ids."""
    client = MlflowClient(sweep_server.url)
    experiment_id = client.create_experiment("ui-sweeps-models")
    now = int(time.time() * 1000)
    run_ids = []
    for i in range(60):
        run_id = client.create_run(experiment_id, run_name=f"model-{i:02d}").info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("accuracy", 0.6 + 0.3 * (i * 37 % 60) / 60, now, 0)],
            params=[Param("model", MODELS[i % len(MODELS)])],
        )
        client.set_terminated(run_id)
        run_ids.append(run_id)
    return experiment_id, run_ids


def models_scatter(models: tuple[str, list[str]], x: str, y: str) -> str:
    experiment_id, run_ids = models
    return (
        f"#/compare?runs={','.join(run_ids)}&experiments={experiment_id}&tab=scatter&sx={x}&sy={y}"
    )


def category_tip(ui: SweepUI, x: float, y: float):
    """The scatter plot's hover tip with the mouse at (x, y) px in its canvas."""
    box = ui.page.locator("[data-role=scatter] canvas").bounding_box()
    ui.page.mouse.move(box["x"] + x, box["y"] + y)
    return ui.page.locator("[data-role=scatter] .plot-tooltip:not(.hidden)")


# The columns inked left of a scatter plot's frame in the 12 px band around a y label's middle,
# up to the gap before the frame: the label's two ends, in px from the canvas' left.
Y_LABEL_INK = """([canvas, y]) => {
  const r = devicePixelRatio;
  const ctx = canvas.getContext("2d");
  const band = ctx.getImageData(0, Math.round((y - 6) * r), canvas.width, 12 * r);
  const rows = [...Array(band.height).keys()];
  const inked = (x) => rows.some((row) => band.data[(row * band.width + x) * 4 + 3]);
  let from = 0;
  while (!inked(from)) from++;
  let to = from;
  while ([1, 2, 3].some((k) => inked(to + k))) to++;
  return [from / r, (to + 1) / r];
}"""


def y_label_ink(ui: SweepUI, y: float) -> tuple[float, float]:
    """Where the y label whose middle is y px down the scatter plot's canvas is drawn."""
    canvas = ui.page.locator("[data-role=scatter] canvas").element_handle()
    return tuple(ui.page.evaluate(Y_LABEL_INK, [canvas, y]))


def text_width(ui: SweepUI, text: str) -> float:
    """The width of text in the plots' 11 px tick label font."""
    return ui.page.evaluate(
        """text => {
          const ctx = document.createElement("canvas").getContext("2d");
          ctx.font = "11px system-ui, -apple-system, Segoe UI, sans-serif";
          return ctx.measureText(text).width;
        }""",
        text,
    )


def test_scatter_category_labels_whole_where_they_fit(
    ui: SweepUI, models: tuple[str, list[str]]
) -> None:
    """At 1440 px the y axis' model names get the room of the widest (a fixed 50 px cut them
    all to "resnet…"): the last category's, 30 characters, is drawn whole and has no hover
    tip. The plot is 420 px high, framed 16 px from the top and 48 from the bottom, its data
    inset 4 % of the frame: the last category is 30.24 px down."""
    page = ui.page
    ui.goto(models_scatter(models, "metric:accuracy", "param:model"))
    expect(page.locator("[data-role=scatter][data-drawn]")).to_have_count(1)
    start, end = y_label_ink(ui, 30.24)
    assert abs((end - start) - text_width(ui, MODELS[-1])) < 3, (start, end)
    expect(category_tip(ui, (start + end) / 2, 30.24)).to_have_count(0)
    ui.assert_clean()


def test_scatter_long_categories_are_cut_and_whole_on_hover(
    narrow_ui: SweepUI, models: tuple[str, list[str]]
) -> None:
    """A model name wider than a quarter of the plot is cut to that quarter left of the y
    axis (the 88 px under an x tick); hovering its label shows the whole name, markup as
    text. At 1024 px every name fits; at 720 a quarter of the 656 px plot, 164 px, is less
    than any name's (the last's is 177). The first category is 357.76 px down, the last 30.24."""
    page = narrow_ui.page
    narrow_ui.goto(models_scatter(models, "metric:accuracy", "param:model"))
    expect(page.locator("[data-role=scatter][data-drawn]")).to_have_count(1)
    start, end = y_label_ink(narrow_ui, 30.24)
    expect(category_tip(narrow_ui, (start + end) / 2, 30.24)).to_have_count(0)  # whole
    page.set_viewport_size({"width": 720, "height": 900})
    canvas = page.locator("[data-role=scatter] canvas")
    page.wait_for_function(
        "c => Math.abs(c.width / devicePixelRatio - c.clientWidth) < 3", arg=canvas.element_handle()
    )
    room = canvas.bounding_box()["width"] // 4  # the labels end 24 px right of it
    tip = category_tip(narrow_ui, room + 20, 30.24)
    expect(tip).to_have_text(MODELS[-1])  # vit-b16-pretrained-imagenet21k, the last
    narrow_ui.shot("y")
    tip = category_tip(narrow_ui, room + 20, 357.76)
    expect(tip).to_have_text(MODELS[0])
    expect(tip.locator("b")).to_have_count(0)
    expect(category_tip(narrow_ui, 10, 357.76)).to_have_count(0)  # left of the label: no tip
    page.set_viewport_size({"width": 1024, "height": 900})
    page.locator("[data-role=scatter-x]").select_option("param:model")
    page.locator("[data-role=scatter-y]").select_option("metric:accuracy")
    width = page.locator("[data-role=scatter] canvas").bounding_box()["width"]
    # The x axis' last category is 4 % of the frame in from its right end, 24 px from the edge;
    # its label's middle 12 px under the frame (420 - 48). A number's y labels take 80 px.
    tip = category_tip(narrow_ui, width - 24 - 0.04 * (width - 104), 384)
    expect(tip).to_have_text(MODELS[-1])
    narrow_ui.shot("x")
    narrow_ui.assert_clean()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_scatter_category_axis_screenshots(
    ui: SweepUI, models: tuple[str, list[str]], theme: str
) -> None:
    """Screenshots (not compared): 60 runs' model names on the y axis, then the x axis, at
    1440 and 1024 px; the labels are thinned so none overlap, each cut to its room."""
    page = ui.page
    page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for axis, (x, y) in {
        "y": ("metric:accuracy", "param:model"),
        "x": ("param:model", "metric:accuracy"),
    }.items():
        ui.goto(models_scatter(models, x, y))
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            plot = page.locator("[data-role=scatter][data-drawn]")
            expect(plot).to_have_count(1)
            # Redrawn at the new width: the canvas' pixels are as wide as it is shown.
            page.wait_for_function(
                "c => Math.abs(c.width / devicePixelRatio - c.clientWidth) < 3",
                arg=plot.locator("canvas").element_handle(),
            )
            plot.screenshot(path=str(SCREENSHOTS / f"scatter-models-{axis}-{width}-{theme}.png"))
    ui.assert_clean()


def test_compare_charts_in_sections_by_prefix(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 20, tab="charts"))
    ui.page.wait_for_selector(".chart-section")
    sections = ui.page.locator(".chart-section").evaluate_all(
        "els => els.map(e => e.dataset.section)"
    )
    assert sections == ["val", "train", "other", "system"]
    system = ui.page.locator(".chart-section[data-section=system] .chart-card")
    assert system.evaluate_all("els => els.map(e => e.dataset.metric)") == [
        "system/cpu_utilization",
        "system/gpu_0_memory_usage_megabytes",
    ]
    ui.assert_clean()


def test_compare_chart_takes_a_metric_as_x_axis(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 4, tab="charts"))
    ui.page.locator("[data-role=x-axis]").select_option("metric:train/accuracy")
    expect(ui.page).to_have_url(re.compile(r"x=metric%3Atrain%2Faccuracy|x=metric:train/accuracy"))
    card = chart(ui, "val/loss")
    expect(card.locator(".chart-host[data-drawn]")).to_have_count(1)
    hover_line(ui, "val/loss")
    tip = card.locator("[data-role=chart-tooltip]")
    expect(tip).to_contain_text(re.compile(r"train/accuracy 0\.\d+"))
    # The x-axis is train/accuracy's values (0..1), not the steps (0..499).
    last_x = float(card.locator(".chart-host").get_attribute("data-last-x"))
    assert 0 < last_x < 1
    ui.shot()
    ui.assert_clean()


# ---------------------------------------------------------------- 5. chart view and group-by

CHART_SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "ui-chart-view"


def runs_page(sweep: Sweep, query: str) -> str:
    return f"#/experiments/{sweep.experiment_id}?{query}"


def test_chart_view_hover_names_the_run_at_60_runs(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(runs_page(sweep, "charts=1"))
    card = chart(ui, "val/loss")
    expect(card.locator(".chart-host[data-drawn]")).to_have_count(1, timeout=15_000)
    expect(card.locator(".legend-item")).to_have_count(60, timeout=15_000)
    hover_line(ui, "val/loss")
    focused = card.locator(".chart-host").get_attribute("data-focused")
    assert re.fullmatch(r"trial-\d\d", focused)
    tooltip = card.locator("[data-role=chart-tooltip]")
    expect(tooltip).to_be_visible()
    assert focused in tooltip.inner_text() and re.search(r"\d\.\d+", tooltip.inner_text())
    ui.assert_clean()


def test_chart_view_eye_hides_a_run(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(runs_page(sweep, "charts=1&expand=1"))
    card = chart(ui, "val/loss")
    expect(card.locator(".legend-item")).to_have_count(60, timeout=15_000)
    row = ui.page.locator(".vt-row", has=ui.page.locator(".vt-name a", has_text="trial-")).first
    name = row.locator(".vt-name a").inner_text()
    eye = ui.page.locator(f".vt-row[data-run-id='{sweep.run_ids[name]}'] [data-eye]")
    eye.click()
    expect(eye).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".legend-item")).to_have_count(59, timeout=15_000)
    expect(card.locator(".legend-item", has_text=name)).to_have_count(0)
    assert "hide=" in ui.page.url
    ui.assert_clean()


def test_group_by_draws_one_series_per_group(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(runs_page(sweep, "charts=1"))
    card = chart(ui, "val/loss")
    expect(card.locator(".legend-item")).to_have_count(60, timeout=15_000)  # the params known
    page.locator("[data-role=group-by]").select_option("param:optimizer")
    expect(card.locator("summary")).to_have_text("3 groups", timeout=15_000)
    expect(card.locator(".legend-item")).to_have_count(3)
    expect(card.locator(".legend-item").first).to_have_text("optimizer=adam (20)")
    # The table: a header row per value (the parents, without the param, under "(none)").
    groups = page.locator(".vt-row.vt-group")
    expect(groups.first).to_contain_text(re.compile(r"optimizer =\s*adam\s*20 runs"))
    page.locator("[data-role=runs-table]").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(groups.last).to_contain_text(re.compile(r"\(none\)\s*3 runs"))
    hover_line(ui, "val/loss")
    tooltip = card.locator("[data-role=chart-tooltip]")
    expect(tooltip).to_contain_text(
        re.compile(r"optimizer=\w+ \(20\)\s*mean \d.*\s*range \d.* \u2013 \d")
    )
    ui.assert_clean()


def test_chart_view_and_grouping_survive_the_breadcrumb(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    page.wait_for_selector(".vt-row")  # the tags known
    page.locator("[data-role=charts-toggle]").click()
    page.locator("[data-role=group-by]").select_option("tag:optimizer")
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(3, timeout=15_000)
    page.locator(".vt-row:not(.vt-group) .vt-name a").first.click()
    expect(page.locator("[data-role=run-name]")).to_be_visible()
    page.locator(".breadcrumbs a", has_text=sweep.experiment_name).click()

    expect(page.locator("[data-role=group-by]")).to_have_value("tag:optimizer")
    expect(page.locator("[data-role=charts-toggle]")).to_have_attribute("aria-pressed", "true")
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(3, timeout=15_000)
    assert "group=tag%3Aoptimizer" in page.url and "charts=1" in page.url
    ui.assert_clean()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_chart_view_screenshots(ui: SweepUI, sweep: Sweep, theme: str) -> None:
    """Screenshots (not compared): the chart view, then grouped, at 1440 and 1024 px."""
    page = ui.page
    page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    CHART_SHOTS.mkdir(parents=True, exist_ok=True)
    for query, name in (("charts=1&expand=1", "runs"), ("charts=1&group=param:lr", "grouped")):
        ui.goto(runs_page(sweep, query))
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(
                1, timeout=15_000
            )
            hover_line(ui, "val/loss")
            page.screenshot(path=str(CHART_SHOTS / f"{name}-{width}-{theme}.png"))
    ui.assert_clean()


def test_chart_view_eye_and_colour_from_the_keyboard(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(runs_page(sweep, "charts=1&expand=1"))
    card = chart(ui, "val/loss")
    expect(card.locator(".legend-item")).to_have_count(60, timeout=15_000)
    trials = page.locator(".vt-row", has=page.locator(".vt-name a", has_text="trial-"))
    hidden, recoloured = trials.nth(0), trials.nth(1)
    eye = hidden.locator("[data-eye]")
    eye.focus()
    page.keyboard.press("Enter")
    expect(card.locator(".legend-item")).to_have_count(59, timeout=15_000)
    # The row is drawn again; the focus stays on its eye, which now says the run is hidden.
    expect(page.locator(".vt-eye[aria-pressed=true]")).to_be_focused()
    name = recoloured.locator(".vt-name a").inner_text()
    recoloured.locator("[data-color]").fill("#ff0000")
    swatch = card.locator(".legend-item", has_text=name).locator(".swatch")
    expect(swatch).to_have_css("background-color", "rgb(255, 0, 0)", timeout=15_000)
    assert "colors=" in page.url and "ff0000" in page.url
    ui.assert_clean()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation_in_the_chart_view(
    ui: SweepUI, sweep: Sweep, theme: str
) -> None:
    require_axe()
    ui.page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    found = {}
    for query in ("charts=1&expand=1", "charts=1&group=param:lr"):
        ui.goto(runs_page(sweep, query))
        expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(
            1, timeout=15_000
        )
        violations = serious_violations(ui.page)
        if violations:
            found[query] = violations
    assert not found, found
    ui.assert_clean()


def test_chart_view_highlights_the_line_of_the_hovered_row(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(runs_page(sweep, "charts=1&expand=1"))
    host = chart(ui, "val/loss").locator(".chart-host")
    expect(host.locator(".u-over")).to_have_count(1, timeout=15_000)
    row = page.locator(".vt-row", has=page.locator(".vt-name a", has_text="trial-")).nth(2)
    row.hover()
    expect(host).to_have_attribute("data-focused", row.locator(".vt-name a").inner_text())
    expect(chart(ui, "val/loss").locator(".legend-item.focused")).to_have_count(1)
    page.mouse.move(5, 5)  # off the table: nothing highlighted
    expect(host).to_have_attribute("data-focused", "")
    ui.assert_clean()
