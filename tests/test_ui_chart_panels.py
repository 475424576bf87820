"""The chart panels (issue 22): the chart view's panels hidden, added back, resized and
reordered, kept in the experiment's saved view and in a shared URL, by mouse and by keyboard,
on the 63-run sweep of tests/ui_sweep_data.py in Debian's Chromium through Playwright.

Screenshots land in test-output/ui-sweeps/ (chart-panels-*.png).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from .browser import require_axe, serious_violations
from .servers import ServerProcess
from .test_ui_sweeps import SCREENSHOTS, SweepUI, chart, compare_path, open_ui, runs_page
from .ui_sweep_data import Sweep

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def ui(browser, sweep_server: ServerProcess, request) -> Iterator[SweepUI]:
    ui, context = open_ui(browser, sweep_server, request.node.name)
    yield ui
    context.close()


def open_chart_view(ui: SweepUI, sweep: Sweep, query: str = "") -> None:
    ui.goto(runs_page(sweep, f"charts=1{'&' + query if query else ''}"))
    expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)


def section_keys(ui: SweepUI, section: str) -> list[str]:
    cards = ui.page.locator(f".chart-section[data-section='{section}'] .chart-card")
    return cards.evaluate_all("els => els.map(e => e.dataset.metric)")


def panel_button(ui: SweepUI, key: str, action: str):
    return chart(ui, key).locator(f"[data-action={action}]")


def test_hidden_panel_stays_hidden_on_the_next_visit(ui: SweepUI, sweep: Sweep) -> None:
    open_chart_view(ui, sweep)
    panel_button(ui, "val/accuracy", "hide").click()
    expect(chart(ui, "val/accuracy")).to_have_count(0)
    expect(ui.page.locator("[data-role=panels-hidden]")).to_have_text("1 panel hidden")
    assert "panels=" in ui.page.url
    # A new visit through a bare link: the saved view brings the layout back.
    ui.page.goto("about:blank")
    ui.goto(f"#/experiments/{sweep.experiment_id}")
    expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)
    expect(chart(ui, "val/accuracy")).to_have_count(0)
    assert "panels=" in ui.page.url
    ui.assert_clean()


def test_hidden_panel_comes_back_from_the_panels_chooser(ui: SweepUI, sweep: Sweep) -> None:
    open_chart_view(ui, sweep, "panels=!train%2Floss")
    expect(chart(ui, "train/loss")).to_have_count(0)
    ui.page.get_by_role("button", name="Panels").click()
    chooser = ui.page.get_by_role("dialog", name="Chart panels")
    box = chooser.get_by_role("checkbox", name="train/loss")
    expect(box).not_to_be_checked()
    box.check()
    card = chart(ui, "train/loss")
    expect(card).to_have_count(1)
    card.scroll_into_view_if_needed()
    expect(card.locator(".chart-host[data-drawn]")).to_have_count(1)
    assert section_keys(ui, "train") == ["train/loss", "train/accuracy"]
    ui.assert_clean()


def test_resizing_a_panel_changes_its_width_and_height(ui: SweepUI, sweep: Sweep) -> None:
    open_chart_view(ui, sweep)
    card = chart(ui, "val/loss")
    before = card.bounding_box()
    plot_before = card.locator(".uplot").bounding_box()["height"]
    size = panel_button(ui, "val/loss", "size")
    expect(size).to_have_attribute("aria-label", re.compile(r"now medium"))
    size.click()  # medium -> large
    expect(size).to_have_attribute("aria-label", re.compile(r"now large"))
    expect(card).to_have_attribute("data-size", "l")
    wider = card.bounding_box()
    assert wider["width"] > before["width"] * 1.2, (before, wider)
    assert card.locator(".uplot").bounding_box()["height"] > plot_before + 50
    size.click()  # large -> full width: the whole grid
    grid = card.locator("xpath=..").bounding_box()
    expect(card).to_have_attribute("data-size", "xl")
    assert abs(card.bounding_box()["width"] - grid["width"]) < 2
    assert "val%2Floss%40xl" in ui.page.url or "val/loss@xl" in ui.page.url
    ui.assert_clean()


def test_reordered_panels_survive_a_reload_and_a_shared_url(
    ui: SweepUI,
    sweep: Sweep,
    browser,
    sweep_server: ServerProcess,
) -> None:
    open_chart_view(ui, sweep)
    assert section_keys(ui, "val") == ["val/loss", "val/accuracy"]
    panel_button(ui, "val/loss", "later").click()
    assert section_keys(ui, "val") == ["val/accuracy", "val/loss"]
    # The last of its section moves no further.
    expect(panel_button(ui, "val/loss", "later")).to_have_attribute("aria-disabled", "true")
    ui.page.reload()
    expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)
    assert section_keys(ui, "val") == ["val/accuracy", "val/loss"]
    # The URL, opened where no view was saved.
    shared, context = open_ui(browser, sweep_server, "shared")
    try:
        shared.page.goto(ui.page.url)
        expect(chart(shared, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)
        assert section_keys(shared, "val") == ["val/accuracy", "val/loss"]
        shared.assert_clean()
    finally:
        context.close()
    ui.assert_clean()


def drag(ui: SweepUI, source, target) -> None:
    """Press on `source`, move onto `target` in steps (a drag must start before it arrives:
    Playwright's drag_to starts none here), release."""
    source.scroll_into_view_if_needed()
    start, end = source.bounding_box(), target.bounding_box()
    x, y = start["x"] + 20, start["y"] + start["height"] / 2
    to_x, to_y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    ui.page.mouse.move(x, y)
    ui.page.mouse.down()
    for step in range(1, 11):
        ui.page.mouse.move(x + (to_x - x) * step / 10, y + (to_y - y) * step / 10)
    ui.page.mouse.up()


def test_panel_dragged_by_its_title_takes_the_place_of_another(ui: SweepUI, sweep: Sweep) -> None:
    open_chart_view(ui, sweep)
    assert section_keys(ui, "train") == ["train/loss", "train/accuracy"]
    chart(ui, "train/accuracy").scroll_into_view_if_needed()
    for key in ("val/accuracy", "train/loss", "train/accuracy"):  # no panel grows mid-drag
        expect(chart(ui, key).locator(".chart-host[data-drawn]")).to_have_count(1)
    drag(ui, chart(ui, "train/accuracy").locator(".chart-title"), chart(ui, "train/loss"))
    assert section_keys(ui, "train") == ["train/accuracy", "train/loss"]
    assert (
        "train%2Faccuracy%2Ctrain%2Floss" in ui.page.url
        or "train/accuracy,train/loss" in ui.page.url
    )
    # Not into another section.
    drag(ui, chart(ui, "val/accuracy").locator(".chart-title"), chart(ui, "train/loss"))
    assert section_keys(ui, "val") == ["val/loss", "val/accuracy"]
    assert section_keys(ui, "train") == ["train/accuracy", "train/loss"]
    ui.assert_clean()


def test_reset_layout_restores_the_default(ui: SweepUI, sweep: Sweep) -> None:
    open_chart_view(ui, sweep, "panels=val%2Faccuracy%40s,val%2Floss,!best_val_accuracy")
    assert section_keys(ui, "val") == ["val/accuracy", "val/loss"]
    ui.page.get_by_role("button", name="Panels").click()
    ui.page.get_by_role("button", name="Reset layout").click()
    assert section_keys(ui, "val") == ["val/loss", "val/accuracy"]
    expect(chart(ui, "best_val_accuracy")).to_have_count(1)
    expect(chart(ui, "val/accuracy")).to_have_attribute("data-size", "m")
    assert "panels=" not in ui.page.url
    saved = ui.page.evaluate(f"localStorage.getItem('trackyard.runs-view.{sweep.experiment_id}')")
    assert "panels" not in saved
    ui.assert_clean()


def test_panels_moved_resized_hidden_and_shown_by_keyboard(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    open_chart_view(ui, sweep)
    # Tab from the Panels button reaches the first panel's buttons.
    page.get_by_role("button", name="Panels").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.action") == "earlier":
            break
    later = panel_button(ui, "val/loss", "later")
    expect(panel_button(ui, "val/loss", "earlier")).to_be_focused()
    page.keyboard.press("Tab")
    expect(later).to_be_focused()
    page.keyboard.press("Enter")
    assert section_keys(ui, "val") == ["val/accuracy", "val/loss"]
    expect(later).to_be_focused()  # the moved panel keeps the focus
    page.keyboard.press("Tab")
    expect(panel_button(ui, "val/loss", "size")).to_be_focused()
    page.keyboard.press("Enter")
    expect(chart(ui, "val/loss")).to_have_attribute("data-size", "l")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # hide
    expect(chart(ui, "val/loss")).to_have_count(0)
    chooser = page.get_by_role("button", name="Panels")
    expect(chooser).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Chart panels")).to_be_visible()
    page.keyboard.type("val/loss")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="val/loss")).to_be_focused()
    page.keyboard.press("Space")
    expect(chart(ui, "val/loss")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Chart panels")).to_have_count(0)
    expect(chooser).to_be_focused()
    expect(chooser).to_have_attribute("aria-expanded", "false")
    ui.assert_clean()


def test_compare_page_keeps_its_panel_layout_in_the_url(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 8, tab="charts"))
    expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)
    panel_button(ui, "train/loss", "hide").click()
    expect(chart(ui, "train/loss")).to_have_count(0)
    ui.page.reload()
    expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(1)
    expect(chart(ui, "train/loss")).to_have_count(0)
    ui.assert_clean()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation_with_the_panel_controls(
    ui: SweepUI,
    sweep: Sweep,
    theme: str,
) -> None:
    require_axe()
    ui.page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    open_chart_view(ui, sweep, "panels=val%2Floss%40xl,!best_val_accuracy")
    ui.page.get_by_role("button", name="Panels").click()
    expect(ui.page.get_by_role("dialog", name="Chart panels")).to_be_visible()
    assert not serious_violations(ui.page)
    ui.assert_clean()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_chart_panels_screenshots(ui: SweepUI, sweep: Sweep, theme: str) -> None:
    """Screenshots (not compared): a layout with a full-width, a small and a hidden panel, and
    the chooser open, at 1440 and 1024 px."""
    page = ui.page
    page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    layout = ",".join(
        (
            "val/loss@xl",
            "val/accuracy",
            "train/accuracy@s",
            "train/loss@s",
            "!system/cpu_utilization",
        )
    ).replace("/", "%2F")
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        open_chart_view(ui, sweep, f"panels={layout}")
        page.screenshot(path=str(SCREENSHOTS / f"chart-panels-{width}-{theme}.png"))
        small = chart(ui, "train/loss")
        small.scroll_into_view_if_needed()
        expect(small.locator(".chart-host[data-drawn]")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / f"chart-panels-small-{width}-{theme}.png"))
        page.get_by_role("button", name="Panels").click()
        expect(page.get_by_role("dialog", name="Chart panels")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"chart-panels-chooser-{width}-{theme}.png"))
        page.keyboard.press("Escape")
    ui.assert_clean()
