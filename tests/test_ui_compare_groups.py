"""The web UI with the 63-run sweep (issue 22), continued: compare grouped by a param or tag,
parallel coordinates coloured by a metric, a column resized from the keyboard, and group
colours that agree between the runs table and its charts. The sweep's fixtures and helpers
are tests/test_ui_sweeps.py's; screenshots land in test-output/ui-sweeps/.
"""

from __future__ import annotations

import re

import pytest

from . import test_ui_sweeps as sweeps
from .test_ui_sweeps import (
    SweepUI,
    chart,
    compare_path,
    hover_line,
    runs_page,
)
from .ui_sweep_data import Sweep

# The sweep's server, its 63 runs and the page fixture, taken by name from test_ui_sweeps.py
# (pytest finds fixtures in this module's namespace; module-scoped, seeded once here).
sweep_server = sweeps.sweep_server
sweep = sweeps.sweep
ui = sweeps.ui

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

BACKGROUND = "el => getComputedStyle(el).backgroundColor"


def legend_colors(ui: SweepUI, key: str) -> dict[str, str]:
    """A chart's legend: entry name -> its swatch's colour."""
    card = chart(ui, key)
    return {
        item.locator(".name").inner_text(): item.locator(".swatch").evaluate(BACKGROUND)
        for item in card.locator(".legend-item").all()
    }


# ---------------------------------------------------------------- compare: group by


def test_compare_grouped_by_a_param_draws_a_mean_line_and_band_per_group(
    ui: SweepUI, sweep: Sweep
) -> None:
    ui.goto(compare_path(sweep, 60, tab="charts", group="param:optimizer"))
    card = chart(ui, "val/loss")
    expect(card.locator(".chart-host[data-drawn]")).to_have_count(1)
    expect(card.locator("summary")).to_have_text("3 groups")
    expect(card.locator(".legend-item .name")).to_have_text(
        ["optimizer=adam (20)", "optimizer=rmsprop (20)", "optimizer=sgd (20)"]
    )
    hover_line(ui, "val/loss")
    # The hovered line is a group's mean; the tooltip gives its band, the min-max range.
    focused = card.locator(".chart-host").get_attribute("data-focused")
    assert focused in {f"optimizer={name} (20)" for name in ("adam", "rmsprop", "sgd")}
    text = card.locator("[data-role=chart-tooltip]").inner_text()
    low, high = re.search(r"range ([\d.]+) \u2013 ([\d.]+)", text).groups()
    mean = float(re.search(r"mean ([\d.]+)", text).group(1))
    assert float(low) < mean < float(high), text
    ui.assert_clean()


def test_compare_group_by_is_kept_in_the_url(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(compare_path(sweep, 60, tab="charts"))
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(60)
    page.locator("[data-role=group-by]").select_option("tag:optimizer")
    expect(page).to_have_url(re.compile(r"group=tag(%3A|:)optimizer"))
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(3)
    page.reload()
    expect(page.locator("[data-role=group-by]")).to_have_value("tag:optimizer")
    expect(chart(ui, "val/loss").locator("summary")).to_have_text("3 groups")
    ui.assert_clean()


def test_compare_group_colours_match_the_chart_view(ui: SweepUI, sweep: Sweep) -> None:
    ui.goto(compare_path(sweep, 60, tab="charts", group="param:lr"))
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(4)
    compared = legend_colors(ui, "val/loss")
    ui.goto(runs_page(sweep, "charts=1&group=param:lr"))
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(4, timeout=15_000)
    assert legend_colors(ui, "val/loss") == compared
    assert len(set(compared.values())) == 4
    ui.assert_clean()
