"""The web UI with the 63-run sweep (issue 22), continued: compare grouped by a param or tag,
parallel coordinates coloured by a metric, a column resized from the keyboard, and group
colours that agree between the runs table and its charts. The sweep's fixtures and helpers
are tests/test_ui_sweeps.py's; screenshots land in test-output/ui-sweeps/.
"""

from __future__ import annotations

import re

import pytest

from . import test_ui_sweeps as sweeps
from .browser import require_axe, serious_violations
from .test_ui_sweeps import (
    SCREENSHOTS,
    SweepUI,
    chart,
    compare_path,
    hover_line,
    open_table,
    runs_page,
)
from .ui_sweep_data import LONG_VALUE, OPTIMIZERS, TRIALS, Sweep

# The page fixture, taken by name from test_ui_sweeps.py (pytest finds fixtures in this
# module's namespace); the sweep's server and runs are session-wide (tests/sweep_fixtures.py).
ui = sweeps.ui
narrow_ui = sweeps.narrow_ui

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


def trial_ids(sweep: Sweep, optimizer: str) -> list[str]:
    """The run ids of one optimizer's trials (the sweep logs 20 per optimizer, in order)."""
    first = OPTIMIZERS.index(optimizer) * TRIALS
    return [sweep.run_ids[f"trial-{i:02d}"] for i in range(first, first + TRIALS)]


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


# ---------------------------------------------------------------- parallel coordinates: colour by


def test_parallel_colour_by_a_metric_colours_lines_on_a_scale(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(compare_path(sweep, 60, tab="parallel", pcolor="run"))
    plot = page.locator("[data-role=parallel][data-drawn]")
    expect(plot).to_have_count(1)
    expect(page.locator("[data-role=color-scale]")).to_have_count(0)
    canvas = page.locator("[data-role=parallel] canvas")
    by_run = canvas.evaluate("c => c.toDataURL()")

    page.locator("[data-role=color-by]").select_option("metric:val/accuracy")
    expect(page).to_have_url(re.compile(r"pcolor=metric(%3A|:)val(%2F|/)accuracy"))
    scale = page.locator("[data-role=color-scale]")
    expect(scale).to_be_visible()
    expect(scale).to_contain_text("val/accuracy")
    ends = [scale.locator(f"[data-role=color-scale-{end}]").inner_text() for end in ("min", "max")]
    assert all(re.fullmatch(r"0\.\d{1,3}", end) for end in ends), f"3 significant digits: {ends}"
    low, high = map(float, ends)
    assert 0 < low < high < 1
    assert canvas.evaluate("c => c.toDataURL()") != by_run, "the lines changed colour"

    # A hovered line's colour is the scale's colour for its value.
    box = canvas.bounding_box()
    tip = page.locator(".plot-tooltip:not(.hidden)")
    for y in range(50, 400, 6):
        page.mouse.move(box["x"] + 70, box["y"] + y)  # along the first axis
        if tip.count():
            break
    value = float(re.search(r"val/accuracy: ([\d.]+)", tip.inner_text()).group(1))
    shown = tip.locator(".swatch").evaluate(BACKGROUND)
    expected = page.evaluate(
        """async ([t]) => {
            const { scaleColor } = await import("/static/js/color-scale.js");
            const probe = document.createElement("span");
            const dark = document.documentElement.dataset.theme === "dark";
            probe.style.background = scaleColor(t, dark);
            document.body.append(probe);
            const color = getComputedStyle(probe).backgroundColor;
            probe.remove();
            return color;
        }""",
        [(value - low) / (high - low)],
    )
    channels = [int(c) for c in re.findall(r"\d+", shown)[:3]]
    wanted = [int(c) for c in re.findall(r"\d+", expected)[:3]]
    # The tooltip's value is rounded for display: the colour may differ by a little.
    assert max(abs(a - b) for a, b in zip(channels, wanted, strict=True)) <= 12, (shown, expected)
    ui.shot()
    ui.assert_clean()


def test_parallel_long_category_is_cut_and_whole_on_hover(narrow_ui: SweepUI, sweep: Sweep) -> None:
    """At 1024 px a category too long for the room before the next axis is cut; hovering
    its label shows the whole value (trial 0's transforms, the only run with it)."""
    page = narrow_ui.page
    params = ("transforms", "optimizer", "lr", "batch_size", "dropout")
    axes = ",".join([*(f"param:{name}" for name in params), "metric:val/loss"])
    narrow_ui.goto(compare_path(sweep, 60, tab="parallel", axes=axes))
    expect(page.locator("[data-role=parallel][data-drawn]")).to_have_count(1)
    box = page.locator("[data-role=parallel] canvas").bounding_box()
    # The first axis is 70 px in, its one category halfway down the 344 px between 52 and 396;
    # its label starts right of the axis, away from trial 0's line, which falls to "adam".
    page.mouse.move(box["x"] + 130, box["y"] + 52 + 344 / 2 - 2)
    tip = page.locator(".plot-tooltip:not(.hidden)")
    expect(tip).to_have_text(LONG_VALUE)
    narrow_ui.shot()
    narrow_ui.assert_clean()


def test_parallel_colours_by_the_first_metric_by_default(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(compare_path(sweep, 60, tab="parallel"))
    expect(page.locator("[data-role=color-by]")).to_have_value("metric:val/loss")
    expect(page.locator("[data-role=color-scale]")).to_contain_text("val/loss")
    ui.assert_clean()


def test_parallel_colour_by_a_param_lists_its_values(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(compare_path(sweep, 60, tab="parallel", pcolor="param:optimizer"))
    categories = page.locator("[data-role=color-scale] .color-scale-category")
    expect(categories).to_have_text(["adam", "rmsprop", "sgd"])
    colors = {c.locator(".swatch").evaluate(BACKGROUND) for c in categories.all()}
    assert len(colors) == 3
    ui.assert_clean()


# ---------------------------------------------------------------- runs table: resize by keyboard


def test_keyboard_user_widens_a_column_and_it_survives_reload(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    open_table(ui, sweep)
    header = page.locator(".vt-head [data-col='metric:val/loss']")
    before = header.evaluate("el => el.offsetWidth")
    # Reached by Tab from its header: the header, its pin toggle, then the handle.
    header.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    handle = page.get_by_role("separator", name="Resize metric val/loss")
    expect(handle).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    expect(header).to_have_js_property("offsetWidth", before + 70)
    expect(handle).to_be_focused()  # the header was drawn again; the focus stayed
    expect(handle).to_have_attribute("aria-valuenow", str(before + 70))
    page.keyboard.press("ArrowLeft")
    expect(header).to_have_js_property("offsetWidth", before + 60)
    assert f"metric%3Aval%2Floss%40{before + 60}" in page.url
    page.reload()
    expect(page.locator(".vt-head [data-col='metric:val/loss']")).to_have_js_property(
        "offsetWidth", before + 60
    )
    ui.assert_clean()


# ---------------------------------------------------------------- grouped runs table: swatches


def test_group_swatch_is_its_charts_colour_with_a_group_hidden(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    hide = ",".join(trial_ids(sweep, "adam"))  # every run of the first group
    ui.goto(runs_page(sweep, f"charts=1&group=param:optimizer&hide={hide}"))
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(2, timeout=15_000)
    charted = legend_colors(ui, "val/loss")
    table = page.locator("[data-role=runs-table]")
    for value in ("rmsprop", "sgd"):
        swatch = page.locator(f".vt-group[data-group='{value}'] .swatch")
        for _ in range(20):  # only the rows in view are drawn: scroll down to the group's
            if swatch.count():
                break
            table.evaluate("el => { el.scrollTop += 300; }")
            page.wait_for_timeout(50)
        assert swatch.evaluate(BACKGROUND) == charted[f"optimizer={value} (20)"], value
    ui.assert_clean()


def test_grouped_runs_show_their_groups_chart_colour(ui: SweepUI, sweep: Sweep) -> None:
    page = ui.page
    ui.goto(runs_page(sweep, "charts=1&group=param:optimizer"))
    expect(chart(ui, "val/loss").locator(".legend-item")).to_have_count(3, timeout=15_000)
    adam = legend_colors(ui, "val/loss")["optimizer=adam (20)"]
    run = page.locator(f".vt-row[data-run-id='{sweep.run_ids['trial-00']}']")
    expect(run.locator("[data-color]")).to_have_count(0)  # no run colour to choose
    assert run.locator(".vt-name .swatch").evaluate(BACKGROUND) == adam
    ui.assert_clean()


# ---------------------------------------------------------------- screenshots and axe


SHOTS = {
    "compare-grouped": ("compare", "tab=charts&group=param:lr"),
    "parallel-coloured": ("compare", "tab=parallel"),
    "runs-grouped": ("runs", "charts=1&group=param:lr"),
}


def open_drawn(ui: SweepUI, sweep: Sweep, name: str) -> None:
    """Open one of SHOTS and wait for its plot or first chart."""
    where, query = SHOTS[name]
    if where == "runs":
        ui.goto(runs_page(sweep, query))
    else:
        ui.goto(compare_path(sweep, 60, **dict(p.split("=") for p in query.split("&"))))
    wait_drawn(ui, name)


def wait_drawn(ui: SweepUI, name: str) -> None:
    if name == "parallel-coloured":
        expect(ui.page.locator("[data-role=parallel][data-drawn]")).to_have_count(1)
    else:
        expect(chart(ui, "val/loss").locator(".chart-host[data-drawn]")).to_have_count(
            1, timeout=15_000
        )


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation_in_grouped_and_coloured_views(
    ui: SweepUI, sweep: Sweep, theme: str
) -> None:
    """axe-core on compare grouped, parallel coordinates coloured by a metric and the grouped
    runs table; on the way, screenshots (not compared) of each at 1440 and 1024 px, and of a
    resize handle holding the focus."""
    require_axe()
    page = ui.page
    page.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for name in SHOTS:
        open_drawn(ui, sweep, name)
        found[name] = serious_violations(page)
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            wait_drawn(ui, name)
            if name == "parallel-coloured":
                page.locator("[data-role=parallel]").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}-{theme}.png"))
        page.set_viewport_size({"width": 1440, "height": 900})
    open_table(ui, sweep)
    page.get_by_role("separator", name="Resize metric val/loss").focus()
    page.keyboard.press("Shift+ArrowRight")
    page.screenshot(path=str(SCREENSHOTS / f"resize-focus-{theme}.png"))
    assert not any(found.values()), found
    ui.assert_clean()
